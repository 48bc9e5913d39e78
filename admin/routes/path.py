"""A young person's path on their page: recording a status, and the check-ins after a
transition (pause, resume, stop, add one). The page itself is drawn by routes/youth.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.routes.conversation import visible_youth
from admin.routes.youth import youth_page_response
from admin.web import Checked, SessionDep, panel_of
from core.i18n import gettext_for
from core.services.checkins import (
    CheckInError,
    do_add,
    do_pause,
    do_resume,
    do_stop,
    time_of_day,
)
from core.services.path import PathError, do_record_status

router = APIRouter()


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _back(youth_id: int) -> RedirectResponse:
    return RedirectResponse(f"/youth/{youth_id}#path", status_code=303)


@router.post("/youth/{youth_id}/path")
def record_status(
    request: Request,
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    situation: Annotated[str, Form()] = "",
    field: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    since: Annotated[str, Form()] = "",
) -> Response:
    """Record where the young person is from a date on; a transition schedules check-ins."""
    youth = visible_youth(session, viewer, youth_id)
    panel = panel_of(request)
    settings = panel.settings
    _ = gettext_for(settings.panel_language).gettext
    form = {"situation": situation, "field": field, "place": place, "since": since}
    day = _day(since)
    if day is None:
        return youth_page_response(
            request,
            session,
            viewer,
            youth,
            status_code=400,
            path_error=_("Give the date."),
            path_form=form,
        )
    try:
        do_record_status(
            session,
            coach=viewer.coach,
            youth=youth,
            situation=situation,
            field=field or None,
            place=place,
            since=time_of_day(day, settings.tz),
            now=panel.clock(),
            schedule=settings.checkin_offsets,
            tz=settings.tz,
        )
    except PathError as exc:
        return youth_page_response(
            request,
            session,
            viewer,
            youth,
            status_code=400,
            path_error=_(str(exc)),
            path_form=form,
        )
    return _back(youth_id)


@router.post("/youth/{youth_id}/checkins/{action}")
def change_checkins(
    request: Request,
    youth_id: int,
    action: str,
    session: SessionDep,
    viewer: Checked,
    day: Annotated[str, Form()] = "",
) -> Response:
    """Pause, resume or stop the check-ins still waiting, or add one on a date."""
    youth = visible_youth(session, viewer, youth_id)
    panel = panel_of(request)
    now, tz = panel.clock(), panel.settings.tz
    if action == "pause":
        do_pause(session, coach=viewer.coach, youth=youth, now=now)
    elif action == "resume":
        do_resume(session, coach=viewer.coach, youth=youth, now=now)
    elif action == "stop":
        do_stop(session, coach=viewer.coach, youth=youth)
    elif action == "add":
        _ = gettext_for(panel.settings.panel_language).gettext
        parsed = _day(day)
        try:
            if parsed is None:
                raise CheckInError("Give the date.")
            do_add(
                session,
                coach=viewer.coach,
                youth=youth,
                due_at=time_of_day(parsed, tz),
                now=now,
                tz=tz,
            )
        except CheckInError as exc:
            return youth_page_response(
                request, session, viewer, youth, status_code=400, checkin_error=_(str(exc))
            )
    else:
        return Response(status_code=404)
    return _back(youth_id)
