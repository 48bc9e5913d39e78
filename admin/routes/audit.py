"""The audit trail, for admins: newest first, a page at a time, by young person or coach,
each event as a sentence in the panel's language."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from admin.audit_words import word
from admin.web import CurrentViewer, SessionDep, panel_of, render, require_admin
from core.i18n import gettext_for
from core.services.audit import audit_slice, do_audit
from core.services.coaches import all_coaches

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
    found = audit_slice(session, limit=PAGE, before=before, youth_id=youth, coach_id=coach)
    coaches = all_coaches(session)  # the filter's choices, and every name a sentence needs
    names = {c.id: c.display_name for c in coaches if c.id is not None}
    translations = gettext_for(panel_of(request).settings.panel_language)
    filters = {k: v for k, v in (("youth", youth), ("coach", coach)) if v is not None}
    older = urlencode({**filters, "before": found.older}) if found.older else ""
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
        events=[
            (entry, word(entry, coach_names=names, translations=translations))
            for entry in found.entries
        ],
        coaches=coaches,
        coach_names=names,
        youth=youth,
        coach=coach,
        older=older,
    )
