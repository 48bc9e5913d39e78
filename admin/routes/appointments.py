"""Appointments from the young person's page: book, move, cancel. Each one writes the young
person's Telegram message into the outbox (core.services.appointments) and comes back to the
page with a notice of what was done.

Times are typed as a coach reads them in a calendar: a date, a start and an end time (the
page shows "ti 12.1. 10:00–11:30"), not a length in minutes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from admin.routes.conversation import visible_youth
from admin.routes.youth import KINDS, youth_page_response
from admin.web import Checked, SessionDep, Viewer, panel_of
from core.i18n import gettext_for
from core.models import Appointment, Youth
from core.services.appointments import (
    AppointmentError,
    NotChangeable,
    access_appointment_by_id,
    check_changeable,
    do_book,
    do_cancel,
    do_move,
)

router = APIRouter()
TITLE_LIMIT, PLACE_LIMIT = 200, 300
FORM_LIMIT = 2000  # longer than any field may be; the route explains the real limits
Field = Annotated[str, Form(max_length=FORM_LIMIT)]


def _parse_day(text: str) -> date | None:
    """2026-12-01 (what a date picker sends) or 1.12.2026 (what a Finn types)."""
    text = text.strip()
    try:
        if "." in text:
            d, m, y = (int(part) for part in text.split("."))
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_clock(text: str) -> time | None:
    """10:00, 10.00 or 9:30."""
    text = text.strip().replace(".", ":")
    try:
        return time.fromisoformat(text if len(text) != 4 else f"0{text}")
    except ValueError:
        return None


def _when(request: Request, day: str, clock: str, ends: str) -> tuple[datetime, int] | str:
    """(start, length in minutes) from the form's date, start and end, or why not."""
    panel = panel_of(request)
    _ = gettext_for(panel.settings.panel_language).gettext
    parsed_day, start, end = _parse_day(day), _parse_clock(clock), _parse_clock(ends)
    if parsed_day is None or start is None:
        return _("Check the date and the time, for example 2026-12-01 and 10:00.")
    starts_at = datetime.combine(parsed_day, start, tzinfo=panel.settings.tz)
    if starts_at <= panel.clock():
        return _("That time has already passed. Choose a time in the future.")
    if end is None:
        return _("Check the end time, for example 11:30.")
    ends_at = datetime.combine(parsed_day, end, tzinfo=panel.settings.tz)
    minutes = int((ends_at.astimezone(UTC) - starts_at.astimezone(UTC)).total_seconds() // 60)
    if minutes <= 0:
        return _("The end time must be after the start time, on the same day.")
    return starts_at, minutes


def _done(youth_id: int, what: str, appointment: Appointment) -> Response:
    """Back to the page, which says what was done (a reload says it again, harmlessly)."""
    return RedirectResponse(
        f"/youth/{youth_id}?done={what}&appointment={appointment.id}#appointments",
        status_code=303,
    )


@router.post("/youth/{youth_id}/appointments")
def book(
    request: Request,
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    kind: Field = "",
    title: Field = "",
    day: Field = "",
    clock: Field = "",
    ends: Field = "",
    place: Field = "",
    bring: Field = "",
) -> Response:
    """Book a meeting or a trial day; the young person gets it in Telegram with reminders."""
    youth = visible_youth(session, viewer, youth_id)
    panel = panel_of(request)
    _ = gettext_for(panel.settings.panel_language).gettext
    form = {
        "kind": kind,
        "title": title,
        "day": day,
        "clock": clock,
        "ends": ends,
        "place": place,
        "bring": bring,
    }
    when = _when(request, day, clock, ends)
    error = ""
    if kind not in KINDS:
        error = _("Choose what kind of appointment it is.")
    elif not title.strip():
        error = _("Give the appointment a title: the young person sees it.")
    elif len(title) > TITLE_LIMIT:
        error = _("The title is too long: at most 200 characters.")
    elif len(place) > PLACE_LIMIT or len(bring) > PLACE_LIMIT:
        error = _("The place and what to bring can be at most 300 characters each.")
    elif isinstance(when, str):
        error = when
    if error or isinstance(when, str):
        return youth_page_response(
            request, session, viewer, youth, error=error, form=form, status_code=422
        )
    starts_at, minutes = when
    try:
        appointment = do_book(
            session,
            youth=youth,
            coach=viewer.coach,
            kind=kind,
            title=title,
            starts_at=starts_at,
            duration_minutes=minutes,
            place=place.strip() or None,
            bring=bring.strip() or None,
            tz=panel.settings.tz,
            reminder_hours=panel.settings.reminder_hours,
            now=panel.clock(),
        )
    except AppointmentError as refused:
        error = _("The appointment could not be booked: {reason}").format(reason=refused)
        return youth_page_response(
            request, session, viewer, youth, error=error, form=form, status_code=422
        )
    return _done(youth_id, "booked", appointment)


def _appointment(
    session: Session, viewer: Viewer, youth: Youth, appointment_id: int
) -> Appointment:
    """This young person's appointment, or 404 (another's id is audited, as a young person's)."""
    appointment = access_appointment_by_id(
        session, coach=viewer.coach, youth=youth, appointment_id=appointment_id
    )
    if appointment is None:
        session.commit()  # the refusal's audit event stays, though the request ends in 404
        raise HTTPException(status_code=404)
    return appointment


def _stale(
    request: Request, session: Session, viewer: Viewer, youth: Youth, stale: NotChangeable
) -> Response:
    """A form opened before the appointment was cancelled or began: say so, change nothing."""
    _ = gettext_for(panel_of(request).settings.panel_language).gettext
    why = (
        _("This appointment was already cancelled. Nothing was changed.")
        if stale.why == "cancelled"
        else _("This appointment has already begun, so it can't be moved or cancelled here.")
    )
    return youth_page_response(
        request, session, viewer, youth, change={"error": why}, status_code=409
    )


@router.post("/youth/{youth_id}/appointments/{appointment_id}/move")
def move(
    request: Request,
    youth_id: int,
    appointment_id: int,
    session: SessionDep,
    viewer: Checked,
    day: Field = "",
    clock: Field = "",
    ends: Field = "",
) -> Response:
    """Give an upcoming appointment a new date, start and end; the young person is told."""
    youth = visible_youth(session, viewer, youth_id)
    appointment = _appointment(session, viewer, youth, appointment_id)
    panel = panel_of(request)
    _ = gettext_for(panel.settings.panel_language).gettext
    try:
        check_changeable(appointment, now=panel.clock())
    except NotChangeable as stale:
        return _stale(request, session, viewer, youth, stale)
    typed = {"id": str(appointment_id), "action": "move", "day": day, "clock": clock, "ends": ends}
    when = _when(request, day, clock, ends)
    if isinstance(when, str):
        return youth_page_response(
            request, session, viewer, youth, change={**typed, "error": when}, status_code=422
        )
    starts_at, minutes = when
    try:
        do_move(
            session,
            appointment=appointment,
            starts_at=starts_at,
            duration_minutes=minutes,
            tz=panel.settings.tz,
            reminder_hours=panel.settings.reminder_hours,
            coach=viewer.coach,
            now=panel.clock(),
        )
    except AppointmentError as refused:
        why = _("The appointment could not be moved: {reason}").format(reason=refused)
        return youth_page_response(
            request, session, viewer, youth, change={**typed, "error": why}, status_code=422
        )
    return _done(youth_id, "moved", appointment)


@router.post("/youth/{youth_id}/appointments/{appointment_id}/cancel")
def cancel(
    request: Request,
    youth_id: int,
    appointment_id: int,
    session: SessionDep,
    viewer: Checked,
    confirm: Field = "",
) -> Response:
    """Cancel an upcoming appointment once the coach ticked the confirmation; the young person
    is told."""
    youth = visible_youth(session, viewer, youth_id)
    appointment = _appointment(session, viewer, youth, appointment_id)
    panel = panel_of(request)
    _ = gettext_for(panel.settings.panel_language).gettext
    try:
        check_changeable(appointment, now=panel.clock())
    except NotChangeable as stale:
        return _stale(request, session, viewer, youth, stale)
    if confirm != "yes":
        error = _("Tick the box to confirm, then cancel. Nothing was changed yet.")
        change = {"id": str(appointment_id), "action": "cancel", "error": error}
        return youth_page_response(request, session, viewer, youth, change=change, status_code=422)
    do_cancel(
        session,
        appointment=appointment,
        tz=panel.settings.tz,
        coach=viewer.coach,
        now=panel.clock(),
    )
    return _done(youth_id, "cancelled", appointment)
