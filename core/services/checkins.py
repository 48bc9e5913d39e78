"""Check-ins after a transition: a short plain dialogue some weeks and months after a young
person moved into studies or work ("how is it going?", "are you still there?", "is there
something you need?", "would you like to talk to your coach?").

Rows in `check_in` wait with their `due_at`. The check-in job claims each due row with a
compare-and-set on its status and writes an outbox row (kind "after") in the same transaction,
so several processes ask once; the dispatcher sends it, waiting out the quiet hours and within
the rate limits like a reminder. A check-in nobody answered within a week, or before the next
one fell due, is unanswered; two in a row, "not going well" or "I left" tell the coach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.checkin_schedule import Offset, due_time
from core.i18n import N_
from core.models import (
    CheckIn,
    CheckInStatus,
    Coach,
    Consent,
    NoticeKind,
    PathStatus,
    Youth,
    YouthStatus,
    row_id,
)
from core.scheduling import next_allowed
from core.services.audit import do_audit
from core.services.notices import do_notify
from core.services.outbox import do_enqueue

KIND_AFTER = "after"  # the outbox kind of a check-in's first question
ANSWER_WITHIN = timedelta(days=7)
LOW_MOOD = 2  # 😞 or 🙁: "not going well"
NEEDS_LIMIT = 1000
WAITING = (CheckInStatus.SCHEDULED, CheckInStatus.PAUSED)
ASKED = (CheckInStatus.SENT, CheckInStatus.ANSWERED, CheckInStatus.UNANSWERED)
STEPS = ("mood", "there", "need", "coach")
NEED_CHOICES = ("studies", "money", "talk", "none")


def checkins_of(session: Session, youth_id: int) -> list[CheckIn]:
    """The young person's check-ins, the earliest due first."""
    return list(
        session.exec(
            select(CheckIn)
            .where(CheckIn.youth_id == youth_id)
            .order_by(col(CheckIn.due_at), col(CheckIn.id))
        ).all()
    )


