"""The Path section of a young person's page: recording a status, the history, the check-ins
and the coach's pause, resume, stop and add, with access and the form token checked."""

from __future__ import annotations

from sqlmodel import select

from core.db import transaction
from core.models import CheckIn, CheckInStatus, PathStatus


def _statuses(panel) -> list[tuple[str, str | None, str | None, bool]]:
    with transaction(panel.engine) as session:
        rows = session.exec(select(PathStatus).order_by(PathStatus.id)).all()
        return [(r.situation, r.field, r.place, r.transition) for r in rows]


def _checkins(panel) -> list[str]:
    with transaction(panel.engine) as session:
        rows = session.exec(select(CheckIn).order_by(CheckIn.due_at)).all()
        return [r.status for r in rows]


async def test_recording_a_move_into_studies_shows_it_and_schedules_check_ins(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")
    empty = await coach.get(f"/youth/{aino.id}")
    assert "No path status recorded yet." in empty.text
    assert 'id="situation"' in empty.text and "Preparatory education (TUVA)" in empty.text

    tuva = {"situation": "tuva", "field": "", "place": "Omnia", "since": "2026-08-01"}
    assert (await coach.post(f"/youth/{aino.id}/path", tuva)).status_code == 303
    studies = {
        "situation": "vocational",
        "field": "restaurant",
        "place": "Stadin AO",
        "since": "2026-11-23",
    }
    saved = await coach.post(f"/youth/{aino.id}/path", studies)
    assert saved.status_code == 303 and saved.headers["location"] == f"/youth/{aino.id}#path"
    assert _statuses(panel) == [
        ("tuva", None, "Omnia", False),
        ("vocational", "restaurant", "Stadin AO", True),
    ]
    page = (await coach.get(f"/youth/{aino.id}")).text
    now_part, earlier = page.split("Now:")[1].split("Earlier", 1)
    assert "Vocational studies" in now_part and "Restaurant and catering" in now_part
    assert "Stadin AO" in now_part and "23.11.2026" in now_part and "transition" in now_part
    assert "Preparatory education (TUVA)" in earlier.split("Record a new status")[0]
    for due in ("07.12.2026", "23.12.2026", "23.01.2027", "23.02.2027", "23.05.2027"):
        assert due in page
    assert _checkins(panel) == ["scheduled"] * 6
    assert len(panel.audit("path.record")) == 2


async def test_a_refused_status_is_shown_with_what_was_typed_and_nothing_is_saved(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")
    odd = {"situation": "moon", "field": "", "place": "Kuu", "since": "2026-11-23"}
    refused = await coach.post(f"/youth/{aino.id}/path", odd)
    assert refused.status_code == 400
    assert "Choose a situation from the list." in refused.text and 'value="Kuu"' in refused.text
    no_date = {"situation": "work", "since": "soon"}
    assert (await coach.post(f"/youth/{aino.id}/path", no_date)).status_code == 400
    assert _statuses(panel) == []


async def test_pause_resume_stop_and_add_change_the_check_ins_and_are_audited(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")
    refused = await coach.post(f"/youth/{aino.id}/checkins/add", {"day": "2026-12-01"})
    assert refused.status_code == 400
    assert "Record a move into studies or work first." in refused.text
    work = {"situation": "work", "place": "Kahvila", "since": "2026-11-23"}
    await coach.post(f"/youth/{aino.id}/path", work)

    assert (await coach.post(f"/youth/{aino.id}/checkins/pause")).status_code == 303
    assert set(_checkins(panel)) == {CheckInStatus.PAUSED}
    page = (await coach.get(f"/youth/{aino.id}")).text
    assert "Resume" in page and ">Pause<" not in page
    await coach.post(f"/youth/{aino.id}/checkins/resume")
    assert set(_checkins(panel)) == {CheckInStatus.SCHEDULED}
    added = await coach.post(f"/youth/{aino.id}/checkins/add", {"day": "2026-11-30"})
    assert added.status_code == 303 and len(_checkins(panel)) == 7
    page = (await coach.get(f"/youth/{aino.id}")).text
    confirm = page.split("<summary>Stop all</summary>")[1].split("</details>")[0]
    assert ">Yes, stop every check-in</button>" in confirm  # asks first, not one tap
    await coach.post(f"/youth/{aino.id}/checkins/stop")
    assert set(_checkins(panel)) == {CheckInStatus.STOPPED}
    for action in ("pause", "resume", "add", "stop"):
        assert [e.youth_id for e in panel.audit(f"checkin.{action}")] == [aino.id], action


async def test_another_coachs_young_person_is_404_and_unchanged(panel) -> None:
    anna = panel.add_coach("anna")
    panel.add_coach("ben")
    aino = panel.add_youth(anna, "Aino")
    owner = await panel.signed_in("anna")
    await owner.post(f"/youth/{aino.id}/path", {"situation": "work", "since": "2026-11-23"})
    before = (_statuses(panel), _checkins(panel))
    intruder = await panel.signed_in("ben")
    attempts = [
        await intruder.post(f"/youth/{aino.id}/path", {"situation": "neet", "since": "2026-11-23"}),
        await intruder.post(f"/youth/{aino.id}/checkins/pause"),
        await intruder.post(f"/youth/{aino.id}/checkins/stop"),
        await intruder.post(f"/youth/{aino.id}/checkins/add", {"day": "2026-12-01"}),
    ]
    assert [r.status_code for r in attempts] == [404] * 4
    assert all("Aino" not in r.text for r in attempts)
    assert (_statuses(panel), _checkins(panel)) == before


async def test_posts_without_the_forms_token_change_nothing(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")
    posts = [
        (f"/youth/{aino.id}/path", {"situation": "work", "since": "2026-11-23"}),
        (f"/youth/{aino.id}/checkins/stop", {}),
        (f"/youth/{aino.id}/checkins/add", {"day": "2026-12-01"}),
    ]
    for url, form in posts:
        missing = await coach.http.post(url, data=form)
        forged = await coach.http.post(url, data={**form, "csrf_token": "x" * 43})
        assert (missing.status_code, forged.status_code) == (403, 403), url
    assert (_statuses(panel), _checkins(panel)) == ([], [])


async def test_answers_show_on_the_page(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")
    await coach.post(f"/youth/{aino.id}/path", {"situation": "work", "since": "2026-11-23"})
    with transaction(panel.engine) as session:
        first = session.exec(select(CheckIn).order_by(CheckIn.due_at)).first()
        first.status, first.mood, first.still_there = "answered", 2, False
        first.needs, first.wants_coach = "money", True
        session.add(first)
    page = (await coach.get(f"/youth/{aino.id}")).text
    checkins = page.split('id="checkins"')[1]
    for seen in ("answered", "🙁", "has left", "wants to talk", "Money or a place to live"):
        assert seen in checkins
