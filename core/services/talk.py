"""The handover: a young person talks with their coach, the bot steps aside, then comes back.

While the talk is open everything the young person sends waits for a coach in the panel
(`waiting_since`, `unread`). A coach's reply is a message row plus an outbox row in one
transaction: the dispatcher delivers it as "{name}: …" and records what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, true, union_all, update
from sqlmodel import Session, col, select

from core.i18n import is_own_text
from core.models import (
    Alert,
    Coach,
    Consent,
    Delivery,
    Direction,
    Message,
    Youth,
    YouthStatus,
    row_id,
)
from core.office_hours import is_in
from core.services.access import visible_to
from core.services.audit import do_audit
from core.services.messages import do_record_message
from core.services.outbox import KIND_HANDED_BACK, KIND_REPLY, do_enqueue

REPLY_LIMIT = 4000  # below Telegram's 4096, leaving room for the coach's name


class TalkError(ValueError):
    """A reply that cannot be sent as asked; the message says why, for the coach."""


def coach_of(session: Session, youth: Youth) -> Coach | None:
    """The young person's own coach, if they have an active one (else the shared queue)."""
    coach = session.get(Coach, youth.coach_id) if youth.coach_id else None
    return coach if coach is not None and coach.active else None


def do_open_talk(session: Session, *, youth: Youth, now: datetime) -> Coach | None:
    """Open the handover (again); return the coach who answers, or None for the queue."""
    if youth.talk_opened_at is None:
        youth.talk_opened_at = now
        session.add(youth)
        do_audit(session, actor="youth", action="talk.open", youth_id=youth.id)
    return coach_of(session, youth)


def do_ask_for_a_person(session: Session, *, youth: Youth, now: datetime) -> Coach | None:
    """The young person asked in their own words to talk with someone: open the talk and
    show them as waiting in the inbox (their words are already in the chat log)."""
    coach = do_open_talk(session, youth=youth, now=now)
    youth.waiting_since = youth.waiting_since or now
    session.add(youth)
    return coach


class UnansweredMessage(TalkError):
    """A hand-back asked for while the young person's last message has no answer yet."""


def do_close_talk(
    session: Session,
    *,
    youth: Youth,
    by_coach: Coach | None,
    now: datetime,
    unanswered_ok: bool = False,
) -> None:
    """End the handover: by the young person ("Back to the bot") or from the panel.

    A coach's hand-back is told to the young person through the outbox. It never drops a
    question silently: while the young person's last message waits for an answer, the coach
    must say they mean it (`unanswered_ok`), else UnansweredMessage.
    """
    if youth.talk_opened_at is None:
        return
    if by_coach is not None and youth.waiting_since is not None and not unanswered_ok:
        raise UnansweredMessage("the young person's last message has no answer yet")
    youth.talk_opened_at = None
    youth.waiting_since = None
    session.add(youth)
    if by_coach is None:
        do_audit(session, actor="youth", action="talk.close", youth_id=youth.id)
        return
    do_audit(
        session, actor="coach", action="talk.hand_back", youth_id=youth.id, coach_id=by_coach.id
    )
    do_enqueue(
        session,
        youth=youth,
        kind=KIND_HANDED_BACK,
        due_at=now,
        payload={"coach_id": row_id(by_coach)},
    )


def do_claim_away_reply(
    session: Session, *, youth: Youth, coach: Coach | None, now: datetime, tz: ZoneInfo
) -> bool:
    """True (once a local day) when the coach is off and the young person should hear when
    to expect an answer."""
    if youth.talk_opened_at is None:
        return False
    hours = coach.office_hours if coach is not None else None
    today = now.astimezone(tz).date().isoformat()
    if is_in(hours, now=now, tz=tz) or youth.away_reply_on == today:
        return False
    youth.away_reply_on = today
    session.add(youth)
    return True


def do_coach_reply(
    session: Session, *, coach: Coach, youth: Youth, text: str, now: datetime
) -> Message:
    """Queue a coach's answer; the talk opens if it was closed, so the answer can be answered.

    To a young person known to have blocked the bot the answer is kept, marked not delivered,
    and not queued: the coach sees at once that it did not reach them.
    """
    text = text.strip()
    if not text:
        raise TalkError("Write something first.")
    if len(text) > REPLY_LIMIT:
        raise TalkError(f"At most {REPLY_LIMIT} characters in one message.")
    if youth.consent != Consent.GIVEN:
        raise TalkError("This young person has not agreed that Polku keeps messages.")
    reachable = youth.status == YouthStatus.ACTIVE
    message = do_record_message(
        session,
        youth=youth,
        direction=Direction.COACH,
        text=text,
        delivery_status=Delivery.PENDING if reachable else Delivery.BLOCKED,
        coach_id=coach.id,
    )
    assert message is not None  # consent checked above
    session.flush()
    do_audit(session, actor="coach", action="message.reply", youth_id=youth.id, coach_id=coach.id)
    if not reachable:
        return message
    youth.talk_opened_at = youth.talk_opened_at or now
    if youth.waiting_since is not None:  # the impact report's response time
        message.waited_seconds = max(0, int((now - youth.waiting_since).total_seconds()))
    youth.waiting_since = None
    session.add(youth)
    session.execute(  # a person has answered: the bot stops standing in for them
        update(Alert)
        .where(col(Alert.youth_id) == youth.id, col(Alert.answered_at).is_(None))
        .values(answered_at=now)
    )
    do_enqueue(
        session, youth=youth, kind=KIND_REPLY, due_at=now, payload={"message_id": row_id(message)}
    )
    return message


