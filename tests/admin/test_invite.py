"""Invites in the panel: a one-time t.me link with a QR code that makes the coach the young
person's coach."""

from __future__ import annotations

import re

from sqlmodel import select

from core.db import transaction
from core.models import InviteCode, Youth
from core.services.invites import do_redeem_invite


async def test_an_invite_is_a_telegram_link_and_a_qr_code(panel) -> None:
    anna = panel.add_coach("anna", name="Anna K")
    coach = await panel.signed_in("anna")
    page = await coach.get("/invite")
    assert page.status_code == 200 and "Make an invite" in page.text
    made = await coach.post("/invite")
    assert made.status_code == 200
    link = re.search(r'href="(https://t\.me/polku_test_bot\?start=([\w-]+))"', made.text)
    assert link, made.text
    assert "<svg" in made.text and "&lt;svg" not in made.text
    with transaction(panel.engine) as session:
        invite = session.exec(select(InviteCode)).one()
    assert invite.code == link.group(2) and invite.coach_id == anna.id
    assert [e.coach_id for e in panel.audit("invite.create")] == [anna.id]
    aino = panel.add_youth(None, "Aino")
    with transaction(panel.engine) as session:
        assert do_redeem_invite(session, youth=session.get(Youth, aino.id), code=invite.code)
    mine = (await coach.get("/youth")).text.split("Unassigned queue")[0]
    assert "Aino" in mine


async def test_without_the_bots_name_the_code_is_shown_with_a_way_to_use_it(panel) -> None:
    panel.add_coach("anna")
    panel.app.state.panel.bot_username = None
    coach = await panel.signed_in("anna")
    made = await coach.post("/invite")
    with transaction(panel.engine) as session:
        code = session.exec(select(InviteCode.code)).one()
    assert f"/start {code}" in made.text and "t.me" not in made.text
    assert "not known yet" in made.text


async def test_an_invite_needs_the_forms_token(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    missing = await coach.http.post("/invite")
    forged = await coach.http.post("/invite", data={"csrf_token": "x" * 43})
    assert (missing.status_code, forged.status_code) == (403, 403)
    with transaction(panel.engine) as session:
        assert session.exec(select(InviteCode)).all() == []
