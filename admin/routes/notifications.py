"""A coach's own notices: link their Telegram chat with a one-time deep link, mute, unlink."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from admin.routes.invites import bot_username
from admin.web import Checked, CurrentViewer, SessionDep, panel_of, render
from core.services.invites import deep_link
from core.services.notices import (
    LINK_LIFETIME,
    do_set_notify,
    do_start_link,
    do_unlink,
    link_payload,
)

router = APIRouter()


@router.get("/notifications")
def notifications_page(request: Request, viewer: CurrentViewer) -> Response:
    """Whether Telegram is linked, and the buttons to link, mute or unlink it."""
    return render(request, "notifications.html", viewer, link=None, qr=None, payload=None)


@router.post("/notifications/telegram")
def start_link(request: Request, session: SessionDep, viewer: Checked) -> Response:
    """A fresh one-time link (and its QR code) that ties the coach's Telegram chat to them."""
    code = do_start_link(session, coach=viewer.coach, now=panel_of(request).clock())
    payload = link_payload(code)
    username = bot_username(request)
    link = deep_link(bot_username=username, code=payload) if username else ""
    qr = None
    if link:  # segno writes the SVG itself from the link, so it is safe to embed as it is
        qr = Markup(segno.make(link, error="m").svg_inline(scale=5, border=2, omitsize=True))  # noqa: S704
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return render(
        request, "notifications.html", viewer, link=link, qr=qr, payload=payload, minutes=minutes
    )


@router.post("/notifications/telegram/unlink")
def unlink(session: SessionDep, viewer: Checked) -> Response:
    """Forget the coach's Telegram chat; nothing more is sent there."""
    do_unlink(session, coach=viewer.coach)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/telegram/mute")
def mute(session: SessionDep, viewer: Checked, on: Annotated[str, Form()] = "") -> Response:
    """Keep the link but switch the notices off (or on again)."""
    do_set_notify(session, coach=viewer.coach, on=on == "1")
    return RedirectResponse("/notifications", status_code=303)
