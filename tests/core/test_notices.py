"""The rules of coach notices: who gets one, for what, once — and links that work once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from core.db import transaction
from core.models import (
    Appointment,
    AppointmentKind,
    Coach,
    CoachNotice,
    Consent,
    NoticeKind,
    OutboxStatus,
    Youth,
    utcnow,
)
from core.services.appointments import do_answer, do_want_new_time
from core.services.notices import (
    LINK_LIFETIME,
    NoticeError,
    claim_due_notices,
    do_notify,
    do_redeem_link,
    do_set_quiet_time,
    do_settle_notice,
    do_start_link,
    do_unlink,
    link_payload,
)
from core.services.youth import do_mark_unreachable

HELSINKI = ZoneInfo("Europe/Helsinki")


def _coach(session, login: str, chat_id: int | None) -> Coach:
    coach = Coach(login=login, display_name=login.title(), password_hash="x", office_hours={})
    coach.telegram_chat_id = chat_id
    session.add(coach)
    session.flush()
    return coach


def _youth(session, coach: Coach) -> Youth:
    youth = Youth(telegram_user_id=900, chat_id=900, first_name="Aino", consent=Consent.GIVEN)
    youth.coach_id = coach.id
    session.add(youth)
    session.flush()
    return youth


def _appointment(session, coach: Coach, youth: Youth) -> Appointment:
    appointment = Appointment(
        youth_id=youth.id,
        coach_id=coach.id,
        kind=AppointmentKind.TRIAL_DAY,
        title="Kokeilupäivä",
        starts_at=utcnow() + timedelta(days=2),
    )
    session.add(appointment)
    session.flush()
    return appointment


def _kinds(engine) -> list[str]:
    with transaction(engine) as session:
        return [n.kind for n in session.exec(select(CoachNotice).order_by(CoachNotice.id))]


def test_cant_come_and_unreachable_reach_a_linked_coach_once(engine):
    with transaction(engine) as session:
        coach = _coach(session, "maija", chat_id=77)
        youth = _youth(session, coach)
        appointment = _appointment(session, coach, youth)
        do_answer(session, appointment=appointment, coming=False)
        do_answer(session, appointment=appointment, coming=False)  # the same no, tapped again
        do_mark_unreachable(session, youth=youth)
        do_mark_unreachable(session, youth=youth)
    assert _kinds(engine) == ["cant_come", "unreachable"]


def test_a_coach_without_telegram_gets_no_notice_rows(engine):
    with transaction(engine) as session:
        coach = _coach(session, "maija", chat_id=None)
        do_mark_unreachable(session, youth=_youth(session, coach))
    assert _kinds(engine) == []


def test_a_link_works_once_only_while_fresh_and_only_the_newest(engine):
    now = utcnow()
    with transaction(engine) as session:
        coach = _coach(session, "maija", chat_id=None)
        expired = do_start_link(session, coach=coach, now=now - LINK_LIFETIME * 2)
    with transaction(engine) as session:
        assert do_redeem_link(session, payload=link_payload(expired), chat_id=5, now=now) is None
    with transaction(engine) as session:
        replaced = do_start_link(session, coach=session.get(Coach, coach.id), now=now)
        code = do_start_link(session, coach=session.get(Coach, coach.id), now=now)
    with transaction(engine) as session:
        assert do_redeem_link(session, payload=link_payload(replaced), chat_id=5, now=now) is None
        assert do_redeem_link(session, payload=code, chat_id=5, now=now) is None  # no prefix
        assert do_redeem_link(session, payload=link_payload(code), chat_id=5, now=now) is not None
    with transaction(engine) as session:
        assert do_redeem_link(session, payload=link_payload(code), chat_id=6, now=now) is None
        assert session.exec(select(Coach.telegram_chat_id)).one() == 5


def test_a_chat_linked_by_a_second_coach_leaves_the_first(engine):
    now = utcnow()
    with transaction(engine) as session:
        first = _coach(session, "maija", chat_id=5)
        second = _coach(session, "pekka", chat_id=None)
        code = do_start_link(session, coach=second, now=now)
        do_redeem_link(session, payload=link_payload(code), chat_id=5, now=now)
    with transaction(engine) as session:
        assert session.get(Coach, first.id).telegram_chat_id is None
        assert session.get(Coach, second.id).telegram_chat_id == 5


def test_a_notice_is_claimed_once_retried_while_it_helps_and_dropped_on_unlink(engine):
    with transaction(engine) as session:
        coach = _coach(session, "maija", chat_id=77)
        do_mark_unreachable(session, youth=_youth(session, coach))
    now = utcnow()
    with transaction(engine) as session:
        claimed = claim_due_notices(session, now=now, tz=HELSINKI)
        assert len(claimed) == 1
        assert claim_due_notices(session, now=now, tz=HELSINKI) == []  # a second sender: none
        do_settle_notice(session, notice_id=claimed[0].id, sent=False, transient=True, now=now)
    with transaction(engine) as session:
        notice = session.exec(select(CoachNotice)).one()
        assert notice.status == OutboxStatus.PENDING and notice.due_at > now
        do_unlink(session, coach=session.get(Coach, coach.id))
    with transaction(engine) as session:
        assert session.exec(select(CoachNotice)).one().status == OutboxStatus.CANCELLED


def test_a_notice_in_the_coachs_quiet_time_waits_unless_urgent_and_on_call(engine):
    night = datetime(2026, 12, 8, 21, 0, tzinfo=UTC)  # 23.00 in Helsinki
    with transaction(engine) as session:
        maija = _coach(session, "maija", chat_id=77)
        do_set_quiet_time(session, coach=maija, quiet_from="21:00", quiet_until="8:00")
        youth = _youth(session, maija)
        do_notify(session, coach=maija, youth=youth, kind=NoticeKind.UNREACHABLE, now=night)
        pekka = _coach(session, "pekka", chat_id=78)
        pekka.on_call = True
        do_set_quiet_time(session, coach=pekka, quiet_from="22:00", quiet_until="07:00")
        do_notify(session, coach=pekka, youth=youth, kind=NoticeKind.URGENT, now=night)
    with transaction(engine) as session:
        claimed = claim_due_notices(session, now=night, tz=HELSINKI)
        assert [n.coach_id for n in claimed] == [pekka.id]  # on call: urgent goes at once
        do_settle_notice(session, notice_id=claimed[0].id, sent=True, now=night)
        waiting = session.exec(select(CoachNotice).where(CoachNotice.coach_id == maija.id)).one()
        assert waiting.due_at == datetime(2026, 12, 9, 6, 0, tzinfo=UTC)  # 08.00 in Helsinki
    with transaction(engine) as session:
        morning = datetime(2026, 12, 9, 6, 0, tzinfo=UTC)
        assert len(claim_due_notices(session, now=morning, tz=HELSINKI)) == 1


def test_a_quiet_time_must_be_two_times(engine):
    with transaction(engine) as session:
        maija = _coach(session, "maija", chat_id=None)
        for wrong in (("21:00", ""), ("later", "8:00"), ("08:00", "08:00")):
            with pytest.raises(NoticeError):
                do_set_quiet_time(session, coach=maija, quiet_from=wrong[0], quiet_until=wrong[1])
        do_set_quiet_time(session, coach=maija, quiet_from="", quiet_until="")
        assert maija.quiet_from is None


def test_cant_come_with_a_wish_for_a_new_time_says_so(engine):
    with transaction(engine) as session:
        coach = _coach(session, "maija", chat_id=77)
        youth = _youth(session, coach)
        appointment = _appointment(session, coach, youth)
        do_answer(session, appointment=appointment, coming=False)
        do_want_new_time(session, appointment=appointment)
    assert _kinds(engine) == ["cant_come", "new_time"]
