"""Signing in and out. The sign-in form has its own CSRF token (a cookie the form repeats),
because there is no session yet to hold one."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.web import SESSION_COOKIE, Checked, SessionDep, panel_of, render
from core.services.panel_sessions import ABSOLUTE_LIMIT, SignInError, do_sign_in, do_sign_out

router = APIRouter()
LOGIN_CSRF_COOKIE = "polku_login_csrf"


def _secure(request: Request) -> bool:
    """Cookies are Secure whenever the panel is reached over https (directly or via a proxy)."""
    return request.url.scheme == "https"


def _login_page(request: Request, *, error: str = "", status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response: Response = render(
        request, "login.html", None, status_code=status_code, csrf_token=token, error=error
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    """The sign-in page (saying so when a session just ended)."""
    return _login_page(request, error="session" if "ended" in request.query_params else "")


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    login: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check the password; on success set the session cookie and go to the inbox."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(request, error="expired", status_code=403)
    try:
        signed = do_sign_in(session, login=login, password=password, now=panel_of(request).clock())
    except SignInError:
        # One answer for a wrong password, an unknown login and a locked account, all as slow
        # as a password check: the page must not tell which logins exist.
        return _login_page(request, error="wrong", status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        max_age=int(ABSOLUTE_LIMIT.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, viewer: Checked) -> Response:
    """Sign out of this browser."""
    do_sign_out(session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
