"""The outbox's retry rule: how long a message is worth trying, and how long between tries.

Runs the core functions the dispatcher uses with a clock the test moves; what Telegram
answered is given as the error (the dispatcher's own tests inject it at the stand-in).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from core.db import transaction
from core.models import Consent, OutboxMessage, Youth
from core.services.outbox import (
    KIND_HANDED_BACK,
    KIND_REPLY,
    MAX_BACKOFF,
    claim_due,
    do_enqueue,
    do_mark_retry,
    give_up_time,
    retry_delay,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def youth(engine) -> Youth:
    with transaction(engine) as session:
        row = Youth(telegram_user_id=1, chat_id=1, consent=Consent.GIVEN, language="fi")
        session.add(row)
        session.flush()
        return row


def queued(engine, **fields) -> int:
    with transaction(engine) as session:
        row = do_enqueue(
            session,
            youth=session.get(Youth, youth(engine).id),
            kind=fields.pop("kind", KIND_REPLY),
            due_at=T0,
            **fields,
        )
        session.flush()
        return row.id


def try_and_fail(engine, row_id: int, now: datetime, error: str = "NetworkError", **kw) -> None:
    """One dispatcher try at `now` that Telegram answers with a transient failure."""
    with transaction(engine) as session:
        claimed = claim_due(session, now=now, limit=10)
        assert [r.id for r in claimed] == [row_id], "the row was due and free"
        do_mark_retry(session, row=claimed[0], now=now, error=error, **kw)


def row(engine, row_id: int) -> OutboxMessage:
    with Session(engine) as session:
        return session.get(OutboxMessage, row_id)


def test_the_give_up_rule():
    moment = T0 + timedelta(days=3)
    assert give_up_time(due_at=T0, not_after=None) == T0 + timedelta(hours=24)
    assert give_up_time(due_at=T0, not_after=moment) == moment


def test_waits_double_up_to_a_minute():
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [2, 4, 8, 16, 32, 60, 60, 60]
    assert retry_delay(5000) == MAX_BACKOFF


def test_a_coach_reply_is_tried_for_a_day_then_fails(engine):
    reply = queued(engine)
    assert row(engine, reply).give_up_at == T0 + timedelta(hours=24)
    try_and_fail(engine, reply, T0)
    assert row(engine, reply).due_at == T0 + timedelta(seconds=2)
    two_hours_on = T0 + timedelta(hours=2)  # Telegram still answers 5xx, many tries later
    for _ in range(8):  # 2 s, 4 s, … up to a minute between tries
        try_and_fail(engine, reply, row(engine, reply).due_at)
    try_and_fail(engine, reply, two_hours_on)
    assert (row(engine, reply).status, row(engine, reply).due_at) == (
        "pending",
        two_hours_on + MAX_BACKOFF,
    )
    last_minute = T0 + timedelta(hours=23, minutes=59, seconds=30)
    try_and_fail(engine, reply, last_minute)
    assert row(engine, reply).due_at == T0 + timedelta(hours=24)  # one last try at the limit
    try_and_fail(engine, reply, T0 + timedelta(hours=24))
    final = row(engine, reply)
    assert final.status == "failed" and final.last_error.startswith("gave up after 12 tries")


def test_a_hand_back_follows_the_same_rule(engine):
    handed_back = queued(engine, kind=KIND_HANDED_BACK)
    assert row(engine, handed_back).give_up_at == T0 + timedelta(hours=24)


def test_a_reminder_is_tried_until_its_moment_then_skipped(engine):
    starts = T0 + timedelta(hours=2)
    reminder = queued(engine, kind="reminder", not_after=starts, payload={"version": 1})
    try_and_fail(engine, reminder, T0)
    try_and_fail(engine, reminder, starts - timedelta(seconds=1))
    assert row(engine, reminder).due_at == starts
    try_and_fail(engine, reminder, starts)
    assert row(engine, reminder).status == "skipped"


def test_waiting_for_telegrams_pace_is_not_a_try(engine):
    reply = queued(engine)
    try_and_fail(engine, reply, T0, error="429", at=T0 + timedelta(seconds=30), counts=False)
    assert (row(engine, reply).attempts, row(engine, reply).due_at) == (
        0,
        T0 + timedelta(seconds=30),
    )


def test_a_row_queued_before_the_rule_gives_up_a_day_after_it_was_made(engine):
    reply = queued(engine)
    with transaction(engine) as session:
        old = session.get(OutboxMessage, reply)
        old.give_up_at, old.created_at = None, T0
        session.add(old)
    try_and_fail(engine, reply, T0 + timedelta(hours=25))
    assert row(engine, reply).status == "failed"
