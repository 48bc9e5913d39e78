"""The young person's page in real headless Chromium against `polku serve`, on a phone and on a
desktop: finished self-assessments read area by area with the radar drawn, and a coach books,
moves and cancels, seeing what was done — and the young person hears of each change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from admin.assessment_view import known_dialogues
from core.db import make_engine, transaction
from core.dialogs.engine import Ask, Control, Pick, Toggle
from core.models import Youth
from core.services.assessments import do_answer, do_start_assessment
from tests.admin.test_browser import LIVE, PHONE, where_it_is_noon
from tests.serving import artifact, chromium, serving

DESKTOP = {"width": 1280, "height": 800}
TAP_TARGET = 44  # px
LIFE_FIRST = {"housing": 3, "money": None, "sleep": 6}
LIFE_LATEST = {"housing": 7, "money": 4, "sleep": None}
PROFILE = {
    "situation": "workshop",
    "age": "from_18",
    "schooling": "comprehensive",
    "interests": ["kitchen", "it"],
    "languages": ["finnish", "arabic"],
    "help_wanted": ["work"],
}
# Everything a coach taps or types in, except the ticks (their label is the target).
TAPPABLE = (
    "main a:visible, main button:visible, main summary:visible, main select:visible, "
    "main input:not([type=hidden]):not([type=checkbox]):visible, main label.check:visible"
)


def seed_runs(database_url: str, first_name: str) -> int:
    """Finished runs of three dialogues, answered through the engine as the bot does (None:
    skipped; unnamed areas: 5), dated two months and five days ago. Returns the youth id."""
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    runs = [
        ("life_areas", LIFE_FIRST, now - timedelta(days=60)),
        (
            "who5",
            {"cheerful": 1, "calm": 1, "active": 1, "rested": 1, "interests": 2},
            now - timedelta(days=60),
        ),
        ("initial_mapping", PROFILE, now - timedelta(days=60)),
        ("life_areas", LIFE_LATEST, now - timedelta(days=5)),
        ("who5", {}, now - timedelta(days=5)),
    ]
    try:
        with transaction(engine) as session:
            youth = session.exec(select(Youth).where(Youth.first_name == first_name)).one()
            for dialogue_id, answers, when in runs:
                dialogue = known_dialogues()[dialogue_id]
                assessment, screen = do_start_assessment(session, youth=youth, dialogue=dialogue)
                while isinstance(screen, Ask):
                    value = answers.get(screen.question.id, 5)
                    if value is None:
                        steps = [Control("skip")]
                    elif isinstance(value, list):
                        steps = [*(Toggle(v) for v in value), Control("done")]
                    else:
                        steps = [Pick(value)]
                    for answer in steps:
                        screen = do_answer(
                            session, assessment=assessment, dialogue=dialogue, answer=answer
                        )
                assessment.finished_at = when
                session.add(assessment)
            return int(youth.id or 0)
    finally:
        engine.dispose()


def check_layout(page, name: str) -> None:
    """No sideways scrolling of the page, and every tap target at least 44 px high."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow} px"
    low = []
    for element in page.locator(TAPPABLE).all():
        box = element.bounding_box()
        if box is not None and box["height"] < TAP_TARGET:
            low.append((element.evaluate("e => e.outerHTML.slice(0, 80)"), round(box["height"])))
    assert low == [], f"{name}: tap targets under {TAP_TARGET} px: {low}"


