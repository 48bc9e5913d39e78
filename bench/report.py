"""Latency of the impact report page at a realistic volume, on SQLite and on PostgreSQL.

    python -m bench.report [--youth 10000] [--postgres-url URL]

Each database gets the schema from the migrations, 20 coaches and an admin, and `--youth`
young people in five groups, with (seeded, the same for both databases) over the last 300
days: self-assessment runs (life areas, study skills, work readiness, WHO-5; one to four runs
each for about half), their answers, path status histories (about 70 %, most with a transition
into studies or work), ~3 appointments and ~30 messages each. Bulk inserts as bench/panel.py;
PostgreSQL runs in a schema of its own (dropped at the end) and gets VACUUM ANALYZE.

The panel runs in this process (httpx on the ASGI app), one request at a time: 5 warm-up and
50 timed requests per page — the report for the admin (everyone), for one coach (their own),
for one group, its CSV export and one chart. Every response must be 200.

Target: p95 < 300 ms for every page. Prints, per page and database, the first request (the
figures computed afresh; the page keeps them 10 minutes per viewer and filters) and p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import col

from admin.app import create_web_app
from bench.panel import DEFAULT_POSTGRES, PASSWORD, databases, insert_coaches, say, spaced
from core.db import make_engine
from core.dialogs.loader import load_dialogues
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
    utcnow,
)
from core.services.coaches import hash_password
from core.settings import Settings
from polku.migrations import upgrade_to_head

TARGET_MS = 300.0
WARMUP, TIMED = 5, 50
DAYS = 300
BATCH = 10_000
GROUPS = ["Projekti A", "Projekti B", "Ammattiopisto", "Työpaja", "Ohjaamo"]
ADMIN = "admin"
SCALES = {"life_areas": (0, 10), "study_skills": (1, 5), "work_readiness": (0, 10), "who5": (0, 5)}
STARTS = ["comprehensive_school", "tuva", "neet", "workshop"]
GOALS = ["vocational", "upper_secondary", "apprenticeship", "work"]
KINDS = ["meeting", "meeting", "trial_day", "introduction"]
OUTCOMES = (["attended"] * 6, ["cancelled"] * 2, ["declined"], ["missed"] * 2, ["scheduled"])


def _rows(engine: Engine, table: Any, rows: list[dict[str, Any]], label: str, what: str) -> None:
    for start in range(0, len(rows), BATCH):
        with engine.begin() as connection:
            connection.execute(insert(table), rows[start : start + BATCH])
        say(f"{label}: {what} {spaced(min(len(rows), start + BATCH))} / {spaced(len(rows))}")


def generate(url: str, youth: int, label: str, *, admin: bool = True) -> float:
    """Schema from the migrations, then the data (with an admin account unless one exists
    already, as in a served sandbox); returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(20261207)
    say(f"{label}: migrating")
    upgrade_to_head(url)
    engine = make_engine(url)
    now = utcnow()
    first = now - timedelta(days=DAYS)
    try:
        coach_ids = insert_coaches(engine)
        if admin:  # a served sandbox has its own
            with engine.begin() as connection:
                connection.execute(
                    insert(Coach),
                    [
                        {
                            "login": ADMIN,
                            "display_name": "Admin",
                            "password_hash": hash_password(PASSWORD),
                            "role": Role.ADMIN,
                            "active": True,
                            "created_at": now,
                            "office_hours": {},
                        }
                    ],
                )
        turn = itertools.cycle(coach_ids)
        coaches = [next(turn) for _ in range(youth)]
        _rows(
            engine,
            Youth,
            [
                {
                    "telegram_user_id": 7_000_000 + i,
                    "chat_id": 7_000_000 + i,
                    "first_name": f"Nuori {i}",
                    "language": "fi",
                    "consent": Consent.GIVEN,
                    "coach_id": coaches[i],
                    "status": "active",
                    "created_at": first,
                    "last_seen_at": first,
                    "unread": 0,
                    "group_name": GROUPS[i % len(GROUPS)],
                }
                for i in range(youth)
            ],
            label,
            "young people",
        )
        with engine.connect() as connection:
            ids = list(
                connection.execute(select(col(Youth.id)).order_by(col(Youth.telegram_user_id)))
                .scalars()
                .all()
            )

        def when() -> Any:
            return first + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 3600))

        dialogues = load_dialogues()
        runs, answers, statuses, appointments, messages = [], [], [], [], []
        run_id = 0
        for n, youth_id in enumerate(ids):
            for dialogue_id, (low, high) in SCALES.items():
                if rng.random() > 0.5:
                    continue
                questions = dialogues[dialogue_id].questions
                for at in sorted(when() for _ in range(rng.randint(1, 4))):
                    run_id += 1
                    values = [rng.randint(low, high) for _ in questions]
                    runs.append(
                        {
                            "id": run_id,
                            "youth_id": youth_id,
                            "dialogue_id": dialogue_id,
                            "dialogue_version": 1,
                            "status": "finished",
                            "state": {},
                            "score": sum(values) * 4
                            if dialogue_id == "who5"
                            else round(sum(values) / len(values), 1),
                            "started_at": at,
                            "updated_at": at,
                            "finished_at": at,
                        }
                    )
                    answers += [
                        {
                            "assessment_id": run_id,
                            "youth_id": youth_id,
                            "dialogue_id": dialogue_id,
                            "dialogue_version": 1,
                            "question_id": question.id,
                            "area": question.area,
                            "value": value,
                            "skipped": False,
                            "answered_at": at,
                        }
                        for question, value in zip(questions, values, strict=True)
                    ]
            if rng.random() < 0.7:
                changes = sorted(when() for _ in range(rng.randint(1, 4)))
                for step, at in enumerate(changes):
                    moved = step > 0
                    statuses.append(
                        {
                            "youth_id": youth_id,
                            "situation": rng.choice(GOALS if moved else STARTS),
                            "since": at,
                            "transition": moved,
                            "created_at": at,
                        }
                    )
            for _ in range(rng.randint(1, 5)):
                at = when()
                outcome = rng.choice([o for group in OUTCOMES for o in group])
                appointments.append(
                    {
                        "youth_id": youth_id,
                        "coach_id": coaches[n],
                        "kind": rng.choice(KINDS),
                        "title": "Tapaaminen",
                        "starts_at": at,
                        "duration_minutes": 60,
                        "status": outcome,
                        "version": 1,
                        "created_at": at - timedelta(days=7),
                        "updated_at": at + timedelta(hours=rng.choice((-30, 2))),
                    }
                )
            at = when()
            waiting_since = None  # as Youth.waiting_since: the talk is taken to be open
            for _ in range(rng.randint(10, 50)):
                at += timedelta(minutes=rng.expovariate(1 / 240))
                direction = rng.choices(("youth", "bot", "coach"), weights=(45, 40, 15))[0]
                waited = None
                if direction == "youth":
                    waiting_since = waiting_since or at
                elif direction == "coach" and waiting_since is not None:
                    waited, waiting_since = int((at - waiting_since).total_seconds()), None
                messages.append(
                    {
                        "youth_id": youth_id,
                        "direction": direction,
                        "text": "Moi",
                        "media_kind": "text",
                        "delivery_status": "received" if direction == "youth" else "sent",
                        "coach_id": coaches[n] if direction == "coach" else None,
                        "created_at": at,
                        "waited_seconds": waited,
                    }
                )
            if n % 1000 == 0:
                say(f"{label}: drawing {spaced(n)} / {spaced(youth)}")
        messages.sort(key=lambda m: m["created_at"])  # ids grow with time, as in the app
        _rows(engine, Assessment, runs, label, "runs")
        _rows(engine, AssessmentAnswer, answers, label, "answers")
        _rows(engine, PathStatus, statuses, label, "path statuses")
        _rows(engine, Appointment, appointments, label, "appointments")
        _rows(engine, Message, messages, label, "messages")
        if engine.dialect.name == "postgresql":
            say(f"{label}: VACUUM ANALYZE")
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        counts = (len(runs), len(answers), len(statuses), len(appointments), len(messages))
    finally:
        engine.dispose()
    say("")
    print(
        f"{label}: {spaced(youth)} young people, runs {spaced(counts[0])}, answers "
        f"{spaced(counts[1])}, path statuses {spaced(counts[2])}, appointments "
        f"{spaced(counts[3])}, messages {spaced(counts[4])}",
        file=sys.stderr,
    )
    return time.perf_counter() - started


