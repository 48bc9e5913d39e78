"""Signing in and out. The sign-in forms have their own CSRF token (a cookie the form repeats),
because there is no session yet to hold one. With two-step sign-in a right password leads to
the code page; a cookie holds the half-done sign-in until the code is right."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.web import SESSION_COOKIE, AnyChecked, SessionDep, client_address, panel_of, render
from core.services.panel_sessions import (
    ABSOLUTE_LIMIT,
    CODE_WAIT,
    CodeNeeded,
    PendingGone,
    SignedIn,
    SignInError,
    access_pending_sign_in,
    do_sign_in,
    do_sign_in_code,
    do_sign_out,
)
from core.services.sign_in_limits import ADDRESS_WAIT

router = APIRouter()
LOGIN_CSRF_COOKIE = "polku_login_csrf"
PENDING_COOKIE = "polku_pending"
CODE_PATH = "/login/code"


def _secure(request: Request) -> bool:
    """Cookies are Secure whenever the panel is reached over https (directly or via a proxy)."""
    return request.url.scheme == "https"


def _form_page(request: Request, name: str, *, error: str = "", status_code: int = 200) -> Response:
    """A sign-in form page with a fresh form token in the page and in a cookie."""
    token = secrets.token_urlsafe(32)
    response: Response = render(
        request, name, None, status_code=status_code, csrf_token=token, error=error
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    if status_code == 429:
        response.headers["Retry-After"] = str(int(ADDRESS_WAIT.total_seconds()))
    return response


def _form_is_ours(request: Request, csrf_token: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected.encode(), csrf_token.encode())


def _refused(request: Request, name: str, refused: SignInError) -> Response:
    """Too many tries from this address: 429, the same page whatever the login. Anything else:
    401 with one answer for a wrong password, an unknown login and a locked one."""
    if refused.throttled:
        return _form_page(request, name, error="throttled", status_code=429)
    return _form_page(request, name, error="wrong", status_code=401)


def _signed_in(request: Request, signed: SignedIn) -> Response:
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
    response.delete_cookie(PENDING_COOKIE, path=CODE_PATH)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    """The sign-in page (saying so when a session just ended)."""
    return _form_page(
        request, "login.html", error="session" if "ended" in request.query_params else ""
    )


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    login: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check the password; then the code page, or straight to the inbox with a session."""
    if not _form_is_ours(request, csrf_token):
        return _form_page(request, "login.html", error="expired", status_code=403)
    try:
        outcome = do_sign_in(
            session,
            login=login,
            password=password,
            address=client_address(request),
            now=panel_of(request).clock(),
        )
    except SignInError as refused:
        return _refused(request, "login.html", refused)
    if isinstance(outcome, CodeNeeded):
        response = RedirectResponse(CODE_PATH, status_code=303)
        response.set_cookie(
            PENDING_COOKIE,
            outcome.token,
            max_age=int(CODE_WAIT.total_seconds()),
            path=CODE_PATH,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )
        return response
    return _signed_in(request, outcome)


@router.get(CODE_PATH)
def code_form(request: Request, session: SessionDep) -> Response:
    """The second step: the code from the authenticator app (or a recovery code)."""
    pending = request.cookies.get(PENDING_COOKIE, "")
    if access_pending_sign_in(session, token=pending, now=panel_of(request).clock()) is None:
        return RedirectResponse("/login?ended=1", status_code=303)
    return _form_page(request, "login_code.html")


@router.post(CODE_PATH)
def code(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check the code; a right one opens the session, as the password alone does without."""
    if not _form_is_ours(request, csrf_token):
        return _form_page(request, "login_code.html", error="expired", status_code=403)
    try:
        signed = do_sign_in_code(
            session,
            token=request.cookies.get(PENDING_COOKIE, ""),
            code=code,
            address=client_address(request),
            now=panel_of(request).clock(),
        )
    except PendingGone:
        return RedirectResponse("/login?ended=1", status_code=303)
    except SignInError as refused:
        if refused.locked:  # the half-done sign-in is gone: the password again, later
            return _form_page(request, "login.html", error="wrong", status_code=401)
        return _refused(request, "login_code.html", refused)
    return _signed_in(request, signed)


@router.post("/logout")
def logout(request: Request, session: SessionDep, viewer: AnyChecked) -> Response:
    """Sign out of this browser."""
    do_sign_out(session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
