"""Appointments: book, move, cancel, answer; each change writes its outbox rows in the same
transaction, so a reminder exists exactly when its appointment does."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from core.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Coach,
    NoticeKind,
    Youth,
    row_id,
    utcnow,
)
from core.scheduling import next_allowed, reminder_times
from core.services.audit import do_audit
from core.services.notices import do_notify
from core.services.outbox import do_cancel_pending, do_enqueue

DEFAULT_REMINDER_HOURS = {kind.value: [24, 2] for kind in AppointmentKind}
ACTIVE = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED, AppointmentStatus.DECLINED)


class AppointmentError(ValueError):
    """An appointment cannot be made or changed as asked; the message says why."""


class NotChangeable(AppointmentError):
    """The appointment was already cancelled, or its time has come: a form opened earlier is
    stale. `why` is "cancelled" or "begun", for a kind word in the panel."""

    def __init__(self, why: Literal["cancelled", "begun"]) -> None:
        super().__init__(
            "the appointment is already cancelled"
            if why == "cancelled"
            else "the appointment has already begun"
        )
        self.why = why


FOLLOWED_UP = (AppointmentKind.TRIAL_DAY, AppointmentKind.INTRODUCTION)
FOLLOWUP_EVENING = time(18, 0)
FOLLOWUP_VALID = timedelta(days=3)
MIN_MINUTES, MAX_MINUTES = 1, 24 * 60


def followup_time(appointment: Appointment, tz: ZoneInfo) -> datetime:
    """The same evening: 18:00 local, or when it ended if later; after 21:00, the next morning."""
    ends = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
    evening = datetime.combine(ends.astimezone(tz).date(), FOLLOWUP_EVENING, tzinfo=tz)
    return next_allowed(max(ends, evening.astimezone(UTC)), tz)


def check_appointment(*, kind: str, title: str, starts_at: datetime, now: datetime) -> None:
    """Raise AppointmentError for an unknown kind, an empty title or a time in the past."""
    if kind not in {k.value for k in AppointmentKind}:
        known = ", ".join(k.value for k in AppointmentKind)
        raise AppointmentError(f"kind must be one of {known}")
    if not title.strip():
        raise AppointmentError("title cannot be empty")
    if starts_at.tzinfo is None:
        raise AppointmentError("the start time needs a timezone")
    if starts_at <= now:
        raise AppointmentError("the start time is in the past")


def check_changeable(appointment: Appointment, *, now: datetime) -> None:
    """Raise NotChangeable for an appointment already cancelled or already begun: moving or
    cancelling it now would tell the young person something untrue."""
    if appointment.status == AppointmentStatus.CANCELLED:
        raise NotChangeable("cancelled")
    if appointment.starts_at <= now:
        raise NotChangeable("begun")


def check_duration(duration_minutes: int) -> None:
    """Raise AppointmentError unless the length is a minute to a day (as the CSV import)."""
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        raise AppointmentError(f"the length must be {MIN_MINUTES} to {MAX_MINUTES} minutes")


def access_appointment_by_id(
    session: Session, *, coach: Coach, youth: Youth, appointment_id: int
) -> Appointment | None:
    """An appointment of this young person (whom the coach may see); another's or an unknown
    id is None, and the attempt audited."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is not None and appointment.youth_id == youth.id:
        return appointment
    do_audit(
        session,
        actor="coach",
        action="access.denied",
        coach_id=coach.id,
        youth_id=youth.id,
        detail=f"appointment {appointment_id}",
    )
    return None


def _schedule_messages(
    session: Session,
    *,
    youth: Youth,
    appointment: Appointment,
    announce: str,
    now: datetime,
    tz: ZoneInfo,
    reminder_hours: dict[str, list[int]],
) -> None:
    """The announcement (booked / moved) at once or after quiet hours, then the reminders."""
    appointment_id = row_id(appointment)
    version = {"version": appointment.version}
    do_enqueue(
        session,
        youth=youth,
        kind=announce,
        due_at=min(next_allowed(now, tz), appointment.starts_at),
        not_after=appointment.starts_at,
        appointment_id=appointment_id,
        payload=version,
    )
    if appointment.kind in FOLLOWED_UP:
        evening = followup_time(appointment, tz)
        do_enqueue(
            session,
            youth=youth,
            kind="followup",
            due_at=evening,
            not_after=evening + FOLLOWUP_VALID,
            appointment_id=appointment_id,
            payload=version,
        )
    hours = reminder_hours.get(appointment.kind, DEFAULT_REMINDER_HOURS[appointment.kind])
    for hours_before, when in reminder_times(
        starts_at=appointment.starts_at, hours_before=hours, now=now, tz=tz
    ):
        do_enqueue(
            session,
            youth=youth,
            kind="reminder",
            due_at=when,
            not_after=appointment.starts_at,
            appointment_id=appointment_id,
            payload={**version, "hours_before": hours_before},
        )


