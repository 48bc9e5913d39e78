"""Everything stored about one young person, as plain JSON-ready data for /mydata."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.models import (
    Alert,
    Appointment,
    Assessment,
    AssessmentAnswer,
    AuditEvent,
    CheckIn,
    CoachNote,
    InviteCode,
    Message,
    PathStatus,
    PortfolioEntry,
    Youth,
)
from core.services.audit import do_audit
from core.services.youth import coach_of


def export_youth_data(session: Session, *, youth: Youth) -> dict[str, Any]:
    """Collect every row about the young person and log that the data left the system."""
    coach = coach_of(session, youth=youth)
    messages = session.exec(
        select(Message).where(Message.youth_id == youth.id).order_by(col(Message.id))
    ).all()
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.youth_id == youth.id).order_by(col(AuditEvent.id))
    ).all()
    invites = session.exec(select(InviteCode).where(InviteCode.used_by_youth_id == youth.id)).all()
    assessments = session.exec(
        select(Assessment).where(Assessment.youth_id == youth.id).order_by(col(Assessment.id))
    ).all()
    answers = session.exec(
        select(AssessmentAnswer)
        .where(AssessmentAnswer.youth_id == youth.id)
        .order_by(col(AssessmentAnswer.id))
    ).all()
    appointments = session.exec(
        select(Appointment).where(Appointment.youth_id == youth.id).order_by(col(Appointment.id))
    ).all()
    portfolio = session.exec(
        select(PortfolioEntry)
        .where(PortfolioEntry.youth_id == youth.id)
        .order_by(col(PortfolioEntry.id))
    ).all()
    alerts = session.exec(
        select(Alert).where(Alert.youth_id == youth.id).order_by(col(Alert.id))
    ).all()
    notes = session.exec(
        select(CoachNote).where(CoachNote.youth_id == youth.id).order_by(col(CoachNote.id))
    ).all()
    path = session.exec(
        select(PathStatus).where(PathStatus.youth_id == youth.id).order_by(col(PathStatus.since))
    ).all()
    checkins = session.exec(
        select(CheckIn).where(CheckIn.youth_id == youth.id).order_by(col(CheckIn.due_at))
    ).all()
    data: dict[str, Any] = {
        "you": youth.model_dump(mode="json"),
        "coach": {"display_name": coach.display_name} if coach else None,
        "messages": [m.model_dump(mode="json") for m in messages],
        "self_assessments": [a.model_dump(mode="json", exclude={"state"}) for a in assessments],
        "answers": [a.model_dump(mode="json") for a in answers],
        "appointments": [a.model_dump(mode="json") for a in appointments],
        "portfolio": [p.model_dump(mode="json") for p in portfolio],
        "path": [
            p.model_dump(mode="json", include={"situation", "field", "place", "since"})
            for p in path
        ],
        "check_ins": [
            c.model_dump(
                mode="json",
                include={"due_at", "status", "mood", "still_there", "needs", "wants_coach"},
            )
            for c in checkins
        ],
        "alerts": [
            a.model_dump(mode="json", exclude={"id", "youth_id", "handled_by_coach_id"})
            for a in alerts
        ],
        "coach_notes": [n.model_dump(mode="json", include={"text", "created_at"}) for n in notes],
        "invites_used": [
            {"used_at": i.used_at.isoformat() if i.used_at else None} for i in invites
        ],
        "events": [e.model_dump(mode="json", include={"at", "actor", "action"}) for e in audit],
    }
    do_audit(session, actor="youth", action="youth.export", youth_id=youth.id)
    return data
