"""Latency of the coach panel's hot pages (the inbox and a conversation, each with its htmx
poll) at a realistic volume, on SQLite and on PostgreSQL.

    python -m bench.panel [--youth 10000] [--messages 1000000] [--postgres-url URL]

Each database gets the schema from the migrations and 20 coaches, `--youth` young people
(consent given, ~5 % in the shared queue, the rest shared round-robin between the coaches;
~3 % in an open talk with messages waiting, unread) and `--messages` messages over the last
180 days: ~100 per young person, skewed, with a few heavy users of 5 000+ messages. Their
conversation fields (last_message_at, talk_opened_at, waiting_since, unread) are set the way
the app would have left them. PostgreSQL runs in a schema of its own (dropped at the end) and
gets VACUUM ANALYZE after loading, as autovacuum would after 1M inserts (without the VACUUM the
visibility map is empty and index-only scans visit the heap); SQLite gets no ANALYZE (the app
never runs it).

The panel runs in this process (httpx on the ASGI app), signed in as one coach, one request at
a time: 20 warm-up requests, then 200 timed ones per page, the chat pages cycling through
different young people that coach may see. Every response must be 200.

Target: p95 ≤ 100 ms for every page. Prints p50/p95/p99 per database, then both side by side
with p95 as a ratio of the target, and which pages miss it (the exit code is 0 either way).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import random
import re
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from admin.app import create_web_app
from core.db import make_engine
from core.models import Coach, Consent, Message, Role, UTCDateTime, Youth, utcnow
from core.services.coaches import hash_password
from core.settings import Settings
from polku.migrations import upgrade_to_head
from polku.serve import freeze_long_lived

COACHES = 20
PASSWORD = "bench-panel-password"
SIGNED_IN = "coach01"  # the coach the pages are measured for
TARGET_MS = 100.0
WARMUP = 20
TIMED = 200
DAYS = 180
BATCH = 10_000
HEAVY_MESSAGES = 6_000  # each heavy user's expected number of messages
SHARED_QUEUE = 0.05  # young people with no coach
OPEN_TALKS = 0.03  # young people in an open talk, waiting for an answer
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
TEXTS = [
    "Moi",
    "Kiitos!",
    "Joo",
    "En tiedä vielä",
    "Milloin se tapaaminen olikaan?",
    "Voitko soittaa huomenna?",
    "Kävin siellä tutustumassa, oli ihan kiva paikka ja ihmiset mukavia.",
    "Mulla on huomenna hammaslääkäri, voidaanko siirtää tapaamista torstaille?",
    "Hei! Muistathan huomisen tapaamisen klo 10 Ohjaamossa. Ota mukaan henkilökortti.",
    "Tein sen itsearvioinnin loppuun. Oli aika vaikeita kysymyksiä mutta sain tehtyä.",
    "En oikein jaksa nyt mitään, nukuin huonosti ja koulussa on ollut tosi paljon juttuja "
    "eikä kukaan oikein ymmärrä mitä mä haluan tehdä ammatiksi.",
    "Kiitos viestistä! Valmentaja vastaa sinulle arkisin klo 9–16. Voit jatkaa kirjoittamista, "
    "viestisi odottavat häntä.",
]


def say(line: str) -> None:
    """A progress line that overwrites itself (stderr, so the tables stay clean)."""
    print(f"\r{line}\033[K", end="", file=sys.stderr, flush=True)


def spaced(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Dataset:
    """What the measurement needs to know about the generated data."""

    seconds: float = 0.0
    typical: list[int] = field(default_factory=list)  # visible ids with ~100 messages
    heavy: list[int] = field(default_factory=list)  # visible ids with the most messages
    typical_counts: list[int] = field(default_factory=list)
    heavy_counts: list[int] = field(default_factory=list)
    open_talks: int = 0


def insert_coaches(engine: Engine) -> list[int]:
    """20 coaches sharing one password hash (argon2 once, not 20 times)."""
    password_hash = hash_password(PASSWORD)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            insert(Coach),
            [
                {
                    "login": f"coach{i:02d}",
                    "display_name": f"Valmentaja {i}",
                    "password_hash": password_hash,
                    "role": Role.COACH,
                    "office_hours": {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "16:00"},
                    "active": True,
                    "created_at": now,
                }
                for i in range(1, COACHES + 1)
            ],
        )
        rows = connection.execute(select(col(Coach.id)).order_by(col(Coach.login)))
        return [int(row.id) for row in rows]


def insert_youth(
    engine: Engine, count: int, coach_ids: list[int], rng: random.Random, label: str
) -> tuple[list[int], list[int | None]]:
    """The young people, ~5 % unassigned; return their ids and coach ids, in the same order."""
    created = utcnow() - timedelta(days=DAYS + 30)
    coaches: list[int | None] = []
    turn = itertools.cycle(coach_ids)
    for _ in range(count):
        coaches.append(None if rng.random() < SHARED_QUEUE else next(turn))
    first_user = 5_000_000
    for start in range(0, count, BATCH):
        with engine.begin() as connection:
            connection.execute(
                insert(Youth),
                [
                    {
                        "telegram_user_id": first_user + i,
                        "chat_id": first_user + i,
                        "first_name": None if i % 7 == 0 else f"Nuori {i}",
                        "language": "fi",
                        "consent": Consent.GIVEN,
                        "consent_at": created,
                        "coach_id": coaches[i],
                        "status": "active",
                        "created_at": created,
                        "last_seen_at": created,
                        "unread": 0,
                    }
                    for i in range(start, min(count, start + BATCH))
                ],
            )
        say(f"{label}: young people {spaced(min(count, start + BATCH))} / {spaced(count)}")
    with engine.connect() as connection:
        by_user = dict(connection.execute(text("SELECT telegram_user_id, id FROM youth")).all())
    return [by_user[first_user + i] for i in range(count)], coaches


def message_weights(count: int, messages: int, heavy: list[int], rng: random.Random) -> list[float]:
    """Expected messages per young person: the heavy ones HEAVY_MESSAGES (or what fits),
    the others log-normally around the mean of what is left."""
    heavy_each = min(HEAVY_MESSAGES, messages // (4 * len(heavy)))
    rest = messages - heavy_each * len(heavy)
    raw = [rng.lognormvariate(0, 0.5) for _ in range(count)]
    scale = rest / (sum(raw) - sum(raw[i] for i in heavy))
    weights = [w * scale for w in raw]
    for i in heavy:
        weights[i] = heavy_each
    return weights


@dataclass
class Thread:
    """A young person's conversation as the app tracks it, updated message by message."""

    count: int = 0
    last_at: datetime | None = None  # latest youth or coach message
    trailing: int = 0  # youth messages since the last coach message
    trailing_since: datetime | None = None


