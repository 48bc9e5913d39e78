"""Urgent alerts: crisis wording, or a very low wellbeing score, reaches a human at once.

The alert is written and committed before anything is sent to Telegram, so a failed send
never loses it. It goes to the young person's coach when they are on duty; otherwise to every
coach on duty as well (and when nobody is on duty, to every active coach, so whoever signs in
first sees it); each of them also gets a notice in their own Telegram chat. The handover opens,
so what the young person writes next reaches a person.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_
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
from core.office_hours import is_in
from core.services.access import is_admin
from core.services.audit import do_audit
from core.services.notices import do_notify
from core.services.talk import coach_of, do_open_talk

SAFE_ANSWERS = ("safe", "unsafe")


def recipients(session: Session, *, youth: Youth, now: datetime, tz: ZoneInfo) -> list[Coach]:
    """Who is alerted: the own coach on duty; else they and every coach on duty; else all."""
    own = coach_of(session, youth)
    if own is not None and is_in(own.office_hours, now=now, tz=tz):
        return [own]
    active = list(session.exec(select(Coach).where(col(Coach.active)).order_by(col(Coach.id))))
    on_duty = [c for c in active if is_in(c.office_hours, now=now, tz=tz)]
    if not on_duty:
        return active
    return on_duty + ([own] if own is not None and own not in on_duty else [])


def open_alert(session: Session, *, youth_id: int) -> Alert | None:
    """The young person's alert that no coach has handled yet, if any."""
    statement = (
        select(Alert)
        .where(Alert.youth_id == youth_id, col(Alert.handled_at).is_(None))
        .order_by(col(Alert.id).desc())
    )
    return session.exec(statement).first()


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
        if kind == AlertKind.CRISIS_WORDS:
            alert.kind, alert.text, alert.detail = kind, text, detail
            alert.answered_at = None
            session.add(alert)
        do_audit(session, actor="system", action="safety.alert_again", youth_id=youth.id)
        return alert
    alert = Alert(youth_id=row_id(youth), kind=kind, text=text, detail=detail, created_at=now)
    session.add(alert)
    session.flush()
    for coach in recipients(session, youth=youth, now=now, tz=tz):
        session.add(AlertRecipient(alert_id=row_id(alert), coach_id=row_id(coach)))
        do_notify(session, coach=coach, youth=youth, kind=NoticeKind.URGENT, now=now)
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
