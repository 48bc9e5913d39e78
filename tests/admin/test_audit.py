"""The audit trail page: admins only, newest first, a hundred a page, filters, each event a
sentence with names in it; reading it leaves an event too."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from core.db import transaction
from core.models import Role
from core.services.audit import do_audit
from core.services.coaches import do_deactivate_coach, do_reset_password
from core.services.talk import do_coach_reply
from core.services.youth import do_assign_youth


def _events(panel, count: int, **fields: object) -> None:
    with transaction(panel.engine) as session:
        for number in range(count):
            do_audit(session, actor="system", action=f"test.{number}", **fields)


def _sentences(page: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(r'<p class="what">(.*?)</p>', page)]


def _actions(page: str) -> list[str]:
    """The unworded test codes, as the fallback sentence shows them."""
    return re.findall(r"event “(test\.\d+)”", "\n".join(_sentences(page)))


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
    assert len(_sentences(first.text)) == 100
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
    assert "Root Admin signed in" in _sentences(first.text)
    assert f'href="/audit?coach={root.id}"' in first.text  # one tap: only Root Admin's events


async def test_filter_by_young_person_or_coach_in_local_time(panel) -> None:
    anna = panel.add_coach("anna", name="Anna K")
    panel.add_coach("root", Role.ADMIN)
    aino, eetu = panel.add_youth(anna, "Aino"), panel.add_youth(anna, "Eetu")
    with transaction(panel.engine) as session:
        for youth, action in ((aino, "youth.read"), (eetu, "youth.read_chat")):
            event = do_audit(
                session, actor="coach", action=action, youth_id=youth.id, coach_id=anna.id
            )
            event.at = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
        do_audit(session, actor="coach", action="access.denied", coach_id=anna.id, detail="youth 9")
    admin = await panel.signed_in("root")
    by_youth = await admin.get(f"/audit?youth={aino.id}")
    assert _sentences(by_youth.text) == ["Anna K opened the page of Aino"]
    assert "01.07.2026 12:00:00" in by_youth.text  # summer time in Helsinki
    by_coach = await admin.get(f"/audit?coach={anna.id}")
    assert _sentences(by_coach.text) == [
        "Anna K was refused a page that is not theirs to see",
        "Anna K opened the chat with Eetu",
        "Anna K opened the page of Aino",
        "A coach account was made for Anna K on the server",
    ]
    assert "youth 9" in by_coach.text  # the detail, under the sentence
    assert [e.detail for e in panel.audit("audit.read")] == [
        f"youth={aino.id}",
        f"coach={anna.id}",
    ]
    assert (await admin.get("/audit?youth=abc")).status_code == 422


async def test_what_coaches_and_admins_did_reads_as_sentences_with_names(panel) -> None:
    root = panel.add_coach("root", Role.ADMIN, name="Admin")
    maija = panel.add_coach("maija", name="Maija")
    pekka = panel.add_coach("pekka", name="Pekka")
    aino = panel.add_youth(maija, "Aino")
    with transaction(panel.engine) as session:
        do_audit(
            session, actor="coach", action="youth.read_chat", coach_id=maija.id, youth_id=aino.id
        )
        do_coach_reply(session, coach=maija, youth=aino, text="Hei Aino!", now=panel.clock())
        do_deactivate_coach(session, by=root, coach=pekka)
        do_reset_password(session, by=root, coach=maija, password="another long password")
        do_assign_youth(session, by=root, youth=aino, coach=None)
        do_audit(session, actor="coach", action="brand.new_code", coach_id=maija.id)
        do_audit(session, actor="youth", action="youth.erased")
    admin = await panel.signed_in("root")
    page = await admin.get("/audit")
    sentences = _sentences(page.text)
    assert sentences[1:8] == [
        "A young person erased their data",
        "Maija: event “brand.new_code”",
        "Admin changed the coach of Aino",
        "Admin set a new password for Maija",
        "Admin deactivated the account of Pekka",
        "Maija sent a message to Aino",
        "Maija opened the chat with Aino",
    ]
    assert "Maija → the shared queue" in page.text  # the reassignment's detail, in names
    assert "coach " + str(pekka.id) not in page.text


async def test_the_trail_speaks_the_panel_language(panel) -> None:
    from admin.app import create_web_app
    from core.settings import Settings

    root = panel.add_coach("root", Role.ADMIN, name="Admin")
    pekka = panel.add_coach("pekka", name="Pekka")
    aino = panel.add_youth(pekka, "Aino")
    with transaction(panel.engine) as session:
        do_audit(
            session, actor="coach", action="youth.read_chat", coach_id=pekka.id, youth_id=aino.id
        )
        do_deactivate_coach(session, by=root, coach=pekka)
    panel.app = create_web_app(
        engine=panel.engine,
        settings=Settings(_env_file=None, POLKU_PANEL_LANGUAGE="fi"),
        clock=panel.clock,
    )
    admin = await panel.signed_in("root")
    sentences = _sentences((await admin.get("/audit")).text)
    assert "Pekka avasi keskustelun: Aino" in sentences
    assert "Admin poisti tunnuksen käytöstä: Pekka" in sentences


async def test_a_page_of_names_costs_the_same_few_queries(panel) -> None:
    """Names come with the events (a join) and from the coach list, not one query a row."""
    from sqlalchemy import event as sa_event

    panel.add_coach("root", Role.ADMIN)
    coaches = [panel.add_coach(f"coach{n}") for n in range(5)]
    youth = [panel.add_youth(coaches[n % 5], f"Nuori {n}") for n in range(20)]
    admin = await panel.signed_in("root")

    async def queries_for_a_page() -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        sa_event.listen(panel.engine, "before_cursor_execute", count)
        try:
            assert (await admin.get("/audit")).status_code == 200
        finally:
            sa_event.remove(panel.engine, "before_cursor_execute", count)
        return len(statements)

    few = await queries_for_a_page()
    with transaction(panel.engine) as session:
        for n, young in enumerate(youth * 4):
            do_audit(
                session,
                actor="coach",
                action="youth.read",
                coach_id=coaches[n % 5].id,
                youth_id=young.id,
            )
    assert await queries_for_a_page() == few  # a hundred rows cost what two did


async def test_reading_the_trail_is_recorded(panel) -> None:
    panel.add_coach("root", Role.ADMIN, name="Root")
    admin = await panel.signed_in("root")
    await admin.get("/audit")
    page = await admin.get("/audit")
    assert _sentences(page.text).count("Root read the audit trail") == 1  # this one: not yet
