"""A small hand-computed dataset for the impact report, shared by the core, panel and CLI tests.

Coach "own" has eight young people (seven with self-assessments, waits and appointments, eight
with a path), coach "few" has two (every figure about them is hidden), and an admin sees all
ten. The expected figures are written next to the data that makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from core.db import transaction
from core.models import (
    Appointment,
    Assessment,
    AssessmentAnswer,
    Coach,
    Consent,
    Message,
    PathStatus,
    Role,
    Youth,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)

# life_areas "Housing", first and latest: changes +2 0 +1 0 -2 +2 0 → median 0; 3 better, 3 same,
# 1 worse of 7.
HOUSING = [(2, 4), (3, 3), (4, 5), (5, 5), (5, 3), (6, 8), (7, 7)]
# WHO-5 index, first and latest: medians 52 → 56; 3 better, 3 same, 1 worse of 7.
WHO5 = [(20, 40), (40, 40), (40, 60), (60, 56), (60, 80), (80, 80), (52, 52)]
# One wait answered per young person (the first has two): 5 10 20 30 40 60 90 120 minutes →
# median 35, 90th percentile 120; eight waits of seven young people (each coach answer carries
# its wait, as do_coach_reply records it).
WAITS = [[30, 10], [5], [20], [40], [60], [90], [120]]
# Meetings (7 young people): 5 attended, 2 cancelled before the start, 1 cancelled after it,
# 2 missed → 50 % attended, 20 % cancelled in time, 20 % not attended. Trial days: 3 people.
MEETINGS = ["attended"] * 5 + ["cancelled_early"] * 2 + ["cancelled_late"] + ["missed"] * 2


@dataclass
class Seeded:
    admin: Coach
    own: Coach
    few: Coach
    own_youth: list[int]
    few_youth: list[int]


def _run(
    session, youth_id: int, dialogue_id: str, when: datetime, *, score=None, area=None, value=None
) -> None:
    run = Assessment(
        youth_id=youth_id,
        dialogue_id=dialogue_id,
        dialogue_version=1,
        status="finished",
        score=score,
        started_at=when,
        updated_at=when,
        finished_at=when,
    )
    session.add(run)
    session.flush()
    if area is not None:
        session.add(
            AssessmentAnswer(
                assessment_id=run.id,
                youth_id=youth_id,
                dialogue_id=dialogue_id,
                dialogue_version=1,
                question_id=area.lower(),
                area=area,
                value=value,
                answered_at=when,
            )
        )


def _message(
    session, youth_id: int, direction: str, when: datetime, waited: timedelta | None = None
) -> None:
    session.add(
        Message(
            youth_id=youth_id,
            direction=direction,
            text="…",
            delivery_status="received" if direction == "youth" else "sent",
            created_at=when,
            waited_seconds=int(waited.total_seconds()) if waited is not None else None,
        )
    )


def seed(engine: Engine, *, password_hash: str = "x") -> Seeded:
    """The dataset; the coaches get `password_hash` so panel tests can sign them in."""
    with transaction(engine) as session:
        coaches = [
            Coach(login=login, display_name=name, password_hash=password_hash, role=role)
            for login, name, role in (
                ("boss", "Admin", Role.ADMIN),
                ("own", "Own Coach", Role.COACH),
                ("few", "Few Coach", Role.COACH),
            )
        ]
        session.add_all(coaches)
        session.flush()
        admin, own, few = coaches
        people = []
        for n in range(10):
            youth = Youth(
                telegram_user_id=9000 + n,
                chat_id=9000 + n,
                first_name=f"Secretname{n}",
                consent=Consent.GIVEN,
                coach_id=own.id if n < 8 else few.id,
                group_name="Project A",
                created_at=NOW - 400 * DAY,
            )
            session.add(youth)
            people.append(youth)
        session.flush()
        ids = [y.id for y in people]
        start = NOW - 300 * DAY
        for i, youth_id in enumerate(ids[:7]):
            first, latest = HOUSING[i]
            _run(session, youth_id, "life_areas", start, area="Housing", value=first)
            _run(session, youth_id, "life_areas", start + 30 * DAY, area="Housing", value=9)
            _run(session, youth_id, "life_areas", start + 60 * DAY, area="Housing", value=latest)
            who_first, who_latest = WHO5[i]
            _run(session, youth_id, "who5", start, score=who_first)
            _run(session, youth_id, "who5", start + 90 * DAY, score=who_latest)
        # Only one run: not counted anywhere.
        _run(session, ids[7], "life_areas", start, area="Housing", value=0)
        _run(session, ids[7], "who5", start, score=0)
        # Path: all eight start outside studies and work; into vocational studies 200 days
        # ago; one moves on to work 10 days later, so at 4 weeks and 6 months after leaving and
        # now: 7 in vocational studies, 1 (hidden) at work.
        leaving = NOW - 200 * DAY
        for youth_id in ids[:8]:
            session.add(PathStatus(youth_id=youth_id, situation="neet", since=start))
            session.add(
                PathStatus(
                    youth_id=youth_id, situation="vocational", since=leaving, transition=True
                )
            )
        session.add(
            PathStatus(youth_id=ids[0], situation="work", since=leaving + 10 * DAY, transition=True)
        )
        for i, outcome in enumerate(MEETINGS):
            at = NOW - (20 + i) * DAY
            status = {"cancelled_early": "cancelled", "cancelled_late": "cancelled"}.get(
                outcome, outcome
            )
            changed = at - DAY if outcome == "cancelled_early" else at + DAY
            session.add(
                Appointment(
                    youth_id=ids[i % 7],
                    kind="meeting",
                    title="Meeting",
                    starts_at=at,
                    status=status,
                    updated_at=changed,
                )
            )
        session.add(
            Appointment(youth_id=ids[0], kind="meeting", title="Later", starts_at=NOW + DAY)
        )
        for youth_id in ids[:3]:
            session.add(
                Appointment(
                    youth_id=youth_id,
                    kind="trial_day",
                    title="Trial",
                    starts_at=NOW - 5 * DAY,
                    status="attended",
                )
            )
        for i, waits in enumerate(WAITS):
            at = NOW - (10 + i) * DAY
            for minutes in waits:
                _message(session, ids[i], "youth", at)
                _message(session, ids[i], "youth", at + MINUTE / 2)  # still the same wait
                _message(session, ids[i], "bot", at + MINUTE)  # the bot does not end it
                _message(session, ids[i], "coach", at + minutes * MINUTE, minutes * MINUTE)
                at += (minutes + 60) * MINUTE
        _message(session, ids[6], "youth", NOW - DAY)  # not answered yet: left out
        # Coach "few": two young people with everything, all hidden.
        for youth_id in ids[8:]:
            _run(session, youth_id, "who5", start, score=20)
            _run(session, youth_id, "who5", start + DAY, score=80)
            _message(session, youth_id, "youth", NOW - 3 * DAY)
            _message(session, youth_id, "coach", NOW - 3 * DAY + 5 * MINUTE, 5 * MINUTE)
            session.add(
                Appointment(
                    youth_id=youth_id,
                    kind="meeting",
                    title="M",
                    starts_at=NOW - 4 * DAY,
                    status="attended",
                )
            )
        return Seeded(admin, own, few, ids[:8], ids[8:])
