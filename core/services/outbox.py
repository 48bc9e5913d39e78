"""The outbox: messages written in the same transaction as their cause, sent by the dispatcher.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL, and every claim is also a compare-and-set
on the status, so two dispatchers never send one row. A row claimed by a dispatcher that died
is claimed again after the lease: Telegram has no idempotency key, so a message that Telegram
accepted just before the death is sent twice rather than lost.

How long a message is worth trying is one rule, `give_up_time`, fixed when the row is queued:
a transient failure (5xx, time-out, no network) is retried with a capped backoff until then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.models import (
    Coach,
    Delivery,
    Direction,
    Message,
    OutboxMessage,
    OutboxStatus,
    Youth,
    YouthStatus,
    row_id,
)
from core.services.access import access_message_by_id
from core.services.audit import do_audit

# The kinds of message the dispatcher renders; reminders carry their appointment's kind.
KIND_REPLY = "coach_reply"
KIND_HANDED_BACK = "talk_closed"
KIND_NUDGE = "nudge"

# A claim is held only while its batch is sent (seconds); after this it counts as abandoned.
LEASE = timedelta(seconds=60)
# A message without a moment of its own (a coach's reply, a hand-back, a nudge) is tried this
# long after it was due: a coach's answer survives a Telegram outage of hours.
RETRY_HORIZON = timedelta(hours=24)
# Waits between tries double from 2 s up to this, so sending resumes within a minute of
# Telegram's recovery.
MAX_BACKOFF = timedelta(seconds=60)


def give_up_time(*, due_at: datetime, not_after: datetime | None) -> datetime:
    """Until when a transient failure is retried: the one rule for every kind of message.

    A message with a moment of its own (booking notice, change, reminder, follow-up) is worth
    trying until that moment (`not_after`; after it the row is skipped). Anything else — a
    coach's reply, a hand-back, a nudge — for RETRY_HORIZON after it was due.
    """
    return not_after if not_after is not None else due_at + RETRY_HORIZON


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 2 s, 4 s, 8 s … then MAX_BACKOFF."""
    return min(timedelta(seconds=2 ** min(max(attempts, 1), 16)), MAX_BACKOFF)


def do_enqueue(
    session: Session,
    *,
    youth: Youth,
    kind: str,
    due_at: datetime,
    not_after: datetime | None = None,
    appointment_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Add a message to send at `due_at` (skipped if Polku only gets to it after `not_after`)."""
    row = OutboxMessage(
        youth_id=row_id(youth),
        appointment_id=appointment_id,
        kind=kind,
        payload=payload or {},
        due_at=due_at,
        not_after=not_after,
        give_up_at=give_up_time(due_at=due_at, not_after=not_after),
    )
    session.add(row)
    return row


def do_cancel_pending(
    session: Session, *, appointment_id: int | None = None, youth_id: int | None = None
) -> int:
    """Cancel the pending rows of an appointment (or of a young person); returns how many."""
    statement = update(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.PENDING)
    if appointment_id is not None:
        statement = statement.where(col(OutboxMessage.appointment_id) == appointment_id)
    if youth_id is not None:
        statement = statement.where(col(OutboxMessage.youth_id) == youth_id)
    result = session.execute(statement.values(status=OutboxStatus.CANCELLED))
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim_due(session: Session, *, now: datetime, limit: int) -> list[OutboxMessage]:
    """Claim up to `limit` due rows for this dispatcher (and rows whose claimer died)."""
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.SENDING,
            col(OutboxMessage.claimed_at) < now - LEASE,
        )
        .values(status=OutboxStatus.PENDING)
    )
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.due_at) <= now)
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = [row.id for row in session.exec(query).all()]
    if not candidates:
        return []
    # One compare-and-set for the whole batch: a row another dispatcher took meanwhile is
    # no longer pending and is not returned.
    won = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(candidates),
            col(OutboxMessage.status) == OutboxStatus.PENDING,
        )
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=now,
            attempts=col(OutboxMessage.attempts) + 1,
        )
        .returning(col(OutboxMessage.id))
    )
    claimed_ids = {row[0] for row in won}
    session.expire_all()
    rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(claimed_ids)))
    return sorted(rows.all(), key=lambda row: (row.due_at, row.id or 0))


def do_mark_sent(
    session: Session, *, row: OutboxMessage, now: datetime, telegram_message_id: int | None
) -> None:
    row.status, row.sent_at, row.telegram_message_id = OutboxStatus.SENT, now, telegram_message_id
    row.last_error = None
    session.add(row)


def do_mark_retry(
    session: Session,
    *,
    row: OutboxMessage,
    now: datetime,
    error: str,
    at: datetime | None = None,
    counts: bool = True,
) -> None:
    """A transient failure: try again at `at` (when Telegram said), else after the backoff.

    `counts=False` when the wait is Telegram's pace or the quiet hours, not this message's
    failure. Once the give-up time has come the row is settled: skipped when its moment
    (`not_after`) passed, otherwise failed — the coach sees a failed reply and can resend it.
    """
    if not counts:
        row.attempts = max(row.attempts - 1, 0)
    give_up = row.give_up_at or give_up_time(due_at=row.created_at, not_after=row.not_after)
    row.last_error = error[:200]
    if now >= give_up:
        passed = row.not_after is not None and now >= row.not_after
        row.status = OutboxStatus.SKIPPED if passed else OutboxStatus.FAILED
        row.last_error = f"gave up after {row.attempts} tries: {error}"[:200]
    else:
        row.status = OutboxStatus.PENDING
        # One last try at the give-up time itself rather than none after the last wait.
        row.due_at = min(at or now + retry_delay(row.attempts), give_up)
    session.add(row)


def do_mark(session: Session, *, row: OutboxMessage, status: OutboxStatus, error: str = "") -> None:
    row.status, row.last_error = status, (error[:200] or None)
    session.add(row)


def do_resend_reply(
    session: Session, *, coach: Coach, message_id: int, now: datetime
) -> Message | None:
    """Queue a coach's reply that finally failed once more; None when this coach may not see
    it (the caller answers 404, as for anything of another coach's young person).

    Only a failed reply is queued again: a second click finds it pending and changes nothing.
    To a young person who has blocked the bot meanwhile it is kept as not delivered.
    """
    message = access_message_by_id(session, coach=coach, message_id=message_id)
    if message is None or message.direction != Direction.COACH:
        return None
    youth = session.get(Youth, message.youth_id)
    if youth is None or message.delivery_status != Delivery.FAILED:
        return message
    if youth.status != YouthStatus.ACTIVE:
        message.delivery_status = Delivery.BLOCKED
        session.add(message)
        return message
    # A compare-and-set: of two clicks (or two coaches) at once only one queues it.
    won = session.execute(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.delivery_status) == Delivery.FAILED)
        .values(delivery_status=Delivery.PENDING)
    )
    session.refresh(message)
    if not won.rowcount:  # type: ignore[attr-defined]
        return message
    do_enqueue(
        session, youth=youth, kind=KIND_REPLY, due_at=now, payload={"message_id": message_id}
    )
    do_audit(
        session,
        actor="coach",
        action="message.resend",
        youth_id=youth.id,
        coach_id=coach.id,
        detail=str(message_id),
    )
    return message
