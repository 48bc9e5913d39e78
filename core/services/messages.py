"""The chat log: every message a young person sends or receives, when they consented."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.models import Coach, Consent, Delivery, Direction, MediaKind, Message, Youth, row_id
from core.services.notices import do_notify_waiting


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


def do_record_incoming(
    session: Session,
    *,
    youth: Youth,
    telegram_message_id: int,
    text: str | None,
    media_kind: MediaKind = MediaKind.TEXT,
    file_id: str | None = None,
    tz: ZoneInfo,
) -> Message | None:
    """Store a message the young person sent, once per version of it; when it waits for an
    answer in a talk, their coach may get a notice (core.services.notices).

    The same update handled twice (retried after a crash or a failed handler) finds its row
    and adds nothing: no second row, no second unread. An edit keeps its Telegram message id
    but changes the content, so it gets a row of its own; it is compared with the newest row of
    that message, since one chat's updates are handled in order.
    """
    if youth.consent != Consent.GIVEN:
        return None
    newest = session.exec(
        select(Message)
        .where(
            Message.youth_id == row_id(youth),
            Message.direction == Direction.YOUTH,
            Message.telegram_message_id == telegram_message_id,
        )
        .order_by(col(Message.id).desc())
        .limit(1)
    ).first()
    if (
        newest is not None
        and newest.media_kind == media_kind
        and newest.text == text
        and newest.file_id == file_id
    ):
        return newest
    message = do_record_message(
        session,
        youth=youth,
        direction=Direction.YOUTH,
        text=text,
        media_kind=media_kind,
        file_id=file_id,
        telegram_message_id=telegram_message_id,
        delivery_status=Delivery.RECEIVED,
    )
    if message is not None and youth.waiting_since is not None:
        coach = session.get(Coach, youth.coach_id) if youth.coach_id is not None else None
        do_notify_waiting(session, youth=youth, coach=coach, now=message.created_at, tz=tz)
    return message
