"""Appointments and their reminders, with controlled time (nothing waits for real)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from core.db import transaction
from core.models import Appointment, Consent, OutboxMessage, Youth
from core.scheduling import reminder_times
from core.services.appointments import (
    AppointmentError,
    NotChangeable,
    do_book,
    do_cancel,
    do_move,
)
from core.services.outbox import LEASE, claim_due

HELSINKI = ZoneInfo("Europe/Helsinki")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=HELSINKI)


@pytest.fixture
def youth(engine) -> Youth:
    with transaction(engine) as session:
        youth = Youth(telegram_user_id=77, chat_id=77, language="fi", consent=Consent.GIVEN)
        session.add(youth)
    return youth


def book(engine, youth, starts_at, now, **extra) -> Appointment:
    with transaction(engine) as session:
        return do_book(
            session,
            youth=youth,
            coach=None,
            kind=extra.pop("kind", "meeting"),
            title="Tapaaminen",
            starts_at=starts_at,
            tz=HELSINKI,
            now=now,
            **extra,
        )


def rows(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def when(row: OutboxMessage) -> datetime:
    return row.due_at.astimezone(HELSINKI)


def test_booking_writes_the_announcement_and_both_reminders(engine, youth):
    now = local(2026, 11, 2, 12, 0)
    book(engine, youth, local(2026, 11, 10, 14, 0), now)
    written = rows(engine)
    assert [(r.kind, r.payload.get("hours_before")) for r in written] == [
        ("booked", None),
        ("reminder", 24),
        ("reminder", 2),
    ]
    assert when(written[0]) == now
    assert when(written[1]) == local(2026, 11, 9, 14, 0)
    assert when(written[2]) == local(2026, 11, 10, 12, 0)
    assert all(r.not_after == local(2026, 11, 10, 14, 0) for r in written)


def test_reminders_keep_the_local_clock_across_daylight_saving():
    # Clocks go forward in Finland on Sunday 28 March 2027 at 03:00 → 04:00.
    monday = local(2027, 3, 29, 10, 0)
    times = reminder_times(
        starts_at=monday, hours_before=[24, 2], now=local(2027, 3, 20, 12), tz=HELSINKI
    )
    assert [t.astimezone(HELSINKI) for _, t in times] == [
        local(2027, 3, 28, 10, 0),
        local(2027, 3, 29, 8, 0),
    ]
    assert times[0][1].astimezone(UTC).hour == 7  # EEST, UTC+3
    # And back in October: Sunday 31 October 2027 at 04:00 → 03:00.
    monday = local(2027, 11, 1, 10, 0)
    times = reminder_times(
        starts_at=monday, hours_before=[24], now=local(2027, 10, 20, 12), tz=HELSINKI
    )
    assert times[0][1].astimezone(HELSINKI) == local(2027, 10, 31, 10, 0)


def test_a_reminder_in_quiet_hours_moves_earlier_never_later():
    start = local(2026, 11, 10, 9, 0)  # 2 h before is 07:00, in quiet hours
    times = dict(
        reminder_times(starts_at=start, hours_before=[24, 2], now=local(2026, 11, 1), tz=HELSINKI)
    )
    assert times[2].astimezone(HELSINKI) == local(2026, 11, 9, 20, 45)
    late = local(2026, 11, 10, 22, 30)  # 24 h before is 22:30 the day before
    times = dict(
        reminder_times(starts_at=late, hours_before=[24], now=local(2026, 11, 1), tz=HELSINKI)
    )
    assert times[24].astimezone(HELSINKI) == local(2026, 11, 9, 20, 45)


def test_a_booking_at_night_is_announced_in_the_morning(engine, youth):
    book(engine, youth, local(2026, 11, 10, 14, 0), now=local(2026, 11, 2, 23, 10))
    assert when(rows(engine)[0]) == local(2026, 11, 3, 8, 0)


def test_reminders_already_past_are_not_written(engine, youth):
    book(engine, youth, local(2026, 11, 10, 14, 0), now=local(2026, 11, 10, 12, 30))
    assert [r.kind for r in rows(engine)] == ["booked"]  # 24 h and 2 h before have passed


def test_moving_cancels_old_reminders_and_makes_new_ones(engine, youth):
    now = local(2026, 11, 2, 12, 0)
    appointment = book(engine, youth, local(2026, 11, 10, 14, 0), now)
    with transaction(engine) as session:
        moved = session.get(Appointment, appointment.id)
        do_move(
            session, appointment=moved, starts_at=local(2026, 11, 12, 10, 0), tz=HELSINKI, now=now
        )
    written = rows(engine)
    assert [r.status for r in written[:3]] == ["cancelled"] * 3  # the booked one was pending too
    assert [(r.kind, r.payload["version"]) for r in written[3:]] == [
        ("moved", 2),
        ("reminder", 2),
        ("reminder", 2),
    ]


def test_cancelling_cancels_reminders_and_tells_the_youth(engine, youth):
    now = local(2026, 11, 2, 12, 0)
    appointment = book(engine, youth, local(2026, 11, 10, 14, 0), now)
    with transaction(engine) as session:
        do_cancel(
            session, appointment=session.get(Appointment, appointment.id), tz=HELSINKI, now=now
        )
    assert [(r.kind, r.status) for r in rows(engine)][-1] == ("cancelled", "pending")
    assert sum(r.status == "cancelled" for r in rows(engine)) == 3


def test_a_cancelled_or_begun_appointment_is_not_changed_again(engine, youth):
    now = local(2026, 11, 2, 12, 0)
    first = book(engine, youth, local(2026, 11, 10, 14, 0), now)
    second = book(engine, youth, local(2026, 11, 3, 9, 0), now)
    with transaction(engine) as session:
        do_cancel(session, appointment=session.get(Appointment, first.id), tz=HELSINKI, now=now)
    written = len(rows(engine))
    later = local(2026, 11, 3, 9, 30)  # the second one has begun
    refused = [
        (first, lambda s, a: do_cancel(s, appointment=a, tz=HELSINKI, now=now), "cancelled"),
        (second, lambda s, a: do_cancel(s, appointment=a, tz=HELSINKI, now=later), "begun"),
        (
            second,
            lambda s, a: do_move(
                s, appointment=a, starts_at=local(2026, 11, 9, 9, 0), tz=HELSINKI, now=later
            ),
            "begun",
        ),
    ]
    for appointment, change, why in refused:
        with transaction(engine) as session, pytest.raises(NotChangeable) as caught:
            change(session, session.get(Appointment, appointment.id))
        assert caught.value.why == why
    assert len(rows(engine)) == written  # nobody hears of a cancellation twice


def test_moving_can_change_the_length_within_a_day(engine, youth):
    now = local(2026, 11, 2, 12, 0)
    appointment = book(engine, youth, local(2026, 11, 10, 14, 0), now)
    with transaction(engine) as session:
        moved = session.get(Appointment, appointment.id)
        do_move(
            session,
            appointment=moved,
            starts_at=local(2026, 11, 11, 9, 0),
            duration_minutes=240,
            tz=HELSINKI,
            now=now,
        )
    with transaction(engine) as session, pytest.raises(AppointmentError, match="minutes"):
        do_move(
            session,
            appointment=session.get(Appointment, appointment.id),
            starts_at=local(2026, 11, 11, 9, 0),
            duration_minutes=24 * 60 + 1,
            tz=HELSINKI,
            now=now,
        )
    with Session(engine) as session:
        assert session.get(Appointment, appointment.id).duration_minutes == 240


def test_a_time_in_the_past_or_a_strange_kind_is_refused(engine, youth):
    now = local(2026, 11, 2, 12, 0)
    with pytest.raises(AppointmentError, match="in the past"):
        book(engine, youth, local(2026, 11, 1, 12, 0), now)
    with pytest.raises(AppointmentError, match="kind must be one of"):
        book(engine, youth, local(2026, 11, 5, 12, 0), now, kind="party")


def test_a_claim_is_exclusive_and_a_dead_claimers_rows_come_back(engine, youth):
    now = local(2026, 11, 2, 12, 0)
    book(engine, youth, local(2026, 11, 10, 14, 0), now)
    later = local(2026, 11, 10, 13, 0)
    with transaction(engine) as session:
        first = claim_due(session, now=later, limit=10)
    with transaction(engine) as session:
        second = claim_due(session, now=later, limit=10)
    assert len(first) == 3 and second == []
    with transaction(engine) as session:  # the first dispatcher died without finishing
        again = claim_due(session, now=later + LEASE + timedelta(seconds=1), limit=10)
    assert sorted(r.id for r in again) == sorted(r.id for r in first)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_dispatchers_at_once_never_claim_the_same_row(engine, youth):
    """On PostgreSQL (SKIP LOCKED between two connections); CI always runs it."""
    now = local(2026, 11, 2, 12, 0)
    for day in range(1, 31):
        book(engine, youth, local(2026, 12, day, 14, 0), now)
    later = local(2027, 1, 1, 12, 0)
    claims: list[list[int]] = [[], []]
    barrier = threading.Barrier(2)

    def dispatcher(index: int) -> None:
        barrier.wait()
        for _ in range(20):
            with transaction(engine) as session:
                claims[index] += [r.id for r in claim_due(session, now=later, limit=5)]

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(claims[0]).isdisjoint(claims[1])
    assert len(claims[0]) + len(claims[1]) == len(rows(engine))
