"""The impact report page, its charts and its CSV export, on the hand-computed dataset of
tests/report_data.py: small groups hidden, a coach's own young people only, exports audited."""

from __future__ import annotations

import csv
import io

import pytest

from core.services.coaches import hash_password
from core.services.report import HIDDEN
from tests.admin.conftest import PASSWORD
from tests.report_data import NOW, seed

EVERYTHING = "from=2025-01-01&to=2026-06-01"


@pytest.fixture
def seeded(panel):
    panel.clock.now = NOW
    return seed(panel.engine, password_hash=hash_password(PASSWORD))


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_report_is_in_the_menu_and_shows_the_figures(panel, seeded) -> None:
    coach = await panel.signed_in("own")
    assert 'href="/report"' in (await coach.get("/")).text
    page = await coach.get(f"/report?{EVERYTHING}")
    assert page.status_code == 200
    text = page.text
    assert "Impact report" in text
    assert '<td>7</td><td>0</td><td>43 %</td><td class="same">43 %</td><td>14 %</td>' in text
    assert "<dd>52</dd>" in text and "<dd>56</dd>" in text  # WHO-5 medians
    assert "(10)</span></th>" in text  # meetings
    assert "<td>50 %</td><td>20 %</td><td>20 %</td>" in text
    assert "35 min" in text and "2.0 h" in text  # 120 minutes
    assert 'src="/report/chart/life_areas.png?' in text
    assert "Secretname" not in text


async def test_small_groups_are_hidden_on_the_page(panel, seeded) -> None:
    coach = await panel.signed_in("few")
    text = (await coach.get(f"/report?{EVERYTHING}")).text
    assert "fewer than 7: hidden" in text
    assert "Nine in ten answered within" not in text  # nothing about two young people
    assert "/report/chart/" not in text
    own = await panel.signed_in("own")
    trial_days = (await own.get(f"/report?{EVERYTHING}")).text.split("Trial day")[1]
    assert trial_days.split("</tr>")[0].count("fewer than 7: hidden") == 1  # three people


async def test_a_coach_sees_only_their_own_and_an_admin_everyone(panel, seeded) -> None:
    own = await panel.signed_in("own")
    boss = await panel.signed_in("boss")
    own_rows = rows_of((await own.get(f"/report.csv?{EVERYTHING}")).text)
    all_rows = rows_of((await boss.get(f"/report.csv?{EVERYTHING}")).text)

    def who5_people(rows):
        return next(
            r["value"] for r in rows if r["section"] == "WHO-5" and r["measure"] == "young people"
        )

    assert who5_people(own_rows) == "7"
    assert who5_people(all_rows) == "9"
    # A coach cannot ask for someone else's figures: the coach filter is for admins only.
    other = rows_of((await own.get(f"/report.csv?{EVERYTHING}&coach={seeded.few.id}")).text)
    assert who5_people(other) == "7"
    one_coach = rows_of((await boss.get(f"/report.csv?{EVERYTHING}&coach={seeded.few.id}")).text)
    assert who5_people(one_coach) == HIDDEN


async def test_the_csv_holds_aggregates_only_and_its_export_is_audited(panel, seeded) -> None:
    coach = await panel.signed_in("own")
    response = await coach.get(f"/report.csv?{EVERYTHING}&group=Project+A")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = rows_of(response.text)
    assert {
        "section": "appointments",
        "item": "trial_day",
        "measure": "attended",
        "value": HIDDEN,
    } in rows
    assert {
        "section": "coach response time",
        "item": "waiting young people",
        "measure": "median minutes",
        "value": "35",
    } in rows
    assert "Secretname" not in response.text
    assert response.text.splitlines()[0] == "section,item,measure,value"  # no id column
    [event] = panel.audit("report.export")
    assert event.coach_id == seeded.own.id and "group=Project+A" in (event.detail or "")
    assert event.youth_id is None


async def test_small_groups_are_hidden_in_the_csv(panel, seeded) -> None:
    coach = await panel.signed_in("few")
    rows = rows_of((await coach.get(f"/report.csv?{EVERYTHING}")).text)
    assert rows and {r["value"] for r in rows} <= {HIDDEN, "0"}


async def test_the_chart_is_a_png_and_a_hidden_one_is_not_drawn(panel, seeded) -> None:
    own = await panel.signed_in("own")
    chart = await own.get(f"/report/chart/life_areas.png?{EVERYTHING}")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    few = await panel.signed_in("few")
    assert (await few.get(f"/report/chart/life_areas.png?{EVERYTHING}")).status_code == 404


async def test_the_report_needs_a_signed_in_coach(panel, seeded) -> None:
    async with panel.client() as stranger:
        for url in ("/report", "/report.csv", "/report/chart/life_areas.png"):
            response = await stranger.get(url)
            assert (response.status_code, response.headers["location"]) == (303, "/login")
