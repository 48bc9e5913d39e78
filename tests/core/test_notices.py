"""The rules of coach notices: who gets one, for what, once — and links that work once."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core.db import transaction
from core.models import (
    Appointment,
    AppointmentKind,
    Coach,
    CoachNotice,
    Consent,
    OutboxStatus,
    Youth,
    utcnow,
)
from core.services.appointments import do_answer
from core.services.notices import (
    LINK_LIFETIME,
    claim_due_notices,
    do_redeem_link,
    do_settle_notice,
    do_start_link,
    do_unlink,
    link_payload,
)
from core.services.youth import do_mark_unreachable


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


def _kinds(engine) -> list[str]:
    with transaction(engine) as session:
        return [n.kind for n in session.exec(select(CoachNotice).order_by(CoachNotice.id))]


def test_cant_come_and_unreachable_reach_a_linked_coach_once(engine):
    with transaction(engine) as session:
        coach = _coach(session, "maija", chat_id=77)
        youth = _youth(session, coach)
        appointment = Appointment(
            youth_id=youth.id,
            coach_id=coach.id,
            kind=AppointmentKind.TRIAL_DAY,
            title="Kokeilupäivä",
            starts_at=utcnow() + timedelta(days=2),
        )
        session.add(appointment)
        session.flush()
        do_answer(session, appointment=appointment, coming=False)
        do_answer(session, appointment=appointment, coming=False, wants_new_time=True)  # same no
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
        claimed = claim_due_notices(session, now=now)
        assert len(claimed) == 1
        assert claim_due_notices(session, now=now) == []  # a second sender finds nothing
        do_settle_notice(session, notice_id=claimed[0].id, sent=False, transient=True, now=now)
    with transaction(engine) as session:
        notice = session.exec(select(CoachNotice)).one()
        assert notice.status == OutboxStatus.PENDING and notice.due_at > now
        do_unlink(session, coach=session.get(Coach, coach.id))
    with transaction(engine) as session:
        assert session.exec(select(CoachNotice)).one().status == OutboxStatus.CANCELLED
