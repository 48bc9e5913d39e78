"""The audit trail: every write and every read of personal data leaves an event."""

from __future__ import annotations

from sqlmodel import Session

from core.models import AuditEvent


def do_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    coach_id: int | None = None,
    youth_id: int | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Record who did what; `detail` must never hold message text or secrets."""
    event = AuditEvent(
        actor=actor, action=action, coach_id=coach_id, youth_id=youth_id, detail=detail
    )
    session.add(event)
    return event
