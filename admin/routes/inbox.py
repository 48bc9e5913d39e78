"""The inbox: conversations waiting for an answer first, oldest waiting on top; live by polling."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from admin.web import CurrentViewer, SessionDep, render
from core.models import Coach, Youth
from core.services.alerts import urgent_for
from core.services.talk import INBOX_VIEWS, inbox, latest_own_words, waiting_count

router = APIRouter()


def _rows(session: Session, viewer_coach: Coach, show: str) -> dict[str, Any]:
    show = show if show in INBOX_VIEWS else "all"
    urgent = urgent_for(session, coach=viewer_coach)
    alerted = {youth.id for _alert, youth in urgent}
    # One row per young person: one with an urgent alert is listed there, on top.
    youths = [y for y in inbox(session, coach=viewer_coach, show=show) if y.id not in alerted]
    coach_ids = {y.coach_id for y in youths if y.coach_id}
    coaches = session.exec(select(Coach).where(col(Coach.id).in_(coach_ids))).all()
    return {
        "urgent": urgent,
        "youths": youths,
        "last": latest_own_words(session, youth_ids=[y.id or 0 for y in youths]),
        "coach_names": {c.id: c.display_name for c in coaches},
        "waiting": waiting_count(session, coach=viewer_coach),
        "show": show,
        "views": INBOX_VIEWS,
    }


@router.get("/")
def inbox_page(
    request: Request, session: SessionDep, viewer: CurrentViewer, show: str = "all"
) -> Response:
    """The inbox page; its list refreshes itself every few seconds."""
    return render(request, "inbox.html", viewer, **_rows(session, viewer.coach, show))


@router.get("/inbox/rows")
def inbox_rows(
    request: Request, session: SessionDep, viewer: CurrentViewer, show: str = "all"
) -> Response:
    """The inbox list alone, for htmx polling."""
    return render(request, "_inbox_rows.html", viewer, **_rows(session, viewer.coach, show))


def youth_label(youth: Youth) -> str:
    """How a young person is named in the panel: first name, else their number."""
    return youth.first_name or f"#{youth.id}"
