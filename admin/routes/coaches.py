"""Coach accounts, for admins: create, deactivate (after a confirmation page) and reactivate,
reset a password or two-step sign-in, set office hours; and whether two-step sign-in is
required for everyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from admin.web import Checked, CurrentViewer, SessionDep, Viewer, panel_of, render, require_admin
from core.i18n import gettext_for
from core.models import Coach, Role
from core.office_hours import DAY_NAMES, OfficeHoursError, describe
from core.services.access import access_coach_by_id
from core.services.coaches import (
    CoachError,
    coach_overview,
    do_add_coach,
    do_deactivate_coach,
    do_reactivate_coach,
    do_reset_password,
    do_set_office_hours,
    do_set_on_call,
    youth_of,
)
from core.services.two_step import do_reset, do_set_required, two_step_required

router = APIRouter()
FIELD_LIMIT = 200


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    error: str = "",
    error_for: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    translations = gettext_for(panel_of(request).settings.panel_language)
    overview = coach_overview(session)
    return render(
        request,
        "coaches.html",
        viewer,
        status_code=status_code,
        coaches=overview.coaches,
        counts=overview.counts,
        stranded=overview.stranded,
        hours={c.id: describe(c.office_hours, translations) for c in overview.coaches},
        day_names=[translations.gettext(name) for name in DAY_NAMES],
        roles=[role.value for role in Role],
        two_step_required=two_step_required(session),
        error=error,
        error_for=error_for,
        form=form or {"role": Role.COACH.value},
    )


def _target(session: Session, viewer: Viewer, coach_id: int) -> Coach:
    require_admin(viewer)
    coach = access_coach_by_id(session, admin=viewer.coach, coach_id=coach_id)
    if coach is None:
        raise HTTPException(status_code=404)
    return coach


def _refused(request: Request, reason: Exception) -> str:
    _ = gettext_for(panel_of(request).settings.panel_language).gettext
    return _("Nothing was saved: {reason}").format(reason=reason)


def _refused_on_row(
    request: Request, session: Session, viewer: Viewer, reason: Exception, coach_id: int
) -> Response:
    """The coaches page again, with why nothing was saved shown at that coach's row."""
    return _page(
        request,
        session,
        viewer,
        error=_refused(request, reason),
        error_for=str(coach_id),
        status_code=422,
    )


@router.get("/coaches")
def coaches_page(request: Request, session: SessionDep, viewer: CurrentViewer) -> Response:
    """Every coach account, with their office hours and how many young people they have."""
    require_admin(viewer)
    return _page(request, session, viewer)


@router.post("/coaches")
def create_coach(
    request: Request,
    session: SessionDep,
    viewer: Checked,
    login: Annotated[str, Form(max_length=FIELD_LIMIT)] = "",
    display_name: Annotated[str, Form(max_length=FIELD_LIMIT)] = "",
    password: Annotated[str, Form(max_length=FIELD_LIMIT)] = "",
    role: Annotated[str, Form(max_length=FIELD_LIMIT)] = Role.COACH.value,
) -> Response:
    """Create a coach account with an initial password they are told in person."""
    require_admin(viewer)
    login = login.strip().lower()
    try:
        do_add_coach(
            session,
            login=login,
            display_name=display_name,
            password=password,
            role=Role(role) if role in {r.value for r in Role} else Role.COACH,
            by=viewer.coach,
        )
    except CoachError as refused:
        form = {"login": login, "display_name": display_name, "role": role}
        return _page(
            request,
            session,
            viewer,
            error=_refused(request, refused),
            error_for="new",
            form=form,
            status_code=422,
        )
    return RedirectResponse("/coaches", status_code=303)