def radar_is_drawn(page) -> None:
    radar = page.locator("img[src$='/radar/life_areas.png']")
    radar.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=radar.element_handle(), timeout=LIVE
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_coach_reads_the_whole_picture_and_moves_and_cancels(tmp_path: Path, database_url: str):
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
        youth_id = seed_runs(database_url, "Aino")

        coach = browser.new_context(viewport=PHONE).new_page()
        coach.goto(served.web + "/")
        coach.fill("#login", served.admin_login)
        coach.fill("#password", served.admin_password)
        coach.get_by_role("button", name="Sign in").click()
        expect(coach.get_by_text("Waiting for an answer:")).to_be_visible()
        coach.goto(f"{served.web}/youth/{youth_id}")

        # Life areas: each area's first and latest value, the change, and the radar.
        areas = coach.locator("#assessment-life_areas table")
        housing = areas.locator("tr", has=coach.get_by_role("rowheader", name="Housing"))
        expect(housing).to_contain_text("3")
        expect(housing).to_contain_text("↑ 4")
        expect(
            areas.locator("tr", has=coach.get_by_role("rowheader", name="Money"))
        ).to_contain_text("4")
        radar_is_drawn(coach)
        who5 = coach.locator("#assessment-who5")
        expect(who5).to_contain_text("very low (28 or less)")
        expect(who5).to_contain_text("good (over 50)")
        about = coach.locator("#assessment-initial_mapping")
        expect(about).to_contain_text("At a youth workshop")  # the en catalog's wording
        expect(about).to_contain_text("Kitchen, restaurant, IT, computers")
        check_layout(coach, "phone, self-assessments")
        wrap = coach.locator("#assessment-life_areas .table-wrap")
        assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), "the areas table scrolls"
        coach.screenshot(path=artifact("youth-page-phone.png"), full_page=True)

        # Book, then move: the page says what was done, the young person hears of it.
        day = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
        coach.select_option("#kind", "meeting")
        coach.fill("#title", "Talk about the CV")
        coach.fill("#day", day)
        coach.fill("#clock", "10:00")
        coach.fill("#ends", "11:30")
        coach.get_by_role("button", name="Book").click()
        notice = coach.locator(".notice[role=status]")
        expect(notice).to_contain_text("Booked:")
        expect(notice).to_contain_text("10:00–11:30 · Talk about the CV")
        expect(notice).to_contain_text("The young person gets a message about it in Telegram.")
        expect(young.get_by_text("Talk about the CV").first).to_be_visible(timeout=LIVE)

        booking = coach.locator("li[id^=appointment-]", has_text="Talk about the CV")
        booking.locator("summary", has_text="Move").click()
        booking.locator("input[name=clock]").fill("12:00")
        booking.locator("input[name=ends]").fill("13:00")
        check_layout(coach, "phone, move form open")
        coach.screenshot(path=artifact("youth-page-move-phone.png"), full_page=True)
        booking.get_by_role("button", name="Move to this time").click()
        expect(notice).to_contain_text("Moved:")
        expect(notice).to_contain_text("12:00–13:00 · Talk about the CV")
        expect(young.get_by_text("🔁 New time:").first).to_be_visible(timeout=LIVE)

        # Cancel: a tick first (the button alone changes nothing), then the notice.
        booking = coach.locator("li[id^=appointment-]", has_text="Talk about the CV")
        booking.locator("summary", has_text="Cancel…").click()
        booking.get_by_role("button", name="Cancel the appointment").click()
        expect(coach.locator(".notice[role=status]", has_text="Cancelled:")).to_have_count(0)
        booking.get_by_text("Yes, cancel it.").click()
        coach.screenshot(path=artifact("youth-page-cancel-confirm-phone.png"), full_page=True)
        booking.get_by_role("button", name="Cancel the appointment").click()
        expect(notice).to_contain_text("Cancelled:")
        expect(coach.get_by_text("Nothing booked.")).to_be_visible()
        expect(young.get_by_text("❌ Cancelled:").first).to_be_visible(timeout=LIVE)
        coach.screenshot(path=artifact("youth-page-cancelled-phone.png"), full_page=True)

        # The same page on a desktop.
        wide = browser.new_context(viewport=DESKTOP).new_page()
        wide.goto(served.web + "/")
        wide.fill("#login", served.admin_login)
        wide.fill("#password", served.admin_password)
        wide.get_by_role("button", name="Sign in").click()
        expect(wide.get_by_text("Waiting for an answer:")).to_be_visible()
        wide.goto(f"{served.web}/youth/{youth_id}")
        expect(wide.locator("#assessment-life_areas")).to_contain_text("↑ 4")
        radar_is_drawn(wide)
        check_layout(wide, "desktop")
        wide.screenshot(path=artifact("youth-page-desktop.png"), full_page=True)
