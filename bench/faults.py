"""A fault soak: young people write and tap, coaches answer from the panel, while something
breaks — on SQLite and on PostgreSQL, `polku serve` as a real process in long-polling mode
against the Telegram stand-in in this process.

    python -m bench.faults [--engines sqlite,postgres]
        [--faults baseline,lock,terminate,kill,outage] [--outage-seconds 120]
        [--traffic-seconds 30] [--youth 6] [--talkers 2] [--coaches 2]

Each fault is a phase of its own with fresh young people (so its counts are its own), in one
`polku serve` per database:

- baseline: no fault.
- lock (SQLite only): another process holds an exclusive lock on the database file for
  `--lock-seconds` (BEGIN EXCLUSIVE, sleep, ROLLBACK).
- terminate (PostgreSQL only): every `--terminate-every` seconds for `--terminate-seconds`,
  pg_terminate_backend() on every backend of this run's `polku serve` (PGAPPNAME).
- kill: `polku serve` is SIGKILLed mid-traffic and started again at once.
- outage: the stand-in answers 502 Bad Gateway to every Bot API call (getUpdates, sends,
  answers to taps …) for `--outage-seconds`; `outage-sends` (not run by default) spares
  getUpdates, so updates keep arriving while nothing can be sent.

The fault starts `--fault-at` seconds into the traffic; traffic lasts `--traffic-seconds` (or
until 15 s after the fault ends); then the bench waits (at most `--drain-seconds`) until every
update of the phase is settled, every answer in and every accepted coach reply delivered.

Per phase: updates sent and stored (rows in inbound_update), handled (status done), lost
(target 0: a text that never reached the `message` table, or a text or tap never answered),
stored twice (target 0: youth rows with the same telegram_message_id and text), answered twice
(more answers than actions), coach replies accepted by the panel / delivered exactly once, the
longest /healthz answer (target < 1 s) and the longest tap-to-answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.fixtures import (
    NOT_UNDERSTOOD,
    PASSWORD,
    WHERE_BUTTON,
    add_coaches,
    add_youth,
    book,
    daytime_timezone,
    in_list,
    read,
    table,
)
from bench.harness import (
    DEFAULT_POSTGRES,
    ChatWatch,
    HealthPoller,
    PanelCoach,
    Serve,
    bench_engine,
    bot_entries_since,
    buttons_of,
    free_port,
    percentile,
    postgres_schema,
    serve_env,
)
from bot.sandbox import FakeUser, StandIn
from bot.sandbox.state import Chat, Entry, Fault
from core.models import utcnow
from polku.migrations import upgrade_to_head

ALL_FAULTS = ("baseline", "lock", "terminate", "kill", "outage")
FAULT_LABELS = {
    "baseline": "none (baseline)",
    "lock": "SQLite locked by another process",
    "terminate": "PostgreSQL backends terminated",
    "kill": "kill -9 and restart",
    "outage": "Bot API answers 502",
    "outage-sends": "Bot API 502, getUpdates spared",
}
REPLY_KINDS = "'coach_reply', 'talk_closed'"  # outbox kinds of a coach's reply and hand-back
ENGINE_FAULTS = {"sqlite": {"terminate"}, "postgres": {"lock"}}  # faults that do not apply

LOCKER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


def say(line: str) -> None:
    """Progress on stderr (the tables go to stdout)."""
    print(f"[{time.strftime('%X')}] {line}", file=sys.stderr, flush=True)


# -- the young people and the coaches ---------------------------------------------------------


@dataclass
class Action:
    """One thing a young person did, and when (if ever) the bot answered it."""

    kind: str  # text | tap | talk
    telegram_id: int
    started: float
    message_id: int | None = None  # the young person's message (texts)
    text: str | None = None
    seconds: float | None = None  # None: no answer (or none expected: talk)


@dataclass
class Youngster:
    user: FakeUser
    youth_id: int
    talker: bool
    coach_login: str | None = None
    written: int = 0  # texts sent to the coach (talkers)
    replied_upto: int = 0  # texts the coach has answered


async def perform(
    watch: ChatWatch,
    user: FakeUser,
    queue: Callable[[], Any],
    action: Action,
    answered: Callable[[list[Entry]], bool] | None,
    actions: list[Action],
    wait_until: float,
) -> None:
    """Queue the update, then wait for the answer (no time limit but the phase's own)."""
    chat = user.chat
    start, seq = len(chat.entries), watch.standin.state.seq
    delivery = queue()
    message = delivery.update.get("message") or {}
    action.message_id = message.get("message_id")
    actions.append(action)
    if answered is None:
        return
    check = answered
    if await watch.until(
        chat,
        lambda: check(bot_entries_since(chat, start, seq)),
        max(0.1, wait_until - time.perf_counter()),
    ):
        action.seconds = time.perf_counter() - action.started


def with_text(fragment: str) -> Callable[[list[Entry]], bool]:
    return lambda entries: any(fragment in (e.message.get("text") or "") for e in entries)


def has_booking(chat: Chat) -> bool:
    return any(e.from_bot and WHERE_BUTTON in buttons_of(e.message) for e in chat.entries)


def tap_where(user: FakeUser) -> Callable[[], Any]:
    """A tap on 📍 Where is it? on the booking notice."""
    message_id, data = user._find_button(user.chat, WHERE_BUTTON, None)
    return lambda: user.queue_tap(message_id, data)


async def writer_and_tapper(
    watch: ChatWatch,
    youngster: Youngster,
    actions: list[Action],
    traffic_ends: float,
    wait_until: float,
) -> None:
    """Write a text (the bot says it did not get it), tap 📍 (the bot says where), again."""
    user = youngster.user
    rng = random.Random(user.id)
    for n in itertools.count(1):
        if time.perf_counter() >= traffic_ends:
            return
        text = f"hello {n} from {user.id}"
        action = Action("text", user.id, time.perf_counter(), text=text)
        await perform(
            watch,
            user,
            functools.partial(user.queue_text, text),
            action,
            with_text(NOT_UNDERSTOOD),
            actions,
            wait_until,
        )
        await asyncio.sleep(rng.uniform(0.3, 1.0))
        if time.perf_counter() >= traffic_ends:
            return
        action = Action("tap", user.id, time.perf_counter())
        await perform(
            watch,
            user,
            tap_where(user),
            action,
            with_text(f"📍 Meeting {user.id}"),
            actions,
            wait_until,
        )
        await asyncio.sleep(rng.uniform(0.3, 1.0))


async def talker(
    watch: ChatWatch, youngster: Youngster, actions: list[Action], traffic_ends: float
) -> None:
    """Write to the coach now and then (the bot stays quiet during a talk)."""
    user = youngster.user
    rng = random.Random(user.id)
    for n in itertools.count(1):
        if time.perf_counter() >= traffic_ends:
            return
        text = f"to my coach {n} from {user.id}"
        action = Action("talk", user.id, time.perf_counter(), text=text)
        await perform(
            watch, user, functools.partial(user.queue_text, text), action, None, actions, 0
        )
        youngster.written += 1
        await asyncio.sleep(rng.uniform(1.0, 3.0))


@dataclass
class Reply:
    coach: PanelCoach
    telegram_id: int
    text: str  # as the young person sees it: "Coach 1: …"


async def coach_at_panel(
    coach: PanelCoach,
    mine: list[Youngster],
    replies: list[Reply],
    traffic_over: asyncio.Event,
    counter: itertools.count[int],
) -> None:
    """Look at the inbox every second and answer each of my young people who wrote since my
    last answer; refused or failed requests (the server is down or the database away) count
    as errors and the reply is tried again a second later."""
    while True:
        try:
            await coach.waiting()
            for youngster in mine:
                upto = youngster.written
                if upto <= youngster.replied_upto:
                    continue
                body = f"answer {next(counter)} for {youngster.user.id}"
                if await coach.answer(youngster.youth_id, body):
                    replies.append(Reply(coach, youngster.user.id, f"{coach.name}: {body}"))
                    youngster.replied_upto = upto
                else:
                    coach.errors += 1
        except httpx.HTTPError:
            coach.errors += 1
        if traffic_over.is_set() and all(y.replied_upto >= y.written for y in mine):
            return
        await asyncio.sleep(1.0)


# -- faults -----------------------------------------------------------------------------------


class Outage:
    """Makes the stand-in answer 502 to every Bot API call while `active` (the stand-in's own
    fault list counts calls per method; an outage is a span of time, so it is patched in)."""

    def __init__(self, standin: StandIn) -> None:
        self.active = False
        self.spared: frozenset[str] = frozenset()
        self.refused = 0
        state = standin.state
        original = state.take_fault

        def take_fault(method: str, chat_id: int | None) -> Fault | None:
            if self.active and method.lower() not in self.spared:
                self.refused += 1
                return Fault(method.lower(), 502, "Bad Gateway", None, 1, None)
            return original(method, chat_id)

        state.take_fault = take_fault  # type: ignore[method-assign]


@dataclass
class Rig:
    """One database and everything running against it."""

    kind: str  # sqlite | postgres
    url: str
    standin: StandIn
    watch: ChatWatch
    outage: Outage
    serve: Serve
    coaches: list[PanelCoach]
    coach_ids: dict[str, int]
    health: HealthPoller
    db: Any  # the bench's own SQLAlchemy engine
    app_name: str
    tz: str
    sqlite_path: Path | None = None


@dataclass
class FaultDone:
    started: float = 0.0
    ended: float = 0.0
    note: str = ""


async def hold_sqlite_lock(path: Path, seconds: float, done: FaultDone) -> None:
    locker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCKER, str(path), str(seconds), stdout=asyncio.subprocess.PIPE
    )
    assert locker.stdout is not None
    await locker.stdout.readline()  # "locked": it may first wait for a writer of the bot's
    done.started = time.perf_counter()
    await locker.wait()
    done.ended = time.perf_counter()
    done.note = f"held {done.ended - done.started:.1f} s"