def insert_messages(
    engine: Engine,
    youth_ids: list[int],
    coaches: list[int | None],
    weights: list[float],
    messages: int,
    rng: random.Random,
    label: str,
) -> list[Thread]:
    """The messages in time order (so ids grow with created_at, as in the app)."""
    end = utcnow() - timedelta(minutes=1)
    start = end - timedelta(days=DAYS)
    step = (end - start) / messages
    cumulative = list(itertools.accumulate(weights))
    indices = range(len(youth_ids))
    threads = [Thread() for _ in youth_ids]
    fallback_coach = next(c for c in coaches if c is not None)
    written = 0
    while written < messages:
        size = min(BATCH, messages - written)
        who = rng.choices(indices, cum_weights=cumulative, k=size)
        directions = rng.choices(("youth", "bot", "coach"), weights=(45, 45, 10), k=size)
        rows = []
        for offset, (i, direction) in enumerate(zip(who, directions, strict=True)):
            at = start + step * (written + offset)
            photo = direction == "youth" and rng.random() < 0.03
            rows.append(
                {
                    "youth_id": youth_ids[i],
                    "direction": direction,
                    "text": None if photo else rng.choice(TEXTS),
                    "media_kind": "photo" if photo else "text",
                    "file_id": "bench-file-id" if photo else None,
                    "telegram_message_id": written + offset + 1,
                    "delivery_status": "received" if direction == "youth" else "sent",
                    "coach_id": (coaches[i] or fallback_coach) if direction == "coach" else None,
                    "created_at": at,
                }
            )
            thread = threads[i]
            thread.count += 1
            if direction == "youth":
                thread.last_at = at
                if not thread.trailing:
                    thread.trailing_since = at
                thread.trailing += 1
            elif direction == "coach":
                thread.last_at = at
                thread.trailing, thread.trailing_since = 0, None
        with engine.begin() as connection:
            connection.execute(insert(Message), rows)
        written += size
        say(f"{label}: messages {spaced(written)} / {spaced(messages)}")
    return threads


