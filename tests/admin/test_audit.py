"""The audit trail page: admins only, newest first, a hundred a page, filters; reading it
leaves an event too."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from core.db import transaction
from core.models import Role
from core.services.audit import do_audit


def _events(panel, count: int, **fields: object) -> None:
    with transaction(panel.engine) as session:
        for number in range(count):
            do_audit(session, actor="system", action=f"test.{number}", **fields)


def _actions(html: str) -> list[str]:
    return re.findall(r"<td>(test\.\d+)</td>", html)


async def test_a_plain_coach_finds_no_audit_trail(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    assert (await coach.get("/audit")).status_code == 404
    assert "/audit" not in (await coach.get("/")).text
    assert panel.audit("audit.read") == []


async def test_the_newest_come_first_a_hundred_a_page(panel) -> None:
    root = panel.add_coach("root", Role.ADMIN, name="Root Admin")
    _events(panel, 150)
    admin = await panel.signed_in("root")
    first = await admin.get("/audit")
    assert first.status_code == 200
    assert first.text.count("<tr>") == 101  # the header and a hundred events
    shown = _actions(first.text)
    assert shown[0] == "test.149" and "test.0" not in shown
    older = re.search(r'href="/audit\?(before=\d+)"', first.text)
    assert older
    second = await admin.get(f"/audit?{older.group(1)}")
    rest = _actions(second.text)
    assert rest[0] == f"test.{149 - len(shown)}" and rest[-1] == "test.0"
    assert "Older events" not in second.text
    reads = panel.audit("audit.read")
    assert [(e.coach_id, e.detail) for e in reads] == [(root.id, None), (root.id, older.group(1))]
    assert f'<a href="/audit?coach={root.id}">Root Admin</a>' in first.text  # sign-in, by name


async def test_filter_by_young_person_or_coach_in_local_time(panel) -> None:
    anna = panel.add_coach("anna", name="Anna K")
    panel.add_coach("root", Role.ADMIN)
    aino, eetu = panel.add_youth(anna, "Aino"), panel.add_youth(anna, "Eetu")
    with transaction(panel.engine) as session:
        for youth, action in ((aino, "test.1"), (eetu, "test.2")):
            event = do_audit(session, actor="coach", action=action, youth_id=youth.id)
            event.at = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
        do_audit(session, actor="coach", action="test.3", coach_id=anna.id, detail="youth 9")
    admin = await panel.signed_in("root")
    by_youth = await admin.get(f"/audit?youth={aino.id}")
    assert _actions(by_youth.text) == ["test.1"]
    assert "01.07.2026 12:00:00" in by_youth.text  # summer time in Helsinki
    assert f"#{aino.id}" in by_youth.text and "Aino" not in by_youth.text
    by_coach = await admin.get(f"/audit?coach={anna.id}")
    assert _actions(by_coach.text) == ["test.3"] and "Anna K" in by_coach.text
    assert "youth 9" in by_coach.text
    assert [e.detail for e in panel.audit("audit.read")] == [
        f"youth={aino.id}",
        f"coach={anna.id}",
    ]
    assert (await admin.get("/audit?youth=abc")).status_code == 422


async def test_reading_the_trail_is_recorded(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    admin = await panel.signed_in("root")
    await admin.get("/audit")
    page = await admin.get("/audit")
    assert page.text.count("<td>audit.read</td>") == 1  # the first read; this one is not yet
