"""The young person's self-assessments as the coach reads them: every area's first and latest
value with the change, a radar of both runs, WHO-5 scores with their band in words, the initial
mapping as a profile in words, and every run's answers — runs made through the real services."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import select

from admin.assessment_view import known_dialogues
from core.db import transaction
from core.dialogs.engine import Ask, Control, Pick, Toggle
from core.models import Assessment, AssessmentAnswer, Youth
from core.services.assessments import do_answer, do_start_assessment

SEPTEMBER = datetime(2026, 9, 1, 10, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 2, 10, tzinfo=UTC)
SKIP = None
PROFILE = {
    "situation": "nothing",
    "age": "from_18",
    "schooling": "comprehensive",
    "interests": ["not_sure"],
    "languages": ["finnish"],
    "help_wanted": ["money"],
}


def finished_run(panel, youth, dialogue_id: str, answers: dict, when: datetime) -> int:
    """Answer a dialogue through the engine as the bot does (None: skipped, a list: ticked
    options, a missing question: 5), then date the run `when`."""
    dialogue = known_dialogues()[dialogue_id]
    with transaction(panel.engine) as session:
        assessment, screen = do_start_assessment(
            session, youth=session.get(Youth, youth.id), dialogue=dialogue
        )
        while isinstance(screen, Ask):
            value = answers.get(screen.question.id, 5)
            if value is SKIP:
                steps = [Control("skip")]
            elif isinstance(value, list):
                steps = [*(Toggle(v) for v in value), Control("done")]
            else:
                steps = [Pick(value)]
            asked = screen.question
            for answer in steps:
                screen = do_answer(session, assessment=assessment, dialogue=dialogue, answer=answer)
            assert not isinstance(screen, Ask) or screen.question != asked, f"{asked.id}: {value}"
        assessment.finished_at = when
        session.add(assessment)
        return assessment.id


def section(html: str, dialogue_id: str) -> str:
    return html.split(f'id="assessment-{dialogue_id}"', 1)[1].split("</section>", 1)[0]


def row_of(html: str, area: str) -> str:
    """The table row of one area, as text without tags."""
    row = re.search(rf'<th scope="row">{area}</th>(.*?)</tr>', html, re.S)
    assert row, f"no row for {area}"
    return " ".join(re.sub(r"<[^>]+>", " ", row.group(1)).split())


async def test_each_area_shows_its_first_and_latest_value_and_the_change(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    finished_run(panel, aino, "life_areas", {"housing": 3, "money": SKIP, "sleep": 6}, SEPTEMBER)
    finished_run(panel, aino, "life_areas", {"housing": 7, "money": 4, "sleep": SKIP}, NOVEMBER)
    coach = await panel.signed_in("anna")
    page = (await coach.get(f"/youth/{aino.id}")).text
    assert "Life right now" in page and "answered 2 times" in page
    assert 'First<br><span class="muted">01.09.</span>' in page
    assert 'Latest<br><span class="muted">02.11.</span>' in page
    housing = row_of(page, "Housing")
    assert housing.startswith("3 7 ↑ 4 up by 4")
    assert 'aria-label="Over time: 3, 7"' in page
    assert row_of(page, "Money").startswith("– skipped 4 –")  # skipped first: no change
    assert row_of(page, "Sleep").startswith("6 – skipped –")
    assert row_of(page, "Health").startswith("5 5 = no change")
    assert 'aria-label="Over time: 6, skipped"' in page
    assert f'src="/youth/{aino.id}/radar/life_areas.png"' in page


async def test_the_radar_is_a_png_kept_for_the_browser_and_audited(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    finished_run(panel, aino, "study_skills", {}, SEPTEMBER)
    finished_run(panel, aino, "study_skills", {}, NOVEMBER)
    coach = await panel.signed_in("anna")
    radar = await coach.get(f"/youth/{aino.id}/radar/study_skills.png")
    assert radar.status_code == 200 and radar.content.startswith(b"\x89PNG")
    assert radar.headers["cache-control"] == "private, no-cache"
    again = await coach.get(
        f"/youth/{aino.id}/radar/study_skills.png",
        headers={"If-None-Match": radar.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    assert [e.detail for e in panel.audit("youth.read_history")] == ["study_skills"] * 2
    missing = [
        await coach.get(f"/youth/{aino.id}/radar/life_areas.png"),  # not answered
        await coach.get(f"/youth/{aino.id}/history/study_skills.png"),  # areas, not a score
    ]
    assert [r.status_code for r in missing] == [404, 404]


async def test_every_run_lists_each_question_and_answer_in_words(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    finished_run(panel, aino, "life_areas", {"housing": 2, "money": SKIP}, NOVEMBER)
    page = (await (await panel.signed_in("anna")).get(f"/youth/{aino.id}")).text
    run = page.split('<details class="run">', 1)[1].split("</details>", 1)[0]
    assert "02.11.2026 · average" in run
    assert re.search(r"How are things with your housing right now\?</dt><dd>2 / 10</dd>", run)
    assert re.search(r"How are you managing with money\?</dt><dd class=\"muted\">skipped</dd>", run)
    assert "First" not in page.split("<table", 1)[1].split("</table>", 1)[0]  # one run only


async def test_who5_scores_come_with_their_band_in_words(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    low = {"cheerful": 1, "calm": 1, "active": 2, "rested": 1, "interests": 1}  # 6 × 4 = 24
    finished_run(panel, aino, "who5", low, SEPTEMBER)
    finished_run(panel, aino, "who5", {"cheerful": SKIP}, datetime(2026, 10, 1, tzinfo=UTC))
    finished_run(panel, aino, "who5", {}, NOVEMBER)  # all 5: 25 × 4 = 100
    coach = await panel.signed_in("anna")
    page = (await coach.get(f"/youth/{aino.id}")).text
    table = " ".join(re.sub(r"<[^>]+>", " ", section(page, "who5")).split())
    assert "02.11.2026 100 good (over 50)" in table
    assert "01.10.2026 – no score: a question was skipped" in table
    assert "01.09.2026 24 very low (28 or less)" in table
    assert "I have felt cheerful and in good spirits Some of the time (1)" in table
    chart = await coach.get(f"/youth/{aino.id}/history/who5.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")


async def test_the_initial_mapping_reads_as_a_profile_latest_first(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    first = PROFILE
    latest = {
        **PROFILE,
        "situation": "workshop",
        "interests": ["kitchen", "it"],
        "languages": ["finnish", "arabic"],
        "help_wanted": SKIP,
    }
    finished_run(panel, aino, "initial_mapping", first, SEPTEMBER)
    finished_run(panel, aino, "initial_mapping", latest, NOVEMBER)
    page = (await (await panel.signed_in("anna")).get(f"/youth/{aino.id}")).text
    about = section(page, "initial_mapping")
    now, earlier = about.split("Earlier answers")
    text = " ".join(re.sub(r"<[^>]+>", " ", now).split())
    assert "Answered on 02.11.2026" in text
    assert "What are you mainly doing right now? At a youth workshop" in text
    assert "How old are you? 18–24" in text
    assert "Which fields interest you? You can choose many. Kitchen, restaurant, IT, computers" in (
        text
    )
    assert "What would you like help with? You can choose many. skipped" in text
    assert "from_18" not in about and ">workshop<" not in about  # words, never ids
    assert "01.09.2026" in earlier and "Nothing right now" in earlier


async def test_what_a_young_person_gave_is_escaped(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    run = finished_run(panel, aino, "initial_mapping", PROFILE, NOVEMBER)
    with transaction(panel.engine) as session:  # an answer an older version stored as typed
        answer = session.exec(
            select(AssessmentAnswer).where(
                AssessmentAnswer.assessment_id == run, AssessmentAnswer.question_id == "situation"
            )
        ).one()
        answer.choices = ["<script>alert(1)</script>"]
        session.add(answer)
    page = (await (await panel.signed_in("anna")).get(f"/youth/{aino.id}")).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_the_page_asks_the_same_few_queries_however_many_runs(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    coach = await panel.signed_in("anna")

    async def queries() -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(panel.engine, "before_cursor_execute", count)
        try:
            assert (await coach.get(f"/youth/{aino.id}")).status_code == 200
        finally:
            event.remove(panel.engine, "before_cursor_execute", count)
        return len(statements)

    finished_run(panel, aino, "life_areas", {}, SEPTEMBER)
    one = await queries()
    for day in range(2, 8):
        finished_run(panel, aino, "life_areas", {}, datetime(2026, 10, day, tzinfo=UTC))
        finished_run(panel, aino, "who5", {}, datetime(2026, 10, day, tzinfo=UTC))
    many = await queries()
    assert many == one, f"{one} queries with one run, {many} with thirteen"
    with transaction(panel.engine) as session:
        assert len(session.exec(select(Assessment)).all()) == 13