def do_book(
    session: Session,
    *,
    youth: Youth,
    coach: Coach | None,
    kind: str,
    title: str,
    starts_at: datetime,
    duration_minutes: int = 60,
    place: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    bring: str | None = None,
    notes: str | None = None,
    tz: ZoneInfo,
    reminder_hours: dict[str, list[int]] | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book an appointment and schedule its messages."""
    now = now or utcnow()
    check_appointment(kind=kind, title=title, starts_at=starts_at, now=now)
    check_duration(duration_minutes)
    appointment = Appointment(
        youth_id=row_id(youth),
        coach_id=coach.id if coach else None,
        kind=kind,
        title=title.strip(),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        latitude=latitude,
        longitude=longitude,
        bring=bring,
        notes=notes,
    )
    session.add(appointment)
    session.flush()
    _schedule_messages(
        session,
        youth=youth,
        appointment=appointment,
        announce="booked",
        now=now,
        tz=tz,
        reminder_hours=reminder_hours or DEFAULT_REMINDER_HOURS,
    )
    do_audit(
        session,
        actor="coach" if coach else "system",
        action="appointment.book",
        coach_id=coach.id if coach else None,
        youth_id=youth.id,
        detail=str(appointment.id),
    )
    return appointment


def _supersede(session: Session, *, appointment: Appointment, now: datetime) -> Youth:
    """Before a move or cancel: stop the pending messages and bump the version, so buttons on
    every earlier message about this appointment go stale. Returns the young person."""
    youth = session.get(Youth, appointment.youth_id)
    if youth is None:
        raise AppointmentError("the young person is gone")
    do_cancel_pending(session, appointment_id=row_id(appointment))
    appointment.version += 1
    appointment.updated_at = now
    session.add(appointment)
    return youth


def do_move(
    session: Session,
    *,
    appointment: Appointment,
    starts_at: datetime,
    duration_minutes: int | None = None,
    tz: ZoneInfo,
    reminder_hours: dict[str, list[int]] | None = None,
    coach: Coach | None = None,
    now: datetime | None = None,
) -> None:
    """Move an appointment (and change its length, when given): old reminders are cancelled,
    old buttons go stale, new ones come. Cancelled or begun ones cannot be moved."""
    now = now or utcnow()
    check_changeable(appointment, now=now)
    check_appointment(kind=appointment.kind, title=appointment.title, starts_at=starts_at, now=now)
    if duration_minutes is not None:
        check_duration(duration_minutes)
        appointment.duration_minutes = duration_minutes
    youth = _supersede(session, appointment=appointment, now=now)
    appointment.starts_at = starts_at
    appointment.status = AppointmentStatus.SCHEDULED
    _schedule_messages(
        session,
        youth=youth,
        appointment=appointment,
        announce="moved",
        now=now,
        tz=tz,
        reminder_hours=reminder_hours or DEFAULT_REMINDER_HOURS,
    )
    do_audit(
        session,
        actor="coach",
        action="appointment.move",
        coach_id=coach.id if coach else None,
        youth_id=youth.id,
        detail=str(appointment.id),
    )


def do_cancel(
    session: Session,
    *,
    appointment: Appointment,
    tz: ZoneInfo,
    coach: Coach | None = None,
    now: datetime | None = None,
) -> None:
    """Cancel an appointment and tell the young person (at once, or after quiet hours).
    Cancelled or begun ones cannot be cancelled (the young person would hear it twice)."""
    now = now or utcnow()
    check_changeable(appointment, now=now)
    youth = _supersede(session, appointment=appointment, now=now)
    appointment.status = AppointmentStatus.CANCELLED
    do_enqueue(
        session,
        youth=youth,
        kind="cancelled",
        due_at=min(next_allowed(now, tz), appointment.starts_at),
        not_after=appointment.starts_at,
        appointment_id=row_id(appointment),
        payload={"version": appointment.version},
    )
    do_audit(
        session,
        actor="coach",
        action="appointment.cancel",
        coach_id=coach.id if coach else None,
        youth_id=youth.id,
        detail=str(appointment.id),
    )


def do_answer(session: Session, *, appointment: Appointment, coming: bool) -> None:
    """The young person's Coming / Can't come, recorded at once: the coach sees it on the young
    person's page and in the audit trail, and a "can't come" also as a notice."""
    declined_now = not coming and appointment.status != AppointmentStatus.DECLINED
    appointment.status = AppointmentStatus.CONFIRMED if coming else AppointmentStatus.DECLINED
    session.add(appointment)
    if declined_now:
        _tell_coach(session, appointment=appointment, kind=NoticeKind.CANT_COME)
    do_audit(
        session,
        actor="youth",
        action="appointment.coming" if coming else "appointment.cannot_come",
        youth_id=appointment.youth_id,
        coach_id=appointment.coach_id,
        detail=str(appointment.id),
    )


def do_want_new_time(session: Session, *, appointment: Appointment) -> None:
    """After Can't come, the young person would like a new time: the coach is told."""
    _tell_coach(session, appointment=appointment, kind=NoticeKind.NEW_TIME)
    do_audit(
        session,
        actor="youth",
        action="appointment.new_time_wanted",
        youth_id=appointment.youth_id,
        coach_id=appointment.coach_id,
        detail=str(appointment.id),
    )


def _tell_coach(session: Session, *, appointment: Appointment, kind: NoticeKind) -> None:
    coach = session.get(Coach, appointment.coach_id) if appointment.coach_id else None
    if coach is not None:
        youth = session.get(Youth, appointment.youth_id)
        do_notify(session, coach=coach, youth=youth, kind=kind, now=utcnow())


def upcoming(session: Session, *, youth_id: int, now: datetime) -> list[Appointment]:
    """The young person's appointments still ahead, soonest first."""
    return list(
        session.exec(
            select(Appointment)
            .where(
                Appointment.youth_id == youth_id,
                col(Appointment.status).in_(ACTIVE),
                col(Appointment.starts_at) > now,
            )
            .order_by(col(Appointment.starts_at))
        ).all()
    )


def past(session: Session, *, youth_id: int, now: datetime, limit: int = 50) -> list[Appointment]:
    """The young person's appointments that are behind them or called off, newest first."""
    return list(
        session.exec(
            select(Appointment)
            .where(
                Appointment.youth_id == youth_id,
                or_(
                    col(Appointment.starts_at) <= now,
                    col(Appointment.status).not_in(ACTIVE),
                ),
            )
            .order_by(col(Appointment.starts_at).desc())
            .limit(limit)
        ).all()
    )
