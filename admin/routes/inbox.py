"""The inbox: conversations waiting for an answer first, oldest waiting on top; live by polling."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from admin.web import CurrentViewer, SessionDep, render
from core.models import Coach, Direction, Message, Youth
from core.services.alerts import urgent_for
from core.services.talk import inbox, waiting_count

router = APIRouter()


def _rows(session: Session, viewer_coach: Coach) -> dict[str, Any]:
    youths = inbox(session, coach=viewer_coach)
    # The snippet is the latest message of the young person or a coach: the bot's own texts
    # (an away note, crisis numbers) would hide what the coach needs to answer.
    # One index probe per row on (youth_id, id); a GROUP BY over all their messages took ~95 ms
    # on a cold PostgreSQL with 1 000 000 messages (bench/panel.py), this takes ~1 ms.
    latest_of_youth = (
        select(func.max(Message.id))
        .where(Message.youth_id == Youth.id, Message.direction != Direction.BOT)
        .scalar_subquery()
    )
    latest_ids = select(latest_of_youth).where(col(Youth.id).in_([y.id for y in youths]))
    latest = session.exec(select(Message).where(col(Message.id).in_(latest_ids))).all()
    coach_ids = {y.coach_id for y in youths if y.coach_id}
    coaches = session.exec(select(Coach).where(col(Coach.id).in_(coach_ids))).all()
    return {
        "urgent": urgent_for(session, coach=viewer_coach),
        "youths": youths,
        "last": {m.youth_id: m for m in latest},
        "coach_names": {c.id: c.display_name for c in coaches},
        "waiting": waiting_count(session, coach=viewer_coach),
    }


@router.get("/")
def inbox_page(request: Request, session: SessionDep, viewer: CurrentViewer) -> Response:
    """The inbox page; its list refreshes itself every few seconds."""
    return render(request, "inbox.html", viewer, **_rows(session, viewer.coach))


@router.get("/inbox/rows")
def inbox_rows(request: Request, session: SessionDep, viewer: CurrentViewer) -> Response:
    """The inbox list alone, for htmx polling."""
    return render(request, "_inbox_rows.html", viewer, **_rows(session, viewer.coach))


def youth_label(youth: Youth) -> str:
    """How a young person is named in the panel: first name, else their number."""
    return youth.first_name or f"#{youth.id}"
