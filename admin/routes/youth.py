"""Young people: the list and the shared queue, one young person's page (self-assessments,
appointments, portfolio), taking from the queue and, for admins, reassigning. Booking, moving
and cancelling are in admin/routes/appointments.py, the charts in assessment_charts.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from admin.assessment_view import dialogue_views, known_dialogues
from admin.routes.conversation import visible_youth
from admin.web import Checked, CurrentViewer, SessionDep, Viewer, panel_of, render, require_admin
from core.i18n import gettext_for
from core.models import AppointmentKind, Coach, InviteCode, Youth
from core.services.access import access_coach_by_id, is_admin, visible_to
from core.services.appointments import past, upcoming
from core.services.assessments import histories
from core.services.audit import do_audit
from core.services.checkins import checkins_of
from core.services.path import history, load_paths
from core.services.portfolio import access_entry_by_id, do_confirm_entry, entries
from core.services.youth import (
    GROUP_LIMIT,
    do_assign_youth,
    do_record_under_18,
    do_set_group,
    do_take_youth,
)

router = APIRouter()
KINDS = [kind.value for kind in AppointmentKind]
DONE = ("booked", "moved", "cancelled")


def youth_page_response(
    request: Request,
    session: Session,
    viewer: Viewer,
    youth: Youth,
    *,
    status_code: int = 200,
    error: str = "",
    form: dict[str, str] | None = None,
    change: dict[str, str] | None = None,
    notice: tuple[str, int] | None = None,
    path_error: str = "",
    path_form: dict[str, str] | None = None,
    checkin_error: str = "",
) -> Response:
    """The young person's page. `error` and `form`: a refused booking, shown with what was
    typed; `change`: a refused move or cancel (its appointment id, what was typed, why);
    `notice`: what was just done ("booked", "moved", "cancelled") to which appointment;
    `path_error`, `path_form`, `checkin_error`: a refused status or check-in, with what was
    typed."""
    panel = panel_of(request)
    now = panel.clock()
    youth_id = youth.id or 0
    coach = session.get(Coach, youth.coach_id) if youth.coach_id is not None else None
    invite = session.exec(select(InviteCode).where(InviteCode.used_by_youth_id == youth_id)).first()
    portfolio = entries(session, youth_id=youth_id)
    confirmers = {e.confirmed_by_coach_id for e in portfolio if e.confirmed_by_coach_id}
    active_coaches = (
        session.exec(select(Coach).where(col(Coach.active)).order_by(col(Coach.display_name))).all()
        if is_admin(viewer.coach)
        else []
    )
    coming, earlier = (
        upcoming(session, youth_id=youth_id, now=now),
        past(session, youth_id=youth_id, now=now),
    )
    names = {c.id: c.display_name for c in active_coaches}
    for coach_id in confirmers - names.keys():
        other = session.get(Coach, coach_id)
        names[coach_id] = other.display_name if other else ""
    return render(
        request,
        "youth.html",
        viewer,
        status_code=status_code,
        youth=youth,
        coach=coach,
        invite=invite,
        assessments=dialogue_views(
            histories(session, youth_id=youth_id),
            known_dialogues(),
            gettext_for(panel.settings.panel_language),
        ),
        upcoming=coming,
        past=earlier,
        notice=notice[0] if notice else "",
        noticed=next((a for a in [*coming, *earlier] if notice and a.id == notice[1]), None),
        change=change or {},
        portfolio=portfolio,
        coach_names=names,
        active_coaches=active_coaches,
        kinds=KINDS,
        error=error,
        form=form or {"kind": "meeting"},
        path=history(session, youth_id),
        paths=load_paths(),
        checkins=checkins_of(session, youth_id),
        path_error=path_error,
        path_form=path_form or {"since": now.astimezone(panel.settings.tz).date().isoformat()},
        checkin_error=checkin_error,
    )


@router.get("/youth")
def youth_list(request: Request, session: SessionDep, viewer: CurrentViewer) -> Response:
    """My young people (an admin: everyone's, by coach) and the shared queue."""
    me = viewer.coach
    rows = session.exec(select(Youth).where(visible_to(me))).all()
    rows = sorted(rows, key=lambda y: ((y.first_name or "").lower(), y.id or 0))
    queue = [y for y in rows if y.coach_id is None]
    assigned = [y for y in rows if y.coach_id is not None]
    coach_ids = {y.coach_id for y in assigned}
    coaches = session.exec(select(Coach).where(col(Coach.id).in_(coach_ids))).all()
    ordered = sorted(coaches, key=lambda c: (c.id != me.id, c.display_name.lower()))
    groups = [(c, [y for y in assigned if y.coach_id == c.id]) for c in ordered]
    return render(request, "youth_list.html", viewer, groups=groups, queue=queue)


@router.get("/youth/{youth_id}")
def youth_page(
    request: Request, youth_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """One young person: who they are, their self-assessments, appointments and portfolio;
    `?done=booked&appointment=ID` (after a redirect) says what was just done."""
    youth = visible_youth(session, viewer, youth_id)
    do_audit(
        session, actor="coach", action="youth.read", coach_id=viewer.coach.id, youth_id=youth.id
    )
    done, appointment = (
        request.query_params.get("done", ""),
        request.query_params.get("appointment", ""),
    )
    notice = (done, int(appointment)) if done in DONE and appointment.isdigit() else None
    return youth_page_response(request, session, viewer, youth, notice=notice)


@router.post("/youth/{youth_id}/take")
def take(request: Request, youth_id: int, session: SessionDep, viewer: Checked) -> Response:
    """Take a young person from the shared queue (an admin: from anyone)."""
    youth = visible_youth(session, viewer, youth_id)
    if not do_take_youth(session, coach=viewer.coach, youth=youth):
        _ = gettext_for(panel_of(request).settings.panel_language).gettext
        return render(
            request,
            "error.html",
            viewer,
            status_code=409,
            title=_("Another coach took this young person"),
            text=_("They took them a moment before you. Nothing was changed."),
        )
    return RedirectResponse(f"/youth/{youth_id}", status_code=303)


@router.post("/youth/{youth_id}/assign")
def assign(
    request: Request,
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    coach_id: Annotated[str, Form()] = "",
) -> Response:
    """Admins only: give the young person to another coach, or back to the shared queue."""
    require_admin(viewer)
    youth = visible_youth(session, viewer, youth_id)
    target = None
    if coach_id:
        found = (
            access_coach_by_id(session, admin=viewer.coach, coach_id=int(coach_id))
            if coach_id.isdigit()
            else None
        )
        if found is None or not found.active:
            raise HTTPException(status_code=404)
        target = found
    do_assign_youth(session, by=viewer.coach, youth=youth, coach=target)
    return RedirectResponse(f"/youth/{youth_id}", status_code=303)


@router.post("/youth/{youth_id}/under_18")
def record_under_18(
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    under_18: Annotated[str, Form()] = "",
) -> Response:
    """Record whether the young person is under 18: "yes", "no", or anything else: not known."""
    youth = visible_youth(session, viewer, youth_id)
    value = {"yes": True, "no": False}.get(under_18)
    do_record_under_18(session, coach=viewer.coach, youth=youth, under_18=value)
    return RedirectResponse(f"/youth/{youth_id}", status_code=303)


@router.post("/youth/{youth_id}/group")
def set_group(
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    group: Annotated[str, Form(max_length=GROUP_LIMIT * 2)] = "",
) -> Response:
    """Put the young person in a group (a project, a school) for the impact report."""
    youth = visible_youth(session, viewer, youth_id)
    do_set_group(session, coach=viewer.coach, youth=youth, group=group)
    return RedirectResponse(f"/youth/{youth_id}", status_code=303)


@router.post("/youth/{youth_id}/portfolio/{entry_id}/confirm")
def confirm_entry(
    request: Request, youth_id: int, entry_id: int, session: SessionDep, viewer: Checked
) -> Response:
    """Confirm what the young person wrote about a trial day or introduction."""
    youth = visible_youth(session, viewer, youth_id)
    entry = access_entry_by_id(session, youth=youth, entry_id=entry_id)
    if entry is None:
        raise HTTPException(status_code=404)
    do_confirm_entry(session, coach=viewer.coach, entry=entry, now=panel_of(request).clock())
    return RedirectResponse(f"/youth/{youth_id}#portfolio", status_code=303)
