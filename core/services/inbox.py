"""The update inbox: every Telegram update is a row before it is acknowledged.

Why a table of our own and not procrastinate or pgqueuer: both are PostgreSQL-only (they rely
on LISTEN/NOTIFY and their own SQL functions), and SQLite is Polku's embedded default. What
Polku needs is small: store once per `update_id`, hand each chat's updates out one at a time
in order, retry with backoff, and survive a dead worker. That is the same claim pattern the
outbox uses (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a compare-and-set on the status
everywhere, a lease for a claimer that died).

One chat's order: a worker may claim an update only when no earlier update of the same chat
is still pending or being handled, so chats run side by side and each chat runs in order,
across any number of processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.models import InboundUpdate, UpdateStatus, Youth

# A worker renews its claims every LEASE / 3; a claim older than this belongs to a dead worker.
LEASE = timedelta(seconds=30)
# Tries before an update is marked failed (about half a minute of backoff in all).
MAX_ATTEMPTS = 5
MAX_BACKOFF = timedelta(seconds=15)
# A failure of the way out (Telegram or the database unreachable, 5xx, a time-out) is not the
# update's fault: it does not use up a try, and is retried this long after the update came.
TRANSIENT_HORIZON = timedelta(hours=1)
# Done rows (payload already cleared) are kept this long so a late redelivery is recognised.
KEEP_DONE = timedelta(days=2)
# Failed rows keep their payload this long, for an admin to retry them.
KEEP_FAILED = timedelta(days=14)


@dataclass(frozen=True)
class Incoming:
    """An update as received: its id, the chat it belongs to (ordering) and the raw JSON."""

    update_id: int
    chat_key: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class Claimed:
    """An update a worker now holds: handle it, then finish or retry it."""

    update_id: int
    payload: dict[str, Any]
    attempt: int  # 1 on the first try

    @property
    def final(self) -> bool:
        """No retry follows if this try fails."""
        return self.attempt >= MAX_ATTEMPTS


def do_store(session: Session, *, updates: Sequence[Incoming], now: datetime) -> int:
    """Store updates not seen before; a repeated `update_id` is ignored. Returns how many
    were new."""
    if not updates:
        return 0
    rows = [
        {
            "update_id": u.update_id,
            "chat_key": u.chat_key,
            "payload": u.payload,
            "status": UpdateStatus.PENDING,
            "attempts": 0,
            "due_at": now,
            "received_at": now,
        }
        for u in updates
    ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = pg_insert(InboundUpdate).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite_insert(InboundUpdate).on_conflict_do_nothing()
    else:  # pragma: no cover - Polku runs on SQLite and PostgreSQL only
        statement = insert(InboundUpdate)
    stored = session.execute(statement.values(rows).returning(col(InboundUpdate.update_id)))
    return len(stored.all())


def claim(session: Session, *, worker: str, now: datetime, limit: int) -> list[Claimed]:
    """Claim up to `limit` updates that are due and first in line in their chat."""
    if limit <= 0:
        return []
    session.execute(  # a dead worker's claims go back in line
        update(InboundUpdate)
        .where(
            col(InboundUpdate.status) == UpdateStatus.PROCESSING,
            col(InboundUpdate.claimed_at) < now - LEASE,
        )
        .values(status=UpdateStatus.PENDING, claimed_by=None)
    )
    earlier = aliased(InboundUpdate)
    waiting_behind = exists().where(
        col(earlier.chat_key) == col(InboundUpdate.chat_key),
        col(earlier.update_id) < col(InboundUpdate.update_id),
        col(earlier.status).in_((UpdateStatus.PENDING, UpdateStatus.PROCESSING)),
    )
    query = (
        select(InboundUpdate.update_id)
        .where(
            col(InboundUpdate.status) == UpdateStatus.PENDING,
            col(InboundUpdate.due_at) <= now,
            ~waiting_behind,
        )
        .order_by(col(InboundUpdate.update_id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=InboundUpdate)
    candidates = list(session.exec(query).all())
    if not candidates:
        return []
    won = session.execute(
        update(InboundUpdate)
        .where(
            col(InboundUpdate.update_id).in_(candidates),
            col(InboundUpdate.status) == UpdateStatus.PENDING,
        )
        .values(
            status=UpdateStatus.PROCESSING,
            claimed_at=now,
            claimed_by=worker,
            attempts=col(InboundUpdate.attempts) + 1,
        )
        .returning(
            col(InboundUpdate.update_id), col(InboundUpdate.payload), col(InboundUpdate.attempts)
        )
    )
    claimed = [Claimed(row[0], row[1] or {}, row[2]) for row in won]
    return sorted(claimed, key=lambda c: c.update_id)


def do_renew(session: Session, *, worker: str, update_ids: Iterable[int], now: datetime) -> None:
    """Keep this worker's claims alive while it is still handling them."""
    ids = list(update_ids)
    if ids:
        session.execute(
            update(InboundUpdate)
            .where(
                col(InboundUpdate.update_id).in_(ids),
                col(InboundUpdate.claimed_by) == worker,
                col(InboundUpdate.status) == UpdateStatus.PROCESSING,
            )
            .values(claimed_at=now)
        )


