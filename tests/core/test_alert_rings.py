"""Urgent alerts go out ring by ring: the own coach and those on call, then the coaches at
work, then the admins — each only when nobody opened it in time — and access to the young
person widens only to the rings reached, until the alert is handled."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from core.db import transaction
from core.models import Alert, AlertKind, AuditEvent, Coach, Consent, Role, Youth
from core.services.access import can_see
from core.services.alerts import (
    ESCALATE_AFTER,
    do_escalate_alerts,
    do_mark_alert_opened,
    do_raise_alert,
    reach_of,
)
from core.services.talk import do_mark_handled

TZ = ZoneInfo("Europe/Helsinki")
TUESDAY_NIGHT = datetime(2026, 12, 8, 21, 30, tzinfo=UTC)  # 23.30 in Helsinki
NEVER = {"days": [6], "start": "00:00", "end": "00:01"}  # a minute on Sundays
ALWAYS = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}


def _team(engine) -> dict[str, int]:
    """Maija (Aino's coach, off), Pekka (on call), Liisa (at work late), Anna (admin, off)."""
    with transaction(engine) as session:
        people = {
            "maija": Coach(
                login="maija", display_name="Maija", password_hash="x", office_hours=NEVER
            ),
            "pekka": Coach(
                login="pekka", display_name="Pekka", password_hash="x", office_hours=NEVER
            ),
            "liisa": Coach(
                login="liisa", display_name="Liisa", password_hash="x", office_hours=ALWAYS
            ),
            "anna": Coach(
                login="anna",
                display_name="Anna",
                password_hash="x",
                office_hours=NEVER,
                role=Role.ADMIN,
            ),
        }
        people["pekka"].on_call = True
        session.add_all(people.values())
        session.flush()
        aino = Youth(telegram_user_id=1, chat_id=1, first_name="Aino", consent=Consent.GIVEN)
        aino.coach_id = people["maija"].id
        session.add(aino)
        session.flush()
        do_raise_alert(
            session,
            youth=aino,
            kind=AlertKind.CRISIS_WORDS,
            text="x",
            detail="en: x",
            now=TUESDAY_NIGHT,
            tz=TZ,
        )
        return {**{name: c.id for name, c in people.items()}, "aino": aino.id}


def _who_sees(engine, ids) -> set[str]:
    with transaction(engine) as session:
        aino = session.get(Youth, ids["aino"])
        return {
            name
            for name in ("maija", "pekka", "liisa", "anna")
            if can_see(session, session.get(Coach, ids[name]), aino) and name != "anna"
        }


def _escalate(engine, at: datetime) -> list[int]:
    with transaction(engine) as session:
        return do_escalate_alerts(session, now=at, tz=TZ)


def test_an_unopened_alert_goes_ring_by_ring_and_access_widens_only_that_far(engine):
    ids = _team(engine)
    assert _who_sees(engine, ids) == {"maija", "pekka"}  # own coach and on call; not Liisa
    assert _escalate(engine, TUESDAY_NIGHT + ESCALATE_AFTER / 2) == []
    assert len(_escalate(engine, TUESDAY_NIGHT + ESCALATE_AFTER)) == 1
    assert _who_sees(engine, ids) == {"maija", "pekka", "liisa"}  # ring 2: the one at work
    assert len(_escalate(engine, TUESDAY_NIGHT + ESCALATE_AFTER * 2)) == 1
    with transaction(engine) as session:
        alert = session.exec(select(Alert)).one()
        assert alert.ring == 3  # the admins
        steps = session.exec(
            select(AuditEvent.detail).where(AuditEvent.action == "safety.alert_escalated")
        ).all()
    assert steps == ["ring 2", "ring 3"]
    assert _escalate(engine, TUESDAY_NIGHT + ESCALATE_AFTER * 5) == []  # no ring after admins
    with transaction(engine) as session:
        do_mark_handled(
            session,
            coach=session.get(Coach, ids["liisa"]),
            youth=session.get(Youth, ids["aino"]),
            now=TUESDAY_NIGHT + ESCALATE_AFTER * 6,
        )
    assert _who_sees(engine, ids) == {"maija"}  # handled: only her own coach again


def test_an_alert_opened_in_time_goes_no_further(engine):
    ids = _team(engine)
    with transaction(engine) as session:
        do_mark_alert_opened(
            session,
            coach=session.get(Coach, ids["pekka"]),
            youth=session.get(Youth, ids["aino"]),
            now=TUESDAY_NIGHT + ESCALATE_AFTER / 3,
        )
    assert _escalate(engine, TUESDAY_NIGHT + ESCALATE_AFTER * 3) == []
    assert _who_sees(engine, ids) == {"maija", "pekka"}


def test_someone_on_call_counts_as_someone_who_answers_now(engine):
    ids = _team(engine)
    with transaction(engine) as session:
        alert = session.exec(select(Alert)).one()
        reach = reach_of(
            session, alert=alert, youth=session.get(Youth, ids["aino"]), now=TUESDAY_NIGHT, tz=TZ
        )
    assert reach.answer_at is None  # Pekka is on call tonight
