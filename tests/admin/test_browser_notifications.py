"""A coach links their own Telegram from the panel, on a phone, in real headless Chromium
against `polku serve`. Without a token there is no Telegram: the coach's phone is a sandbox chat
page of its own, where they send the deep link's `/start coach_…`. Then a young person, on a
third chat page, writes crisis words, and the coach's chat gets the urgent notice without them.

The sandbox's only coach is its admin, with no young person of their own and nobody on call:
an alert reaches the coaches at work (ring 2) or, when nobody is, the admins at once (ring 3).
So the admin is reached whatever the day and hour."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.admin.test_browser import LIVE, PHONE, where_it_is_noon
from tests.serving import artifact, chromium, serving

CRISIS_WORDS = "i want to kill myself"
TAP_TARGET = 44  # px: the smallest comfortable tap target on a phone


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_coach_links_their_telegram_and_hears_of_an_urgent_alert(
    tmp_path: Path, database_url: str
):
    from playwright.sync_api import expect

    with (
        serving(
            tmp_path, database_url, POLKU_PANEL_LANGUAGE="en", POLKU_TIMEZONE=where_it_is_noon()
        ) as served,
        chromium() as browser,
    ):
        coach = browser.new_context(viewport=PHONE).new_page()
        coach.goto(served.web + "/")
        coach.fill("#login", served.admin_login)
        coach.fill("#password", served.admin_password)
        coach.get_by_role("button", name="Sign in").click()
        expect(coach.get_by_text("Waiting for an answer: 0")).to_be_visible()

        # The panel makes a one-time deep link, with its QR code.
        coach.locator("header").get_by_role("link", name="Notifications").click()
        expect(coach.get_by_role("heading", name="Notifications")).to_be_visible()
        expect(coach.get_by_text("Your Telegram is linked.")).to_have_count(0)
        coach.get_by_role("button", name="Link my Telegram").click()
        link = coach.locator(".link-box a")
        expect(link).to_be_visible()
        expect(coach.locator(".qr svg")).to_be_visible()
        expect(coach.get_by_text("The link works once, for 15 minutes.")).to_be_visible()
        href = link.get_attribute("href") or ""
        assert re.fullmatch(r"https://t\.me/polku_sandbox_bot\?start=coach_[\w-]+", href), href
        assert link.inner_text() == href
        payload = href.split("?start=", 1)[1]
        coach.screenshot(path=artifact("notifications-link-phone.png"), full_page=True)

        # The coach's own Telegram: the deep link's /start, typed in the chat page.
        phone = browser.new_context(viewport=PHONE).new_page()
        phone.goto(served.chat)
        phone.fill("#setup-name", "Maija")
        phone.select_option("#setup-language", "en")
        phone.click("#setup-form button[type=submit]")
        phone.fill("#text", f"/start {payload}")
        phone.click("#send")
        linked = "✅ Linked. Sandbox Admin, Polku's notices now come here."
        expect(phone.get_by_text(linked)).to_be_visible(timeout=LIVE)

        # Used once: the same link again is refused.
        phone.fill("#text", f"/start {payload}")
        phone.click("#send")
        expect(phone.get_by_text("This link is old or used.")).to_be_visible(timeout=LIVE)

        # The page came from a form post, so "reload" means opening it afresh.
        coach.goto(served.web + "/notifications")
        expect(coach.get_by_text("Your Telegram is linked.")).to_be_visible()
        expect(coach.get_by_text("Notices are switched off.")).to_have_count(0)
        mute = coach.get_by_role("button", name="Switch notices off")
        unlink = coach.get_by_role("link", name="Unlink Telegram…")
        expect(mute).to_be_visible()
        expect(unlink).to_be_visible()
        expect(coach.get_by_role("button", name="Link my Telegram")).to_have_count(0)
        heights = {}
        for name, button in (("Switch notices off", mute), ("Unlink Telegram", unlink)):
            box = button.bounding_box()
            assert box is not None, name
            heights[name] = round(box["height"], 1)
        assert all(height >= TAP_TARGET for height in heights.values()), heights
        coach.screenshot(path=artifact("notifications-linked-phone.png"), full_page=True)

        # A young person writes crisis words; the coach's phone gets a notice without them.
        young = browser.new_context(viewport=PHONE).new_page()
        young.goto(served.chat)
        young.fill("#setup-name", "Aino")
        young.click("#setup-form button[type=submit]")
        young.click("#start")
        young.get_by_role("button", name="English").click()
        young.get_by_role("button", name="Yes, keep them").click()
        expect(young.locator("#keyboard").get_by_role("button").first).to_be_visible(timeout=LIVE)
        young.fill("#text", CRISIS_WORDS)
        young.click("#send")
        expect(young.get_by_text("for telling me").first).to_be_visible(timeout=LIVE)

        notice = phone.locator(".msg.bot .bubble", has_text="🔴 Urgent:")
        expect(notice).to_have_count(1, timeout=LIVE)
        text = notice.inner_text()
        assert text.startswith("🔴 Urgent:"), text
        assert text == "🔴 Urgent: Aino needs a person now.", text
        assert "kill" not in text.lower()
        assert CRISIS_WORDS not in phone.locator("#messages").inner_text().lower()
        phone.screenshot(path=artifact("notifications-coach-telegram-phone.png"), full_page=True)

        # Switched off, the link stays and the page says so.
        mute.click()
        expect(coach.get_by_text("Notices are switched off.")).to_be_visible()
        expect(coach.get_by_role("button", name="Switch notices on")).to_be_visible()
        expect(coach.get_by_text("Your Telegram is linked.")).to_be_visible()
