"""The impact report: anonymous figures about the young people a viewer may see.

Every figure is computed by a few aggregate queries (window functions, GROUP BY) whose results
are small histograms, never one query per young person, so the page stays fast at 10 000
young people. Every figure carries how many young people it is about; any figure about fewer
than MIN_GROUP young people is hidden wherever it is shown (page, CSV, command line).
"""

from __future__ import annotations

import csv
import io
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Numeric,
    and_,
    case,
    cast,
    distinct,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.sql import Subquery
from sqlmodel import Session, col

from core.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    CheckIn,
    Coach,
    Direction,
    Message,
    PathStatus,
    Youth,
)
from core.services.access import is_admin

# Anonymity: a figure about fewer young people than this is never shown.
MIN_GROUP = 7
HIDDEN = "fewer than 7: hidden"
SCORED = ("life_areas", "study_skills", "work_readiness")  # area dialogues with a 0–10 / 1–5 scale
WHO5 = "who5"
# "Leaving coaching": the first transition into studies or work; looked at again after these.
AFTER_LEAVING = (("weeks4", timedelta(days=28)), ("months6", timedelta(days=182)))
LEFT = "left (said in a check-in)"
KINDS = (AppointmentKind.MEETING, AppointmentKind.TRIAL_DAY, AppointmentKind.INTRODUCTION)


def hidden(people: int) -> bool:
    """The anonymity rule, the one place it lives."""
    return people < MIN_GROUP


@dataclass(frozen=True)
class Filters:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive; also "now" for the path status
    coach_id: int | None = None  # admins only; a coach always sees their own
    group: str | None = None


@dataclass(frozen=True)
class Change:
    """First versus latest for one area (or the WHO-5): improved / same / worse shares."""

    people: int
    median_change: float
    improved: float
    same: float
    worse: float
    median_first: float = 0.0
    median_latest: float = 0.0

    @property
    def hidden(self) -> bool:
        return hidden(self.people)


@dataclass(frozen=True)
class AreaChange:
    dialogue_id: str
    area: str
    change: Change


@dataclass(frozen=True)
class StatusColumn:
    """Young people by situation at one moment (start, now, 4 weeks / 6 months after leaving)."""

    moment: str
    people: int
    counts: dict[str, int]

    @property
    def hidden(self) -> bool:
        return hidden(self.people)


@dataclass(frozen=True)
class AppointmentRow:
    kind: str
    appointments: int
    people: int
    attended: float
    cancelled_in_time: float
    not_attended: float

    @property
    def hidden(self) -> bool:
        return hidden(self.people)


@dataclass(frozen=True)
class Response:
    """Coach response time to waiting young people, in minutes, and the period's contacts."""

    waits: int
    people: int  # young people whose waits were answered
    median_minutes: float
    p90_minutes: float
    contact_people: int
    contacts: int  # messages from young people and coaches

    @property
    def hidden(self) -> bool:
        return hidden(self.people)

    @property
    def contacts_hidden(self) -> bool:
        return hidden(self.contact_people)


@dataclass(frozen=True)
class Report:
    areas: list[AreaChange]
    who5: Change
    statuses: list[StatusColumn]
    situations: list[str]
    appointments: list[AppointmentRow]
    response: Response


