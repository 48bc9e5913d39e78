"""Urgent alerts: crisis wording, or a very low wellbeing score, reaches a human at once.

The alert is written and committed before anything is sent to Telegram, so a failed send
never loses it. It goes out in rings: first the young person's own coach and the coaches an
admin put on call (when there are none, the coaches at work); if nobody opens it within
ESCALATE_AFTER, the coaches at work; then the admins. Everyone a ring reaches gets a notice in
their own Telegram and may open the young person's chat until the alert is handled — nobody
else. The handover opens, so what the young person writes next reaches a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from core.models import (
    Alert,
    AlertKind,
    AlertRecipient,
    Coach,
    Consent,
    NoticeKind,
    Youth,
    row_id,
)
from core.office_hours import is_in, next_opening
from core.services.access import is_admin
from core.services.audit import do_audit
from core.services.notices import do_notify
from core.services.talk import coach_of, do_open_talk

SAFE_ANSWERS = ("safe", "unsafe")
# The kinds raised by what the young person wrote, and all kinds, most urgent first.
WORDS = (AlertKind.CRISIS_WORDS, AlertKind.ABUSE)
URGENCY = [AlertKind.CRISIS_WORDS, AlertKind.ABUSE, AlertKind.LOW_WELLBEING]


@dataclass(frozen=True)
class Reach:
    """Who an alert reached and when they answer, so the young person is told the truth.

    `name` is the young person's own coach when it is them who answers first (None: "a
    coach"). `answer_at` is None while someone the alert reached is at work now; otherwise
    the moment the first of them starts work."""

    name: str | None
    answer_at: datetime | None


def reach_of(session: Session, *, alert: Alert, youth: Youth, now: datetime, tz: ZoneInfo) -> Reach:
    """Who answers this alert, and whether now or later."""
    own = coach_of(session, youth)
    reached = list(
        session.exec(
            select(Coach)
            .join(AlertRecipient, col(AlertRecipient.coach_id) == col(Coach.id))
            .where(AlertRecipient.alert_id == alert.id, col(Coach.active))
            .order_by(col(Coach.id))
        )
    )
    at_work = [c for c in reached if c.on_call or is_in(c.office_hours, now=now, tz=tz)]
    if at_work:
        return Reach(own.display_name if own is not None and own in at_work else None, None)
    # Nobody answers now: who reads it first, of those reached and their own coach?
    readers = reached + ([own] if own is not None and own not in reached else [])
    if not readers:
        return Reach(None, next_opening(None, now=now, tz=tz))
    opening = min(next_opening(c.office_hours, now=now, tz=tz) for c in readers)
    if own is not None and next_opening(own.office_hours, now=now, tz=tz) == opening:
        return Reach(own.display_name, opening)
    return Reach(None, opening)


def waiting_alert(session: Session, *, youth_id: int) -> Alert | None:
    """The open alert no coach has answered yet: the bot still stands in for a human."""
    alert = open_alert(session, youth_id=youth_id)
    return alert if alert is not None and alert.answered_at is None else None


def open_alert(session: Session, *, youth_id: int) -> Alert | None:
    """The young person's alert that no coach has handled yet, if any."""
    statement = (
        select(Alert)
        .where(Alert.youth_id == youth_id, col(Alert.handled_at).is_(None))
        .order_by(col(Alert.id).desc())
    )
    return session.exec(statement).first()


# An urgent alert nobody has opened goes one ring further after this long.
ESCALATE_AFTER = timedelta(minutes=10)
LAST_RING = 3


def _ring(session: Session, *, ring: int, youth: Youth, now: datetime, tz: ZoneInfo) -> list[Coach]:
    """The coaches of one ring: 1 the young person's own coach when at work, and the coaches
    on call; 2 the coaches at work; 3 the admins. (Their own coach sees their young person's
    alert in the inbox anyway; off duty they are not woken for it.)"""
    active = list(session.exec(select(Coach).where(col(Coach.active)).order_by(col(Coach.id))))
    at_work = [c for c in active if is_in(c.office_hours, now=now, tz=tz)]
    if ring == 1:
        own = coach_of(session, youth)
        return [c for c in active if c.on_call or (c == own and c in at_work)]
    if ring == 2:
        return at_work
    return [c for c in active if is_admin(c)] or active


def _reach_ring(
    session: Session, *, alert: Alert, youth: Youth, ring: int, now: datetime, tz: ZoneInfo
) -> list[Coach]:
    """Add this ring's coaches to the alert (those not reached yet) and send them a notice."""
    reached = set(
        session.exec(select(AlertRecipient.coach_id).where(AlertRecipient.alert_id == alert.id))
    )
    ring_coaches = _ring(session, ring=ring, youth=youth, now=now, tz=tz)
    added = [c for c in ring_coaches if c.id not in reached]
    for coach in added:
        session.add(AlertRecipient(alert_id=row_id(alert), coach_id=row_id(coach), ring=ring))
        do_notify(session, coach=coach, youth=youth, kind=NoticeKind.URGENT, now=now)
    return added


