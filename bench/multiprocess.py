"""Three `polku serve` processes in webhook mode on ONE PostgreSQL schema, behind a small
round-robin HTTP proxy in this process; the Telegram stand-in (also here) posts every update to
the proxy, which passes each to the next process in turn.

    python -m bench.multiprocess [--youth 200] [--updates 10000] [--processes 3] [--burst 5]
                                 [--appointments 50] [--nudges 50] [--postgres-url URL]

The stand-in posts one update at a time; Telegram opens up to max_connections (40) requests at
once, so the bench delivers that way (`--connections`, one chat's updates still in order;
`--connections 1` keeps the stand-in's own delivery).

`--youth` young people (past onboarding, English) send `--updates` texts in all, each in bursts
of `--burst` texts sent without waiting, then waiting for the answers of the burst (Polku
answers every text it does not understand: "I didn't quite get that …"). Meanwhile
`--appointments` of them have a meeting booked just before the processes start (the booking
notice goes out at once, the 2-hours-before reminder `--reminder-lead` seconds later, while all
processes run) and `--nudges` of them finished a self-assessment 40 days ago, so the nudge job
(first run 60 s after each process starts) offers it again.

Prints: lost (target 0: a text not in the `message` table, or fewer answers than texts),
handled twice (target 0: more answers than texts, or one text stored twice), per-chat order
violations (target 0: a young person's texts stored out of the order sent), booking notices,
reminders and nudges doubled (target 0) or missing, and how the work was shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.fixtures import (
    BOOKED,
    NOT_UNDERSTOOD,
    NUDGE,
    REMINDER,
    add_youth,
    book,
    daytime_timezone,
    finished_runs,
    read,
    table,
)
from bench.harness import (
    DEFAULT_POSTGRES,
    ChatWatch,
    HealthPoller,
    Serve,
    bench_engine,
    free_port,
    percentile,
    postgres_schema,
    serve_env,
)
from bot.sandbox import FakeUser, StandIn
from bot.sandbox.server import SECRET_HEADER, LoopbackServer
from bot.sandbox.state import JSON, Delivery
from core.dialogs.loader import load_dialogues
from core.models import utcnow
from polku.migrations import upgrade_to_head

SECRET = "bench_multiprocess_secret_0123456789"
FIRST_USER = 20_000_000
NUDGE_FIRST_RUN = 60.0  # bot/app.py: the nudge job's first run, seconds after start


def say(line: str) -> None:
    print(f"[{time.strftime('%X')}] {line}", file=sys.stderr, flush=True)


# -- the proxy --------------------------------------------------------------------------------


class RoundRobin:
    """Passes each request to the next backend; a backend that refuses the connection is
    skipped (counted), and 502 goes back when none answers, so Telegram tries again."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.turn = itertools.cycle(range(len(backends)))
        self.passed: Counter[int] = Counter()
        self.statuses: Counter[int] = Counter()
        self.skipped = 0
        self.seconds: list[float] = []  # per request, through the proxy and back
        self.client = httpx.AsyncClient(timeout=30, trust_env=False)
        self.server = LoopbackServer(
            Starlette(routes=[Route("/{path:path}", self.forward, methods=["GET", "POST"])])
        )

    @property
    def url(self) -> str:
        return self.server.url

    async def forward(self, request: Request) -> Response:
        body = await request.body()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", SECRET_HEADER.lower())
        }
        began = time.perf_counter()
        for _ in range(len(self.backends)):
            index = next(self.turn)
            try:
                answer = await self.client.request(
                    request.method,
                    f"{self.backends[index]}{request.url.path}",
                    content=body,
                    headers=headers,
                )
            except httpx.TransportError:
                self.skipped += 1
                continue
            self.passed[index] += 1
            self.statuses[answer.status_code] += 1
            self.seconds.append(time.perf_counter() - began)
            return Response(answer.content, status_code=answer.status_code)
        self.statuses[502] += 1
        return Response(b"no backend", status_code=502)

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()
        await self.client.aclose()


