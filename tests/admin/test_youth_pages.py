"""Young people in the panel: the list and queue, one young person's page, self-assessment
charts, booking, the portfolio and reassigning, with access checked on every id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from core.db import transaction
from core.models import (
    Appointment,
    AppointmentKind,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    OutboxMessage,
    PortfolioEntry,
    Role,
    Youth,
    YouthStatus,
)
from core.services.invites import do_create_invite, do_redeem_invite


def _state(panel) -> list[object]:
    """Everything a panel form could change, to compare before and after a refused post."""
    with transaction(panel.engine) as session:
        return [
            sorted((y.id, y.coach_id) for y in session.exec(select(Youth))),
            [a.model_dump() for a in session.exec(select(Appointment))],
            [o.model_dump() for o in session.exec(select(OutboxMessage))],
            [p.model_dump() for p in session.exec(select(PortfolioEntry))],
        ]


def _finished_run(panel, youth, dialogue_id: str, score: float, when: datetime) -> None:
    with transaction(panel.engine) as session:
        session.add(
            Assessment(
                youth_id=youth.id,
                dialogue_id=dialogue_id,
                dialogue_version=1,
                status=AssessmentStatus.FINISHED,
                score=score,
                started_at=when - timedelta(minutes=5),
                finished_at=when,
            )
        )


def _portfolio_entry(panel, youth, field: str = "Kitchen at Hotel Aurora") -> PortfolioEntry:
    with transaction(panel.engine) as session:
        entry = PortfolioEntry(
            youth_id=youth.id,
            happened_at=datetime(2026, 11, 10, 9, tzinfo=UTC),
            place="Aurankatu 1",
            field=field,
            rating=4,
            activities=["tried", "talked"],
            words="I cut vegetables",
            wants_to_continue="yes",
            saved=True,
        )
        session.add(entry)
        session.flush()
        return entry


def _booking(**changes: str) -> dict[str, str]:
    form = {
        "kind": "trial_day",
        "title": "Trial day at Hotel Aurora",
        "day": "2026-11-26",
        "clock": "09:30",
        "ends": "13:30",
        "place": "Aurankatu 1",
        "bring": "Work shoes",
    }
    return {**form, **changes}


async def test_my_young_people_and_the_queue_are_listed_apart(panel) -> None:
    anna, ben = panel.add_coach("anna"), panel.add_coach("ben")
    panel.add_youth(
        anna, "Aino", language="sv", last_message_at=datetime(2026, 11, 20, 12, tzinfo=UTC)
    )
    panel.add_youth(ben, "Bertta")
    panel.add_youth(None, "Eetu", status=YouthStatus.UNREACHABLE)
    page = await (await panel.signed_in("anna")).get("/youth")
    assert page.status_code == 200
    mine, queue = page.text.split("Unassigned queue")
    assert "Aino" in mine and "SV" in mine and "20.11.2026 14:00" in mine
    assert "Eetu" in queue and "unreachable" in queue and "Take" in queue
    assert "Bertta" not in page.text


async def test_an_admin_sees_everyone_grouped_by_coach(panel) -> None:
    anna, ben = panel.add_coach("anna", name="Anna K"), panel.add_coach("ben", name="Ben L")
    panel.add_coach("root", Role.ADMIN)
    panel.add_youth(anna, "Aino")
    panel.add_youth(ben, "Bertta")
    page = await (await panel.signed_in("root")).get("/youth")
    by_coach = page.text.split("Unassigned queue")[0]
    assert by_coach.index("Anna K") < by_coach.index("Aino") < by_coach.index("Ben L")
    assert by_coach.index("Ben L") < by_coach.index("Bertta")


async def test_taking_a_young_person_from_the_queue_makes_them_mine(panel) -> None:
    panel.add_coach("anna")
    ben = panel.add_coach("ben")
    eetu = panel.add_youth(None, "Eetu")
    coach = await panel.signed_in("anna")
    taken = await coach.post(f"/youth/{eetu.id}/take")
    assert taken.status_code == 303 and taken.headers["location"] == f"/youth/{eetu.id}"
    mine = (await coach.get("/youth")).text.split("Unassigned queue")
    assert "Eetu" in mine[0] and "Eetu" not in mine[1]
    assert [e.youth_id for e in panel.audit("youth.take")] == [eetu.id]
    late = await (await panel.signed_in("ben")).post(f"/youth/{eetu.id}/take")
    assert late.status_code == 404
    assert [e.coach_id for e in panel.audit("access.denied")] == [ben.id]
    with transaction(panel.engine) as session:
        assert session.get(Youth, eetu.id).coach_id != ben.id


async def test_the_young_persons_page_shows_who_they_are_and_is_audited(panel) -> None:
    anna = panel.add_coach("anna", name="Anna K")
    aino = panel.add_youth(None, "Aino", language="sv")
    with transaction(panel.engine) as session:
        invite = do_create_invite(session, coach=anna)
        do_redeem_invite(session, youth=session.get(Youth, aino.id), code=invite.code)
    coach = await panel.signed_in("anna")
    page = await coach.get(f"/youth/{aino.id}")
    assert page.status_code == 200
    for seen in ("Aino", "SV", "active", "given", "Anna K", "an invite made on"):
        assert seen in page.text
    assert f'href="/youth/{aino.id}/chat"' in page.text
    assert "Reassign" not in page.text  # admins only
    read = panel.audit("youth.read")
    assert [(e.coach_id, e.youth_id) for e in read] == [(anna.id, aino.id)]


async def test_another_coachs_young_person_cannot_be_reached_by_changing_the_id(panel) -> None:
    anna, ben = panel.add_coach("anna"), panel.add_coach("ben")
    aino = panel.add_youth(anna, "Aino")
    _finished_run(panel, aino, "who5", 44, datetime(2026, 10, 1, tzinfo=UTC))
    entry = _portfolio_entry(panel, aino)
    before = _state(panel)
    intruder = await panel.signed_in("ben")
    attempts = [
        await intruder.get(f"/youth/{aino.id}"),
        await intruder.get(f"/youth/{aino.id}/history/who5.png"),
        await intruder.post(f"/youth/{aino.id}/take"),
        await intruder.post(f"/youth/{aino.id}/portfolio/{entry.id}/confirm"),
        await intruder.post(f"/youth/{aino.id}/appointments", _booking()),
    ]
    assert [r.status_code for r in attempts] == [404] * 5
    assert all("Aino" not in r.text and "Aurora" not in r.text for r in attempts)
    denied = panel.audit("access.denied")
    assert len(denied) == 5 and {e.coach_id for e in denied} == {ben.id}
    assert _state(panel) == before
    assert panel.audit("youth.read") == []


async def test_self_assessment_history_is_a_chart_and_a_table(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    _finished_run(panel, aino, "who5", 44, datetime(2026, 9, 1, 10, tzinfo=UTC))
    _finished_run(panel, aino, "who5", 64, datetime(2026, 11, 2, 10, tzinfo=UTC))
    coach = await panel.signed_in("anna")
    page = await coach.get(f"/youth/{aino.id}")
    assert "Well-being" in page.text
    assert f'src="/youth/{aino.id}/history/who5.png"' in page.text
    table = page.text.split("Well-being", 2)[-1]
    assert table.index("02.11.2026") < table.index("64") < table.index("01.09.2026")
    chart = await coach.get(f"/youth/{aino.id}/history/who5.png")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    assert [e.detail for e in panel.audit("youth.read_history")] == ["who5"]
    assert (await coach.get(f"/youth/{aino.id}/history/life_areas.png")).status_code == 404


async def test_a_young_person_without_self_assessments_gets_a_kind_line(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    page = await (await panel.signed_in("anna")).get(f"/youth/{aino.id}")
    assert "No finished self-assessments yet." in page.text
    assert "No portfolio entries yet." in page.text and "Nothing booked." in page.text


async def test_booking_a_trial_day_schedules_its_messages(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")
    booked = await coach.post(f"/youth/{aino.id}/appointments", _booking())
    assert booked.status_code == 303
    with transaction(panel.engine) as session:
        appointment = session.exec(select(Appointment)).one()
        kinds = sorted(session.exec(select(OutboxMessage.kind)).all())
    assert booked.headers["location"] == (
        f"/youth/{aino.id}?done=booked&appointment={appointment.id}#appointments"
    )
    assert appointment.kind == AppointmentKind.TRIAL_DAY and appointment.coach_id == anna.id
    assert appointment.starts_at == datetime(2026, 11, 26, 7, 30, tzinfo=UTC)  # 9.30 in Helsinki
    assert appointment.duration_minutes == 240 and appointment.bring == "Work shoes"
    assert kinds == ["booked", "followup", "reminder", "reminder"]
    assert len(panel.audit("appointment.book")) == 1
    page = await coach.get(booked.headers["location"])
    assert (
        "Booked: Thu 26 Nov 09:30–13:30 · Trial day at Hotel Aurora. "
        "The young person gets a message about it in Telegram."
    ) in " ".join(page.text.split())
    upcoming = page.text.split("Coming up")[1].split("Book a meeting")[0]
    assert "Thu 26 Nov 09:30–13:30" in upcoming and "Trial day at Hotel Aurora" in upcoming
    assert "no answer yet" in upcoming


async def test_a_booking_that_would_not_do_is_refused_kindly_and_nothing_is_saved(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")
    cases = {
        "already passed": _booking(day="2026-11-20"),
        "Give the appointment a title": _booking(title="  "),
        "Check the date and the time": _booking(day="31.2.2026"),
        "Check the date": _booking(clock="25:00"),
        "after the start time": _booking(ends="09:00"),
        "Check the end time": _booking(ends="late"),
        "what kind": _booking(kind="party"),
    }
    for message, form in cases.items():
        refused = await coach.post(f"/youth/{aino.id}/appointments", form)
        assert refused.status_code == 422, message
        assert message in refused.text
        assert f'value="{form["title"]}"' in refused.text  # what was typed stays
    with transaction(panel.engine) as session:
        assert session.exec(select(Appointment)).all() == []
        assert session.exec(select(OutboxMessage)).all() == []
    finnish = await coach.post(f"/youth/{aino.id}/appointments", _booking(day="1.12.2026"))
    assert finnish.status_code == 303


async def test_confirming_a_portfolio_entry(panel) -> None:
    anna = panel.add_coach("anna", name="Anna K")
    aino, eetu = panel.add_youth(anna, "Aino"), panel.add_youth(anna, "Eetu")
    entry = _portfolio_entry(panel, aino)
    other = _portfolio_entry(panel, eetu, field="Warehouse")
    coach = await panel.signed_in("anna")
    page = await coach.get(f"/youth/{aino.id}")
    assert "Kitchen at Hotel Aurora" in page.text and "I cut vegetables" in page.text
    assert "Warehouse" not in page.text
    confirmed = await coach.post(f"/youth/{aino.id}/portfolio/{entry.id}/confirm")
    assert confirmed.status_code == 303
    page = await coach.get(f"/youth/{aino.id}")
    assert "Confirmed by Anna K 23.11.2026" in page.text
    with transaction(panel.engine) as session:
        row = session.get(PortfolioEntry, entry.id)
        assert row.confirmed_by_coach_id == anna.id and row.confirmed_at is not None
    assert [e.detail for e in panel.audit("portfolio.confirm")] == [str(entry.id)]
    wrong = await coach.post(f"/youth/{aino.id}/portfolio/{other.id}/confirm")
    assert wrong.status_code == 404
    with transaction(panel.engine) as session:
        assert session.get(PortfolioEntry, other.id).confirmed_at is None


async def test_an_admin_reassigns_and_a_coach_cannot(panel) -> None:
    anna, ben = panel.add_coach("anna"), panel.add_coach("ben", name="Ben L")
    panel.add_coach("root", Role.ADMIN)
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")
    refused = await coach.post(f"/youth/{aino.id}/assign", {"coach_id": str(anna.id)})
    assert refused.status_code == 404
    admin = await panel.signed_in("root")
    page = await admin.get(f"/youth/{aino.id}")
    assert "Reassign" in page.text and "Ben L" in page.text
    moved = await admin.post(f"/youth/{aino.id}/assign", {"coach_id": str(ben.id)})
    assert moved.status_code == 303
    with transaction(panel.engine) as session:
        assert session.get(Youth, aino.id).coach_id == ben.id
    assert [e.detail for e in panel.audit("youth.assign")] == [f"coach {anna.id} -> coach {ben.id}"]
    assert (await coach.get(f"/youth/{aino.id}")).status_code == 404
    await admin.post(f"/youth/{aino.id}/assign", {"coach_id": ""})
    with transaction(panel.engine) as session:
        assert session.get(Youth, aino.id).coach_id is None
    assert (await admin.post(f"/youth/{aino.id}/assign", {"coach_id": "999"})).status_code == 404


async def test_posts_without_the_forms_token_change_nothing(panel) -> None:
    anna = panel.add_coach("anna")
    panel.add_coach("root", Role.ADMIN)
    aino, eetu = panel.add_youth(anna, "Aino"), panel.add_youth(None, "Eetu")
    entry = _portfolio_entry(panel, aino)
    before = _state(panel)
    with transaction(panel.engine) as session:
        events = len(session.exec(select(AuditEvent)).all())
    admin = await panel.signed_in("root")
    posts = [
        (f"/youth/{eetu.id}/take", {}),
        (f"/youth/{aino.id}/assign", {"coach_id": ""}),
        (f"/youth/{aino.id}/portfolio/{entry.id}/confirm", {}),
        (f"/youth/{aino.id}/appointments", _booking()),
    ]
    for url, form in posts:
        missing = await admin.http.post(url, data=form)
        forged = await admin.http.post(url, data={**form, "csrf_token": "x" * 43})
        assert (missing.status_code, forged.status_code) == (403, 403), url
        assert "Nothing was saved" in forged.text
    assert _state(panel) == before
    with transaction(panel.engine) as session:
        assert len(session.exec(select(AuditEvent)).all()) == events + 1  # the admin's sign-in


async def test_a_coach_puts_a_young_person_in_a_group_for_the_report(panel) -> None:
    anna, ben = panel.add_coach("anna"), panel.add_coach("ben")
    aino = panel.add_youth(anna)
    coach = await panel.signed_in("anna")
    saved = await coach.post(f"/youth/{aino.id}/group", {"group": "  Ohjaamo   Itä "})
    assert saved.status_code == 303
    assert 'value="Ohjaamo Itä"' in (await coach.get(f"/youth/{aino.id}")).text
    assert len(panel.audit("youth.group")) == 1
    assert "Ohjaamo Itä" in (await coach.get("/report")).text  # offered as a filter
    intruder = await panel.signed_in("ben")
    refused = await intruder.post(f"/youth/{aino.id}/group", {"group": "x"})
    assert refused.status_code == 404 and ben.id
    forged = await coach.http.post(f"/youth/{aino.id}/group", data={"group": "y"})
    assert forged.status_code == 403
    await coach.post(f"/youth/{aino.id}/group", {"group": ""})
    assert 'value=""' in (await coach.get(f"/youth/{aino.id}")).text
