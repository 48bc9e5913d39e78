"""The outbox: messages written in the same transaction as their cause, sent by the dispatcher.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL, and every claim is also a compare-and-set
on the status, so two dispatchers never send one row. A row claimed by a dispatcher that died
is claimed again after the lease: Telegram has no idempotency key, so a message that Telegram
accepted just before the death is sent twice rather than lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.models import OutboxMessage, OutboxStatus, Youth, row_id

# A claim is held only while its batch is sent (seconds); after this it counts as abandoned.
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6


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


def do_mark_retry(session: Session, *, row: OutboxMessage, at: datetime, error: str) -> None:
    """Try again at `at`; after MAX_ATTEMPTS the row fails for good."""
    row.last_error = error[:200]
    row.status = OutboxStatus.FAILED if row.attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
    row.due_at = at
    session.add(row)


def do_mark(session: Session, *, row: OutboxMessage, status: OutboxStatus, error: str = "") -> None:
    row.status, row.last_error = status, (error[:200] or None)
    session.add(row)
