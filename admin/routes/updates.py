"""Updates that failed for good, for admins: what kind, whose chat, why — and "Try again".

The inbox never drops an update silently: after its last try it waits here (without showing
what was written, which stays in the database until it is handled or purged) until an admin
asks for another try, e.g. after fixing what made it fail.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from admin.web import Checked, CurrentViewer, SessionDep, panel_of, render, require_admin
from core.services.audit import do_audit
from core.services.inbox import do_retry_failed, failed_update_views

router = APIRouter()


@router.get("/updates")
def failed_updates_page(request: Request, session: SessionDep, viewer: CurrentViewer) -> Response:
    """The failed updates, newest first."""
    require_admin(viewer)
    return render(request, "updates.html", viewer, failed=failed_update_views(session))


@router.post("/updates/{update_id}/retry")
def retry(request: Request, update_id: int, session: SessionDep, viewer: Checked) -> Response:
    """Put a failed update back in line; the workers handle it within a second or so."""
    require_admin(viewer)
    if not do_retry_failed(session, update_id=update_id, now=panel_of(request).clock()):
        raise HTTPException(status_code=404)
    do_audit(
        session,
        actor="coach",
        action="update.retried",
        coach_id=viewer.coach.id,
        detail=str(update_id),
    )
    return RedirectResponse("/updates", status_code=303)