def update_conversations(
    engine: Engine, youth_ids: list[int], threads: list[Thread], open_talks: int
) -> int:
    """last_message_at for everyone; an open talk, waiting and unread for the young people
    whose latest messages are theirs, most recent first. Returns how many talks are open."""
    waiting = sorted(
        (i for i, t in enumerate(threads) if t.trailing_since is not None),
        key=lambda i: threads[i].trailing_since or datetime.min,
        reverse=True,
    )[:open_talks]
    talking = set(waiting)
    rows = []
    for i, thread in enumerate(threads):
        opened = thread.trailing_since if i in talking else None
        rows.append(
            {
                "b_id": youth_ids[i],
                "b_last": thread.last_at,
                "b_opened": opened - timedelta(minutes=2) if opened else None,
                "b_waiting": opened,
                "b_unread": thread.trailing if i in talking else 0,
            }
        )
    statement = (
        update(Youth)
        .where(col(Youth.id) == bindparam("b_id"))
        .values(
            last_message_at=bindparam("b_last", type_=UTCDateTime()),
            talk_opened_at=bindparam("b_opened", type_=UTCDateTime()),
            waiting_since=bindparam("b_waiting", type_=UTCDateTime()),
            unread=bindparam("b_unread"),
        )
    )
    with engine.begin() as connection:
        for start in range(0, len(rows), BATCH):
            connection.execute(statement, rows[start : start + BATCH])
    return len(talking)


