"""The panel in real headless Chromium against `polku serve`: a young person on the sandbox
chat page and a coach in the panel, each in a browser of their own, on phone-sized screens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.serving import artifact, chromium, serving

PHONE = {"width": 390, "height": 844}
LIVE = 10_000  # ms: the panel polls every 3 s and the outbox sends every 2 s


def where_it_is_noon() -> str:
    """A time zone where it is now about midday, so that quiet hours (21–08) never hold the
    booking message back, whenever the test runs. Etc/GMT-3 is UTC+3 (POSIX signs)."""
    offset = 12 - datetime.now(UTC).hour
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_coach_answers_books_a_trial_day_and_hands_back(tmp_path: Path, database_url: str):
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
        young.locator("#keyboard").get_by_role("button", name="💬 Talk to my coach").click()
        expect(young.get_by_text("A coach reads your messages and usually answers")).to_be_visible()

        coach = browser.new_context(viewport=PHONE).new_page()
        coach.goto(served.web + "/")
        expect(coach.get_by_role("heading", name="Sign in to Polku")).to_be_visible()
        coach.fill("#login", served.admin_login)
        coach.fill("#password", "not the password")
        coach.get_by_role("button", name="Sign in").click()
        expect(coach.get_by_text("Wrong login or password.")).to_be_visible()
        coach.fill("#login", served.admin_login)
        coach.fill("#password", served.admin_password)
        coach.get_by_role("button", name="Sign in").click()
        expect(coach.get_by_text("Waiting for an answer: 0")).to_be_visible()

        # The young person writes; the open inbox shows it without a reload.
        young.fill("#text", "Is anyone there? I need help with my CV")
        young.click("#send")
        row = coach.locator("#inbox li.waiting", has_text="Aino")
        expect(row).to_contain_text("I need help with my CV", timeout=LIVE)
        expect(coach.get_by_text("Waiting for an answer: 1")).to_be_visible()
        coach.screenshot(path=artifact("inbox-phone.png"), full_page=True)

        row.get_by_role("link").click()
        young.fill("#text", "I have a draft already")
        young.click("#send")
        expect(coach.locator("#messages")).to_contain_text("I have a draft already", timeout=LIVE)

        coach.fill("#reply", "Hi Aino! Send me the draft and we'll look at it together.")
        coach.get_by_role("button", name="Send").click()
        expect(young.get_by_text("Sandbox Admin: Hi Aino! Send me the draft")).to_be_visible(
            timeout=LIVE
        )
        expect(coach.locator("#messages .msg.coach .status-sent")).to_be_visible(timeout=LIVE)
        coach.screenshot(path=artifact("conversation-phone.png"), full_page=True)

        # A trial day booked from the young person's page reaches them in Telegram.
        coach.get_by_role("link", name="Young person's page").click()
        coach.select_option("#kind", "trial_day")
        coach.fill("#title", "Kokki-linja, Stadin AO")
        coach.fill("#day", (datetime.now(UTC) + timedelta(days=7)).date().isoformat())
        coach.fill("#clock", "10:00")
        coach.fill("#ends", "14:00")
        coach.fill("#place", "Hattulantie 2")
        coach.get_by_role("button", name="Book").click()
        expect(coach.locator("main")).to_contain_text("Kokki-linja, Stadin AO")
        expect(young.get_by_text("Kokki-linja, Stadin AO").first).to_be_visible(timeout=LIVE)

        # Hand back: the young person hears it and has the bot again.
        coach.get_by_role("link", name="Open the chat").click()
        coach.get_by_text("Hand back to the bot").click()  # asks first
        coach.get_by_role("button", name="Yes, hand back").click()
        expect(young.get_by_text("Sandbox Admin ended the chat.")).to_be_visible(timeout=LIVE)
        expect(coach.get_by_text("The bot is answering.")).to_be_visible()

        coach.get_by_role("button", name="Sign out").click()
        expect(coach.get_by_role("heading", name="Sign in to Polku")).to_be_visible()
        coach.goto(served.web + "/youth/1/chat")
        expect(coach.get_by_role("heading", name="Sign in to Polku")).to_be_visible()
