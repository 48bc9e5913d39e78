"""Young people: the list and the shared queue, one young person's page (self-assessment
history, appointments, portfolio), taking from the queue, booking and, for admins, reassigning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from admin.routes.conversation import visible_youth
from admin.web import Checked, CurrentViewer, SessionDep, Viewer, panel_of, render, require_admin
from core.charts import history_png
from core.dialogs.loader import load_dialogues
from core.dialogs.scales import NUMERIC_SCALES
from core.dialogs.schema import Dialogue
from core.i18n import gettext_for
from core.models import AppointmentKind, Coach, InviteCode, Youth
from core.services.access import access_coach_by_id, is_admin, visible_to
from core.services.appointments import AppointmentError, do_book, past, upcoming
from core.services.assessments import finished_by_dialogue
from core.services.audit import do_audit
from core.services.portfolio import access_entry_by_id, do_confirm_entry, entries
from core.services.youth import do_assign_youth, do_record_under_18, do_take_youth

router = APIRouter()
KINDS = [kind.value for kind in AppointmentKind]
TITLE_LIMIT, PLACE_LIMIT = 200, 300
FORM_LIMIT = 2000  # longer than any field may be; the route explains the real limits


@cache
def dialogues() -> dict[str, Dialogue]:
    """The dialogue definitions (titles and scales), read once."""
    return load_dialogues()


@dataclass(frozen=True)
class History:
    """One dialogue's finished runs, for the table and the chart under it."""

    dialogue_id: str
    title: str
    runs: list[tuple[datetime, float | None]]

    @property
    def scored(self) -> bool:
        return any(score is not None for _, score in self.runs)


def _histories(session: Session, youth: Youth, language: str) -> list[History]:
    _ = gettext_for(language).gettext
    known = dialogues()
    found = []
    for dialogue_id, runs in finished_by_dialogue(session, youth_id=youth.id or 0).items():
        title = _(known[dialogue_id].title) if dialogue_id in known else dialogue_id
        points = [(run.finished_at, run.score) for run in runs if run.finished_at is not None]
        found.append(History(dialogue_id, title, points))
    return sorted(found, key=lambda h: h.title)


def _range(dialogue: Dialogue | None, scores: list[float]) -> tuple[float, float]:
    """The score axis: WHO-5 runs 0–100, a mean runs along the dialogue's scale."""
    if dialogue is not None and dialogue.scoring == "who5":
        return 0, 100
    if dialogue is not None and (dialogue.scale or "") in NUMERIC_SCALES:
        scale = NUMERIC_SCALES[dialogue.scale or ""]
        return scale.low, scale.high
    return min([0.0, *scores]), max([1.0, *scores])


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    youth: Youth,
    *,
    error: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
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
        histories=_histories(session, youth, panel.settings.panel_language),
        upcoming=upcoming(session, youth_id=youth_id, now=now),
        past=past(session, youth_id=youth_id, now=now),
        portfolio=portfolio,
        coach_names=names,
        active_coaches=active_coaches,
        kinds=KINDS,
        error=error,
        form=form or {"kind": "meeting", "duration": "60"},
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
    """One young person: who they are, their self-assessments, appointments and portfolio."""
    youth = visible_youth(session, viewer, youth_id)
    do_audit(
        session, actor="coach", action="youth.read", coach_id=viewer.coach.id, youth_id=youth.id
    )
    return _page(request, session, viewer, youth)


@router.get("/youth/{youth_id}/history/{dialogue_id}.png")
def history_chart(
    request: Request, youth_id: int, dialogue_id: str, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """A dialogue's score over time as a line chart (drawn in a worker thread)."""
    youth = visible_youth(session, viewer, youth_id)
    panel = panel_of(request)
    history = next(
        (
            h
            for h in _histories(session, youth, panel.settings.panel_language)
            if h.dialogue_id == dialogue_id
        ),
        None,
    )
    if history is None or not history.scored:
        raise HTTPException(status_code=404)
    do_audit(
        session,
        actor="coach",
        action="youth.read_history",
        coach_id=viewer.coach.id,
        youth_id=youth.id,
        detail=dialogue_id,
    )
    points = [(when, score) for when, score in history.runs if score is not None]
    low, high = _range(dialogues().get(dialogue_id), [score for _, score in points])
    png = history_png(title=history.title, points=points, low=low, high=high, tz=panel.settings.tz)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-cache"})


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


def _local_start(day: str, clock: str, request: Request) -> datetime | None:
    """The date and time as typed (2026-12-01 or 1.12.2026; 10:00 or 10.00), in local time."""
    day, clock = day.strip(), clock.strip().replace(".", ":")
    try:
        if "." in day:
            d, m, y = (int(part) for part in day.split("."))
            parsed_day = date(y, m, d)
        else:
            parsed_day = date.fromisoformat(day)
        parsed_time = time.fromisoformat(clock if len(clock) != 4 else f"0{clock}")
    except ValueError:
        return None
    return datetime.combine(parsed_day, parsed_time, tzinfo=panel_of(request).settings.tz)


@router.post("/youth/{youth_id}/appointments")
def book(
    request: Request,
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    kind: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    title: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    day: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    clock: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    duration: Annotated[str, Form(max_length=FORM_LIMIT)] = "60",
    place: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    bring: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
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
        "duration": duration,
        "place": place,
        "bring": bring,
    }
    starts_at = _local_start(day, clock, request)
    error = ""
    if kind not in KINDS:
        error = _("Choose what kind of appointment it is.")
    elif not title.strip():
        error = _("Give the appointment a title: the young person sees it.")
    elif len(title) > TITLE_LIMIT:
        error = _("The title is too long: at most 200 characters.")
    elif len(place) > PLACE_LIMIT or len(bring) > PLACE_LIMIT:
        error = _("The place and what to bring can be at most 300 characters each.")
    elif starts_at is None:
        error = _("Check the date and the time, for example 2026-12-01 and 10:00.")
    elif starts_at <= panel.clock():
        error = _("That time has already passed. Choose a time in the future.")
    elif not duration.strip().isdigit() or not 5 <= int(duration) <= 24 * 60:
        error = _("The length is in minutes, from 5 to 1440.")
    if error or starts_at is None:
        return _page(request, session, viewer, youth, error=error, form=form, status_code=422)
    try:
        do_book(
            session,
            youth=youth,
            coach=viewer.coach,
            kind=kind,
            title=title,
            starts_at=starts_at,
            duration_minutes=int(duration),
            place=place.strip() or None,
            bring=bring.strip() or None,
            tz=panel.settings.tz,
            reminder_hours=panel.settings.reminder_hours,
            now=panel.clock(),
        )
    except AppointmentError as refused:
        error = _("The appointment could not be booked: {reason}").format(reason=refused)
        return _page(request, session, viewer, youth, error=error, form=form, status_code=422)
    return RedirectResponse(f"/youth/{youth_id}#appointments", status_code=303)