def do_finish(session: Session, *, update_id: int, worker: str, now: datetime) -> None:
    """The update was handled: forget its content, keep its id against redelivery."""
    session.execute(
        update(InboundUpdate)
        .where(col(InboundUpdate.update_id) == update_id, col(InboundUpdate.claimed_by) == worker)
        .values(status=UpdateStatus.DONE, payload=None, done_at=now, last_error=None)
    )


def backoff(attempt: int) -> timedelta:
    """Wait before the next try: 1 s, 2 s, 4 s, … at most MAX_BACKOFF."""
    return min(timedelta(seconds=2 ** max(attempt - 1, 0)), MAX_BACKOFF)


def transient_backoff(age: timedelta) -> timedelta:
    """Wait before trying again through an outage: a quarter of the update's age, 1–15 s, so
    a short blip is retried at once and a long outage is not hammered."""
    return min(MAX_BACKOFF, max(timedelta(seconds=1), age / 4))


def do_retry_later(
    session: Session,
    *,
    update_id: int,
    worker: str,
    error: str,
    now: datetime,
    transient: bool = False,
) -> str:
    """A try failed: back in line after a backoff, or failed for good after MAX_ATTEMPTS.

    A transient failure (Telegram or the database out of reach) does not count as a try
    while the update is younger than TRANSIENT_HORIZON: an outage of minutes delays the
    answer but fails nothing. Returns the new status. `error` must name the failure, never
    carry message text.
    """
    row = session.get(InboundUpdate, update_id)
    if row is None or row.claimed_by != worker:
        return row.status if row is not None else UpdateStatus.DONE
    row.last_error = error[:200]
    row.claimed_by = None
    if transient and now - row.received_at < TRANSIENT_HORIZON:
        row.attempts = max(row.attempts - 1, 0)
        row.status = UpdateStatus.PENDING
        row.due_at = now + transient_backoff(now - row.received_at)
    elif row.attempts >= MAX_ATTEMPTS:
        row.status = UpdateStatus.FAILED
        row.done_at = now
    else:
        row.status = UpdateStatus.PENDING
        row.due_at = now + backoff(row.attempts)
    session.add(row)
    return row.status


def do_retry_failed(session: Session, *, update_id: int, now: datetime) -> bool:
    """An admin asks for a failed update to be handled again; True if it was failed."""
    result = session.execute(
        update(InboundUpdate)
        .where(
            col(InboundUpdate.update_id) == update_id,
            col(InboundUpdate.status) == UpdateStatus.FAILED,
        )
        .values(status=UpdateStatus.PENDING, attempts=0, due_at=now, done_at=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def do_purge(session: Session, *, now: datetime) -> int:
    """Drop done rows after KEEP_DONE and failed ones after KEEP_FAILED."""
    result = session.execute(
        delete(InboundUpdate).where(
            (
                (col(InboundUpdate.status) == UpdateStatus.DONE)
                & (col(InboundUpdate.done_at) < now - KEEP_DONE)
            )
            | (
                (col(InboundUpdate.status) == UpdateStatus.FAILED)
                & (col(InboundUpdate.done_at) < now - KEEP_FAILED)
            )
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def status_of(session: Session, *, update_id: int) -> str | None:
    """An update's status, or None when it was never stored (or long purged)."""
    row = session.get(InboundUpdate, update_id)
    return row.status if row is not None else None


def counts(session: Session) -> dict[str, int]:
    """How many updates are in each state (for /healthz and the admin's view)."""
    found = session.exec(
        select(InboundUpdate.status, func.count()).group_by(col(InboundUpdate.status))
    ).all()
    return {str(status): int(n) for status, n in found}


@dataclass(frozen=True)
class FailedUpdateView:
    """A failed update as an admin sees it: never what was written, only what and whose."""

    update_id: int
    kind: str  # message, callback_query, …
    received_at: datetime
    attempts: int
    error: str
    youth_id: int | None
    youth_name: str | None


def failed_update_views(session: Session, *, limit: int = 50) -> list[FailedUpdateView]:
    """The failed updates with the young person whose chat they came from, if known."""
    rows = failed_updates(session, limit=limit)
    chats = {row.chat_key for row in rows}
    people = {
        youth.chat_id: youth
        for youth in session.exec(select(Youth).where(col(Youth.chat_id).in_(chats))).all()
    }
    views = []
    for row in rows:
        youth = people.get(row.chat_key)
        kinds = [key for key in (row.payload or {}) if key != "update_id"]
        views.append(
            FailedUpdateView(
                update_id=row.update_id,
                kind=kinds[0] if kinds else "?",
                received_at=row.received_at,
                attempts=row.attempts,
                error=row.last_error or "",
                youth_id=youth.id if youth else None,
                youth_name=youth.first_name if youth else None,
            )
        )
    return views


def failed_updates(session: Session, *, limit: int = 50) -> list[InboundUpdate]:
    """The updates that ran out of tries, newest first, for admins."""
    query = (
        select(InboundUpdate)
        .where(col(InboundUpdate.status) == UpdateStatus.FAILED)
        .order_by(col(InboundUpdate.done_at).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())