class ParallelWebhooks:
    """Webhook delivery as Telegram does it: up to `connections` requests at once (Telegram's
    max_connections, 40 by default), one chat's updates one after another in order (as the
    Bot API server's WebhookActor queues them by chat, tdlib/telegram-bot-api). The
    stand-in's own delivery posts one update at a time, which caps any number of processes
    at what one request round trip allows; this replaces it on this stand-in only."""

    def __init__(self, standin: StandIn, connections: int) -> None:
        self.standin, self.connections = standin, connections
        self.posting: set[int] = set()  # update ids in flight (or waiting to be retried)
        self.retried: Counter[str] = Counter()  # why a post was tried again
        self.most_at_once = 0
        self._wake = asyncio.Event()
        state = standin.state
        enqueue = state.enqueue

        def enqueue_and_wake(kind: str, payload: JSON, chat_id: int | None) -> Delivery:
            delivery = enqueue(kind, payload, chat_id)
            self._wake.set()
            return delivery

        state.enqueue = enqueue_and_wake  # type: ignore[method-assign]
        standin._deliver_webhooks = self.deliver  # type: ignore[method-assign]

    async def deliver(self) -> None:
        state = self.standin.state
        limits = httpx.Limits(max_connections=self.connections)
        posts: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(timeout=30, trust_env=False, limits=limits) as client:
            try:
                while not state.closing and state.webhook is not None:
                    self._wake.clear()
                    chats: set[int] = set()
                    for delivery in state.take(len(state.queue)):
                        if len(self.posting) >= self.connections:
                            break
                        chat = delivery.chat_id if delivery.chat_id is not None else 0
                        if chat in chats:
                            continue  # an earlier update of this chat is queued or in flight
                        chats.add(chat)
                        if delivery.update_id in self.posting:
                            continue
                        self.posting.add(delivery.update_id)
                        task = asyncio.create_task(self._post(client, delivery))
                        posts.add(task)
                        task.add_done_callback(posts.discard)
                    self.most_at_once = max(self.most_at_once, len(self.posting))
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            await self._wake.wait()
            finally:
                for task in list(posts):
                    task.cancel()

    async def _post(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        state, hook = self.standin.state, self.standin.state.webhook
        try:
            if hook is None:
                return
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers[SECRET_HEADER] = hook.secret_token
            try:
                response = await client.post(
                    hook.url, content=json.dumps(delivery.update), headers=headers
                )
                error = "" if response.is_success else str(response.status_code)
            except httpx.HTTPError as failure:
                error = type(failure).__name__
            if not error:
                state.acknowledge_one(delivery)
            else:
                self.retried[error] += 1
                await asyncio.sleep(0.5)  # then the same update again, the chat still waiting
        finally:
            self.posting.discard(delivery.update_id)
            self._wake.set()


# -- the young people -------------------------------------------------------------------------


@dataclass
class Sent:
    message_id: int
    text: str
    at: float
    answered: float | None = None


@dataclass
class Person:
    user: FakeUser
    youth_id: int
    quota: int
    sent: list[Sent] = field(default_factory=list)

    def answers(self) -> int:
        return sum(
            1
            for e in self.user.chat.entries
            if e.from_bot and not e.deleted and NOT_UNDERSTOOD in (e.message.get("text") or "")
        )

    def count(self, fragment: str) -> int:
        return sum(
            1
            for e in self.user.chat.entries
            if e.from_bot and not e.deleted and fragment in (e.message.get("text") or "")
        )


def answered_at_least(person: Person, count: int) -> bool:
    return person.answers() >= count


async def write(watch: ChatWatch, person: Person, burst: int, deadline: float) -> None:
    """Bursts of texts sent without waiting, then the answers to the burst, until the quota."""
    rng = random.Random(person.user.id)
    user = person.user
    await asyncio.sleep(rng.uniform(0, 1.0))
    while len(person.sent) < person.quota and time.perf_counter() < deadline:
        base = person.answers()
        batch = []
        for _ in range(min(burst, person.quota - len(person.sent))):
            text = f"text {len(person.sent) + 1} from {user.id}"
            delivery = user.queue_text(text)
            item = Sent(int(delivery.update["message"]["message_id"]), text, time.perf_counter())
            person.sent.append(item)
            batch.append(item)
        for n, item in enumerate(batch, 1):
            ok = await watch.until(
                user.chat,
                functools.partial(answered_at_least, person, base + n),
                max(0.1, deadline - time.perf_counter()),
            )
            if not ok:
                return
            item.answered = time.perf_counter()
        await asyncio.sleep(rng.uniform(0, 0.5))


# -- the run ----------------------------------------------------------------------------------


def seed(
    db: Any, args: argparse.Namespace, tz: str
) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Telegram id → youth id; youth id → appointment id; youth id → finished run id."""
    ids = [FIRST_USER + i for i in range(args.youth)]
    youth = add_youth(db, ids)
    ordered = [youth[t] for t in ids]
    starts = utcnow() + timedelta(hours=2, seconds=args.reminder_lead)
    appointments = book(db, ordered[: args.appointments], starts_at=starts, tz=tz)
    dialogue = load_dialogues()["life_areas"]
    nudged = finished_runs(  # the last ones (some may also have a meeting in a small run)
        db,
        ordered[len(ordered) - min(args.nudges, len(ordered)) :],
        dialogue_id=dialogue.id,
        version=dialogue.version,
        days_ago=40,
    )
    return youth, appointments, nudged


def settled(db: Any) -> tuple[int, int]:
    """(updates pending or processing, booking/reminder/nudge rows not yet settled that are
    due by now)."""
    inbox = read(
        db, "SELECT count(*) FROM inbound_update WHERE status IN ('pending', 'processing')"
    )
    outbox = read(
        db,
        "SELECT count(*) FROM outboxmessage WHERE status IN ('pending', 'sending') "
        "AND due_at <= :now",
        now=utcnow(),
    )
    return int(inbox[0][0]), int(outbox[0][0])


async def run(args: argparse.Namespace, url: str, folder: Path) -> dict[str, Any]:
    say("migrating and seeding")
    await asyncio.to_thread(upgrade_to_head, url)
    db = bench_engine(url)
    tz = daytime_timezone()
    youth, appointments, nudged = await asyncio.to_thread(seed, db, args, tz)
    result: dict[str, Any] = {}
    async with StandIn.running(action_timeout=120) as standin:
        watch = ChatWatch(standin)
        webhooks = ParallelWebhooks(standin, args.connections) if args.connections > 1 else None
        ports = [free_port() for _ in range(args.processes)]
        proxy = RoundRobin([f"http://127.0.0.1:{p}" for p in ports])
        await proxy.start()
        app_name = f"polku_mp_{uuid.uuid4().hex[:8]}"
        serves = [
            Serve(
                serve_env(
                    url,
                    api_base=standin.base_url,
                    port=port,
                    app_name=app_name,
                    POLKU_WEBHOOK_URL=proxy.url,
                    POLKU_WEBHOOK_SECRET=SECRET,
                    POLKU_TIMEZONE=tz,
                    POLKU_PANEL_LANGUAGE="en",
                ),
                folder / f"polku-{n + 1}.log",
                name=f"polku serve #{n + 1}",
            )
            for n, port in enumerate(ports)
        ]
        people = [
            Person(
                standin.user(f"N{tid}", user_id=tid, language_code="en"),
                youth_id,
                args.updates // args.youth + (1 if i < args.updates % args.youth else 0),
            )
            for i, (tid, youth_id) in enumerate(youth.items())
        ]
        health = [HealthPoller(s.url, every=0.25) for s in serves]
        try:
            say(f"starting {args.processes} polku serve processes together")
            began = time.perf_counter()
            await asyncio.gather(*(s.start() for s in serves))
            started = time.perf_counter()
            say(f"all running after {started - began:.1f} s; webhook at {standin.webhook_url}")
            for poller in health:
                poller.start()
            deadline = started + args.max_seconds
            writers = [asyncio.create_task(write(watch, p, args.burst, deadline)) for p in people]
            progress = asyncio.create_task(report_progress(people, args.updates))
            await asyncio.gather(*writers)
            progress.cancel()
            traffic_done = time.perf_counter()
            say(f"traffic done in {traffic_done - started:.1f} s; settling")
            nudges_from = started + NUDGE_FIRST_RUN + 2 if nudged else started
            drain_until = max(traffic_done, nudges_from) + args.drain_seconds
            expected = len(appointments) * 2 + len(nudged)
            while time.perf_counter() < drain_until:
                await asyncio.sleep(0.5)
                open_updates, open_outbox = await asyncio.to_thread(settled, db)
                arrived = sum(
                    min(1, p.count(BOOKED)) + min(1, p.count(REMINDER)) + min(1, p.count(NUDGE))
                    for p in people
                )
                if (
                    not open_updates
                    and not open_outbox
                    and time.perf_counter() >= nudges_from
                    and arrived >= expected
                    and not standin.state.queue
                ):
                    await asyncio.sleep(2)  # anything doubled would arrive now
                    break
            settled_at = time.perf_counter()
        finally:
            for poller in health:
                poller.stop()
            await asyncio.gather(*(s.stop() for s in serves), return_exceptions=True)
            await proxy.stop()
        result.update(
            people=people,
            appointments=appointments,
            nudged=nudged,
            started=started,
            traffic_done=traffic_done,
            settled_at=settled_at,
            startup=started - began,
            proxy=proxy,
            health=health,
            db=db,
            sends=len(standin.sent("sendMessage")),
            webhooks=webhooks,
        )
        result.update(collect(db, people, appointments, nudged))
    db.dispose()
    return result


async def report_progress(people: list[Person], total: int) -> None:
    while True:
        await asyncio.sleep(10)
        sent = sum(len(p.sent) for p in people)
        answered = sum(1 for p in people for s in p.sent if s.answered is not None)
        say(f"{sent}/{total} sent, {answered} answered")


def collect(
    db: Any, people: list[Person], appointments: dict[int, int], nudged: dict[int, int]
) -> dict[str, Any]:
    """What the database says, after the processes stopped."""
    statuses = dict(read(db, "SELECT status, count(*) FROM inbound_update GROUP BY status"))
    workers = [
        int(n)
        for _, n in read(
            db,
            "SELECT claimed_by, count(*) FROM inbound_update WHERE status = 'done' "
            "GROUP BY claimed_by ORDER BY count(*) DESC",
        )
    ]
    rows = read(
        db,
        "SELECT youth_id, telegram_message_id, text FROM message WHERE direction = 'youth' "
        "ORDER BY id",
    )
    stored: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for youth_id, message_id, text_ in rows:
        stored[int(youth_id)].append((int(message_id or 0), str(text_)))
    outbox = read(
        db,
        "SELECT kind, appointment_id, payload, status FROM outboxmessage "
        "WHERE kind IN ('booked', 'reminder', 'nudge')",
    )
    return {
        "statuses": {str(k): int(v) for k, v in statuses.items()},
        "workers": workers,
        "stored": stored,
        "outbox": outbox,
    }


def summarise(result: dict[str, Any], args: argparse.Namespace) -> None:
    people: list[Person] = result["people"]
    stored: dict[int, list[tuple[int, str]]] = result["stored"]
    statuses: dict[str, int] = result["statuses"]
    sent = sum(len(p.sent) for p in people)
    lost_not_stored = lost_unanswered = twice_answered = twice_stored = order = 0
    for person in people:
        rows = stored.get(person.youth_id, [])
        kept = Counter(rows)
        twice_stored += sum(n - 1 for n in kept.values() if n > 1)
        lost_not_stored += sum(1 for s in person.sent if (s.message_id, s.text) not in kept)
        answers = person.answers()
        lost_unanswered += max(0, len(person.sent) - answers)
        twice_answered += max(0, answers - len(person.sent))
        ids = [message_id for message_id, _ in rows]
        order += sum(1 for a, b in itertools.pairwise(ids) if b < a)
    lost = lost_not_stored + lost_unanswered
    twice = twice_stored + twice_answered

    appointment_people = [p for p in people if p.youth_id in result["appointments"]]
    nudge_people = [p for p in people if p.youth_id in result["nudged"]]
    kinds: list[tuple[str, str, list[Person]]] = [
        ("booking notice", BOOKED, appointment_people),
        ("reminder (2 h before)", REMINDER, appointment_people),
        ("nudge", NUDGE, nudge_people),
    ]
    rows_by_kind: Counter[str] = Counter()
    sent_rows: Counter[str] = Counter()
    per_target: Counter[tuple[str, Any]] = Counter()
    for kind, appointment_id, payload, status in result["outbox"]:
        rows_by_kind[kind] += 1
        sent_rows[kind] += status == "sent"
        target = appointment_id if kind != "nudge" else (payload or {}).get("assessment_id")
        per_target[(kind, target)] += 1
    queued_twice = Counter(kind for (kind, _), n in per_target.items() if n > 1)
    outbox_kind = {"booking notice": "booked", "reminder (2 h before)": "reminder"}
    message_rows: list[list[Any]] = []
    doubled_total = 0
    for label, fragment, who in kinds:
        counts = [p.count(fragment) for p in who]
        doubled = sum(n - 1 for n in counts if n > 1)
        doubled_total += doubled + queued_twice[outbox_kind.get(label, "nudge")]
        kind = outbox_kind.get(label, "nudge")
        message_rows.append(
            [
                label,
                len(who),
                rows_by_kind[kind],
                sent_rows[kind],
                queued_twice[kind],
                sum(1 for n in counts if n == 1),
                doubled,
                sum(1 for n in counts if n == 0),
            ]
        )

    latencies = [s.answered - s.at for p in people for s in p.sent if s.answered is not None]
    answered_at = [s.answered for p in people for s in p.sent if s.answered is not None]
    first = min((s.at for p in people for s in p.sent), default=result["started"])
    span = (max(answered_at) - first) if answered_at else float("nan")
    proxy: RoundRobin = result["proxy"]
    webhooks: ParallelWebhooks | None = result["webhooks"]
    health_samples = [s for poller in result["health"] for s in poller.samples]
    health_answered = [s.seconds for s in health_samples if s.seconds is not None]
    health_bad = Counter(str(s.status or "no answer") for s in health_samples if s.status != 200)

    print(
        f"{args.processes} × polku serve (webhook mode) on one PostgreSQL schema behind a "
        f"round-robin proxy; {args.youth} young people, {sent} texts sent (asked: "
        f"{args.updates}) in bursts of {args.burst}; {len(result['appointments'])} meetings "
        f"(reminder due {args.reminder_lead:.0f} s after seeding), {len(result['nudged'])} "
        "finished runs to nudge about"
    )
    print(
        f"start-up of all processes together {result['startup']:.1f} s; traffic "
        f"{result['traffic_done'] - result['started']:.1f} s; settled after "
        f"{result['settled_at'] - result['started']:.1f} s"
    )
    print()
    print(
        table(
            [
                "updates sent",
                "stored",
                "handled",
                "failed",
                "lost",
                "handled twice",
                "order violations",
                "reminders/nudges doubled",
            ],
            [
                [
                    sent,
                    sum(statuses.values()),
                    statuses.get("done", 0),
                    statuses.get("failed", 0),
                    lost,
                    twice,
                    order,
                    doubled_total,
                ]
            ],
        )
    )
    print()
    print(
        table(
            [
                "outgoing",
                "young people",
                "outbox rows",
                "rows sent",
                "rows queued twice",
                "received once",
                "received twice+",
                "missing",
            ],
            message_rows,
        )
    )
    print()
    print(
        table(
            [
                "measure",
                "value",
            ],
            [
                ["lost: not stored / unanswered", f"{lost_not_stored} / {lost_unanswered}"],
                [
                    "handled twice: stored twice / answered twice",
                    f"{twice_stored} / {twice_answered}",
                ],
                [
                    "updates handled per process (inbox claims)",
                    " / ".join(str(n) for n in result["workers"]),
                ],
                [
                    "webhook posts per process (proxy)",
                    " / ".join(str(proxy.passed[i]) for i in range(args.processes)),
                ],
                [
                    "webhook answers (status: count)",
                    ", ".join(f"{k}: {v}" for k, v in sorted(proxy.statuses.items())),
                ],
                ["texts answered per second", f"{len(latencies) / span:.1f}"],
                [
                    "webhook post through the proxy p50 / p95 / max ms",
                    f"{percentile(proxy.seconds, 50) * 1000:.1f} / "
                    f"{percentile(proxy.seconds, 95) * 1000:.1f} / "
                    f"{max(proxy.seconds, default=float('nan')) * 1000:.1f}",
                ],
                [
                    "text-to-answer p50 / p95 / max s",
                    f"{percentile(latencies, 50):.2f} / {percentile(latencies, 95):.2f} / "
                    f"{max(latencies, default=float('nan')):.2f}",
                ],
                [
                    "/healthz longest s (samples; not 200)",
                    f"{max(health_answered, default=float('nan')):.2f} "
                    f"({len(health_samples)}; "
                    f"{', '.join(f'{k} ×{v}' for k, v in health_bad.items()) or 'none'})",
                ],
                ["sendMessage calls seen by the stand-in", result["sends"]],
                [
                    "webhook delivery",
                    f"up to {webhooks.connections} at once (most {webhooks.most_at_once}); "
                    f"tried again: {sum(webhooks.retried.values())} "
                    f"({', '.join(f'{k} ×{v}' for k, v in webhooks.retried.items()) or '-'})"
                    if webhooks
                    else "the stand-in's own, one at a time",
                ],
            ],
        )
    )
    misses = [
        f"{name} {value}"
        for name, value in (
            ("lost", lost),
            ("handled twice", twice),
            ("order violations", order),
            ("reminders/nudges doubled", doubled_total),
            ("missing outgoing", sum(r[-1] for r in message_rows)),
        )
        if value
    ]
    print()
    print("MISSES: " + "; ".join(misses) if misses else "Every target is met.")


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-multiprocess-") as name:
        folder = Path(args.keep_logs) if args.keep_logs else Path(name)
        folder.mkdir(parents=True, exist_ok=True)
        with postgres_schema(args.postgres_url, "bench_mp") as url:
            result = await run(args, url, folder)
    summarise(result, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--youth", type=int, default=200)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument(
        "--connections",
        type=int,
        default=40,
        help="webhook requests at once, one per chat (Telegram's max_connections); "
        "1: the stand-in's own delivery, one update at a time",
    )
    parser.add_argument("--appointments", type=int, default=50)
    parser.add_argument("--nudges", type=int, default=50)
    parser.add_argument("--reminder-lead", type=float, default=45.0)
    parser.add_argument("--drain-seconds", type=float, default=90.0)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="traffic time limit")
    parser.add_argument("--keep-logs", default="", help="a folder for the polku serve logs")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES,
        help=f"default: $TEST_DATABASE_URL or {DEFAULT_POSTGRES}",
    )
    asyncio.run(main(parser.parse_args()))