def terminate_backends(db: Any, app_name: str) -> int:
    rows = read(
        db,
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = :app AND pid <> pg_backend_pid()",
        app=app_name,
    )
    return int(rows[0][0] or 0)


async def terminate_repeatedly(engine: Rig, seconds: float, every: float, done: FaultDone) -> None:
    done.started = time.perf_counter()
    killed = rounds = 0
    while time.perf_counter() - done.started < seconds:
        killed += await asyncio.to_thread(terminate_backends, engine.db, engine.app_name)
        rounds += 1
        await asyncio.sleep(every)
    done.ended = time.perf_counter()
    done.note = f"{killed} backends in {rounds} rounds"


async def kill_and_restart(engine: Rig, done: FaultDone) -> None:
    done.started = time.perf_counter()
    await engine.serve.kill()
    await engine.serve.start()
    done.ended = time.perf_counter()
    done.note = f"back in {done.ended - done.started:.1f} s"


async def bot_api_outage(
    engine: Rig, seconds: float, done: FaultDone, spared: frozenset[str]
) -> None:
    outage = engine.outage
    outage.spared, refused = spared, outage.refused
    outage.active = True
    done.started = time.perf_counter()
    try:
        await asyncio.sleep(seconds)
    finally:
        outage.active = False
    done.ended = time.perf_counter()
    done.note = f"{outage.refused - refused} calls refused in {seconds:.0f} s"


