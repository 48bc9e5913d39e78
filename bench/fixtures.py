"""Seeding and reporting shared by bench/faults.py and bench/multiprocess.py: coaches, young
people who already finished onboarding, appointments, finished runs to nudge about, a time zone
where it is daytime now, read-only queries and plain-text tables."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.db import READ_ONLY, transaction
from core.models import Assessment, AssessmentStatus, Consent, Youth, utcnow
from core.services.appointments import do_book
from core.services.coaches import do_add_coach

PASSWORD = "bench-faults-password"
ALL_DAY = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}

# What the bot answers, in English (the seeded young people chose English).
NOT_UNDERSTOOD = "I didn't quite get that"
WHERE_BUTTON = "📍 Where is it?"
BOOKED = "📅 New:"
REMINDER = "⏰ Reminder:"
NUDGE = "Want to see how things have changed"


def daytime_timezone(now: datetime | None = None) -> str:
    """A fixed-offset zone where it is about noon now: quiet hours (21–08) never hold a
    booking notice, a reminder or a nudge back, whenever the bench runs."""
    hour = (now or datetime.now(UTC)).hour
    offset = ((12 - hour + 12) % 24) - 12  # -12 … +11 hours from UTC
    return f"Etc/GMT{-offset:+d}"  # POSIX names: Etc/GMT-3 is UTC+3


def add_coaches(engine: Engine, count: int) -> list[tuple[int, str, str]]:
    """(id, login, display name) of `count` coaches, in office every hour of the week (so no
    'away' note answers the young people talking to them)."""
    made = []
    with transaction(engine) as session:
        for n in range(1, count + 1):
            coach = do_add_coach(
                session, login=f"coach{n}", display_name=f"Coach {n}", password=PASSWORD
            )
            coach.office_hours = dict(ALL_DAY)
            session.add(coach)
            session.flush()
            made.append((int(coach.id or 0), coach.login, coach.display_name))
    return made


def add_youth(
    engine: Engine,
    telegram_ids: Sequence[int],
    *,
    coach_ids: Sequence[int | None] = (None,),
    talking: bool = False,
) -> dict[int, int]:
    """Young people past onboarding (English, consent given), coaches assigned round-robin;
    `talking`: with a talk to their coach already open. Returns telegram id → youth id."""
    now = utcnow()
    coaches = itertools.cycle(coach_ids)
    rows = [
        Youth(
            telegram_user_id=tid,
            chat_id=tid,
            first_name=f"Nuori {tid}",
            language="en",
            consent=Consent.GIVEN,
            consent_at=now,
            coach_id=next(coaches),
            created_at=now,
            last_seen_at=now,
            talk_opened_at=now if talking else None,
        )
        for tid in telegram_ids
    ]
    with transaction(engine) as session:
        session.add_all(rows)
        session.flush()
        return {row.telegram_user_id: int(row.id or 0) for row in rows}


def book(
    engine: Engine,
    youth_ids: Iterable[int],
    *,
    starts_at: datetime,
    tz: str,
    coach_id: int | None = None,
    title: str = "Meeting {youth}",
    place: str = "Ohjaamo",
) -> dict[int, int]:
    """A meeting for each young person, booked as the panel books it (the booking notice and
    the reminders still ahead go into the outbox). Returns youth id → appointment id."""
    booked = {}
    with transaction(engine) as session:
        for youth_id in youth_ids:
            youth = session.get(Youth, youth_id)
            assert youth is not None
            appointment = do_book(
                session,
                youth=youth,
                coach=None,
                kind="meeting",
                title=title.format(youth=youth.telegram_user_id),
                starts_at=starts_at,
                place=place,
                tz=ZoneInfo(tz),
            )
            appointment.coach_id = coach_id
            session.flush()
            booked[youth_id] = int(appointment.id or 0)
    return booked


def finished_runs(
    engine: Engine, youth_ids: Iterable[int], *, dialogue_id: str, version: int, days_ago: int
) -> dict[int, int]:
    """A run of `dialogue_id` each young person finished `days_ago` days ago and was never
    nudged about: the nudge job offers it again. Returns youth id → assessment id."""
    finished = utcnow() - timedelta(days=days_ago)
    made = {}
    with transaction(engine) as session:
        for youth_id in youth_ids:
            run = Assessment(
                youth_id=youth_id,
                dialogue_id=dialogue_id,
                dialogue_version=version,
                status=AssessmentStatus.FINISHED,
                state={},
                score=6.0,
                started_at=finished - timedelta(minutes=5),
                updated_at=finished,
                finished_at=finished,
            )
            session.add(run)
            session.flush()
            made[youth_id] = int(run.id or 0)
    return made


def read(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """Rows of a query, read without taking SQLite's write lock (the bot's engine begins every
    other transaction with BEGIN IMMEDIATE)."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        return list(connection.execute(text(sql), params).all())


def in_list(values: Iterable[int]) -> str:
    """Integers for an IN (…) clause (the bench's own numbers, never user input)."""
    return ", ".join(str(int(v)) for v in values) or "NULL"


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table with aligned columns (numbers right, text left)."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)
    ]

    def line(cells: Sequence[str], numeric: Sequence[bool]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    numeric = [bool(body) and all(_looks_numeric(r[i]) for r in body) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(list(header), numeric), rule, *(line(r, numeric) for r in body)])


def _looks_numeric(cell: str) -> bool:
    head = cell.split(" ", 1)[0].rstrip("%").replace(".", "", 1).replace("/", "").lstrip("-")
    return head.isdigit() or cell in ("—", "n/a")
