"""The conversation in real headless Chromium, as a coach uses it on a phone (390×844) and on
a desktop (1280×800): it opens at the newest message with the reply box in reach, a saved
reply goes into the answer, a note is kept, and on a desktop the inbox stands beside it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from core.db import make_engine, transaction
from core.models import Coach, Delivery, Direction, Youth, utcnow
from core.services.messages import do_record_message
from core.services.talk import do_open_talk
from tests.admin.test_browser import where_it_is_noon
from tests.serving import artifact, chromium, serving

SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def _seed(database_url: str) -> tuple[int, int]:  # Aino's and Eetu's ids
    """Aino with a long chat and Eetu, both the admin's, and Venla in the shared queue."""
    engine = make_engine(database_url)
    start = utcnow() - timedelta(hours=2)
    with transaction(engine) as session:
        admin = session.exec(select(Coach)).one()
        aino, eetu = (
            Youth(
                telegram_user_id=n, chat_id=n, first_name=name, coach_id=admin.id, consent="given"
            )
            for n, name in ((501, "Aino"), (502, "Eetu"))
        )
        venla = Youth(telegram_user_id=503, chat_id=503, first_name="Venla", consent="given")
        session.add_all([aino, eetu, venla])
        session.flush()
        for n in range(40):
            for direction, text in (
                (Direction.YOUTH, f"viesti {n}"),
                (Direction.BOT, f"botti {n}"),
            ):
                message = do_record_message(
                    session,
                    youth=aino,
                    direction=direction,
                    text=text,
                    delivery_status=Delivery.SENT,
                )
                message.created_at = start + timedelta(minutes=2 * n)
        do_record_message(
            session,
            youth=aino,
            direction=Direction.YOUTH,
            text="Uusin viesti: onko huomenna tapaaminen?",
            delivery_status=Delivery.RECEIVED,
        )
        do_record_message(
            session,
            youth=eetu,
            direction=Direction.YOUTH,
            text="moi",
            delivery_status=Delivery.RECEIVED,
        )
        do_record_message(
            session,
            youth=venla,
            direction=Direction.YOUTH,
            text="onko tää oikea paikka?",
            delivery_status=Delivery.RECEIVED,
        )
        do_open_talk(session, youth=venla, now=utcnow())  # in the shared queue
        do_open_talk(session, youth=aino, now=utcnow())
        do_open_talk(session, youth=eetu, now=utcnow())
        return aino.id or 0, eetu.id or 0


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_conversation_opens_at_the_newest_and_keeps_replies_and_notes(
    tmp_path: Path, database_url: str, screen: str
):
    from playwright.sync_api import expect

    with (
        serving(
            tmp_path, database_url, POLKU_PANEL_LANGUAGE="en", POLKU_TIMEZONE=where_it_is_noon()
        ) as served,
        chromium() as browser,
    ):
        aino, eetu = _seed(database_url)
        coach = browser.new_context(viewport=SCREENS[screen]).new_page()
        coach.goto(served.web + "/login")
        coach.fill("#login", served.admin_login)
        coach.fill("#password", served.admin_password)
        coach.get_by_role("button", name="Sign in").click()

        # The inbox's filters: Mine has the admin's own young people, Queue the unassigned.
        inbox = coach.locator("#inbox")
        expect(inbox.locator("li", has_text="Venla")).to_be_visible()
        coach.get_by_role("link", name="Mine", exact=True).click()
        expect(inbox.locator("li", has_text="Aino")).to_be_visible()
        expect(inbox.locator("li", has_text="Venla")).to_have_count(0)
        coach.get_by_role("link", name="Queue", exact=True).click()
        expect(inbox.locator("li", has_text="Venla")).to_contain_text("onko tää oikea paikka?")
        expect(inbox.locator("li", has_text="Aino")).to_have_count(0)
        coach.screenshot(path=artifact(f"inbox-queue-{screen}.png"))

        # A saved reply, shared, with the young person's name filled in.
        coach.goto(served.web + "/replies")
        coach.fill("#title", "Greeting")
        coach.fill("#text", "Hi {name}! Good to hear from you.")
        coach.get_by_text("Share with every coach").click()
        coach.get_by_role("button", name="Save").click()
        expect(coach.get_by_text("Saved. It is in the list")).to_be_visible()

        coach.goto(served.web + f"/youth/{aino}/chat")
        chat = coach.locator("#messages")
        newest = chat.get_by_text("Uusin viesti: onko huomenna tapaaminen?")
        expect(newest).to_be_in_viewport()
        expect(coach.locator("#reply")).to_be_in_viewport()
        expect(chat.get_by_text("viesti 0", exact=True)).not_to_be_in_viewport()
        expect(chat.get_by_text("botti 39")).to_be_hidden()  # the bot's text is folded
        coach.screenshot(path=artifact(f"conversation-{screen}.png"))

        coach.select_option("#saved", label="Greeting · shared")
        coach.get_by_role("button", name="Insert").click()
        expect(coach.locator("#reply")).to_have_value("Hi Aino! Good to hear from you.")
        coach.locator("#reply").press("End")
        coach.locator("#reply").type(" See you tomorrow.")
        coach.get_by_role("button", name="Send").click()
        mine = coach.locator("#messages .msg.coach").last
        expect(mine).to_contain_text("Hi Aino! Good to hear from you. See you tomorrow.")
        expect(mine).to_be_in_viewport()
        expect(coach.locator("#reply")).to_have_value("")

        coach.get_by_role("link", name="Notes").click()
        coach.fill("#note", "Prefers messages to phone calls.")
        coach.get_by_role("button", name="Save the note").click()
        expect(coach.locator("#notes")).to_contain_text("Prefers messages to phone calls.")

        side = coach.locator("#side")
        if screen == "desktop":  # the inbox beside the chat, with this young person marked
            expect(side.locator(f'li[data-youth="{eetu}"]')).to_be_visible()
            expect(side.locator(f'li.current[data-youth="{aino}"]')).to_be_visible()
            side.locator(f'li[data-youth="{eetu}"] a').click()
            expect(coach.get_by_role("heading", name="Eetu")).to_be_visible()
        else:
            expect(side).to_be_hidden()