def fault_runner(
    name: str, engine: Rig, args: argparse.Namespace
) -> Callable[[FaultDone], Awaitable[None]] | None:
    if name == "lock":
        assert engine.sqlite_path is not None
        path = engine.sqlite_path
        return lambda done: hold_sqlite_lock(path, args.lock_seconds, done)
    if name == "terminate":
        return lambda done: terminate_repeatedly(
            engine, args.terminate_seconds, args.terminate_every, done
        )
    if name == "kill":
        return lambda done: kill_and_restart(engine, done)
    if name == "outage":
        return lambda done: bot_api_outage(engine, args.outage_seconds, done, frozenset())
    if name == "outage-sends":
        spared = frozenset({"getupdates"})
        return lambda done: bot_api_outage(engine, args.outage_seconds, done, spared)
    return None


def fault_length(name: str, args: argparse.Namespace) -> float:
    lengths: dict[str, float] = {
        "lock": args.lock_seconds,
        "terminate": args.terminate_seconds,
        "kill": 5.0,
        "outage": args.outage_seconds,
        "outage-sends": args.outage_seconds,
    }
    return lengths.get(name, 0.0)


# -- one phase --------------------------------------------------------------------------------


@dataclass
class Outcome:
    engine: str
    fault: str
    sent: int = 0
    stored: int = 0
    handled: int = 0
    failed: int = 0
    open: int = 0  # still pending or processing at the end
    lost_not_stored: int = 0
    lost_texts: int = 0  # texts never answered
    lost_taps: int = 0
    stored_twice: int = 0
    answered_twice: int = 0
    replies: int = 0
    replies_once: int = 0
    replies_missing: int = 0
    replies_doubled: int = 0
    replies_unconfirmed: int = 0  # delivered, though the panel's answer never reached the coach
    coach_errors: int = 0
    health_max: float | None = None
    health_refused: int = 0
    health_not_200: int = 0
    health_samples: int = 0
    tap_max: float | None = None
    tap_p50: float | None = None
    text_max: float | None = None
    fault_note: str = ""
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.lost_not_stored + self.lost_texts + self.lost_taps