@dataclass
class Page:
    name: str
    login: str
    path: str
    latencies: list[float] = field(default_factory=list)
    first: float = 0.0  # the first request: the figures computed, not yet kept

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def pages() -> list[Page]:
    return [
        Page("/report, admin (everyone)", ADMIN, "/report"),
        Page("/report, one coach (own)", "coach01", "/report"),
        Page("/report?group=…, admin", ADMIN, "/report?group=Ohjaamo"),
        Page("/report.csv, admin", ADMIN, "/report.csv"),
        Page("/report/chart/life_areas.png, admin", ADMIN, "/report/chart/life_areas.png"),
    ]


async def signed_in(app: Any, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    form = await client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "no sign-in form"
    signed = await client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": found.group(1)}
    )
    assert signed.status_code == 303, f"sign-in of {login} failed"
    return client


async def measure(url: str, label: str) -> list[Page]:
    engine = make_engine(url)
    settings = Settings(_env_file=None, POLKU_PANEL_LANGUAGE="en")
    app = create_web_app(engine=engine, settings=settings, fetch_media=None)
    measured = pages()
    clients: dict[str, httpx.AsyncClient] = {}
    try:
        for page in measured:
            if page.login not in clients:
                clients[page.login] = await signed_in(app, page.login)
            client = clients[page.login]
            for n in range(WARMUP + TIMED):
                started = time.perf_counter()
                response = await client.get(page.path)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise AssertionError(f"{page.path}: {response.status_code}, not 200")
                if n == 0:
                    page.first = elapsed
                if n >= WARMUP:
                    page.latencies.append(elapsed)
                if n % 5 == 0:
                    say(f"{label}: {page.name} {n} / {WARMUP + TIMED}")
    finally:
        for client in clients.values():
            await client.aclose()
        engine.dispose()
    say("")
    return measured