@router.get("/coaches/{coach_id}/deactivate")
def confirm_deactivate(
    request: Request, coach_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """Say what deactivating does, and ask once more: closing an account is not one tap."""
    coach = _target(session, viewer, coach_id)
    if not coach.active or coach.id == viewer.coach.id:
        return RedirectResponse(f"/coaches#coach-{coach_id}", status_code=303)
    _ = gettext_for(panel_of(request).settings.panel_language).gettext
    name = coach.display_name
    youth = youth_of(session, coach=coach)
    points = [
        _("%(name)s is signed out at once and can no longer sign in.") % {"name": name},
        _("Polku stops sending them notices and urgent alerts.")
        + " "
        + _("Their Telegram link and office hours are kept."),
    ]
    if youth:
        points.append(
            _("These young people stay linked to them until you give them to another coach:")
        )
    else:
        points.append(_("They have no young people of their own."))
    return render(
        request,
        "confirm.html",
        viewer,
        title=_("Deactivate %(name)s?") % {"name": name},
        points=points,
        youth=youth,
        after=_("You can reactivate the account later on the Coaches page."),
        action=f"/coaches/{coach_id}/deactivate",
        confirm=_("Deactivate %(name)s") % {"name": name},
        back=f"/coaches#coach-{coach_id}",
    )


@router.post("/coaches/{coach_id}/deactivate")
def deactivate(request: Request, coach_id: int, session: SessionDep, viewer: Checked) -> Response:
    """Close the account and end its sessions; the young people stay until reassigned."""
    coach = _target(session, viewer, coach_id)
    try:
        do_deactivate_coach(session, by=viewer.coach, coach=coach)
    except CoachError as refused:
        return _refused_on_row(request, session, viewer, refused, coach_id)
    return RedirectResponse(f"/coaches#coach-{coach_id}", status_code=303)


@router.post("/coaches/{coach_id}/reactivate")
def reactivate(coach_id: int, session: SessionDep, viewer: Checked) -> Response:
    """Open a deactivated account again; nothing else changes, so one tap is enough."""
    coach = _target(session, viewer, coach_id)
    do_reactivate_coach(session, by=viewer.coach, coach=coach)
    return RedirectResponse(f"/coaches#coach-{coach_id}", status_code=303)


@router.post("/coaches/{coach_id}/on_call")
def on_call(
    coach_id: int,
    session: SessionDep,
    viewer: Checked,
    on: Annotated[str, Form()] = "",
) -> Response:
    """Put the coach on call for urgent alerts, or take them off."""
    coach = _target(session, viewer, coach_id)
    do_set_on_call(session, by=viewer.coach, coach=coach, on_call=on == "1")
    return RedirectResponse(f"/coaches#coach-{coach_id}", status_code=303)


@router.post("/coaches/{coach_id}/password")
def reset_password(
    request: Request,
    coach_id: int,
    session: SessionDep,
    viewer: Checked,
    password: Annotated[str, Form(max_length=FIELD_LIMIT)] = "",
) -> Response:
    """Set a new password; the coach is signed out everywhere."""
    coach = _target(session, viewer, coach_id)
    try:
        do_reset_password(session, by=viewer.coach, coach=coach, password=password)
    except CoachError as refused:
        return _refused_on_row(request, session, viewer, refused, coach_id)
    return RedirectResponse("/coaches", status_code=303)


@router.post("/coaches/{coach_id}/hours")
def set_hours(
    request: Request,
    coach_id: int,
    session: SessionDep,
    viewer: Checked,
    days: Annotated[list[int] | None, Form()] = None,
    start: Annotated[str, Form(max_length=FIELD_LIMIT)] = "",
    end: Annotated[str, Form(max_length=FIELD_LIMIT)] = "",
) -> Response:
    """Office hours: the days and the local times the coach answers."""
    coach = _target(session, viewer, coach_id)
    try:
        do_set_office_hours(
            session, by=viewer.coach, coach=coach, days=days or [], start=start, end=end
        )
    except OfficeHoursError as refused:
        return _refused_on_row(request, session, viewer, refused, coach_id)
    return RedirectResponse("/coaches", status_code=303)


@router.post("/coaches/two-step-required")
def require_two_step(
    session: SessionDep, viewer: Checked, on: Annotated[str, Form()] = ""
) -> Response:
    """Require two-step sign-in for everyone (each coach sets it up at their next page), or not."""
    require_admin(viewer)
    do_set_required(session, by=viewer.coach, on=on == "1")
    return RedirectResponse("/coaches", status_code=303)


@router.post("/coaches/{coach_id}/two-step/reset")
def reset_two_step(coach_id: int, session: SessionDep, viewer: Checked) -> Response:
    """Turn a coach's two-step sign-in off (a lost phone); they set it up again."""
    coach = _target(session, viewer, coach_id)
    do_reset(session, by=viewer.coach, coach=coach)
    return RedirectResponse(f"/coaches#coach-{coach_id}", status_code=303)