def phase_state(engine: Rig, chat_ids: list[int], youth_ids: list[int]) -> tuple[int, int]:
    """(updates of the phase not settled, coach replies and hand-backs not settled)."""
    inbox = read(
        engine.db,
        "SELECT count(*) FROM inbound_update WHERE status IN ('pending', 'processing') "
        f"AND chat_key IN ({in_list(chat_ids)})",
    )
    outbox = read(
        engine.db,
        "SELECT count(*) FROM outboxmessage WHERE status IN ('pending', 'sending') "
        f"AND kind IN ({REPLY_KINDS}) "
        f"AND youth_id IN ({in_list(youth_ids)})",
    )
    return int(inbox[0][0]), int(outbox[0][0])


def delivered_counts(people: list[Youngster]) -> Counter[tuple[int, str]]:
    found: Counter[tuple[int, str]] = Counter()
    for youngster in people:
        for entry in youngster.user.chat.entries:
            if entry.from_bot and not entry.deleted:
                found[(youngster.user.id, str(entry.message.get("text") or ""))] += 1
    return found


async def run_phase(engine: Rig, index: int, fault: str, args: argparse.Namespace) -> Outcome:
    outcome = Outcome(engine.kind, fault)
    first_id = 10_000_000 + 1000 * index
    writers = [first_id + i for i in range(args.youth)]
    talkers = [first_id + 500 + i for i in range(args.talkers)]
    logins = list(engine.coach_ids)
    ids = list(engine.coach_ids.values())
    writer_rows = await asyncio.to_thread(add_youth, engine.db, writers, coach_ids=ids)
    talker_rows = await asyncio.to_thread(
        add_youth, engine.db, talkers, coach_ids=ids, talking=True
    )
    await asyncio.to_thread(
        book,
        engine.db,
        writer_rows.values(),
        starts_at=utcnow() + timedelta(days=3),
        tz=engine.tz,
    )
    people = [
        Youngster(engine.standin.user(f"W{t}", user_id=t, language_code="en"), y, False)
        for t, y in writer_rows.items()
    ]
    talker_people = []
    for n, (t, y) in enumerate(talker_rows.items()):
        login = logins[n % len(logins)]
        youngster = Youngster(engine.standin.user(f"T{t}", user_id=t, language_code="en"), y, True)
        youngster.coach_login = login
        talker_people.append(youngster)
    # The booking notice (with 📍 Where is it?) must be there before the first tap.
    for youngster in people:
        chat = youngster.user.chat
        ok = await engine.watch.until(chat, functools.partial(has_booking, chat), 60)
        if not ok:
            raise RuntimeError(f"no booking notice for {youngster.user.id}")

    say(f"{engine.kind}: phase {fault}")
    runner = fault_runner(fault, engine, args)
    length = fault_length(fault, args)
    began = time.perf_counter()
    traffic = args.traffic_seconds
    if runner is not None:  # on until 15 s after the fault ends
        traffic = max(traffic, args.fault_at + length + 15)
    traffic_ends = began + traffic
    wait_until = traffic_ends + args.drain_seconds
    actions: list[Action] = []
    replies: list[Reply] = []
    traffic_over = asyncio.Event()
    counter = itertools.count(1)
    youth_tasks = [
        asyncio.create_task(writer_and_tapper(engine.watch, y, actions, traffic_ends, wait_until))
        for y in people
    ] + [asyncio.create_task(talker(engine.watch, y, actions, traffic_ends)) for y in talker_people]
    coach_tasks = [
        asyncio.create_task(
            coach_at_panel(
                coach,
                [y for y in talker_people if y.coach_login == coach.login],
                replies,
                traffic_over,
                counter,
            )
        )
        for coach in engine.coaches
    ]
    done = FaultDone()
    fault_task: asyncio.Task[None] | None = None
    if runner is not None:

        async def later() -> None:
            await asyncio.sleep(args.fault_at)
            await runner(done)

        fault_task = asyncio.create_task(later())

    await asyncio.sleep(max(0.0, traffic_ends - time.perf_counter()))
    if fault_task is not None:
        await fault_task
    traffic_over.set()
    say(f"{engine.kind}: phase {fault}: traffic over, draining")

    chat_ids = [y.user.id for y in people + talker_people]
    youth_ids = [y.youth_id for y in people + talker_people]
    settled_checks = 0
    while time.perf_counter() < wait_until:
        await asyncio.sleep(0.5)
        queued = [d for d in engine.standin.state.queue if d.chat_id in set(chat_ids)]
        try:
            open_updates, open_replies = await asyncio.to_thread(
                phase_state, engine, chat_ids, youth_ids
            )
        except Exception:  # the database may be away a moment longer than the fault
            continue
        coaches_done = all(t.done() for t in coach_tasks)
        youth_done = all(t.done() for t in youth_tasks)
        if not queued and not open_updates and not open_replies and coaches_done:
            if youth_done:
                break
            settled_checks += 1
            if settled_checks >= 6:  # 3 s settled: the rest is not coming
                break
        else:
            settled_checks = 0
    for task in youth_tasks + coach_tasks:
        task.cancel()
    for task in youth_tasks + coach_tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    ended = time.perf_counter()
    outcome.seconds = ended - began
    outcome.fault_note = done.note

    # -- what happened ------------------------------------------------------------------
    outcome.sent = len(actions)
    statuses = dict(
        read(
            engine.db,
            "SELECT status, count(*) FROM inbound_update "
            f"WHERE chat_key IN ({in_list(chat_ids)}) GROUP BY status",
        )
    )
    outcome.stored = sum(int(v) for v in statuses.values())
    outcome.handled = int(statuses.get("done", 0))
    outcome.failed = int(statuses.get("failed", 0))
    outcome.open = int(statuses.get("pending", 0)) + int(statuses.get("processing", 0))
    by_telegram = {y.user.id: y.youth_id for y in people + talker_people}
    rows = read(
        engine.db,
        "SELECT youth_id, telegram_message_id, text FROM message WHERE direction = 'youth' "
        f"AND youth_id IN ({in_list(youth_ids)})",
    )
    kept = Counter((int(r[0]), int(r[1] or 0), r[2]) for r in rows)
    outcome.stored_twice = sum(n - 1 for n in kept.values() if n > 1)
    for action in actions:
        if action.kind in ("text", "talk"):
            key = (by_telegram[action.telegram_id], int(action.message_id or 0), action.text)
            if key not in kept:
                outcome.lost_not_stored += 1
        if action.kind == "text" and action.seconds is None:
            outcome.lost_texts += 1
        if action.kind == "tap" and action.seconds is None:
            outcome.lost_taps += 1
    delivered = delivered_counts(people + talker_people)
    for youngster in people:
        uid = youngster.user.id
        texts = sum(1 for a in actions if a.telegram_id == uid and a.kind == "text")
        taps = sum(1 for a in actions if a.telegram_id == uid and a.kind == "tap")
        answers = sum(n for (who, t), n in delivered.items() if who == uid and NOT_UNDERSTOOD in t)
        wheres = sum(
            n for (who, t), n in delivered.items() if who == uid and t.startswith("📍 Meeting")
        )
        outcome.answered_twice += max(0, answers - texts) + max(0, wheres - taps)
    accepted = {(r.telegram_id, r.text) for r in replies}
    outcome.replies = len(replies)
    for reply in replies:
        n = delivered[(reply.telegram_id, reply.text)]
        outcome.replies_once += n == 1
        outcome.replies_missing += n == 0
        outcome.replies_doubled += n > 1
    for (who, text_), n in delivered.items():
        if text_.startswith("Coach ") and ": answer " in text_ and (who, text_) not in accepted:
            outcome.replies_unconfirmed += n
    outcome.coach_errors = sum(c.errors for c in engine.coaches)
    for coach in engine.coaches:
        coach.errors = 0
    samples = engine.health.between(began, ended)
    outcome.health_samples = len(samples)
    answered = [s.seconds for s in samples if s.seconds is not None and s.status is not None]
    outcome.health_max = max(answered) if answered else None
    outcome.health_refused = sum(1 for s in samples if s.status is None)
    outcome.health_not_200 = sum(1 for s in samples if s.status not in (None, 200))
    tap_times = [a.seconds for a in actions if a.kind == "tap" and a.seconds is not None]
    text_times = [a.seconds for a in actions if a.kind == "text" and a.seconds is not None]
    outcome.tap_max = max(tap_times) if tap_times else None
    outcome.tap_p50 = percentile(tap_times, 50) if tap_times else None
    outcome.text_max = max(text_times) if text_times else None
    say(
        f"{engine.kind}: phase {fault}: {outcome.sent} sent, {outcome.handled} handled, "
        f"{outcome.lost} lost, {outcome.seconds:.0f} s"
    )
    return outcome


