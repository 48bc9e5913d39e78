"""The Path section in real headless Chromium on a phone: a coach records a move into studies,
sees it with its check-ins, and pauses them; every tap target stays 44 px high."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from core.db import make_engine, transaction
from core.models import Youth
from tests.admin.test_browser import LIVE, PHONE, where_it_is_noon
from tests.admin.test_browser_youth_page import check_layout
from tests.serving import artifact, chromium, serving


def youth_id_of(database_url: str, first_name: str) -> int:
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            youth = session.exec(select(Youth).where(Youth.first_name == first_name)).one()
            return int(youth.id or 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_coach_records_a_move_into_studies_and_pauses_the_check_ins(
    tmp_path: Path, database_url: str
):
    from playwright.sync_api import expect

    with (
        serving(
            tmp_path, database_url, POLKU_PANEL_LANGUAGE="en", POLKU_TIMEZONE=where_it_is_noon()
        ) as served,
        chromium() as browser,
    ):
        young = browser.new_context(viewport=PHONE).new_page()
        young.goto(served.chat)
        young.fill("#setup-name", "Aino")
        young.click("#setup-form button[type=submit]")
        young.click("#start")
        young.get_by_role("button", name="English").click()
        young.get_by_role("button", name="Yes, keep them").click()
        expect(young.locator("#keyboard").get_by_role("button").first).to_be_visible(timeout=LIVE)
        youth_id = youth_id_of(database_url, "Aino")

        coach = browser.new_context(viewport=PHONE).new_page()
        coach.goto(served.web + "/")
        coach.fill("#login", served.admin_login)
        coach.fill("#password", served.admin_password)
        coach.get_by_role("button", name="Sign in").click()
        expect(coach.get_by_text("Waiting for an answer:")).to_be_visible()
        coach.goto(f"{served.web}/youth/{youth_id}")
        expect(coach.get_by_text("No path status recorded yet.")).to_be_visible()

        coach.select_option("#situation", "vocational")
        coach.select_option("#path-field", "restaurant")
        coach.fill("#path-place", "Stadin AO")
        coach.fill("#path-since", datetime.now(UTC).date().isoformat())
        coach.get_by_role("button", name="Save the status").click()
        expect(coach.get_by_text("Now:")).to_contain_text("Vocational studies")
        checkins = coach.locator("li.checkin")
        expect(checkins).to_have_count(6)
        check_layout(coach, "phone, path")
        coach.locator("#path").scroll_into_view_if_needed()
        coach.screenshot(path=artifact("youth-path-phone.png"), full_page=True)

        coach.get_by_role("button", name="Pause").click()
        expect(checkins.first).to_contain_text("paused")
        expect(coach.get_by_role("button", name="Resume")).to_be_visible()
        check_layout(coach, "phone, check-ins paused")