def table(results: dict[str, list[Page]]) -> tuple[str, list[str]]:
    labels = list(results)
    head = " | ".join(f"{label} first | {label} p50 | {label} p95" for label in labels)
    lines = [f"| page | {head} | target p95 |", "|---|" + "---:|" * (3 * len(labels) + 1)]
    misses = []
    for n, page in enumerate(next(iter(results.values()))):
        cells = []
        for label in labels:
            measured = results[label][n]
            p95 = measured.percentile(95)
            cells += [
                f"{measured.first * 1000:.0f} ms",
                f"{measured.percentile(50):.1f} ms",
                f"{p95:.1f} ms",
            ]
            if p95 >= TARGET_MS:
                misses.append(f"{page.name} on {label}: p95 {p95:.0f} ms")
        lines.append(f"| {page.name} | {' | '.join(cells)} | {TARGET_MS:.0f} ms |")
    return "\n".join(lines), misses


async def main(youth: int, postgres_url: str) -> None:
    logging.disable(logging.WARNING)
    results: dict[str, list[Page]] = {}
    notes = []
    with tempfile.TemporaryDirectory() as folder:
        for label, url, postgres in databases(folder, postgres_url):
            try:
                seconds = generate(url, youth, label)
                started = time.perf_counter()
                results[label] = await measure(url, label)
                notes.append(
                    f"{label}: generated in {seconds:.0f} s, measured in "
                    f"{time.perf_counter() - started:.0f} s"
                )
            finally:
                if postgres is not None:
                    postgres.run(f'DROP SCHEMA "{postgres.schema}" CASCADE')
    print(
        f"21 coaches (one admin), {spaced(youth)} young people; {WARMUP} warm-up + {TIMED} "
        "timed requests per page, one at a time, in-process (httpx → ASGI)"
    )
    for note in notes:
        print(note)
    print()
    rendered, misses = table(results)
    print(rendered)
    print()
    if misses:
        print(f"MISSES the {TARGET_MS:.0f} ms p95 target: " + "; ".join(misses))
    else:
        print(f"Every page meets the {TARGET_MS:.0f} ms p95 target.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--youth", type=int, default=10_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES,
        help=f"default: $TEST_DATABASE_URL or {DEFAULT_POSTGRES}; '' skips PostgreSQL",
    )
    args = parser.parse_args()
    asyncio.run(main(args.youth, args.postgres_url))