# -- one database -----------------------------------------------------------------------------


async def run_engine(
    kind: str, url: str, faults: list[str], args: argparse.Namespace, folder: Path
) -> list[Outcome]:
    say(f"{kind}: migrating and seeding")
    await asyncio.to_thread(upgrade_to_head, url)
    db = bench_engine(url)
    tz = daytime_timezone()
    coaches = await asyncio.to_thread(add_coaches, db, args.coaches)
    outcomes: list[Outcome] = []
    async with StandIn.running(action_timeout=60) as standin:
        watch = ChatWatch(standin)
        outage = Outage(standin)
        app_name = f"polku_faults_{uuid.uuid4().hex[:8]}"
        port = free_port()
        env = serve_env(
            url,
            api_base=standin.base_url,
            port=port,
            app_name=app_name,
            POLKU_TIMEZONE=tz,
            POLKU_PANEL_LANGUAGE="en",
        )
        serve = Serve(env, folder / f"polku-{kind}.log", name=f"polku serve ({kind})")
        say(f"{kind}: starting polku serve (log: {serve.log_path})")
        await serve.start()
        panel = [PanelCoach(serve.url, login, PASSWORD, name) for _, login, name in coaches]
        for coach in panel:
            await coach.sign_in()
        health = HealthPoller(serve.url)
        health.start()
        engine = Rig(
            kind=kind,
            url=url,
            standin=standin,
            watch=watch,
            outage=outage,
            serve=serve,
            coaches=panel,
            coach_ids={login: coach_id for coach_id, login, _ in coaches},
            health=health,
            db=db,
            app_name=app_name,
            tz=tz,
            sqlite_path=Path(url.removeprefix("sqlite:///")) if kind == "sqlite" else None,
        )
        try:
            for index, fault in enumerate(faults):
                outcomes.append(await run_phase(engine, index, fault, args))
        finally:
            health.stop()
            for coach in panel:
                await coach.close()
            await serve.stop()
            db.dispose()
    return outcomes


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def report(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    print(
        f"Fault soak: per phase {args.youth} young people writing and tapping, "
        f"{args.talkers} talking to {args.coaches} coaches who answer from the panel; "
        f"traffic {args.traffic_seconds:.0f} s (longer when the fault is), fault at "
        f"{args.fault_at:.0f} s; lock {args.lock_seconds:.0f} s, terminate every "
        f"{args.terminate_every} s for {args.terminate_seconds:.0f} s, outage "
        f"{args.outage_seconds:.0f} s; polku serve in long-polling mode"
    )
    print()
    print(
        table(
            [
                "database",
                "fault",
                "updates sent",
                "stored",
                "handled",
                "lost",
                "stored twice",
                "answered twice",
                "coach replies sent / delivered once",
                "longest /healthz s",
                "longest tap-to-answer s",
            ],
            [
                [
                    o.engine,
                    FAULT_LABELS[o.fault],
                    o.sent,
                    o.stored,
                    o.handled,
                    o.lost,
                    o.stored_twice,
                    o.answered_twice,
                    f"{o.replies} / {o.replies_once}",
                    seconds(o.health_max),
                    seconds(o.tap_max),
                ]
                for o in outcomes
            ],
        )
    )
    print()
    print("Details (lost = not stored + texts unanswered + taps unanswered)")
    print(
        table(
            [
                "database",
                "fault",
                "fault did",
                "failed / open updates",
                "lost: not stored / texts / taps",
                "replies missing / doubled / unconfirmed",
                "panel errors",
                "/healthz samples / refused / not 200",
                "tap p50 s",
                "longest text-to-answer s",
                "phase s",
            ],
            [
                [
                    o.engine,
                    o.fault,
                    o.fault_note or "—",
                    f"{o.failed} / {o.open}",
                    f"{o.lost_not_stored} / {o.lost_texts} / {o.lost_taps}",
                    f"{o.replies_missing} / {o.replies_doubled} / {o.replies_unconfirmed}",
                    o.coach_errors,
                    f"{o.health_samples} / {o.health_refused} / {o.health_not_200}",
                    seconds(o.tap_p50),
                    seconds(o.text_max),
                    f"{o.seconds:.0f}",
                ]
                for o in outcomes
            ],
        )
    )
    misses = [
        f"{o.engine} {o.fault}: {what}"
        for o in outcomes
        for what, bad in (
            (f"lost {o.lost}", o.lost),
            (f"stored twice {o.stored_twice}", o.stored_twice),
            (f"answered twice {o.answered_twice}", o.answered_twice),
            (
                f"coach replies not delivered exactly once {o.replies - o.replies_once}",
                o.replies - o.replies_once,
            ),
            (
                f"/healthz took {seconds(o.health_max)} s",
                o.health_max is not None and o.health_max >= 1.0,
            ),
        )
        if bad
    ]
    print()
    print("MISSES: " + "; ".join(misses) if misses else "Every phase meets every target.")


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    wanted = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FAULT_LABELS] + [
        e for e in engines if e not in ENGINE_FAULTS
    ]
    if unknown:
        raise SystemExit(f"unknown: {', '.join(unknown)}")
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as name:
        folder = Path(args.keep_logs) if args.keep_logs else Path(name)
        folder.mkdir(parents=True, exist_ok=True)
        for kind in engines:
            faults = [f for f in wanted if f not in ENGINE_FAULTS[kind]]
            if kind == "sqlite":
                url = f"sqlite:///{Path(name) / 'faults.db'}"
                outcomes += await run_engine(kind, url, faults, args, folder)
            else:
                with postgres_schema(args.postgres_url, "bench_faults") as url:
                    outcomes += await run_engine(kind, url, faults, args, folder)
    report(outcomes, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--faults", default=",".join(ALL_FAULTS))
    parser.add_argument("--youth", type=int, default=6, help="writing and tapping, per phase")
    parser.add_argument("--talkers", type=int, default=2, help="talking to a coach, per phase")
    parser.add_argument("--coaches", type=int, default=2)
    parser.add_argument("--traffic-seconds", type=float, default=30.0)
    parser.add_argument("--fault-at", type=float, default=5.0)
    parser.add_argument("--drain-seconds", type=float, default=120.0)
    parser.add_argument("--lock-seconds", type=float, default=10.0)
    parser.add_argument("--terminate-seconds", type=float, default=10.0)
    parser.add_argument("--terminate-every", type=float, default=0.5)
    parser.add_argument("--outage-seconds", type=float, default=120.0)
    parser.add_argument("--keep-logs", default="", help="a folder for the polku serve logs")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES,
        help=f"default: $TEST_DATABASE_URL or {DEFAULT_POSTGRES}",
    )
    asyncio.run(main(parser.parse_args()))