def _stop_waiting(session: Session, youth_id: int) -> int:
    result = session.execute(
        update(CheckIn)
        .where(col(CheckIn.youth_id) == youth_id, col(CheckIn.status).in_(WAITING))
        .values(status=CheckInStatus.STOPPED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def do_schedule_checkins(
    session: Session,
    *,
    youth: Youth,
    status: PathStatus,
    schedule: Sequence[Offset],
    now: datetime,
    tz: ZoneInfo,
) -> list[CheckIn]:
    """A new status ends the check-ins still waiting from an earlier one; a transition gets
    its own, one per offset still ahead (a status recorded late skips the ones gone by)."""
    _stop_waiting(session, row_id(youth))
    if not status.transition:
        return []
    rows = [
        CheckIn(youth_id=row_id(youth), path_status_id=row_id(status), due_at=due, created_at=now)
        for due in sorted({due_time(status.since, offset, tz) for offset in schedule})
        if due > now
    ]
    session.add_all(rows)
    return rows


def do_pause(session: Session, *, coach: Coach, youth: Youth, now: datetime) -> int:
    """Nothing is sent until resumed; a question queued for the morning is held back too."""
    result = session.execute(
        update(CheckIn)
        .where(
            col(CheckIn.youth_id) == row_id(youth),
            (col(CheckIn.status) == CheckInStatus.SCHEDULED)
            | ((col(CheckIn.status) == CheckInStatus.SENT) & (col(CheckIn.sent_at) > now)),
        )
        .values(status=CheckInStatus.PAUSED, sent_at=None)
    )
    do_audit(session, actor="coach", action="checkin.pause", coach_id=coach.id, youth_id=youth.id)
    return int(result.rowcount)  # type: ignore[attr-defined]


def do_resume(session: Session, *, coach: Coach, youth: Youth, now: datetime) -> int:
    """Paused check-ins wait again; of those that fell due meanwhile only the latest is asked."""
    paused = [c for c in checkins_of(session, row_id(youth)) if c.status == CheckInStatus.PAUSED]
    gone_by = [c for c in paused if c.due_at <= now]
    for checkin in paused:
        missed = checkin in gone_by[:-1]
        checkin.status = CheckInStatus.STOPPED if missed else CheckInStatus.SCHEDULED
        session.add(checkin)
    do_audit(session, actor="coach", action="checkin.resume", coach_id=coach.id, youth_id=youth.id)
    return len(paused) - max(len(gone_by) - 1, 0)


def do_stop(session: Session, *, coach: Coach, youth: Youth) -> int:
    """Stop every check-in still waiting (scheduled or paused)."""
    stopped = _stop_waiting(session, row_id(youth))
    do_audit(session, actor="coach", action="checkin.stop", coach_id=coach.id, youth_id=youth.id)
    return stopped


class CheckInError(ValueError):
    """A check-in that cannot be added as asked; the message (a msgid) says why."""


def do_add(
    session: Session, *, coach: Coach, youth: Youth, due_at: datetime, now: datetime, tz: ZoneInfo
) -> CheckIn:
    """One more check-in on the latest transition, at `due_at` (out of the quiet hours)."""
    latest = session.exec(
        select(PathStatus)
        .where(PathStatus.youth_id == row_id(youth), col(PathStatus.transition))
        .order_by(col(PathStatus.since).desc(), col(PathStatus.id).desc())
    ).first()
    if latest is None:
        raise CheckInError(N_("Record a move into studies or work first."))
    if due_at < now - timedelta(days=1):
        raise CheckInError(N_("Choose today or a later date."))
    row = CheckIn(
        youth_id=row_id(youth),
        path_status_id=row_id(latest),
        due_at=next_allowed(max(due_at, now), tz),
        created_at=now,
    )
    session.add(row)
    do_audit(session, actor="coach", action="checkin.add", coach_id=coach.id, youth_id=youth.id)
    return row


def _tell_coach(session: Session, youth: Youth, kind: NoticeKind, now: datetime) -> None:
    coach = session.get(Coach, youth.coach_id) if youth.coach_id is not None else None
    if coach is not None and coach.active:
        do_notify(session, coach=coach, youth=youth, kind=kind, now=now)


def do_settle_unanswered(session: Session, *, now: datetime) -> int:
    """Mark asked check-ins unanswered after a week, or once the next one fell due; the second
    in a row tells the coach. Each row changes once (compare-and-set)."""
    asked = session.exec(
        select(CheckIn).where(CheckIn.status == CheckInStatus.SENT, col(CheckIn.sent_at) <= now)
    ).all()
    settled = 0
    for checkin in asked:
        later_due = session.exec(
            select(CheckIn.id).where(
                CheckIn.youth_id == checkin.youth_id,
                col(CheckIn.due_at) > checkin.due_at,
                col(CheckIn.due_at) <= now,
                col(CheckIn.status).in_([*ASKED, CheckInStatus.SCHEDULED]),
            )
        ).first()
        week_over = checkin.sent_at is not None and checkin.sent_at <= now - ANSWER_WITHIN
        if later_due is None and not week_over:
            continue
        won = session.execute(
            update(CheckIn)
            .where(col(CheckIn.id) == checkin.id, col(CheckIn.status) == CheckInStatus.SENT)
            .values(status=CheckInStatus.UNANSWERED)
        )
        if not won.rowcount:  # type: ignore[attr-defined]
            continue
        settled += 1
        before = session.exec(
            select(CheckIn)
            .where(
                CheckIn.youth_id == checkin.youth_id,
                col(CheckIn.due_at) < checkin.due_at,
                col(CheckIn.status).in_(ASKED),
            )
            .order_by(col(CheckIn.due_at).desc())
        ).first()
        youth = session.get(Youth, checkin.youth_id)
        if before is not None and before.status == CheckInStatus.UNANSWERED and youth is not None:
            _tell_coach(session, youth, NoticeKind.CHECKIN_SILENT, now)
    return settled


def do_queue_due_checkins(session: Session, *, now: datetime, tz: ZoneInfo) -> int:
    """Settle the unanswered, then queue each due check-in this caller wins; how many queued.

    A young person who cannot be reached or has not consented is not asked: the row stops.
    """
    do_settle_unanswered(session, now=now)
    due = session.exec(
        select(CheckIn, Youth)
        .join(Youth, col(Youth.id) == col(CheckIn.youth_id))
        .where(CheckIn.status == CheckInStatus.SCHEDULED, col(CheckIn.due_at) <= now)
        .order_by(col(CheckIn.due_at), col(CheckIn.id))
    ).all()
    queued = 0
    for checkin, youth in due:
        reachable = youth.status == YouthStatus.ACTIVE and youth.consent == Consent.GIVEN
        send_at = next_allowed(now, tz)
        won = session.execute(
            update(CheckIn)
            .where(col(CheckIn.id) == checkin.id, col(CheckIn.status) == CheckInStatus.SCHEDULED)
            .values(
                status=CheckInStatus.SENT if reachable else CheckInStatus.STOPPED,
                sent_at=send_at if reachable else None,
            )
        )
        if not won.rowcount or not reachable:  # type: ignore[attr-defined]
            continue
        do_enqueue(
            session,
            youth=youth,
            kind=KIND_AFTER,
            due_at=send_at,
            payload={"checkin_id": row_id(checkin)},
        )
        queued += 1
    return queued


def still_to_ask(session: Session, *, checkin_id: int | None) -> CheckIn | None:
    """At sending time: the check-in, unless the coach paused or stopped it meanwhile."""
    checkin = session.get(CheckIn, checkin_id) if checkin_id is not None else None
    return checkin if checkin is not None and checkin.status == CheckInStatus.SENT else None


@dataclass(frozen=True)
class Answered:
    """What an answer led to: the check-in and whether the coach was told just now."""

    checkin: CheckIn
    told_coach: bool


def access_asked_checkin(session: Session, *, youth: Youth, checkin_id: int) -> CheckIn | None:
    """The young person's own check-in, if it was asked (an old or foreign button: None)."""
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None or checkin.youth_id != row_id(youth) or checkin.status not in ASKED:
        return None
    return checkin


def do_answer(
    session: Session, *, youth: Youth, checkin_id: int, step: str, value: str, now: datetime
) -> Answered | None:
    """Keep one answer (`step` in STEPS); None for a stale or foreign button or a bad value.

    A low mood (≤ 2) or "I left" tells the coach, once per check-in.
    """
    checkin = access_asked_checkin(session, youth=youth, checkin_id=checkin_id)
    if checkin is None:
        return None
    kind: NoticeKind | None = None
    if step == "mood" and value in {"1", "2", "3", "4", "5"}:
        if int(value) <= LOW_MOOD and (checkin.mood is None or checkin.mood > LOW_MOOD):
            kind = NoticeKind.CHECKIN_LOW
        checkin.mood = int(value)
    elif step == "there" and value in {"yes", "no"}:
        if value == "no" and checkin.still_there is not False:
            kind = NoticeKind.CHECKIN_LEFT
        checkin.still_there = value == "yes"
    elif step == "need" and value in NEED_CHOICES:
        checkin.needs = value
    elif step == "coach" and value in {"yes", "no"}:
        checkin.wants_coach = value == "yes"
    else:
        return None
    checkin.status = CheckInStatus.ANSWERED
    checkin.answered_at = checkin.answered_at or now
    session.add(checkin)
    if kind is not None:
        _tell_coach(session, youth, kind, now)
    return Answered(checkin, told_coach=kind is not None)


def awaiting_needs(session: Session, *, youth: Youth, now: datetime) -> CheckIn | None:
    """The check-in whose "something you need?" question is open now (asked today, after
    "are you still there?", before any need or the offer to talk was answered)."""
    return session.exec(
        select(CheckIn)
        .where(
            CheckIn.youth_id == row_id(youth),
            CheckIn.status == CheckInStatus.ANSWERED,
            col(CheckIn.still_there).is_not(None),
            col(CheckIn.needs).is_(None),
            col(CheckIn.wants_coach).is_(None),
            col(CheckIn.answered_at) > now - timedelta(days=1),
        )
        .order_by(col(CheckIn.due_at).desc())
    ).first()


def do_keep_needs(session: Session, *, checkin: CheckIn, text: str) -> None:
    """What they need, in their own words."""
    checkin.needs = text.strip()[:NEEDS_LIMIT]
    session.add(checkin)


def time_of_day(day: date, tz: ZoneInfo, at: time = time(12, 0)) -> datetime:
    """A date from a form as a moment (midday local time, so it is the same date everywhere)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
