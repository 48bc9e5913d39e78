"""The audit trail, for admins: newest first, a page at a time, by young person or coach."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import col, select

from admin.web import CurrentViewer, SessionDep, render, require_admin
from core.models import AuditEvent, Coach
from core.services.audit import do_audit

router = APIRouter()
PAGE = 100


@router.get("/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    before: int | None = None,
    youth: int | None = None,
    coach: int | None = None,
) -> Response:
    """Who did what: 100 events a page; reading it is itself recorded."""
    require_admin(viewer)
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(PAGE + 1)
    if before is not None:
        query = query.where(col(AuditEvent.id) < before)
    if youth is not None:
        query = query.where(AuditEvent.youth_id == youth)
    if coach is not None:
        query = query.where(AuditEvent.coach_id == coach)
    events = list(session.exec(query).all())
    more = len(events) > PAGE
    events = events[:PAGE]
    coaches = session.exec(select(Coach).order_by(col(Coach.display_name))).all()
    filters = {k: v for k, v in (("youth", youth), ("coach", coach)) if v is not None}
    older = urlencode({**filters, "before": events[-1].id}) if more and events else ""
    shown = " ".join(f"{k}={v}" for k, v in {**filters, "before": before}.items() if v is not None)
    do_audit(
        session,
        actor="coach",
        action="audit.read",
        coach_id=viewer.coach.id,
        detail=shown or None,
    )
    return render(
        request,
        "audit.html",
        viewer,
        events=events,
        coaches=coaches,
        coach_names={c.id: c.display_name for c in coaches},
        youth=youth,
        coach=coach,
        older=older,
    )
