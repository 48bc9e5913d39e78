"""GET /healthz answers within 1 s, always: whether the database answers, and the backlog."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx
import pytest

from admin.app import create_web_app
from core.db import make_engine, transaction
from core.models import (
    InboundUpdate,
    OutboxMessage,
    OutboxStatus,
    UpdateStatus,
    Youth,
    utcnow,
)
from core.services.health import HealthCheck
from core.settings import Settings


async def get_health(engine) -> httpx.Response:
    app = create_web_app(engine=engine, settings=Settings(_env_file=None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.get("/healthz")


async def test_healthz_answers_200_with_the_backlog_counts(engine):
    with transaction(engine) as session:
        youth = Youth(telegram_user_id=1, chat_id=1)
        session.add(youth)
        session.flush()
        statuses = ["pending", "pending", "processing", "done", "failed"]
        for update_id, status in enumerate(statuses, start=1):
            session.add(InboundUpdate(update_id=update_id, chat_key=1, status=UpdateStatus(status)))
        for status in (OutboxStatus.FAILED, OutboxStatus.SENT, OutboxStatus.PENDING):
            session.add(
                OutboxMessage(
                    youth_id=youth.id,
                    kind="reminder",
                    due_at=utcnow() + timedelta(hours=1),
                    status=status,
                )
            )
    response = await get_health(engine)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "updates_pending": 2,
        "updates_failed": 1,
        "outbox_failed": 1,
    }


async def test_healthz_answers_503_when_the_database_is_gone():
    engine = make_engine(
        "postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    response = await get_health(engine)
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


@pytest.fixture
def hanging_engine(tmp_path):
    """An engine whose every connection attempt hangs until the test ends, like a database
    host that stopped answering; counts the attempts."""
    release = threading.Event()
    attempts: list[float] = []

    def connect():
        attempts.append(time.monotonic())
        release.wait(timeout=30)
        raise ConnectionError("the test is over")

    engine = make_engine(f"sqlite:///{tmp_path / 'hangs.db'}", creator=connect)
    yield engine, attempts
    release.set()
    engine.dispose()


async def test_healthz_answers_503_slow_within_a_second_when_the_database_hangs(hanging_engine):
    engine, _attempts = hanging_engine
    started = time.monotonic()
    response = await get_health(engine)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "slow"}
    assert elapsed < 1.5  # the check gives up after 0.8 s


async def test_hung_checks_do_not_pile_up_threads(hanging_engine):
    """Two checks may wait for a hung database; the next answers "slow" at once."""
    engine, attempts = hanging_engine
    check = HealthCheck(engine, timeout=0.5, most_waiting=2)
    assert [(await check()).database for _ in range(2)] == ["slow", "slow"]
    started = time.monotonic()
    assert (await check()).database == "slow"
    assert time.monotonic() - started < 0.25  # it did not wait for the time-out
    assert len(attempts) == 2
