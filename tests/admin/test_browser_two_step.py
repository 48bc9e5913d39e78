"""Two-step sign-in in real headless Chromium against `polku serve`, on a phone and on a
desktop: set it up with the key shown on the page (the app is pyotp), sign out, sign in with
the password and the code. Every tappable thing on the two pages is at least 44 px high."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest

from tests.admin.test_browser import PHONE
from tests.admin.test_browser_notifications import TAP_TARGET
from tests.serving import artifact, chromium, serving

DESKTOP = {"width": 1280, "height": 800}
TAPPABLE = "main button, main input:not([type=hidden]), main a.button, header button"


def tap_heights(page) -> dict[str, float]:
    """The height of every button, field and button-like link on the page."""
    heights = {}
    for element in page.locator(TAPPABLE).all():
        box = element.bounding_box()
        assert box is not None
        name = element.get_attribute("id") or element.inner_text() or element.get_attribute("name")
        heights[name or "?"] = round(box["height"], 1)
    return heights


def assert_tappable(page) -> None:
    heights = tap_heights(page)
    print(f"tap target heights (px), wanted {TAP_TARGET}: {heights}")
    assert heights and all(h >= TAP_TARGET for h in heights.values()), heights


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_coach_sets_up_two_step_sign_in_and_signs_in_with_a_code(
    tmp_path: Path, database_url: str
):
    from playwright.sync_api import expect

    with (
        serving(tmp_path, database_url, POLKU_PANEL_LANGUAGE="en") as served,
        chromium() as browser,
    ):
        for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = browser.new_context(viewport=viewport).new_page()
            page.goto(served.web + "/")
            page.fill("#login", served.admin_login)
            page.fill("#password", served.admin_password)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Waiting for an answer: 0")).to_be_visible()

            page.locator("header").get_by_role("link", name="Notifications").click()
            page.locator("main").get_by_role("link", name="Two-step sign-in").click()
            page.get_by_role("button", name="Set up two-step sign-in").click()
            expect(page.locator(".qr svg")).to_be_visible()
            app = pyotp.TOTP(page.locator("#secret").inner_text().replace(" ", ""))
            if label == "phone":
                assert_tappable(page)
            page.screenshot(path=artifact(f"two-step-setup-{label}.png"), full_page=True)
            page.fill("#code", app.now())
            page.get_by_role("button", name="Turn on").click()
            expect(page.get_by_text("Two-step sign-in is on.")).to_be_visible()
            expect(page.locator("#recovery-codes code")).to_have_count(10)
            page.screenshot(path=artifact(f"two-step-codes-{label}.png"), full_page=True)

            page.get_by_role("button", name="Sign out").click()
            page.fill("#login", served.admin_login)
            page.fill("#password", served.admin_password)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Code from your app")).to_be_visible()
            if label == "phone":
                assert_tappable(page)
            page.screenshot(path=artifact(f"two-step-code-{label}.png"), full_page=True)
            # The set-up used this step's code and a code works once: the app's next one
            # (one step of drift is allowed).
            page.fill("#code", app.at(datetime.now(UTC), counter_offset=1))
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Waiting for an answer: 0")).to_be_visible()

            # Off again (with the password), so the desktop round sets it up afresh.
            page.goto(served.web + "/two-step")
            page.fill("#proof-off", served.admin_password)
            page.get_by_role("button", name="Turn two-step sign-in off").click()
            expect(page.get_by_role("button", name="Set up two-step sign-in")).to_be_visible()
            page.context.close()
