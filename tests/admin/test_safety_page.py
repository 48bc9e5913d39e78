"""The crisis resources page: admins see what the bot offers and when it was last checked."""

from __future__ import annotations

from datetime import timedelta

from core.crisis_resources import load_resources
from core.models import Role


async def test_admins_see_the_resources_and_when_they_were_checked(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    admin = await panel.signed_in("root")
    page = (await admin.get("/safety")).text
    checked = load_resources()["fi"].checked
    assert f"Last checked {checked.strftime('%d.%m.%Y')}" in page
    assert "09 2525 0111" in page and "https://sekasin.fi/" in page
    assert "Over six months ago" not in page


async def test_an_old_check_date_asks_for_a_new_check(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    panel.clock.now = panel.clock.now + timedelta(days=400)
    page = (await (await panel.signed_in("root")).get("/safety")).text
    assert "Over six months ago: please check the numbers and hours." in page


async def test_a_coach_cannot_open_the_resources_page(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    assert (await coach.get("/safety")).status_code == 404
