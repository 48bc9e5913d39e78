"""Path status: where a young person is (school, TUVA, vocational studies, work …) from a date
on, recorded by a coach. The rows of `path_status` are the history and the single source for
statuses (the impact report reads them through `status_at`).

The situations and fields are data the organisation edits (paths/situations.yaml); a move
into studies or work is a transition, and a transition schedules the check-ins
(core/services/checkins.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from core.checkin_schedule import DEFAULT_SCHEDULE, Offset
from core.i18n import N_
from core.models import Coach, PathStatus, Youth, row_id
from core.services.audit import do_audit
from core.services.checkins import do_schedule_checkins

PATHS_FILE = Path(__file__).resolve().parent.parent.parent / "paths" / "situations.yaml"
# A status may be recorded ahead (a place starting next month), but not further than this.
FURTHEST_AHEAD = timedelta(days=366)
PLACE_LIMIT = 200


class Choice(BaseModel):
    """A situation or a field. `label` is an English msgid; translations in locales/."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    label: str
    studies_or_work: bool = False  # moving into it is a transition


class Paths(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    situations: list[Choice]
    fields: list[Choice]

    def situation(self, situation_id: str) -> Choice | None:
        return next((s for s in self.situations if s.id == situation_id), None)

    def field(self, field_id: str) -> Choice | None:
        return next((f for f in self.fields if f.id == field_id), None)


class PathsError(ValueError):
    """The situations file is broken; the message says where."""


class PathError(ValueError):
    """A status that cannot be recorded as asked; the message (a msgid) says why."""


@lru_cache(maxsize=4)
def load_paths(path: Path = PATHS_FILE) -> Paths:
    """The situations and fields, checked: a broken file stops start-up with its reason."""
    try:
        paths = Paths.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PathsError(f"{path.name}: {exc}") from exc
    for kind, items in (("situation", paths.situations), ("field", paths.fields)):
        ids = [item.id for item in items]
        if len(set(ids)) != len(ids):
            raise PathsError(f"{path.name}: {kind} ids must be unique")
    return paths


def history(session: Session, youth_id: int) -> list[PathStatus]:
    """Every recorded status, the newest (by date) first."""
    return list(
        session.exec(
            select(PathStatus)
            .where(PathStatus.youth_id == youth_id)
            .order_by(col(PathStatus.since).desc(), col(PathStatus.id).desc())
        ).all()
    )


def status_at(session: Session, youth_id: int, moment: datetime) -> PathStatus | None:
    """The status in force at `moment`: the latest row with `since <= moment`."""
    return session.exec(
        select(PathStatus)
        .where(PathStatus.youth_id == youth_id, col(PathStatus.since) <= moment)
        .order_by(col(PathStatus.since).desc(), col(PathStatus.id).desc())
        .limit(1)
    ).first()


def is_transition(
    previous: PathStatus | None, *, situation: str, place: str | None, paths: Paths
) -> bool:
    """Into studies or work from anything else (or from nothing recorded), or from one school
    or workplace to another."""
    target = paths.situation(situation)
    if target is None or not target.studies_or_work:
        return False
    if previous is None:
        return True
    before = paths.situation(previous.situation)
    if before is None or not before.studies_or_work:
        return True
    return previous.situation != situation or (previous.place or "") != (place or "")


def do_record_status(
    session: Session,
    *,
    coach: Coach,
    youth: Youth,
    situation: str,
    field: str | None,
    place: str | None,
    since: datetime,
    now: datetime,
    schedule: Sequence[Offset] = DEFAULT_SCHEDULE,
    tz: ZoneInfo | None = None,
    paths: Paths | None = None,
) -> PathStatus:
    """Record a status; the newest one stops the check-ins still waiting and, on a
    transition, schedules new ones from its date.

    Raises PathError for an unknown situation or field, or a date too far ahead.
    """
    paths = paths or load_paths()
    if paths.situation(situation) is None:
        raise PathError(N_("Choose a situation from the list."))
    if field and paths.field(field) is None:
        raise PathError(N_("Choose a field from the list."))
    if since > now + FURTHEST_AHEAD:
        raise PathError(N_("The date is too far ahead."))
    place = (place or "").strip()[:PLACE_LIMIT] or None
    previous = status_at(session, row_id(youth), since)
    later = session.exec(
        select(PathStatus.id).where(
            PathStatus.youth_id == row_id(youth), col(PathStatus.since) > since
        )
    ).first()
    status = PathStatus(
        youth_id=row_id(youth),
        situation=situation,
        field=field or None,
        place=place,
        since=since,
        transition=is_transition(previous, situation=situation, place=place, paths=paths),
        coach_id=coach.id,
        created_at=now,
    )
    session.add(status)
    session.flush()
    do_audit(session, actor="coach", action="path.record", coach_id=coach.id, youth_id=youth.id)
    if later is None:  # an earlier stage filled in afterwards leaves the check-ins alone
        do_schedule_checkins(
            session,
            youth=youth,
            status=status,
            schedule=schedule,
            now=now,
            tz=tz or ZoneInfo("UTC"),
        )
    return status
