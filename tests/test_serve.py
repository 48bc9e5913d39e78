"""`polku serve` as a person runs it: one process, health check, the sandbox chat page, SIGTERM."""

from __future__ import annotations

import signal

import httpx
import pytest

from tests.serving import Served, artifact, chromium, wait_for_bot


def test_serve_answers_health_runs_the_bot_and_stops_cleanly(served: Served):
    with httpx.Client(timeout=5) as client:
        health = client.get(f"{served.web}/healthz")
        assert health.status_code == 200
        assert health.json()["database"] == "ok"

        base = served.chat.removesuffix("/chat")
        user_id = client.post(
            f"{base}/sandbox/users", json={"first_name": "Aino", "language_code": "fi"}
        ).json()["user_id"]
        client.post(f"{base}/sandbox/send", json={"user_id": user_id, "text": "/start"})
        wait_for_bot(client, base, user_id, "Valitse kieli")

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=20) == 0
    logs = served.process.stderr.read()
    assert "polku stopped" in logs
    assert "/start" not in logs  # message text never reaches the logs


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_person_completes_onboarding_on_the_chat_page(served: Served):
    """Real headless Chromium on the sandbox page: name, language, consent, menu."""
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(served.chat)
        page.fill("#setup-name", "Aino")
        page.click("#setup-form button[type=submit]")
        page.click("#start")
        page.get_by_role("button", name="English").click()
        page.get_by_role("button", name="Yes, keep them").click()
        keyboard = page.locator("#keyboard")
        expect(keyboard.get_by_role("button", name="❓ Help")).to_be_visible()
        keyboard.get_by_role("button", name="❓ Help").click()
        expect(page.get_by_text("I'm a bot, not a person.")).to_be_visible()
        page.screenshot(path=artifact("chat.png"))
