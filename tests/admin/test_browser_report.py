"""The impact report in real headless Chromium against `polku serve`, on a demo dataset made
by the report bench's generator (runs, path statuses, appointments, messages): on a phone and
a desktop, every chart loaded, every tap target at least 44 px, no sideways scroll."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import generate
from tests.admin.test_browser import PHONE
from tests.admin.test_browser_tap_targets import MEASURE, TAP
from tests.serving import artifact, chromium, serving

DESKTOP = {"width": 1280, "height": 800}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_report_on_a_phone_and_a_desktop(tmp_path: Path, database_url: str):
    from playwright.sync_api import expect

    with (
        serving(tmp_path, database_url, POLKU_PANEL_LANGUAGE="en") as served,
        chromium() as browser,
    ):
        generate(database_url, 300, "demo", admin=False)
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = browser.new_context(viewport=viewport).new_page()
            page.goto(served.web + "/login")
            page.fill("#login", served.admin_login)
            page.fill("#password", served.admin_password)
            page.click("button[type=submit]")
            page.wait_for_url(served.web + "/")
            page.get_by_role("link", name="Report").click()
            expect(page.get_by_role("heading", name="Impact report")).to_be_visible()
            expect(page.get_by_role("heading", name="Wellbeing (WHO-5)")).to_be_visible()
            charts = page.locator("img.report-chart")
            expect(charts).to_have_count(3)  # life areas, study skills, work readiness
            page.wait_for_function(
                "() => [...document.querySelectorAll('img.report-chart')]"
                ".every(img => img.complete && img.naturalWidth > 0)"
            )
            text = page.locator("main").inner_text()
            assert "Nuori" not in text  # no names anywhere
            found = page.evaluate(MEASURE, TAP)
            page.screenshot(path=artifact(f"report-{name}.png"), full_page=True)
            assert found["small"] == [], found["small"]
            assert found["width"] <= viewport["width"]
            # A group filter with fewer than 7 young people hides its figures.
            page.select_option("#coach", label="Valmentaja 1")
            page.click("form.report-filters button[type=submit]")
            expect(page.locator("main")).to_contain_text("fewer than 7: hidden")
