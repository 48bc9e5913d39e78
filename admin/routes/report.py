"""The impact report: anonymous figures for admins (everyone) and coaches (their own young
people), its charts and its CSV export (audited). The figures come from core.services.report;
any figure about fewer than seven young people is hidden there.

Routes are plain `def`, so FastAPI runs them (and matplotlib) in worker threads, off the event
loop; drawing shares the young person's page's lock and cache.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from admin.assessment_view import known_dialogues
from admin.routes.assessment_charts import _png
from admin.web import CurrentViewer, SessionDep, Viewer, panel_of, render
from core.charts import change_bars_png
from core.i18n import gettext_for
from core.services.access import is_admin
from core.services.audit import do_audit
from core.services.coaches import all_coaches
from core.services.path import load_paths
from core.services.report import (
    SCORED,
    AreaChange,
    Filters,
    Report,
    cached_report,
    hidden,
    report_csv,
    report_groups,
)

router = APIRouter()
DEFAULT_DAYS = 365


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class Chosen:
    """The filters as asked (dates in the panel's time zone), and as the service takes them."""

    def __init__(
        self,
        request: Request,
        viewer: Viewer,
        start: str | None,
        end: str | None,
        coach: str | None,
        group: str | None,
    ) -> None:
        panel = panel_of(request)
        today = panel.clock().astimezone(panel.settings.tz).date()
        self.end = _day(end) or today
        self.start = _day(start) or self.end - timedelta(days=DEFAULT_DAYS)
        self.coach = int(coach) if coach and coach.isdigit() and is_admin(viewer.coach) else None
        self.group = group or None
        tz = panel.settings.tz

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(), tzinfo=tz)

        self.filters = Filters(
            start=midnight(self.start),
            end=midnight(self.end + timedelta(days=1)),
            coach_id=self.coach,
            group=self.group,
        )

    def query(self) -> str:
        asked = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.coach is not None:
            asked["coach"] = str(self.coach)
        if self.group:
            asked["group"] = self.group
        return urlencode(asked)


def _in_order(areas: list[AreaChange]) -> list[AreaChange]:
    """Areas in the order their self-assessment asks them (unknown ones last)."""
    order = {
        (dialogue_id, question.area): n
        for dialogue_id, dialogue in known_dialogues().items()
        for n, question in enumerate(dialogue.questions)
    }
    return sorted(areas, key=lambda a: order.get((a.dialogue_id, a.area), len(order)))


def _report(
    request: Request, session: Session, viewer: Viewer, chosen: Chosen
) -> tuple[Report, datetime]:
    return cached_report(
        session, viewer=viewer.coach, filters=chosen.filters, now=panel_of(request).clock()
    )


@router.get("/report")
def report_page(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    coach: str | None = None,
    group: str | None = None,
) -> Response:
    """The figures with their filters; anonymous aggregates, so reading is not audited."""
    chosen = Chosen(request, viewer, start, end, coach, group)
    report, as_of = _report(request, session, viewer, chosen)
    dialogues = known_dialogues()
    charted = [
        d for d in SCORED if any(a.dialogue_id == d and not a.change.hidden for a in report.areas)
    ]
    return render(
        request,
        "report.html",
        viewer,
        report=report,
        areas=_in_order(report.areas),
        as_of=as_of,
        chosen=chosen,
        query=chosen.query(),
        titles={d: dialogues[d].title for d in SCORED if d in dialogues},
        situation_labels={s.id: s.label for s in load_paths().situations},
        charted=charted,
        coaches=all_coaches(session) if is_admin(viewer.coach) else [],
        groups=report_groups(session, viewer=viewer.coach),
        is_hidden=hidden,
    )


@router.get("/report/chart/{dialogue_id}.png")
def report_chart(
    request: Request,
    dialogue_id: str,
    session: SessionDep,
    viewer: CurrentViewer,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    coach: str | None = None,
    group: str | None = None,
) -> Response:
    """One self-assessment's areas as diverging bars: improved right, worse left."""
    chosen = Chosen(request, viewer, start, end, coach, group)
    areas = [
        a
        for a in _in_order(_report(request, session, viewer, chosen)[0].areas)
        if a.dialogue_id == dialogue_id and not a.change.hidden
    ]
    if not areas:
        raise HTTPException(status_code=404)
    _ = gettext_for(panel_of(request).settings.panel_language).gettext
    return _png(
        request,
        change_bars_png,
        labels=tuple(_(a.area) for a in areas),
        improved=tuple(a.change.improved for a in areas),
        worse=tuple(a.change.worse for a in areas),
        improved_label=_("Improved"),
        worse_label=_("Worse"),
    )


@router.get("/report.csv")
def report_export(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    coach: str | None = None,
    group: str | None = None,
) -> Response:
    """The same figures as CSV (aggregates only); the export is recorded in the audit trail."""
    chosen = Chosen(request, viewer, start, end, coach, group)
    text = report_csv(_report(request, session, viewer, chosen)[0])
    do_audit(
        session,
        actor="coach",
        action="report.export",
        coach_id=viewer.coach.id,
        detail=chosen.query(),
    )
    name = f"polku-report-{chosen.start.isoformat()}-{chosen.end.isoformat()}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
