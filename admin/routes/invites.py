"""Invites: a one-time t.me link and its QR code that tie a new young person to the coach."""

from __future__ import annotations

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from admin.web import Checked, CurrentViewer, SessionDep, panel_of, render
from core.services.invites import deep_link, do_create_invite

router = APIRouter()


def bot_username(request: Request) -> str:
    """The bot's @username, or "" while it is not known (the bot has not started)."""
    ask = panel_of(request).bot_username
    if ask is None:
        return ""
    try:
        return ask() or ""
    except RuntimeError:  # PTB: the bot is not initialised yet
        return ""


@router.get("/invite")
def invite_page(request: Request, viewer: CurrentViewer) -> Response:
    """A button that makes a fresh invite."""
    return render(request, "invite.html", viewer, invite=None)


@router.post("/invite")
def create_invite(request: Request, session: SessionDep, viewer: Checked) -> Response:
    """Make a one-time invite for the signed-in coach: the link, its QR code and the code."""
    invite = do_create_invite(session, coach=viewer.coach)
    username = bot_username(request)
    link = deep_link(bot_username=username, code=invite.code) if username else ""
    qr = None
    if link:  # segno writes the SVG itself from the link, so it is safe to embed as it is
        qr = Markup(segno.make(link, error="m").svg_inline(scale=6, border=2, omitsize=True))  # noqa: S704
    return render(request, "invite.html", viewer, invite=invite, link=link, qr=qr)
