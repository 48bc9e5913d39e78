"""The health check: does the database answer, and how much work waits or has failed.

Only counts, never personal data. The database is asked in a thread of its own under a time
limit, so the check answers within a second even when the database hangs; at most a few such
threads are ever waiting, so a hung database cannot pile them up.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from core.db import READ_ONLY
from core.models import InboundUpdate, OutboxMessage, OutboxStatus, UpdateStatus

# How long the database may take to answer; /healthz must answer within 1 s.
HEALTH_TIMEOUT_SECONDS = 0.8
# Checks still waiting for a hung database; beyond this the answer is "slow" without asking.
MOST_CHECKS_WAITING = 2
# PostgreSQL ends the check's query after this, so a slow one does not hold a connection long.
STATEMENT_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Backlog:
    """What operators watch: updates waiting or failed, and messages that could not be sent."""

    updates_pending: int
    updates_failed: int
    outbox_failed: int


@dataclass(frozen=True)
class Health:
    """`database` is "ok", "unreachable" (it failed) or "slow" (no answer in time)."""

    database: str
    backlog: Backlog | None = None

    @property
    def ok(self) -> bool:
        return self.database == "ok"

    def as_dict(self) -> dict[str, Any]:
        figures = asdict(self.backlog) if self.backlog is not None else {}
        return {"status": "ok" if self.ok else "error", "database": self.database, **figures}


def count_backlog(connection: Connection) -> Backlog:
    """Count the backlog in one query (which also shows that the database answers)."""

    def updates(status: str) -> Any:
        query = select(func.count()).select_from(InboundUpdate)
        return query.where(col(InboundUpdate.status) == status).scalar_subquery()

    failed_outbox = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.FAILED)
        .scalar_subquery()
    )
    row = connection.execute(
        select(updates(UpdateStatus.PENDING), updates(UpdateStatus.FAILED), failed_outbox)
    ).one()
    return Backlog(updates_pending=row[0], updates_failed=row[1], outbox_failed=row[2])


def read_health(engine: Engine) -> Health:
    """Ask the database, blocking; "unreachable" when it fails."""
    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
            return Health(database="ok", backlog=count_backlog(connection))
    except Exception:  # any failure means the same to the operator; details would be noise
        return Health(database="unreachable")


class HealthCheck:
    """`await check()` gives the database's health within `timeout` seconds, always."""

    def __init__(
        self,
        engine: Engine,
        *,
        timeout: float = HEALTH_TIMEOUT_SECONDS,
        most_waiting: int = MOST_CHECKS_WAITING,
    ) -> None:
        self.engine = engine
        self.timeout = timeout
        self._waiting = threading.BoundedSemaphore(most_waiting)

    async def __call__(self) -> Health:
        if not self._waiting.acquire(blocking=False):
            return Health(database="slow")  # earlier checks still hang: do not start another
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Health] = loop.create_future()

        def settle(health: Health) -> None:
            if not answer.done():  # it was given up on when the time ran out
                answer.set_result(health)

        def ask() -> None:
            try:
                health = read_health(self.engine)
            finally:
                self._waiting.release()
            with suppress(RuntimeError):  # the loop is gone: nobody waits for this answer
                loop.call_soon_threadsafe(settle, health)

        # A daemon thread, not the loop's executor: a hung one must neither take a worker the
        # bot needs nor keep the process from exiting.
        threading.Thread(target=ask, name="polku-health", daemon=True).start()
        try:
            return await asyncio.wait_for(answer, self.timeout)
        except TimeoutError:
            return Health(database="slow")
