"""A conversation as the coach reads it: the young person's own words and the coaches' answers
in full; the bot's texts, commands and tapped buttons folded into one line each run of them;
finished self-assessments as cards with the change since the run before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from core.i18n import is_own_text
from core.models import Assessment, AssessmentStatus, Direction, Message


@dataclass(frozen=True)
class Card:
    """A finished self-assessment: its score and the score of the run before (if any)."""

    dialogue_id: str
    score: float | None
    previous: float | None
    created_at: datetime

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return round(self.score - self.previous, 1)


@dataclass
class Fold:
    """Consecutive messages the coach rarely needs: the bot's texts, commands, tapped buttons."""

    messages: list[Message] = field(default_factory=list)

    @property
    def key(self) -> int:
        """Stable while the page refreshes, so an opened fold stays open."""
        return self.messages[0].id or 0


Entry = Message | Card | Fold


def is_chatter(message: Message) -> bool:
    """The bot's own text, or the young person's command or button tap."""
    if message.direction == Direction.BOT:
        return True
    return (
        message.direction == Direction.YOUTH
        and message.text is not None
        and is_own_text(message.text)
    )


def cards_since(session: Session, *, youth_id: int, since: datetime | None) -> list[Card]:
    """The finished runs from `since` on, each with its dialogue's run before it."""
    runs = session.exec(
        select(Assessment)
        .where(Assessment.youth_id == youth_id, Assessment.status == AssessmentStatus.FINISHED)
        .order_by(col(Assessment.finished_at), col(Assessment.id))
    ).all()
    before: dict[str, float | None] = {}
    cards = []
    for run in runs:
        if run.finished_at is None:
            continue
        if since is None or run.finished_at >= since:
            cards.append(
                Card(run.dialogue_id, run.score, before.get(run.dialogue_id), run.finished_at)
            )
        before[run.dialogue_id] = run.score
    return cards


def entries(messages: list[Message], cards: list[Card]) -> list[Entry]:
    """Messages and cards in time order, each run of chatter folded into one entry."""
    items: list[Message | Card] = sorted([*messages, *cards], key=lambda item: item.created_at)
    found: list[Entry] = []
    for item in items:
        if isinstance(item, Message) and is_chatter(item):
            if found and isinstance(found[-1], Fold):
                found[-1].messages.append(item)
            else:
                found.append(Fold([item]))
        else:
            found.append(item)
    return found
