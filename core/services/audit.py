"""The audit trail: every write and every read of personal data leaves an event."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.models import AuditEvent, Youth

# An event about another coach's account names it in `detail` as "coach 12" (the event's
# coach_id is the one who acted), so the trail can put that coach's name in its sentence.
COACH_REF = re.compile(r"\bcoach (\d+)\b")


def coach_ref(coach_id: int | None) -> str:
    """How `detail` names the coach an event is about (read back by `coach_refs`)."""
    return f"coach {coach_id}"


def coach_refs(detail: str | None) -> list[int]:
    """The coaches an event's detail names, in order."""
    return [int(found) for found in COACH_REF.findall(detail or "")]


def do_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    coach_id: int | None = None,
    youth_id: int | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Record who did what; `detail` must never hold message text or secrets. `action` is
    written as a literal at the call (the panel words every code it can find in the source)."""
    event = AuditEvent(
        actor=actor, action=action, coach_id=coach_id, youth_id=youth_id, detail=detail
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One event with the first name of the young person it is about (None: no name)."""

    event: AuditEvent
    youth_name: str | None


@dataclass(frozen=True)
class AuditSlice:
    """A page of the trail, newest first; `older` is the `before` of the next page, if any."""

    entries: list[AuditEntry]
    older: int | None


def audit_slice(
    session: Session,
    *,
    limit: int,
    before: int | None = None,
    youth_id: int | None = None,
    coach_id: int | None = None,
) -> AuditSlice:
    """Events newest first, filtered by young person and/or acting coach, with the young
    people's names fetched in the same query (a page costs one query, not one per row)."""
    query = (
        select(AuditEvent, Youth.first_name)
        .outerjoin(Youth, col(Youth.id) == col(AuditEvent.youth_id))
        .order_by(col(AuditEvent.id).desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(col(AuditEvent.id) < before)
    if youth_id is not None:
        query = query.where(AuditEvent.youth_id == youth_id)
    if coach_id is not None:
        query = query.where(AuditEvent.coach_id == coach_id)
    rows = session.exec(query).all()
    entries = [AuditEntry(event=event, youth_name=name) for event, name in rows[:limit]]
    more = len(rows) > limit and entries
    return AuditSlice(entries=entries, older=entries[-1].event.id if more else None)
