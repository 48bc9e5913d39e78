"""The web application: the health check, the coach panel and, when configured, the webhook."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from admin.routes import (
    appointments,
    assessment_charts,
    audit,
    auth,
    coaches,
    conversation,
    inbox,
    invites,
    notifications,
    path,
    report,
    safety,
    saved_replies,
    two_step,
    updates,
    youth,
)
from admin.web import (
    SESSION_COOKIE,
    STATIC_DIR,
    BotUsername,
    FetchMedia,
    NotSignedIn,
    Panel,
    TwoStepFirst,
    is_htmx,
    make_templates,
    render,
)
from core.i18n import gettext_for
from core.models import utcnow
from core.services.health import HealthCheck
from core.settings import Settings

PANEL_ROUTERS = (
    auth.router,
    inbox.router,
    conversation.router,
    saved_replies.router,
    youth.router,
    appointments.router,
    path.router,
    assessment_charts.router,
    report.router,
    invites.router,
    notifications.router,
    two_step.router,
    coaches.router,
    audit.router,
    safety.router,
    updates.router,
)
# No inline script or style anywhere (htmx runs without eval; panel.js is a file), nothing
# framed, forms only to the panel itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}
HSTS = "max-age=31536000; includeSubDomains"


def create_web_app(
    *,
    engine: Engine,
    settings: Settings,
    routers: Iterable[APIRouter] = (),
    fetch_media: FetchMedia | None = None,
    clock: Callable[[], datetime] = utcnow,
    bot_username: BotUsername | None = None,
) -> FastAPI:
    """Build the web app; the composition root adds routers such as the Telegram webhook."""
    app = FastAPI(title="Polku", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.panel = Panel(
        engine=engine,
        settings=settings,
        fetch_media=fetch_media,
        clock=clock,
        templates=make_templates(settings),
        bot_username=bot_username,
    )

    check_health = HealthCheck(engine)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Within 1 s, always: 200 with the backlog's counts when the database answers, 503
        with the reason ("unreachable" or "slow") when it does not."""
        health = await check_health()
        return JSONResponse(health.as_dict(), status_code=200 if health.ok else 503)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            # Pages carry young people's data: no browser or proxy may keep a copy.
            response.headers.setdefault("Cache-Control", "no-store")
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    @app.exception_handler(NotSignedIn)
    async def to_sign_in(request: Request, _exc: NotSignedIn) -> Response:
        """To the sign-in page; "your session ended" only when the browser still carried a
        session cookie (a first visit just gets the sign-in form). The dead cookie goes, so
        the next visit is a plain one."""
        target = "/login?ended=1" if request.cookies.get(SESSION_COOKIE) else "/login"
        response: Response
        if is_htmx(request):  # a poll after the session ended: reload the whole page
            response = Response(status_code=401, headers={"HX-Redirect": target})
        else:
            response = RedirectResponse(target, status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.exception_handler(TwoStepFirst)
    async def to_two_step(request: Request, _exc: TwoStepFirst) -> Response:
        if is_htmx(request):
            return Response(status_code=403, headers={"HX-Redirect": "/two-step"})
        return RedirectResponse("/two-step", status_code=303)

    @app.exception_handler(HTTPException)
    async def kind_error(request: Request, exc: HTTPException) -> Response:
        _ = gettext_for(settings.panel_language).gettext
        if exc.detail == "csrf":
            title = _("This form had expired")
            body = _("Nothing was saved. Reload the page and try again.")
        elif exc.status_code == 404:
            title, body = _("Not found"), _("This page does not exist or is not yours to see.")
        else:
            title, body = _("Something went wrong"), _("Please try again in a moment.")
        return render(
            request, "error.html", None, status_code=exc.status_code, title=title, text=body
        )

    @app.exception_handler(RequestValidationError)
    async def kind_invalid(request: Request, _exc: RequestValidationError) -> Response:
        _ = gettext_for(settings.panel_language).gettext
        title, body = _("Please check the form"), _("Something in it was missing or too long.")
        return render(request, "error.html", None, status_code=422, title=title, text=body)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (*PANEL_ROUTERS, *routers):
        app.include_router(router)
    return app