def do_mark_handled(session: Session, *, coach: Coach, youth: Youth, now: datetime) -> None:
    """Nothing more to answer for now: the conversation leaves the top of the inbox, and an
    urgent alert is closed (audited) by this coach."""
    youth.waiting_since = None
    youth.unread = 0
    session.add(youth)
    do_audit(session, actor="coach", action="talk.handled", youth_id=youth.id, coach_id=coach.id)
    closed = session.execute(
        update(Alert)
        .where(col(Alert.youth_id) == youth.id, col(Alert.handled_at).is_(None))
        .values(
            handled_at=now,
            handled_by_coach_id=coach.id,
            answered_at=func.coalesce(col(Alert.answered_at), now),
        )
    )
    if closed.rowcount:  # type: ignore[attr-defined]
        do_audit(
            session,
            actor="coach",
            action="safety.alert_handled",
            youth_id=youth.id,
            coach_id=coach.id,
        )


def do_mark_read(session: Session, *, youth: Youth) -> None:
    """The coach opened the conversation: nothing in it is unread any more."""
    if youth.unread:
        youth.unread = 0
        session.add(youth)


INBOX_VIEWS = ("mine", "queue", "all")
RECENT_FOR_SNIPPET = 10  # a young person's latest messages looked at for their own words


def inbox(session: Session, *, coach: Coach, show: str = "all", limit: int = 50) -> list[Youth]:
    """Conversations for this coach: waiting ones first (oldest waiting on top), then recent.
    `show`: "mine" (their own young people), "queue" (no coach yet) or "all" they may see."""
    narrower = {
        "mine": col(Youth.coach_id) == coach.id,
        "queue": col(Youth.coach_id).is_(None),
    }.get(show, true())
    statement = (
        select(Youth)
        .where(
            visible_to(coach),
            narrower,
            or_(col(Youth.last_message_at).is_not(None), col(Youth.talk_opened_at).is_not(None)),
        )
        .order_by(
            case((col(Youth.waiting_since).is_(None), 1), else_=0),
            col(Youth.waiting_since),
            col(Youth.last_message_at).desc(),
        )
        .limit(limit)
    )
    return list(session.exec(statement).all())


def waiting_count(session: Session, *, coach: Coach) -> int:
    """How many conversations wait for an answer (shown in the page title)."""
    statement = select(func.count()).where(visible_to(coach), col(Youth.waiting_since).is_not(None))
    return int(session.exec(statement).one())


def conversation(
    session: Session, *, youth_id: int, before_id: int | None = None, limit: int = 100
) -> list[Message]:
    """The latest messages of a chat (older ones page by `before_id`), oldest first."""
    statement = select(Message).where(Message.youth_id == youth_id)
    if before_id is not None:
        statement = statement.where(col(Message.id) < before_id)
    statement = statement.order_by(col(Message.id).desc())
    return list(reversed(session.exec(statement.limit(limit)).all()))


@dataclass(frozen=True)
class OwnWords:
    """A young person's latest words as the inbox previews them."""

    text: str | None
    media_kind: str


def latest_own_words(session: Session, *, youth_ids: list[int]) -> dict[int, OwnWords]:
    """Each young person's latest words of their own: never a command, a tapped button or
    another of Polku's texts (what the coach needs to answer, at a glance)."""
    if not youth_ids:
        return {}
    # Each young person's latest few messages through the (youth_id, id) index, one limited
    # subquery each in a single UNION ALL (a window over all their messages read every one of a
    # heavy user's thousands); only the three columns the preview needs, as plain rows: whole
    # rows were 500 objects a poll, and the garbage collector's pauses with them.
    latest = [
        select(Message.id)
        .where(Message.youth_id == youth_id, Message.direction == Direction.YOUTH)
        .order_by(col(Message.id).desc())
        .limit(RECENT_FOR_SNIPPET)
        .subquery()
        for youth_id in youth_ids
    ]
    ids = union_all(*(select(part.c.id) for part in latest))
    rows = session.exec(
        select(Message.youth_id, Message.text, Message.media_kind)
        .where(col(Message.id).in_(ids))
        .order_by(col(Message.youth_id), col(Message.id).desc())
    ).all()
    found: dict[int, OwnWords] = {}
    for youth_id, text, media_kind in rows:
        if youth_id not in found and (text is None or not is_own_text(text)):
            found[youth_id] = OwnWords(text, media_kind)
    return found
