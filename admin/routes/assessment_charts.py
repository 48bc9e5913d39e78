"""The pictures on a young person's page: the radar of the first and latest answers of an area
dialogue, and a score over time (WHO-5 with its cut-offs).

Routes are plain `def`, so FastAPI runs them in its worker threads, off the event loop. Drawing
takes one lock (matplotlib is not thread-safe, and a page asks for its pictures at once); a
picture is kept for repeats, and a browser that already has it gets 304 by its ETag.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session

from admin.assessment_view import DialogueView, dialogue_view, known_dialogues
from admin.routes.conversation import visible_youth
from admin.web import CurrentViewer, SessionDep, Viewer, panel_of
from core.charts import history_png, radar_png
from core.i18n import gettext_for
from core.services.assessments import histories
from core.services.audit import do_audit

router = APIRouter()
DRAWING = threading.Lock()
DAY = "%d.%m.%Y"


@lru_cache(maxsize=64)
def _drawn(chart: Callable[..., bytes], args: tuple[tuple[str, Any], ...]) -> bytes:
    with DRAWING:
        return chart(**dict(args))


def _png(request: Request, chart: Callable[..., bytes], **kwargs: Any) -> Response:
    """The chart as a PNG; `kwargs` are hashable (tuples), so they key the cache and the ETag."""
    args = tuple(sorted(kwargs.items()))
    digest = hashlib.sha256(repr((chart.__name__, args)).encode()).hexdigest()[:32]
    headers = {"Cache-Control": "private, no-cache", "ETag": f'"{digest}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(_drawn(chart, args), media_type="image/png", headers=headers)


def _view(
    request: Request, session: Session, viewer: Viewer, youth_id: int, dialogue_id: str
) -> DialogueView:
    """One dialogue's runs of a young person this coach may see (else 404); the look audited."""
    youth = visible_youth(session, viewer, youth_id)
    runs = histories(session, youth_id=youth_id, dialogue_id=dialogue_id).get(dialogue_id, [])
    language = panel_of(request).settings.panel_language
    view = dialogue_view(
        dialogue_id, runs, known_dialogues().get(dialogue_id), gettext_for(language)
    )
    if not view.runs:
        raise HTTPException(status_code=404)
    do_audit(
        session,
        actor="coach",
        action="youth.read_history",
        coach_id=viewer.coach.id,
        youth_id=youth.id,
        detail=dialogue_id,
    )
    return view


@router.get("/youth/{youth_id}/radar/{dialogue_id}.png")
def radar_chart(
    request: Request, youth_id: int, dialogue_id: str, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """An area dialogue's first and latest answers on one radar; a skipped area is a gap."""
    view = _view(request, session, viewer, youth_id, dialogue_id)
    if view.kind != "areas":
        raise HTTPException(status_code=404)
    _ = gettext_for(panel_of(request).settings.panel_language).gettext
    tz = panel_of(request).settings.tz
    twice = len(view.runs) > 1
    return _png(
        request,
        radar_png,
        labels=tuple(row.area + (" –" if row.latest is None else "") for row in view.areas),
        latest=tuple(row.latest for row in view.areas),
        first=tuple(row.first for row in view.areas) if twice else None,
        low=view.low,
        high=view.high,
        title=view.title,
        latest_label=_("Latest {date}").format(
            date=view.latest.finished_at.astimezone(tz).strftime(DAY)
        ),
        first_label=_("First {date}").format(
            date=view.first.finished_at.astimezone(tz).strftime(DAY)
        ),
    )


@router.get("/youth/{youth_id}/history/{dialogue_id}.png")
def history_chart(
    request: Request, youth_id: int, dialogue_id: str, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """A scored dialogue's score over time as a line chart (WHO-5: with its cut-offs)."""
    view = _view(request, session, viewer, youth_id, dialogue_id)
    points = tuple((run.finished_at, run.score) for run in view.runs if run.score is not None)
    if view.kind != "score" or not points:
        raise HTTPException(status_code=404)
    return _png(
        request,
        history_png,
        title=view.title,
        points=points,
        low=view.low,
        high=view.high,
        tz=panel_of(request).settings.tz,
        marks=view.marks,
    )