def median(histogram: Iterable[tuple[float, int]]) -> float:
    """The median of values given as (value, how many); 0 when there are none."""
    ordered = sorted((v, n) for v, n in histogram if n > 0)
    total = sum(n for _, n in ordered)
    if not total:
        return 0.0
    if total % 2:
        return _nth(ordered, total // 2 + 1)
    return (_nth(ordered, total // 2) + _nth(ordered, total // 2 + 1)) / 2


def percentile90(histogram: Iterable[tuple[float, int]]) -> float:
    """The 90th percentile (nearest rank) of values given as (value, how many)."""
    ordered = sorted((v, n) for v, n in histogram if n > 0)
    total = sum(n for _, n in ordered)
    return _nth(ordered, math.ceil(0.9 * total)) if total else 0.0


def _nth(ordered: list[tuple[float, int]], rank: int) -> float:
    """The rank-th smallest value (1-based)."""
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return float(value)
    return float(ordered[-1][0])


def _scope(viewer: Coach | None, filters: Filters) -> list[ColumnElement[bool]]:
    """Whose figures: a coach their own young people, an admin or the server's command line
    (no viewer) everyone, or one coach's."""
    where: list[ColumnElement[bool]] = []
    if viewer is not None and not is_admin(viewer):
        where.append(col(Youth.coach_id) == viewer.id)
    elif filters.coach_id is not None:
        where.append(col(Youth.coach_id) == filters.coach_id)
    if filters.group:
        where.append(col(Youth.group_name) == filters.group)
    return where


def _between(column: object, filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.start is not None:
        where.append(col(column) >= filters.start)
    if filters.end is not None:
        where.append(col(column) < filters.end)
    return where


def _change(deltas: Counter[float], firsts: Counter[float], latests: Counter[float]) -> Change:
    people = sum(deltas.values())
    if not people:
        return Change(0, 0.0, 0.0, 0.0, 0.0)
    improved = sum(n for d, n in deltas.items() if d > 0)
    worse = sum(n for d, n in deltas.items() if d < 0)
    return Change(
        people=people,
        median_change=median(deltas.items()),
        improved=improved / people,
        same=(people - improved - worse) / people,
        worse=worse / people,
        median_first=median(firsts.items()),
        median_latest=median(latests.items()),
    )


def _ends(
    dialogues: tuple[str, ...], scope: list[ColumnElement[bool]], filters: Filters
) -> Subquery:
    """First and latest finished run of each young person with at least two, per dialogue."""
    order = (col(Assessment.finished_at), col(Assessment.id))
    partition = (col(Assessment.youth_id), col(Assessment.dialogue_id))
    runs = (
        select(
            col(Assessment.id).label("id"),
            col(Assessment.youth_id).label("youth_id"),
            col(Assessment.dialogue_id).label("dialogue_id"),
            col(Assessment.score).label("score"),
            func.row_number().over(partition_by=partition, order_by=order).label("up"),
            func.row_number()
            .over(partition_by=partition, order_by=tuple(c.desc() for c in order))
            .label("down"),
        )
        .join(Youth, col(Youth.id) == col(Assessment.youth_id))
        .where(
            col(Assessment.status) == AssessmentStatus.FINISHED,
            col(Assessment.dialogue_id).in_(dialogues),
            *_between(Assessment.finished_at, filters),
            *scope,
        )
        .subquery()
    )
    return (
        select(
            runs.c.id,
            runs.c.youth_id,
            runs.c.dialogue_id,
            runs.c.score,
            (runs.c.up == 1).label("first"),
        )
        .where(or_(runs.c.up == 1, runs.c.down == 1), not_(and_(runs.c.up == 1, runs.c.down == 1)))
        .subquery()
    )


def area_changes(session: Session, viewer: Coach | None, filters: Filters) -> list[AreaChange]:
    """Per area of each scored self-assessment: the area's value (mean of its answers) in the
    latest run minus the first, over young people with at least two finished runs."""
    ends = _ends(SCORED, _scope(viewer, filters), filters)
    value = cast(col(AssessmentAnswer.value), Float)
    per_youth = (
        select(
            ends.c.dialogue_id,
            col(AssessmentAnswer.area).label("area"),
            func.avg(case((ends.c.first, value))).label("first_value"),
            func.avg(case((not_(ends.c.first), value))).label("latest_value"),
        )
        .join(AssessmentAnswer, col(AssessmentAnswer.assessment_id) == ends.c.id)
        .where(col(AssessmentAnswer.value).is_not(None))
        .group_by(ends.c.youth_id, ends.c.dialogue_id, col(AssessmentAnswer.area))
        .subquery()
    )
    rounded = {
        name: func.round(cast(getattr(per_youth.c, name), Numeric(8, 2)), 2).label(name)
        for name in ("first_value", "latest_value")
    }
    rows = session.execute(
        select(
            per_youth.c.dialogue_id,
            per_youth.c.area,
            rounded["first_value"],
            rounded["latest_value"],
            func.count().label("people"),
        )
        .where(per_youth.c.first_value.is_not(None), per_youth.c.latest_value.is_not(None))
        .group_by(per_youth.c.dialogue_id, per_youth.c.area, *rounded.values())
    ).all()
    found: dict[tuple[str, str], tuple[Counter[float], Counter[float], Counter[float]]] = {}
    for dialogue_id, area, first, latest, people in rows:
        deltas, firsts, latests = found.setdefault((dialogue_id, area), _counters())
        deltas[round(float(latest) - float(first), 2)] += people
        firsts[float(first)] += people
        latests[float(latest)] += people
    return [
        AreaChange(dialogue_id, area, _change(*counters))
        for (dialogue_id, area), counters in sorted(
            found.items(), key=lambda item: (SCORED.index(item[0][0]), item[0][1])
        )
    ]


def _counters() -> tuple[Counter[float], Counter[float], Counter[float]]:
    return Counter(), Counter(), Counter()


def who5_change(session: Session, viewer: Coach | None, filters: Filters) -> Change:
    """WHO-5 index (0–100) of the first and the latest finished run, per young person with two."""
    ends = _ends((WHO5,), _scope(viewer, filters), filters)
    per_youth = (
        select(
            func.max(case((ends.c.first, ends.c.score))).label("first_score"),
            func.max(case((not_(ends.c.first), ends.c.score))).label("latest_score"),
        )
        .group_by(ends.c.youth_id)
        .subquery()
    )
    rows = session.execute(
        select(per_youth.c.first_score, per_youth.c.latest_score, func.count())
        .where(per_youth.c.first_score.is_not(None), per_youth.c.latest_score.is_not(None))
        .group_by(per_youth.c.first_score, per_youth.c.latest_score)
    ).all()
    deltas, firsts, latests = _counters()
    for first, latest, people in rows:
        deltas[float(latest) - float(first)] += people
        firsts[float(first)] += people
        latests[float(latest)] += people
    return _change(deltas, firsts, latests)


def path_statuses(
    session: Session, viewer: Coach | None, filters: Filters, *, now: datetime
) -> tuple[list[StatusColumn], list[str]]:
    """Situations at the start (the first status), now (the latest by the period's end) and
    about 4 weeks and 6 months after leaving coaching (the first transition into studies or
    work), for those whose moment has come. A check-in answered "I left" after the latest
    status counts as LEFT until a coach records the next one. One read of the status rows, in
    order, and one of those check-ins."""
    end = min(filters.end, now) if filters.end is not None else now
    rows = session.execute(
        select(
            col(PathStatus.youth_id),
            col(PathStatus.situation),
            col(PathStatus.since),
            col(PathStatus.transition),
        )
        .join(Youth, col(Youth.id) == col(PathStatus.youth_id))
        .where(col(PathStatus.since) < end, *_scope(viewer, filters))
        .order_by(col(PathStatus.youth_id), col(PathStatus.since), col(PathStatus.id))
    ).all()
    left: dict[int, list[datetime]] = {}
    for youth_id, answered_at in session.execute(
        select(col(CheckIn.youth_id), col(CheckIn.answered_at))
        .join(Youth, col(Youth.id) == col(CheckIn.youth_id))
        .where(
            col(CheckIn.still_there).is_(False),
            col(CheckIn.answered_at) < end,
            *_scope(viewer, filters),
        )
    ).all():
        left.setdefault(youth_id, []).append(answered_at)
    columns: dict[str, Counter[str]] = {m: Counter() for m in ("start", "now", "weeks4", "months6")}
    history: list[tuple[datetime, str]] = []
    leaving: datetime | None = None
    current: int | None = None

    def situation_at(when: datetime) -> str:
        since, situation = [row for row in history if row[0] <= when][-1]
        said_left = any(since < t <= when for t in left.get(current or 0, []))
        return LEFT if said_left else situation

    def close() -> None:
        if not history:
            return
        columns["start"][history[0][1]] += 1
        columns["now"][situation_at(end)] += 1
        if leaving is None:
            return
        for moment, after in AFTER_LEAVING:
            when = leaving + after
            if when <= end:
                columns[moment][situation_at(when)] += 1

    for youth_id, situation, since, transition in rows:
        if youth_id != current:
            close()
            current, history, leaving = youth_id, [], None
        history.append((since, situation))
        if transition and leaving is None:
            leaving = since
    close()
    situations = sorted({s for counts in columns.values() for s in counts})
    return [
        StatusColumn(moment, sum(counts.values()), dict(counts))
        for moment, counts in columns.items()
    ], situations


def appointment_rows(
    session: Session, viewer: Coach | None, filters: Filters, *, now: datetime
) -> list[AppointmentRow]:
    """Appointments that have started (in the period), by kind: the share attended, cancelled
    or declined before the start, and missed."""
    scope = _scope(viewer, filters)
    where = [
        col(Appointment.starts_at) <= now,
        col(Appointment.kind).in_([k.value for k in KINDS]),
        *_between(Appointment.starts_at, filters),
        *scope,
    ]
    in_time = col(Appointment.updated_at) < col(Appointment.starts_at)
    counted = session.execute(
        select(
            col(Appointment.kind),
            func.count(),
            func.count(distinct(col(Appointment.youth_id))),
            func.sum(case((col(Appointment.status) == AppointmentStatus.ATTENDED, 1), else_=0)),
            func.sum(
                case(
                    (
                        and_(
                            col(Appointment.status).in_(
                                [AppointmentStatus.CANCELLED, AppointmentStatus.DECLINED]
                            ),
                            in_time,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(case((col(Appointment.status) == AppointmentStatus.MISSED, 1), else_=0)),
        )
        .join(Youth, col(Youth.id) == col(Appointment.youth_id))
        .where(*where)
        .group_by(col(Appointment.kind))
    ).all()
    by_kind = {row[0]: row for row in counted}
    result = []
    for kind in KINDS:
        _kind, total, people, attended, cancelled, missed = by_kind.get(kind, (kind, 0, 0, 0, 0, 0))
        result.append(
            AppointmentRow(
                kind.value,
                total,
                people,
                _share(attended, total),
                _share(cancelled, total),
                _share(missed, total),
            )
        )
    return result


def _share(part: int | None, total: int) -> float:
    return int(part or 0) / total if total else 0.0


def response_times(session: Session, viewer: Coach | None, filters: Filters) -> Response:
    """Each coach message in the period that answered a waiting young person carries how long
    they had waited (recorded at the reply, from `Youth.waiting_since`): the median and the
    90th percentile in minutes. Contacts: young people with messages (theirs or a coach's) in
    the period, and those messages."""
    scope = _scope(viewer, filters)
    answered = [
        col(Message.waited_seconds).is_not(None),
        *_between(Message.created_at, filters),
        *scope,
    ]
    minutes = cast(func.round(col(Message.waited_seconds) / 60.0), Integer)
    histogram = Counter(
        {
            int(m): int(n)
            for m, n in session.execute(
                select(minutes, func.count())
                .join(Youth, col(Youth.id) == col(Message.youth_id))
                .where(*answered)
                .group_by(minutes)
            ).all()
        }
    )
    people = session.execute(
        select(func.count(distinct(col(Message.youth_id))))
        .join(Youth, col(Youth.id) == col(Message.youth_id))
        .where(*answered)
    ).scalar_one()
    contact_people, contacts = session.execute(
        select(func.count(distinct(col(Message.youth_id))), func.count())
        .join(Youth, col(Youth.id) == col(Message.youth_id))
        .where(
            col(Message.direction).in_([Direction.YOUTH, Direction.COACH]),
            *_between(Message.created_at, filters),
            *scope,
        )
    ).one()
    return Response(
        waits=sum(histogram.values()),
        people=int(people),
        median_minutes=median(histogram.items()),
        p90_minutes=percentile90(histogram.items()),
        contact_people=int(contact_people),
        contacts=int(contacts),
    )


def build_report(
    session: Session,
    *,
    viewer: Coach | None,
    filters: Filters,
    now: datetime,
    progress: Callable[[str], None] = lambda _step: None,
) -> Report:
    """Every figure of the report for this viewer (None: everyone) and these filters;
    `progress` hears the name of each figure before it is computed."""
    progress("distance travelled")
    areas = area_changes(session, viewer, filters)
    progress("WHO-5")
    who5 = who5_change(session, viewer, filters)
    progress("path status")
    statuses, situations = path_statuses(session, viewer, filters, now=now)
    progress("appointments")
    appointments = appointment_rows(session, viewer, filters, now=now)
    progress("coach response time")
    response = response_times(session, viewer, filters)
    return Report(areas, who5, statuses, situations, appointments, response)


# Computed figures are kept this long per viewer and filters: the report reads every run,
# status, appointment and message in the period (seconds at 10 000 young people on SQLite),
# and figures a few minutes old serve an impact report well. The page says when they are from.
FRESH_FOR = timedelta(minutes=10)
_KEPT = 64
_kept: dict[tuple[object, ...], tuple[datetime, Report]] = {}
_keeping = threading.Lock()


def cached_report(
    session: Session, *, viewer: Coach, filters: Filters, now: datetime
) -> tuple[Report, datetime]:
    """The report and when it was computed: at most FRESH_FOR old, per database, viewer's
    scope and filters (an admin's figures are shared by every admin)."""
    bind = session.get_bind()
    whose = "everyone" if is_admin(viewer) else viewer.id
    key = (id(bind), str(bind.engine.url), whose, filters)
    with _keeping:
        found = _kept.get(key)
    if found is not None and timedelta(0) <= now - found[0] < FRESH_FOR:
        return found[1], found[0]
    report = build_report(session, viewer=viewer, filters=filters, now=now)
    with _keeping:
        if len(_kept) >= _KEPT:
            _kept.pop(next(iter(_kept)))
        _kept[key] = (now, report)
    return report, now


def _pct(share: float) -> str:
    return f"{round(share * 100)} %"


def report_rows(report: Report) -> list[tuple[str, str, str, str]]:
    """The report as (section, item, measure, value) rows for the CSV and the command line:
    aggregates only, each hidden when it is about fewer than MIN_GROUP young people."""
    rows: list[tuple[str, str, str, str]] = []

    def change(section: str, item: str, c: Change, *, scores: bool) -> None:
        measures = [("young people", str(c.people)), ("median change", f"{c.median_change:+g}")]
        if scores:
            measures += [
                ("median first", f"{c.median_first:g}"),
                ("median latest", f"{c.median_latest:g}"),
            ]
        measures += [("improved", _pct(c.improved)), ("same", _pct(c.same))]
        measures.append(("worse", _pct(c.worse)))
        for measure, value in measures:
            rows.append((section, item, measure, HIDDEN if c.hidden else value))

    for a in report.areas:
        change(f"distance travelled: {a.dialogue_id}", a.area, a.change, scores=False)
    change("WHO-5", "index 0-100", report.who5, scores=True)
    for column in report.statuses:
        rows.append(
            (
                "path status",
                column.moment,
                "young people",
                HIDDEN if column.hidden else str(column.people),
            )
        )
        for situation in report.situations:
            n = column.counts.get(situation, 0)
            rows.append(
                (
                    "path status",
                    column.moment,
                    situation,
                    HIDDEN if column.hidden or 0 < n < MIN_GROUP else str(n),
                )
            )
    for r in report.appointments:
        for measure, value in (
            ("appointments", str(r.appointments)),
            ("young people", str(r.people)),
            ("attended", _pct(r.attended)),
            ("cancelled in time", _pct(r.cancelled_in_time)),
            ("not attended", _pct(r.not_attended)),
        ):
            rows.append(("appointments", r.kind, measure, HIDDEN if r.hidden else value))
    s = report.response
    for measure, value in (
        ("waits answered", str(s.waits)),
        ("young people", str(s.people)),
        ("median minutes", f"{s.median_minutes:g}"),
        ("90th percentile minutes", f"{s.p90_minutes:g}"),
    ):
        rows.append(
            ("coach response time", "waiting young people", measure, HIDDEN if s.hidden else value)
        )
    for measure, value in (("young people", str(s.contact_people)), ("messages", str(s.contacts))):
        rows.append(("contacts", "period", measure, HIDDEN if s.contacts_hidden else value))
    return rows


def report_csv(report: Report) -> str:
    """The CSV export: the same rows as the command line prints, with a header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("section", "item", "measure", "value"))
    writer.writerows(report_rows(report))
    return buffer.getvalue()


def report_groups(session: Session, *, viewer: Coach | None) -> list[str]:
    """The groups (projects, schools) among the young people this viewer's report covers."""
    return list(
        session.execute(
            select(col(Youth.group_name))
            .where(col(Youth.group_name).is_not(None), *_scope(viewer, Filters()))
            .distinct()
            .order_by(col(Youth.group_name))
        ).scalars()
    )