def generate(url: str, youth: int, messages: int, label: str) -> Dataset:
    """Schema from the migrations, then the data; the same data for every database (seeded)."""
    started = time.perf_counter()
    rng = random.Random(20261123)
    say(f"{label}: migrating")
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        coach_ids = insert_coaches(engine)
        youth_ids, coaches = insert_youth(engine, youth, coach_ids, rng, label)
        signed_in = coach_ids[0]
        visible = [i for i, c in enumerate(coaches) if c in (None, signed_in)]
        hidden = [i for i, c in enumerate(coaches) if c not in (None, signed_in)]
        heavy_count = max(1, youth // 1000)
        heavy_seen = max(1, heavy_count // 3)
        heavy = rng.sample(visible, heavy_seen) + rng.sample(hidden, heavy_count - heavy_seen)
        weights = message_weights(youth, messages, heavy, rng)
        threads = insert_messages(engine, youth_ids, coaches, weights, messages, rng, label)
        say(f"{label}: conversation fields")
        open_talks = update_conversations(
            engine, youth_ids, threads, max(1, round(youth * OPEN_TALKS))
        )
        if engine.dialect.name == "postgresql":
            say(f"{label}: VACUUM ANALYZE")
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE coach, youth, message"))
    finally:
        engine.dispose()
    by_count = sorted(visible, key=lambda i: threads[i].count)
    heaviest = [i for i in by_count if threads[i].count >= 5000] or by_count[-1:]
    ordinary = [i for i in by_count if i not in heaviest]
    typical = [i for i in ordinary if 80 <= threads[i].count <= 120]
    if len(typical) < 20:  # a small run: the 20 nearest the median
        middle = len(ordinary) // 2
        typical = ordinary[max(0, middle - 10) : middle + 10]
    say("")
    print(file=sys.stderr)
    return Dataset(
        seconds=time.perf_counter() - started,
        typical=[youth_ids[i] for i in typical],
        heavy=[youth_ids[i] for i in heaviest],
        typical_counts=[threads[i].count for i in typical],
        heavy_counts=[threads[i].count for i in heaviest],
        open_talks=open_talks,
    )


@dataclass
class Page:
    name: str
    paths: list[str]
    htmx: bool = False
    latencies: list[float] = field(default_factory=list)  # seconds
    sizes: list[int] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def span(counts: list[int]) -> str:
    low, high = min(counts), max(counts)
    return f"{spaced(low)}" if low == high else f"{spaced(low)}–{spaced(high)}"


def pages_for(data: Dataset) -> list[Page]:
    typical, heavy = span(data.typical_counts), span(data.heavy_counts)
    return [
        Page("GET / (inbox)", ["/"]),
        Page("GET /inbox/rows (poll)", ["/inbox/rows"], htmx=True),
        Page(f"GET /youth/{{id}}/chat, {typical} msgs", [f"/youth/{i}/chat" for i in data.typical]),
        Page(f"GET /youth/{{id}}/chat, {heavy} msgs", [f"/youth/{i}/chat" for i in data.heavy]),
        Page(
            "GET /youth/{id}/chat/messages (poll)",
            [f"/youth/{i}/chat/messages" for i in data.typical],
            htmx=True,
        ),
        Page("GET /youth/{id} (young person's page)", [f"/youth/{i}" for i in data.typical]),
        Page("GET /replies (saved replies)", ["/replies"]),
    ]


async def sign_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert form.status_code == 200 and found, "no sign-in form"
    signed = await client.post(
        "/login", data={"login": SIGNED_IN, "password": PASSWORD, "csrf_token": found.group(1)}
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/", "sign-in failed"


async def measure(url: str, data: Dataset, label: str) -> list[Page]:
    """Every page, one request at a time, in this process."""
    engine = make_engine(url)
    settings = Settings(_env_file=None, POLKU_PANEL_LANGUAGE="en")
    app = create_web_app(engine=engine, settings=settings, fetch_media=None)
    freeze_long_lived()  # as `polku serve` does once everything is built
    pages = pages_for(data)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await sign_in(client)
            for page in pages:
                headers = {"HX-Request": "true"} if page.htmx else {}
                paths = itertools.cycle(page.paths)
                for n in range(WARMUP + TIMED):
                    path = next(paths)
                    started = time.perf_counter()
                    response = await client.get(path, headers=headers)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        raise AssertionError(f"{path}: {response.status_code}, not 200")
                    if n >= WARMUP:
                        page.latencies.append(elapsed)
                        page.sizes.append(len(response.content))
                    if n % 20 == 0:
                        say(f"{label}: {page.name} {n} / {WARMUP + TIMED}")
    finally:
        engine.dispose()
    say("")
    print(file=sys.stderr)
    return pages


def database_table(label: str, pages: list[Page]) -> str:
    lines = [
        f"{label}",
        "| page | requests | p50 ms | p95 ms | p99 ms | max ms | KB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for p in pages:
        lines.append(
            f"| {p.name} | {len(p.latencies)} | {p.percentile(50):.1f} | {p.percentile(95):.1f} "
            f"| {p.percentile(99):.1f} | {max(p.latencies) * 1000:.1f} "
            f"| {sum(p.sizes) / len(p.sizes) / 1024:.0f} |"
        )
    return "\n".join(lines)


def side_by_side(results: dict[str, list[Page]]) -> tuple[str, list[str]]:
    """Both databases per page, and the pages (with database) that miss the target."""
    sqlite, postgres = results.get("SQLite"), results.get("PostgreSQL")
    names = [p.name for p in next(iter(results.values()))]
    lines = [
        "| page | SQLite p50 | SQLite p95 | PostgreSQL p50 | PostgreSQL p95 | target p95 "
        "| p95/target SQLite · PostgreSQL |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    misses = []
    for n, name in enumerate(names):
        cells, ratios = [], []
        for label, pages in (("SQLite", sqlite), ("PostgreSQL", postgres)):
            if pages is None:
                cells += ["—", "—"]
                ratios.append("—")
                continue
            p95 = pages[n].percentile(95)
            cells += [f"{pages[n].percentile(50):.1f}", f"{p95:.1f}"]
            ratio = p95 / TARGET_MS
            ratios.append(f"{ratio:.2f}{' ✗' if ratio > 1 else ''}")
            if ratio > 1:
                misses.append(f"{name} on {label}: p95 {p95:.0f} ms")
        lines.append(f"| {name} | {' | '.join(cells)} | {TARGET_MS:.0f} | {' · '.join(ratios)} |")
    return "\n".join(lines), misses


@dataclass
class Postgres:
    """A schema of its own in the given database, dropped at the end."""

    base: str
    schema: str = field(default_factory=lambda: f"bench_panel_{uuid.uuid4().hex[:10]}")

    @property
    def url(self) -> str:
        separator = "&" if "?" in self.base else "?"
        return f"{self.base}{separator}options=-csearch_path%3D{self.schema}"

    def run(self, sql: str) -> None:
        admin = make_engine(self.base)
        try:
            with admin.begin() as connection:
                connection.execute(text(sql))
        finally:
            admin.dispose()


def databases(folder: str, postgres_url: str) -> Iterator[tuple[str, str, Postgres | None]]:
    yield "SQLite", f"sqlite:///{Path(folder) / 'panel.db'}", None
    if not postgres_url:
        return
    postgres = Postgres(postgres_url)
    try:
        postgres.run(f'CREATE SCHEMA "{postgres.schema}"')
    except OperationalError as exc:
        print(f"PostgreSQL at {postgres_url} not reachable, skipped: {exc.orig}", file=sys.stderr)
        return
    yield "PostgreSQL", postgres.url, postgres


async def main(youth: int, messages: int, postgres_url: str) -> None:
    logging.disable(logging.WARNING)
    results: dict[str, list[Page]] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        for label, url, postgres in databases(folder, postgres_url):
            try:
                data = generate(url, youth, messages, label)
                notes.append(
                    f"{label}: generated in {data.seconds:.1f} s; {data.open_talks} open talks; "
                    f"peak memory {peak_memory_mb():.0f} MB"
                )
                started = time.perf_counter()
                results[label] = await measure(url, data, label)
                notes[-1] += f"; measured in {time.perf_counter() - started:.1f} s"
            finally:
                if postgres is not None:
                    postgres.run(f'DROP SCHEMA "{postgres.schema}" CASCADE')
    print(
        f"{COACHES} coaches, {spaced(youth)} young people, {spaced(messages)} messages; "
        f"signed in as {SIGNED_IN}; {WARMUP} warm-up + {TIMED} timed requests per page, "
        "one at a time, in-process (httpx → ASGI)"
    )
    for note in notes:
        print(note)
    for label, pages in results.items():
        print()
        print(database_table(label, pages))
    print()
    table, misses = side_by_side(results)
    print(table)
    print()
    if misses:
        print(f"MISSES the {TARGET_MS:.0f} ms p95 target: " + "; ".join(misses))
    else:
        print(f"Every page meets the {TARGET_MS:.0f} ms p95 target.")
    print(f"peak memory of this process: {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--youth", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES,
        help=f"default: $TEST_DATABASE_URL or {DEFAULT_POSTGRES}; '' skips PostgreSQL",
    )
    args = parser.parse_args()
    asyncio.run(main(args.youth, args.messages, args.postgres_url))
