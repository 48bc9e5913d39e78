"""The panel's plumbing: templates, the signed-in coach, CSRF checks and the database session.

Routes take `CurrentViewer` (signed in, else a redirect to the sign-in page; a coach who must
still turn two-step sign-in on is sent to do that) and, when they change anything, `Checked`
(the CSRF token of the session, from the form field or htmx's header). The two-step set-up
and signing out take `AnyViewer` / `AnyChecked`, which let such a coach through. Everything
a route reads or writes goes through `core.services` and its `access_*` functions.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin.appointment_time import form_times, span
from admin.cards import card_words
from core.db import transaction
from core.i18n import gettext_for
from core.models import Coach, PanelSession
from core.services.access import is_admin
from core.services.panel_sessions import access_panel_session
from core.services.sign_in_limits import address_key
from core.services.two_step import must_set_up
from core.settings import Settings
from core.timeutil import waited

SESSION_COOKIE = "polku_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

# Fetches a Telegram file by its file_id; the composition root passes the bot's, so the bot
# token never reaches the browser or this package.
FetchMedia = Callable[[str], Awaitable[bytes]]
# The bot's @username for invite links, asked when needed (the bot learns it when it starts).
BotUsername = Callable[[], str]


@dataclass
class Panel:
    """What every route needs, kept on app.state."""

    engine: Engine
    settings: Settings
    fetch_media: FetchMedia | None
    clock: Callable[[], datetime]
    templates: Jinja2Templates
    bot_username: BotUsername | None = None


class NotSignedIn(Exception):
    """No live session: the sign-in page (or, for htmx, a full-page redirect to it)."""


class TwoStepFirst(Exception):
    """Two-step sign-in is required and this coach has not set it up: that page first."""


def make_templates(settings: Settings) -> Jinja2Templates:
    """Jinja2 with gettext in the panel's language and autoescaping on."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        gettext_for(settings.panel_language), newstyle=True
    )
    env.globals["is_admin"] = is_admin
    env.globals["panel_language"] = settings.panel_language
    translations = gettext_for(settings.panel_language)
    env.globals["waited"] = lambda since, now: waited(since, now, translations)
    env.globals["card_words"] = lambda card: card_words(card, translations, settings.panel_language)
    env.globals["when"] = lambda appointment, now: span(
        appointment.starts_at,
        appointment.duration_minutes,
        language=settings.panel_language,
        tz=settings.tz,
        now=now,
    )
    env.globals["form_times"] = lambda appointment: form_times(
        appointment.starts_at, appointment.duration_minutes, tz=settings.tz
    )
    return Jinja2Templates(env=env)


def panel_of(request: Request) -> Panel:
    panel: Panel = request.app.state.panel
    return panel


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with transaction(panel_of(request).engine) as session:
        yield session


# scope="function": commit before the response leaves, so the page a redirect leads to (the
# inbox after signing in, the chat after a reply) already sees what the request wrote. With
# the default scope the commit ran after sending, and a quick browser could arrive first.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]


@dataclass(frozen=True)
class Viewer:
    """The signed-in coach and their session's CSRF token; `must_set_up` while two-step
    sign-in is required and not yet on for them."""

    coach: Coach
    csrf_token: str
    session: PanelSession
    must_set_up: bool = False


def any_viewer(request: Request, session: SessionDep) -> Viewer:
    """The signed-in coach (even one who must still set up two-step sign-in), or NotSignedIn."""
    found = access_panel_session(
        session, token=request.cookies.get(SESSION_COOKIE, ""), now=panel_of(request).clock()
    )
    if found is None:
        raise NotSignedIn
    panel_session, coach = found
    return Viewer(
        coach=coach,
        csrf_token=panel_session.csrf_token,
        session=panel_session,
        must_set_up=must_set_up(session, coach=coach),
    )


AnyViewer = Annotated[Viewer, Depends(any_viewer)]


def current_viewer(viewer: AnyViewer) -> Viewer:
    """The signed-in coach, or NotSignedIn, or TwoStepFirst."""
    if viewer.must_set_up:
        raise TwoStepFirst
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


async def _check_csrf(request: Request, viewer: Viewer) -> Viewer:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not hmac.compare_digest(sent.encode(), viewer.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="csrf")
    return viewer


async def checked_viewer(request: Request, viewer: CurrentViewer) -> Viewer:
    """The signed-in coach, after the request proved it came from a panel page (CSRF)."""
    return await _check_csrf(request, viewer)


async def any_checked_viewer(request: Request, viewer: AnyViewer) -> Viewer:
    """As `checked_viewer`, also for a coach who must still set up two-step sign-in."""
    return await _check_csrf(request, viewer)


Checked = Annotated[Viewer, Depends(checked_viewer)]
AnyChecked = Annotated[Viewer, Depends(any_checked_viewer)]


def client_address(request: Request) -> str:
    """Who is asking, as the sign-in limits count it: the connection's address or, behind a
    trusted proxy (POLKU_TRUSTED_PROXY), the last address in X-Forwarded-For, the one the
    proxy itself saw (earlier ones are whatever the client wrote)."""
    peer = request.client.host if request.client else ""
    if panel_of(request).settings.trusted_proxy:
        forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return address_key(last)
    return address_key(peer)


def require_admin(viewer: Viewer) -> None:
    """Admin-only pages look like missing pages to a coach."""
    if not is_admin(viewer.coach):
        raise HTTPException(status_code=404)


def render(
    request: Request,
    name: str,
    viewer: Viewer | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A page or partial with the coach and CSRF token every template may need."""
    panel = panel_of(request)
    response: Response = panel.templates.TemplateResponse(
        request,
        name,
        {
            "viewer": viewer,
            "csrf_token": viewer.csrf_token if viewer else context.pop("csrf_token", ""),
            "tz": panel.settings.tz,
            "now": panel.clock(),
            **context,
        },
        status_code=status_code,
    )
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
