"""The update inbox's rules: stored once, each chat in order, a dead worker's claims return."""

from __future__ import annotations

from datetime import timedelta

from core.db import transaction
from core.models import InboundUpdate, UpdateStatus, utcnow
from core.services import inbox
from core.services.inbox import Incoming


def store(engine, *updates: tuple[int, int]) -> int:
    with transaction(engine) as session:
        return inbox.do_store(
            session,
            updates=[Incoming(u, chat, {"update_id": u}) for u, chat in updates],
            now=utcnow(),
        )


def claim(engine, worker: str = "a", limit: int = 10, now=None) -> list[int]:
    with transaction(engine) as session:
        found = inbox.claim(session, worker=worker, now=now or utcnow(), limit=limit)
    return [c.update_id for c in found]


def finish(engine, update_id: int, worker: str = "a") -> None:
    with transaction(engine) as session:
        inbox.do_finish(session, update_id=update_id, worker=worker, now=utcnow())


def test_a_redelivered_update_is_stored_once(engine):
    assert store(engine, (1, 10), (2, 10)) == 2
    assert store(engine, (2, 10), (3, 10)) == 1
    with transaction(engine) as session:
        assert inbox.counts(session) == {UpdateStatus.PENDING: 3}


def test_one_chat_in_order_and_other_chats_side_by_side(engine):
    store(engine, (1, 10), (2, 20), (3, 10), (4, 30), (5, 20))
    assert claim(engine) == [1, 2, 4]  # the first of each chat
    assert claim(engine, "b") == []  # the rest wait behind an update in hand
    finish(engine, 1)
    assert claim(engine, "b") == [3]  # chat 10's next, once its first is done
    finish(engine, 2)
    assert claim(engine, "b") == [5]


def test_a_retry_keeps_the_chat_in_order(engine):
    store(engine, (1, 10), (2, 10))
    assert claim(engine) == [1]
    now = utcnow()
    with transaction(engine) as session:
        status = inbox.do_retry_later(session, update_id=1, worker="a", error="X", now=now)
    assert status == UpdateStatus.PENDING
    assert claim(engine, now=now) == []  # the retry is not due yet, and 2 waits behind it
    assert claim(engine, now=now + inbox.backoff(1)) == [1]


def test_after_the_last_try_an_update_is_failed_and_the_chat_goes_on(engine):
    store(engine, (1, 10), (2, 10))
    now = utcnow()
    for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
        assert claim(engine, now=now) == [1]
        with transaction(engine) as session:
            status = inbox.do_retry_later(session, update_id=1, worker="a", error="X", now=now)
        now += inbox.backoff(attempt)
    assert status == UpdateStatus.FAILED
    assert claim(engine, now=now) == [2]
    with transaction(engine) as session:
        assert [row.update_id for row in inbox.failed_updates(session)] == [1]
        assert inbox.do_retry_failed(session, update_id=1, now=now)


def test_a_dead_workers_claim_returns_after_the_lease_and_is_renewed_while_alive(engine):
    store(engine, (1, 10), (2, 20))
    now = utcnow()
    assert claim(engine, "dead", now=now) == [1, 2]
    later = now + inbox.LEASE - timedelta(seconds=1)
    with transaction(engine) as session:
        inbox.do_renew(session, worker="dead", update_ids=[2], now=later)
    # After the lease, 1 is taken again; 2 was renewed, so its worker still holds it.
    assert claim(engine, "b", now=now + inbox.LEASE + timedelta(seconds=1)) == [1]
    finish(engine, 1, worker="dead")  # the old claimer can no longer settle it
    with transaction(engine) as session:
        assert session.get(InboundUpdate, 1).status == UpdateStatus.PROCESSING


def test_done_updates_forget_their_content_and_are_purged_later(engine):
    store(engine, (1, 10))
    claim(engine)
    finish(engine, 1)
    with transaction(engine) as session:
        row = session.get(InboundUpdate, 1)
        assert row.status == UpdateStatus.DONE and row.payload is None
        assert inbox.do_purge(session, now=utcnow()) == 0
        assert inbox.do_purge(session, now=utcnow() + inbox.KEEP_DONE * 2) == 1
    assert store(engine, (1, 10)) == 1  # long gone: a new update with that id is taken


def test_an_outage_uses_no_tries_until_the_update_is_an_hour_old(engine):
    store(engine, (1, 100))
    now = utcnow()
    for _ in range(inbox.MAX_ATTEMPTS + 2):  # more outage tries than a bug would get
        assert claim(engine, now=now + timedelta(minutes=1)) == [1]
        with transaction(engine) as session:
            status = inbox.do_retry_later(
                session, update_id=1, worker="a", error="NetworkError", now=now, transient=True
            )
        assert status == UpdateStatus.PENDING
    late = now + inbox.TRANSIENT_HORIZON + timedelta(minutes=1)
    for _ in range(inbox.MAX_ATTEMPTS):
        claim(engine, now=late + timedelta(minutes=1))
        with transaction(engine) as session:
            status = inbox.do_retry_later(
                session, update_id=1, worker="a", error="NetworkError", now=late, transient=True
            )
    assert status == UpdateStatus.FAILED  # an hour on, it counts again and ends in the panel