def _first_reach(
    session: Session, *, alert: Alert, youth: Youth, now: datetime, tz: ZoneInfo
) -> None:
    """Ring 1, or the first ring after it that has anyone in it."""
    for ring in range(1, LAST_RING + 1):
        alert.ring, alert.ring_at = ring, now
        if _reach_ring(session, alert=alert, youth=youth, ring=ring, now=now, tz=tz):
            break
    session.add(alert)


def do_escalate_alerts(session: Session, *, now: datetime, tz: ZoneInfo) -> list[int]:
    """Alerts nobody opened within ESCALATE_AFTER of their last ring go to the next ring
    with anyone new in it; each step is audited. Ids of the alerts that went further.

    A compare-and-set on the ring makes two processes running this at once act once."""
    due = session.exec(
        select(Alert).where(
            col(Alert.handled_at).is_(None),
            col(Alert.opened_at).is_(None),
            col(Alert.ring) < LAST_RING,
            col(Alert.ring_at) <= now - ESCALATE_AFTER,
        )
    ).all()
    moved = []
    for alert in due:
        youth = session.get(Youth, alert.youth_id)
        if youth is None:
            continue
        won = session.execute(
            update(Alert)
            .where(col(Alert.id) == alert.id, col(Alert.ring) == alert.ring)
            .values(ring=alert.ring + 1, ring_at=now)
        )
        if not won.rowcount:  # type: ignore[attr-defined]
            continue
        session.refresh(alert)
        ring = alert.ring
        while not _reach_ring(session, alert=alert, youth=youth, ring=ring, now=now, tz=tz):
            if ring == LAST_RING:
                break
            ring += 1
        alert.ring = ring
        session.add(alert)
        do_audit(
            session,
            actor="system",
            action="safety.alert_escalated",
            youth_id=youth.id,
            detail=f"ring {ring}",
        )
        moved.append(row_id(alert))
    return moved


def do_mark_alert_opened(session: Session, *, coach: Coach, youth: Youth, now: datetime) -> None:
    """A coach the alert reached opened the young person's chat: it goes no further."""
    alert = open_alert(session, youth_id=row_id(youth))
    if alert is None or alert.opened_at is not None:
        return
    reached = session.exec(
        select(AlertRecipient).where(
            AlertRecipient.alert_id == alert.id, AlertRecipient.coach_id == coach.id
        )
    ).first()
    if reached is None and not is_admin(coach):
        return
    alert.opened_at = now
    session.add(alert)
    do_audit(
        session,
        actor="coach",
        action="safety.alert_opened",
        coach_id=coach.id,
        youth_id=youth.id,
    )


def do_raise_alert(
    session: Session,
    *,
    youth: Youth,
    kind: AlertKind,
    text: str | None,
    detail: str,
    now: datetime,
    tz: ZoneInfo,
) -> Alert:
    """Raise an alert, open the handover, and audit it.

    While one is open (not yet handled) it is kept rather than doubled: the more urgent
    reason wins, and new crisis words after a coach's answer make the bot stand in again.
    """
    alert = open_alert(session, youth_id=row_id(youth))
    if alert is not None:
        if kind in WORDS:  # new words: the bot stands in again until a coach answers
            if URGENCY.index(kind) <= URGENCY.index(AlertKind(alert.kind)):
                alert.kind = kind
            alert.text, alert.detail = text, detail
            alert.answered_at = None
            session.add(alert)
        do_audit(session, actor="system", action="safety.alert_again", youth_id=youth.id)
        return alert
    alert = Alert(youth_id=row_id(youth), kind=kind, text=text, detail=detail, created_at=now)
    session.add(alert)
    session.flush()
    _first_reach(session, alert=alert, youth=youth, now=now, tz=tz)
    if youth.consent == Consent.GIVEN:
        do_open_talk(session, youth=youth, now=now)
    youth.waiting_since = youth.waiting_since or now
    session.add(youth)
    do_audit(
        session,
        actor="system",
        action="safety.alert",
        youth_id=youth.id,
        detail=f"{kind.value}: {detail}",
    )
    return alert


def do_record_safe_answer(session: Session, *, youth: Youth, answer: str) -> Alert | None:
    """The young person said whether they are safe right now; the coach sees it on the alert."""
    if answer not in SAFE_ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    alert = open_alert(session, youth_id=row_id(youth))
    if alert is not None:
        alert.safe_answer = answer
        session.add(alert)
    do_audit(session, actor="youth", action="safety.safe_answer", youth_id=youth.id, detail=answer)
    return alert


def urgent_for(session: Session, *, coach: Coach) -> list[tuple[Alert, Youth]]:
    """Open alerts this coach should act on, oldest first: raised to them, or (admins) all."""
    statement = (
        select(Alert, Youth)
        .join(Youth, col(Youth.id) == col(Alert.youth_id))
        .where(col(Alert.handled_at).is_(None))
        .order_by(col(Alert.created_at), col(Alert.id))
    )
    if not is_admin(coach):
        raised_to_me = select(AlertRecipient.alert_id).where(AlertRecipient.coach_id == coach.id)
        statement = statement.where(
            or_(col(Alert.id).in_(raised_to_me), col(Youth.coach_id) == coach.id)
        )
    return [(alert, youth) for alert, youth in session.exec(statement).all()]
