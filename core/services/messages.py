"""The chat log: every message a young person sends or receives, when they consented."""

from __future__ import annotations

from sqlmodel import Session

from core.models import Consent, Delivery, Direction, MediaKind, Message, Youth, row_id


def do_record_message(
    session: Session,
    *,
    youth: Youth,
    direction: Direction,
    text: str | None = None,
    media_kind: MediaKind = MediaKind.TEXT,
    file_id: str | None = None,
    telegram_message_id: int | None = None,
    delivery_status: Delivery,
    coach_id: int | None = None,
) -> Message | None:
    """Store one message; without consent nothing is stored and None is returned.

    A message from the young person during a talk with a coach waits for the coach's answer
    and counts as unread in the panel.
    """
    if youth.consent != Consent.GIVEN:
        return None
    message = Message(
        youth_id=row_id(youth),
        direction=direction,
        text=text,
        media_kind=media_kind,
        file_id=file_id,
        telegram_message_id=telegram_message_id,
        delivery_status=delivery_status,
        coach_id=coach_id,
    )
    session.add(message)
    if direction in (Direction.YOUTH, Direction.COACH):
        youth.last_message_at = message.created_at
    if direction == Direction.YOUTH and youth.talk_opened_at is not None:
        youth.waiting_since = youth.waiting_since or message.created_at
        youth.unread += 1
    session.add(youth)
    return message
