"""The handover, access rules, panel sign-in and office hours, as the coach would notice them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from core.db import transaction
from core.i18n import gettext_for
from core.models import (
    AuditEvent,
    Consent,
    Delivery,
    Direction,
    OutboxMessage,
    Role,
    Youth,
)
from core.office_hours import describe, is_in, next_opening
from core.services.access import access_youth_by_id
from core.services.coaches import do_add_coach
from core.services.messages import do_record_message
from core.services.panel_sessions import (
    LOCK_AFTER,
    SignInError,
    access_panel_session,
    do_sign_in,
    do_sign_out,
)
from core.services.talk import (
    TalkError,
    do_claim_away_reply,
    do_close_talk,
    do_coach_reply,
    do_open_talk,
    inbox,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY_10 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 10:00 in Helsinki
MONDAY_20 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _coach(session, login: str, role: Role = Role.COACH):
    return do_add_coach(
        session, login=login, display_name=login.title(), password=PASSWORD, role=role
    )


def _youth(session, n: int, coach=None) -> Youth:
    youth = Youth(
        telegram_user_id=n, chat_id=n, consent=Consent.GIVEN, coach_id=coach.id if coach else None
    )
    session.add(youth)
    session.flush()
    return youth


def _says(session, youth: Youth, text: str) -> None:
    do_record_message(
        session,
        youth=youth,
        direction=Direction.YOUTH,
        text=text,
        delivery_status=Delivery.RECEIVED,
    )


def test_waiting_conversations_come_first_oldest_on_top(engine) -> None:
    with transaction(engine) as session:
        anna = _coach(session, "anna")
        idle, first, second = (_youth(session, n, anna) for n in (1, 2, 3))
        _says(session, idle, "hi bot")  # not in a talk: nothing waits
        for youth in (first, second):
            do_open_talk(session, youth=youth, now=MONDAY_10)
        _says(session, first, "are you there?")
        _says(session, second, "hello")
        _says(session, first, "??")
    with transaction(engine) as session:
        rows = inbox(session, coach=anna)
        assert [y.id for y in rows] == [first.id, second.id, idle.id]
        assert [y.unread for y in rows] == [2, 1, 0]


def test_a_reply_goes_through_the_outbox_and_stops_the_waiting(engine) -> None:
    with transaction(engine) as session:
        anna = _coach(session, "anna")
        youth = _youth(session, 1, anna)
        do_open_talk(session, youth=youth, now=MONDAY_10)
        _says(session, youth, "hello")
        message = do_coach_reply(session, coach=anna, youth=youth, text=" Hi! ", now=MONDAY_10)
    with transaction(engine) as session:
        row = session.exec(select(OutboxMessage)).one()
        assert (row.kind, row.payload) == ("coach_reply", {"message_id": message.id})
        assert message.delivery_status == Delivery.PENDING and message.text == "Hi!"
        assert session.get(Youth, youth.id).waiting_since is None
        with pytest.raises(TalkError):
            do_coach_reply(session, coach=anna, youth=youth, text="  ", now=MONDAY_10)


def test_hand_back_tells_the_young_person_through_the_outbox(engine) -> None:
    with transaction(engine) as session:
        anna = _coach(session, "anna")
        youth = _youth(session, 1, anna)
        do_open_talk(session, youth=youth, now=MONDAY_10)
        do_close_talk(session, youth=youth, by_coach=anna, now=MONDAY_10)
        _says(session, youth, "after the talk")
    with transaction(engine) as session:
        assert session.get(Youth, youth.id).waiting_since is None
        assert session.exec(select(OutboxMessage.kind)).all() == ["talk_closed"]


def test_away_reply_once_a_local_day_and_only_off_hours(engine) -> None:
    with transaction(engine) as session:
        anna = _coach(session, "anna")
        youth = _youth(session, 1, anna)
        do_open_talk(session, youth=youth, now=MONDAY_10)
        claims = [
            do_claim_away_reply(session, youth=youth, coach=anna, now=when, tz=HELSINKI)
            for when in (
                MONDAY_10,
                MONDAY_20,
                MONDAY_20 + timedelta(minutes=5),
                MONDAY_20 + timedelta(days=1),
            )
        ]
    assert claims == [False, True, False, True]


def test_a_coach_cannot_open_another_coachs_young_person(engine) -> None:
    with transaction(engine) as session:
        anna, ben = _coach(session, "anna"), _coach(session, "ben")
        boss = _coach(session, "boss", Role.ADMIN)
        annas, queued = _youth(session, 1, anna), _youth(session, 2)
    with transaction(engine) as session:
        assert access_youth_by_id(session, coach=ben, youth_id=annas.id) is None
        assert access_youth_by_id(session, coach=ben, youth_id=queued.id) is not None
        assert access_youth_by_id(session, coach=boss, youth_id=annas.id) is not None
        assert access_youth_by_id(session, coach=ben, youth_id=9999) is None
        assert [y.id for y in inbox(session, coach=ben)] == []
    with transaction(engine) as session:
        denied = session.exec(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
        assert [(e.coach_id, e.youth_id) for e in denied] == [(ben.id, annas.id), (ben.id, None)]


HOME = "192.0.2.10"


def test_sign_in_locks_after_repeated_failures_and_sessions_expire(engine) -> None:
    with transaction(engine) as session:
        _coach(session, "anna")
    for _attempt in range(LOCK_AFTER - 1):
        with transaction(engine) as session, pytest.raises(SignInError) as failed:
            do_sign_in(session, login="anna", password="wrong", address=HOME, now=MONDAY_10)
        assert not failed.value.locked
    with transaction(engine) as session, pytest.raises(SignInError) as failed:
        do_sign_in(session, login="anna", password="wrong", address=HOME, now=MONDAY_10)
    assert failed.value.locked
    with transaction(engine) as session, pytest.raises(SignInError) as failed:
        do_sign_in(session, login="anna", password=PASSWORD, address=HOME, now=MONDAY_10)
    assert failed.value.locked  # even the right password waits for the lock to pass
    later = MONDAY_10 + timedelta(minutes=16)
    with transaction(engine) as session:
        signed = do_sign_in(session, login="Anna", password=PASSWORD, address=HOME, now=later)
    with transaction(engine) as session:
        assert access_panel_session(session, token=signed.token, now=later) is not None
        assert (
            access_panel_session(session, token=signed.token, now=later + timedelta(hours=3))
            is None
        )
    with transaction(engine) as session:
        assert access_panel_session(session, token=signed.token, now=later) is None  # gone
        again = do_sign_in(session, login="anna", password=PASSWORD, address=HOME, now=later)
        do_sign_out(session, token=again.token)
    with transaction(engine) as session:
        assert access_panel_session(session, token=again.token, now=later) is None


def test_office_hours_in_words_and_the_next_opening() -> None:
    weekdays = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "16:00"}
    fi = gettext_for("fi")
    assert describe(weekdays, gettext_for("en")) == "on weekdays 9–16"
    assert describe({"days": [0, 2], "start": "10:30", "end": "14:00"}, gettext_for("en")) == (
        "on Mon, Wed 10.30–14"
    )
    assert "9–16" in describe(weekdays, fi)
    assert is_in(weekdays, now=MONDAY_10, tz=HELSINKI)
    assert not is_in(weekdays, now=MONDAY_20, tz=HELSINKI)
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert next_opening(weekdays, now=friday_evening, tz=HELSINKI) == datetime(
        2026, 11, 30, 9, 0, tzinfo=HELSINKI
    )
