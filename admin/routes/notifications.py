"""A coach's own notices: link their Telegram chat with a one-time deep link, set an e-mail
address (when Polku can send mail), switch either off, unlink."""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from admin.routes.invites import bot_username
from admin.web import Checked, CurrentViewer, SessionDep, Viewer, panel_of, render
from core.i18n import gettext_for
from core.models import NoticeChannel
from core.services.invites import deep_link
from core.services.notices import (
    EMAIL_LIMIT,
    LINK_LIFETIME,
    NoticeError,
    do_set_email,
    do_set_notify,
    do_set_quiet_time,
    do_start_link,
    do_unlink,
    link_payload,
)

router = APIRouter()


def _nothing_made(request: Request) -> dict[str, Any]:
    """The page's values when no link was just made."""
    email_on = panel_of(request).settings.email_enabled
    return {"link": None, "qr": None, "payload": None, "email_on": email_on}


@router.get("/notifications")
def notifications_page(request: Request, viewer: CurrentViewer) -> Response:
    """Whether Telegram is linked, the e-mail address, and the buttons to change them."""
    return render(request, "notifications.html", viewer, **_nothing_made(request))


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
        request,
        "notifications.html",
        viewer,
        **{**_nothing_made(request), "link": link, "qr": qr, "payload": payload},
        minutes=minutes,
    )


@router.get("/notifications/telegram/unlink")
def confirm_unlink(request: Request, viewer: CurrentViewer) -> Response:
    """Ask once more: linking again takes a new link and the phone, so not one tap."""
    if not viewer.coach.telegram_chat_id:
        return RedirectResponse("/notifications", status_code=303)
    _ = gettext_for(panel_of(request).settings.panel_language).gettext
    return render(
        request,
        "confirm.html",
        viewer,
        title=_("Unlink your Telegram?"),
        points=[
            _("Polku stops sending notices to your Telegram chat."),
            _("To get them there again, you make a new link on this page and open it."),
        ],
        after=_("To pause notices for a while, switch them off instead."),
        action="/notifications/telegram/unlink",
        confirm=_("Unlink Telegram"),
        back="/notifications",
    )


@router.post("/notifications/telegram/unlink")
def unlink(session: SessionDep, viewer: Checked) -> Response:
    """Forget the coach's Telegram chat; nothing more is sent there."""
    do_unlink(session, coach=viewer.coach)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{channel}/mute")
def mute(
    channel: NoticeChannel, session: SessionDep, viewer: Checked, on: Annotated[str, Form()] = ""
) -> Response:
    """Keep the link or address but switch that channel's notices off (or on again)."""
    do_set_notify(session, coach=viewer.coach, channel=channel, on=on == "1")
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/quiet")
def set_quiet_time(
    request: Request,
    session: SessionDep,
    viewer: Checked,
    quiet_from: Annotated[str, Form(max_length=10)] = "",
    quiet_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Save the coach's quiet time for notices (both empty: none)."""
    try:
        do_set_quiet_time(
            session, coach=viewer.coach, quiet_from=quiet_from, quiet_until=quiet_until
        )
    except NoticeError as refused:
        return _refused(request, viewer, refused)
    return RedirectResponse("/notifications", status_code=303)


def _refused(request: Request, viewer: Viewer, refused: NoticeError) -> Response:
    """The page again, saying why nothing was saved."""
    _ = gettext_for(panel_of(request).settings.panel_language).gettext
    return render(
        request,
        "notifications.html",
        viewer,
        status_code=422,
        error=_(str(refused)),
        **_nothing_made(request),
    )


@router.post("/notifications/email")
def set_email(
    request: Request,
    session: SessionDep,
    viewer: Checked,
    email: Annotated[str, Form(max_length=EMAIL_LIMIT * 2)] = "",
) -> Response:
    """Save the coach's address for notices (empty: no e-mail)."""
    try:
        do_set_email(session, coach=viewer.coach, email=email)
    except NoticeError as refused:
        return _refused(request, viewer, refused)
    return RedirectResponse("/notifications", status_code=303)
