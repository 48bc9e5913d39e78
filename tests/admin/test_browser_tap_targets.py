"""Every panel page on a 390×844 phone, in real headless Chromium against `polku serve`, with
realistic data: every link, button, field and summary is at least 44 px high (a checkbox or
radio may be smaller when the label around it is 44 px), and no page scrolls sideways.

The pages are found from the web app's own GET routes, so a new page fails here until it is
added to PAGES (or, when it is a fragment, a file or an image, to NOT_PAGES)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import update
from sqlmodel import select

from admin.app import PANEL_ROUTERS
from core.db import make_engine, transaction
from core.models import (
    AlertKind,
    Assessment,
    AssessmentStatus,
    Coach,
    Consent,
    Delivery,
    Direction,
    InboundUpdate,
    PortfolioEntry,
    UpdateStatus,
    Youth,
)
from core.services.alerts import do_raise_alert
from core.services.appointments import do_book
from core.services.coaches import do_add_coach, do_deactivate_coach
from core.services.inbox import Incoming, do_store
from core.services.messages import do_record_message
from core.services.notes import do_add_note
from core.services.saved_replies import do_add_saved_reply
from core.services.talk import do_coach_reply, do_open_talk
from tests.admin.test_browser import PHONE
from tests.serving import artifact, chromium, serving

TAP = 44  # px: the smallest comfortable tap target on a phone
PASSWORD = "a long seeded password"
# Route → the addresses to open (the ids are the seeded rows'); pages this branch does not own
# are visited too.
PAGES: dict[str, list[str]] = {
    "/login": ["/login", "/login?ended=1"],
    "/": ["/", "/?show=queue"],
    "/youth": ["/youth"],
    "/youth/{youth_id}": ["/youth/{aino}", "/youth/{onni}"],
    "/youth/{youth_id}/chat": ["/youth/{aino}/chat", "/youth/{eetu}/chat"],
    "/invite": ["/invite"],
    "/notifications": ["/notifications"],
    "/notifications/telegram/unlink": ["/notifications/telegram/unlink"],
    "/coaches": ["/coaches"],
    "/coaches/{coach_id}/deactivate": ["/coaches/{maija_id}/deactivate"],
    "/audit": ["/audit", "/audit?youth={aino}"],
    "/safety": ["/safety"],
    "/updates": ["/updates"],
    "/replies": ["/replies"],
    "/report": ["/report"],
    "/two-step": ["/two-step"],
    "/login/code": ["/login/code"],
}
# Fragments that htmx swaps into a page above (checked there), files and an image.
NOT_PAGES = {
    "/inbox/rows",
    "/youth/{youth_id}/chat/messages",
    "/media/{message_id}",
    "/report.csv",
}
NOT_PAGE_ENDINGS = (".png",)

MEASURE = """
(tap) => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
  };
  const small = [];
  const targets = 'a, button, input:not([type=hidden]), select, textarea, summary, label';
  for (const el of document.querySelectorAll(targets)) {
    if (!visible(el)) continue;
    const tag = el.tagName.toLowerCase();
    const kind = (el.type || '').toLowerCase();
    let height = el.getBoundingClientRect().height;
    if (tag === 'label') {  // only a checkbox's or radio's label is itself a tap target
      const control = el.control;
      if (!control || !['checkbox', 'radio'].includes(control.type)) continue;
    }
    if (tag === 'input' && ['checkbox', 'radio'].includes(kind)) {
      const label = el.closest('label') || (el.labels && el.labels[0]);
      height = label ? Math.max(height, label.getBoundingClientRect().height) : height;
    }
    if (height + 0.5 < tap) {
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '');
      small.push({
        what: tag + (kind && tag === 'input' ? '[' + kind + ']' : '')
              + (el.id ? '#' + el.id : '')
              + (el.className ? '.' + el.className.split(' ').join('.') : ''),
        text: text.trim().replace(/\\s+/g, ' ').slice(0, 50),
        height: Math.round(height * 10) / 10,
      });
    }
  }
  return {small, width: document.documentElement.scrollWidth};
}
"""


def page_routes() -> set[str]:
    """The panel's GET routes that answer with a page (every router the web app includes)."""
    return {
        route.path
        for router in PANEL_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        and "GET" in route.methods
        and route.path not in NOT_PAGES
        and not route.path.endswith(NOT_PAGE_ENDINGS)
    }


