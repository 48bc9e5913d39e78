"""A coach's own two-step sign-in: set it up with the authenticator app (QR code or the secret
typed in), confirm with a code, keep the recovery codes, make new ones, turn it off."""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from admin.web import (
    AnyChecked,
    AnyViewer,
    Checked,
    SessionDep,
    Viewer,
    client_address,
    panel_of,
    render,
)
from core.i18n import gettext_for
from core.services.two_step import (
    TwoStepError,
    do_confirm,
    do_new_recovery_codes,
    do_start,
    do_turn_off,
    is_on,
    recovery_codes_left,
    setup_link,
    two_step_required,
)

router = APIRouter()
PROOF_LIMIT = 1024


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    codes: list[str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    """The page as it stands: off, being set up (QR code and secret), or on."""
    coach = viewer.coach
    context: dict[str, Any] = {"on": is_on(coach), "qr": None, "secret": ""}
    if context["on"]:
        context["codes_left"] = recovery_codes_left(session, coach=coach)
    elif coach.totp_secret:
        # segno writes the SVG itself from the otpauth address, so it is safe to embed as it is
        svg = segno.make(setup_link(coach), error="m").svg_inline(scale=4, border=2, omitsize=True)
        context["qr"] = Markup(svg)  # noqa: S704
        secret = coach.totp_secret
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    if error:
        error = gettext_for(panel_of(request).settings.panel_language).gettext(error)
    return render(
        request,
        "two_step.html",
        viewer,
        status_code=status_code,
        codes=codes or [],
        error=error,
        required=two_step_required(session),
        **context,
    )


@router.get("/two-step")
def two_step_page(request: Request, session: SessionDep, viewer: AnyViewer) -> Response:
    """Whether two-step sign-in is on, and the way to set it up or change it."""
    return _page(request, session, viewer)


@router.post("/two-step/start")
def start(request: Request, session: SessionDep, viewer: AnyChecked) -> Response:
    """A new secret for the app; the page then shows its QR code."""
    try:
        do_start(session, coach=viewer.coach)
    except TwoStepError as refused:
        return _page(request, session, viewer, error=str(refused), status_code=422)
    return RedirectResponse("/two-step", status_code=303)


@router.post("/two-step/confirm")
def confirm(
    request: Request,
    session: SessionDep,
    viewer: AnyChecked,
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Turn it on with a code from the app, and show the recovery codes this once."""
    try:
        codes = do_confirm(session, coach=viewer.coach, code=code, now=panel_of(request).clock())
    except TwoStepError as refused:
        return _page(request, session, viewer, error=str(refused), status_code=422)
    done = Viewer(coach=viewer.coach, csrf_token=viewer.csrf_token, session=viewer.session)
    return _page(request, session, done, codes=codes)


@router.post("/two-step/recovery-codes")
def new_recovery_codes(
    request: Request,
    session: SessionDep,
    viewer: Checked,
    proof: Annotated[str, Form(max_length=PROOF_LIMIT)] = "",
) -> Response:
    """Ten new recovery codes in place of the old ones (password or app code first)."""
    try:
        codes = do_new_recovery_codes(
            session,
            coach=viewer.coach,
            proof=proof,
            address=client_address(request),
            now=panel_of(request).clock(),
        )
    except TwoStepError as refused:
        return _page(request, session, viewer, error=str(refused), status_code=422)
    return _page(request, session, viewer, codes=codes)


@router.post("/two-step/off")
def turn_off(
    request: Request,
    session: SessionDep,
    viewer: Checked,
    proof: Annotated[str, Form(max_length=PROOF_LIMIT)] = "",
) -> Response:
    """Turn two-step sign-in off (password or app code first)."""
    try:
        do_turn_off(
            session,
            coach=viewer.coach,
            proof=proof,
            address=client_address(request),
            now=panel_of(request).clock(),
        )
    except TwoStepError as refused:
        return _page(request, session, viewer, error=str(refused), status_code=422)
    return RedirectResponse("/two-step", status_code=303)