def seed(database_url: str, admin_login: str, now: datetime) -> dict[str, int]:
    """A working week's worth of data: coaches (one deactivated with a young person left),
    young people in a talk, waiting, in the queue, alerted; messages both ways, appointments,
    a portfolio entry, finished self-assessments and a failed update."""
    tz = ZoneInfo("Europe/Helsinki")
    engine = make_engine(database_url)
    with transaction(engine) as session:
        admin = session.exec(select(Coach).where(Coach.login == admin_login)).one()
        admin.telegram_chat_id = 777  # linked, so the Notifications page shows its buttons
        session.add(admin)
        maija = do_add_coach(
            session, login="maija", display_name="Maija Virtanen", password=PASSWORD
        )
        pekka = do_add_coach(
            session, login="pekka", display_name="Pekka Lahtinen", password=PASSWORD
        )
        people = {}
        for n, (name, coach) in enumerate(
            (("Aino", admin), ("Eetu", admin), ("Onni", pekka), ("Venla", None), ("Ella", maija))
        ):
            youth = Youth(
                telegram_user_id=5000 + n,
                chat_id=5000 + n,
                first_name=name,
                language="fi",
                consent=Consent.GIVEN,
                consent_at=now,
                coach_id=coach.id if coach else None,
            )
            session.add(youth)
            session.flush()
            people[name] = youth
        aino, eetu = people["Aino"], people["Eetu"]
        do_open_talk(session, youth=aino, now=now - timedelta(minutes=40))
        for direction, text in (
            (Direction.YOUTH, "Moi, tarvitsen apua CV:n kanssa. Voitko katsoa sen?"),
            (Direction.BOT, "Valmentaja vastaa pian."),
            (Direction.YOUTH, "Minulla on jo luonnos, lähetän sen tänään illalla."),
        ):
            do_record_message(
                session,
                youth=aino,
                direction=direction,
                text=text,
                delivery_status=Delivery.RECEIVED,
            )
        do_coach_reply(session, coach=admin, youth=aino, text="Hei Aino! Lähetä se vain.", now=now)
        do_add_note(session, coach=admin, youth=aino, text="Jännittää puhelua.", now=now)
        do_add_saved_reply(
            session, coach=admin, title="Tervehdys", text="Hei {name}!", shared=True, now=now
        )
        do_record_message(
            session,
            youth=eetu,
            direction=Direction.YOUTH,
            text="ei jaksa mitään",
            delivery_status=Delivery.RECEIVED,
        )
        do_raise_alert(
            session,
            youth=eetu,
            kind=AlertKind.CRISIS_WORDS,
            text="ei jaksa mitään",
            detail="seeded",
            now=now,
            tz=tz,
        )
        for days, kind, title in (
            (3, "meeting", "Tapaaminen"),
            (-5, "trial_day", "Kokki-linja, Stadin AO"),
        ):
            do_book(
                session,
                youth=aino,
                coach=admin,
                kind=kind,
                title=title,
                starts_at=now + timedelta(days=days),
                place="Hattulantie 2",
                tz=tz,
                now=now + timedelta(days=min(days, 0) - 1),
            )
        session.add(
            PortfolioEntry(
                youth_id=aino.id,
                happened_at=now - timedelta(days=5),
                place="Hattulantie 2",
                field="Ravintola-ala",
                rating=4,
                activities=["tried", "talked"],
                words="Oli kivaa tehdä ruokaa.",
                wants_to_continue="yes",
                saved=True,
            )
        )
        for weeks, score in ((8, 44), (4, 52), (1, 64)):
            session.add(
                Assessment(
                    youth_id=aino.id,
                    dialogue_id="who5",
                    dialogue_version=1,
                    status=AssessmentStatus.FINISHED,
                    score=score,
                    started_at=now - timedelta(weeks=weeks, minutes=5),
                    finished_at=now - timedelta(weeks=weeks),
                )
            )
        do_deactivate_coach(session, by=admin, coach=pekka)
        do_store(
            session,
            updates=[Incoming(update_id=990001, chat_key=5001, payload={"update_id": 990001})],
            now=now,
        )
        session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.update_id == 990001)
            .values(status=UpdateStatus.FAILED, attempts=5, last_error="RuntimeError: seeded")
        )
        ids = {"aino": aino.id, "eetu": eetu.id, "onni": people["Onni"].id, "maija_id": maija.id}
    engine.dispose()
    return {k: int(v or 0) for k, v in ids.items()}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_page_has_44px_tap_targets_and_no_sideways_scroll(tmp_path: Path, database_url: str):
    routes = page_routes()
    assert routes == set(PAGES), f"pages not covered here: {sorted(routes - set(PAGES))}"
    with (
        serving(tmp_path, database_url, POLKU_PANEL_LANGUAGE="fi") as served,
        chromium() as browser,
    ):
        ids = seed(database_url, served.admin_login, datetime.now(UTC))
        page = browser.new_context(viewport=PHONE).new_page()
        problems: list[str] = []

        def check(address: str) -> None:
            response = page.goto(served.web + address)
            if response is None or response.status != 200:
                problems.append(f"{address}: answered {response and response.status}")
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            found = page.evaluate(MEASURE, TAP)
            name = address.strip("/").replace("/", "-").replace("?", "-").replace("=", "-")
            page.screenshot(path=artifact(f"phone-{name or 'inbox'}.png"), full_page=True)
            problems.extend(
                f"{address}: {s['what']} “{s['text']}” {s['height']} px high"
                for s in found["small"]
            )
            if found["width"] > PHONE["width"]:
                problems.append(f"{address}: the page is {found['width']} px wide")

        check("/login")
        page.fill("#login", served.admin_login)
        page.fill("#password", served.admin_password)
        page.click("button[type=submit]")
        page.wait_for_url(served.web + "/")
        visited = 1
        for addresses in PAGES.values():
            for address in addresses:
                if address != "/login":
                    check(address.format(**ids))
                    visited += 1
        page.goto(served.web + "/invite")
        page.click("main form button[type=submit]")  # the page with a fresh link and QR code
        page.wait_for_selector(".qr svg, .link-box")
        problems.extend(
            f"/invite (made): {s['what']} “{s['text']}” {s['height']} px high"
            for s in page.evaluate(MEASURE, TAP)["small"]
        )
        print(f"\n{visited + 1} pages checked at 390×844")
        print("\n".join(problems) or "every tap target 44 px or more, no sideways scroll")
        assert problems == []
