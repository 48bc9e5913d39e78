"""Coach notices under a crisis burst: how soon a coach's own Telegram hears of an urgent
alert when many young people write crisis wording at once, `polku serve` as a real process in
long-polling mode against the Telegram stand-in in this process.

    python -m bench.notices [--youths 50] [--rounds 3] [--database-url URL]

SQLite (a fresh file) by default; a PostgreSQL `--database-url` gets a fresh schema of its own.

Seeded: one coach at work now (office hours 08–17 in a time zone where it is midday) who linked
their Telegram chat (`telegram_chat_id` is a stand-in user's chat), and 2 × `--youths` young
people past onboarding per round, all assigned to that coach. In each round, all at once,
`--youths` of them write "i want to kill myself" and the other `--youths` write "hello" (the
baseline). The notice job runs every 2 s, so one burst measures one moment of its cycle: each
of the `--rounds` bursts (fresh young people) starts at a random moment of it.

Prints p50 / p95 / max of (a) crisis message → the young person's own first answer,
(b) crisis message → the coach's "🔴 …" notice naming that young person arriving in the coach's
chat (target: p95 < 2 s), (c) ordinary message → answer; then whether every young person who
wrote crisis wording produced exactly one notice (in the coach's chat and in the `coachnotice`
table), none for the baseline, and no notice carrying the young person's words.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bench.fixtures import NOT_UNDERSTOOD, PASSWORD, add_youth, daytime_timezone, read, table
from bench.harness import (
    ChatWatch,
    Serve,
    act,
    any_message,
    bench_engine,
    free_port,
    kind_of,
    percentile,
    postgres_schema,
    serve_env,
)
from bot.notices import NOTICE_EVERY, NOTICE_TEXTS
from bot.sandbox import FakeUser, StandIn
from bot.sandbox.state import JSON, Chat, Entry
from core.db import transaction
from core.i18n import gettext_for
from core.models import NoticeKind, utcnow
from core.office_hours import is_in
from core.services.coaches import do_add_coach
from polku.migrations import upgrade_to_head

COACH_CHAT = 39_000_000  # the coach's own Telegram chat (a stand-in user, never a young person)
FIRST_CRISIS = 39_100_000
FIRST_BASELINE = 39_200_000
CRISIS = "i want to kill myself"
CRISIS_WORDS = ("kill", "myself", CRISIS)
ORDINARY = "hello"
TOLD_COACH = "I'm a bot, so I told Coach 1 right away"  # bot/safety.py TOLD_COACH, in English
# At work now: the bench runs where it is about noon (bench.fixtures.daytime_timezone).
OFFICE_HOURS = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "08:00", "end": "17:00"}
TARGET_P95 = 2.0


def say(line: str) -> None:
    """Progress on stderr (the tables go to stdout)."""
    print(f"[{time.strftime('%X')}] {line}", file=sys.stderr, flush=True)


def urgent_pattern() -> re.Pattern[str]:
    """The English urgent notice with the young person's first name as group 1."""
    template = gettext_for("en").gettext(NOTICE_TEXTS[NoticeKind.URGENT])
    head, tail = template.split("{name}")
    return re.compile(f"^{re.escape(head)}(.+){re.escape(tail)}$")


# -- seeding ---------------------------------------------------------------------------------


def seed(db: Engine, tz: str, count: int) -> tuple[int, dict[int, int], dict[int, int]]:
    """The coach (at work now, Telegram linked) and the young people assigned to them: coach
    id; crisis writers and baseline writers as telegram id → youth id."""
    if not is_in(OFFICE_HOURS, now=utcnow(), tz=ZoneInfo(tz)):
        raise RuntimeError(f"office hours {OFFICE_HOURS} do not cover now in {tz}")
    with transaction(db) as session:
        coach = do_add_coach(session, login="coach1", display_name="Coach 1", password=PASSWORD)
        coach.office_hours = dict(OFFICE_HOURS)
        coach.telegram_chat_id = COACH_CHAT
        coach.notify_telegram = True
        session.add(coach)
        session.flush()
        coach_id = int(coach.id or 0)
    crisis = add_youth(db, [FIRST_CRISIS + i for i in range(count)], coach_ids=[coach_id])
    baseline = add_youth(db, [FIRST_BASELINE + i for i in range(count)], coach_ids=[coach_id])
    return coach_id, crisis, baseline


# -- arrivals in the stand-in ------------------------------------------------------------------


class Arrivals:
    """When each bot message reached the stand-in (perf_counter), per chat: the moment it is
    recorded, not the moment a busy bench loop gets round to looking."""

    def __init__(self, standin: StandIn) -> None:
        self.by_chat: dict[int, list[tuple[float, Entry]]] = defaultdict(list)
        state = standin.state
        record = state.record_message

        def record_message(chat: Chat, content: JSON, *, sender: JSON | None) -> Entry:
            entry = record(chat, content, sender=sender)
            if entry.from_bot:
                self.by_chat[chat.id].append((time.perf_counter(), entry))
            return entry

        state.record_message = record_message  # type: ignore[method-assign]

    def first(self, chat_id: int, after: float) -> float | None:
        return next((at for at, _ in self.by_chat.get(chat_id, []) if at >= after), None)


def text_of(entry: Entry) -> str:
    return str(entry.message.get("text") or entry.message.get("caption") or "")


def names_in(coach: FakeUser, pattern: re.Pattern[str]) -> Counter[str]:
    found = (pattern.match(text_of(e)) for e in coach.chat.entries if e.from_bot)
    return Counter(m.group(1) for m in found if m)


def all_named(coach: FakeUser, pattern: re.Pattern[str], names: set[str]) -> bool:
    return names <= set(names_in(coach, pattern))


# -- the run ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace, url: str, folder: Path) -> dict[str, Any]:
    say(f"{kind_of(url)}: migrating and seeding")
    await asyncio.to_thread(upgrade_to_head, url)
    db = bench_engine(url)
    tz = daytime_timezone()
    count = args.youths * args.rounds
    coach_id, crisis_ids, baseline_ids = await asyncio.to_thread(seed, db, tz, count)
    pattern = urgent_pattern()
    rng = random.Random(7)
    async with StandIn.running(action_timeout=60) as standin:
        watch = ChatWatch(standin)
        arrivals = Arrivals(standin)
        coach = standin.user("Coach", user_id=COACH_CHAT, language_code="en")
        crisis = [standin.user(f"N{t}", user_id=t, language_code="en") for t in crisis_ids]
        baseline = [standin.user(f"N{t}", user_id=t, language_code="en") for t in baseline_ids]
        port = free_port()
        env = serve_env(
            url,
            api_base=standin.base_url,
            port=port,
            app_name=f"polku_notices_{uuid.uuid4().hex[:8]}",
            POLKU_TIMEZONE=tz,
            POLKU_PANEL_LANGUAGE="en",
            POLKU_PANEL_URL=f"http://127.0.0.1:{port}",
        )
        serve = Serve(env, folder / "polku-notices.log", name="polku serve (notices)")
        say(f"starting polku serve (log: {serve.log_path})")
        await serve.start()
        started: dict[int, float] = {}
        rounds: list[list[FakeUser]] = []
        try:
            began = time.perf_counter()
            for r in range(args.rounds):
                ours = crisis[r * args.youths : (r + 1) * args.youths]
                others = baseline[r * args.youths : (r + 1) * args.youths]
                rounds.append(ours)
                # Each burst at another moment of the notice job's 2-second cycle.
                await asyncio.sleep(rng.uniform(0, NOTICE_EVERY.total_seconds()))
                say(
                    f"round {r + 1}/{args.rounds}: {len(ours)} crisis messages and "
                    f"{len(others)} ordinary ones, at once"
                )
                writers = [(u, CRISIS) for u in ours] + [(u, ORDINARY) for u in others]
                rng.shuffle(writers)  # crisis and baseline interleaved
                acts = await asyncio.gather(
                    *(
                        act(watch, user, functools.partial(user.queue_text, text), any_message, 60)
                        for user, text in writers
                    )
                )
                started.update(
                    {user.id: a.started for (user, _), a in zip(writers, acts, strict=True)}
                )
                names = {f"Nuori {u.id}" for u in ours}
                await watch.until(
                    coach.chat,
                    functools.partial(all_named, coach, pattern, names),
                    args.wait_seconds,
                )
            # A notice sent twice would come with a later run of the notice job.
            await asyncio.sleep(2 * NOTICE_EVERY.total_seconds() + 1)
            finished = time.perf_counter() - began
        finally:
            await serve.stop()
        rows = read(
            db,
            "SELECT youth_id, kind, status, attempts FROM coachnotice WHERE coach_id = :coach",
            coach=coach_id,
        )
        db.dispose()
        return {
            "tz": tz,
            "crisis": crisis,
            "baseline": baseline,
            "crisis_ids": crisis_ids,
            "baseline_ids": baseline_ids,
            "coach": coach,
            "arrivals": arrivals,
            "started": started,
            "rounds": rounds,
            "pattern": pattern,
            "rows": rows,
            "finished": finished,
            "url": url,
        }


def batches_of(times: list[float], gap: float = 0.5) -> list[list[float]]:
    """Arrival times grouped into the notice job's runs (a run sends its notices in a row)."""
    batches: list[list[float]] = []
    for at in sorted(times):
        if batches and at - batches[-1][-1] < gap:
            batches[-1].append(at)
        else:
            batches.append([at])
    return batches


def seconds_row(label: str, values: list[float], expected: int) -> list[object]:
    if not values:
        return [label, 0, "—", "—", "—", expected]
    return [
        label,
        len(values),
        f"{percentile(values, 50):.2f}",
        f"{percentile(values, 95):.2f}",
        f"{max(values):.2f}",
        expected - len(values),
    ]


def report(result: dict[str, Any], args: argparse.Namespace) -> bool:
    """Print the tables; True when every target is met."""
    crisis: list[FakeUser] = result["crisis"]
    baseline: list[FakeUser] = result["baseline"]
    coach: FakeUser = result["coach"]
    arrivals: Arrivals = result["arrivals"]
    started: dict[int, float] = result["started"]
    pattern: re.Pattern[str] = result["pattern"]

    own = [arrivals.first(u.id, started[u.id]) for u in crisis]
    answer_a = [at - started[u.id] for u, at in zip(crisis, own, strict=True) if at is not None]
    plain = [arrivals.first(u.id, started[u.id]) for u in baseline]
    answer_c = [at - started[u.id] for u, at in zip(baseline, plain, strict=True) if at is not None]
    first_notice: dict[str, float] = {}
    notices: list[Entry] = []
    for at, entry in arrivals.by_chat.get(coach.id, []):
        notices.append(entry)
        found = pattern.match(text_of(entry))
        if found:
            first_notice.setdefault(found.group(1), at)
    batches = batches_of([at for at, _ in arrivals.by_chat.get(coach.id, [])])
    notice_seconds = {
        u.id: first_notice[f"Nuori {u.id}"] - started[u.id]
        for u in crisis
        if f"Nuori {u.id}" in first_notice
    }
    notice_b = list(notice_seconds.values())

    seen = names_in(coach, pattern)
    per_crisis = [seen.get(f"Nuori {u.id}", 0) for u in crisis]
    baseline_names = {f"Nuori {u.id}" for u in baseline}
    crisis_names = {f"Nuori {u.id}" for u in crisis}
    missing = sum(1 for n in per_crisis if n == 0)
    doubled = sum(n - 1 for n in per_crisis if n > 1)
    for_baseline = sum(n for name, n in seen.items() if name in baseline_names)
    unknown = sum(n for name, n in seen.items() if name not in baseline_names | crisis_names)
    other_texts = sum(1 for e in notices if not pattern.match(text_of(e)))
    leaking = [
        e
        for e in notices
        if any(w in json.dumps(e.message, ensure_ascii=False).lower() for w in CRISIS_WORDS)
    ]

    crisis_youth = set(result["crisis_ids"].values())
    rows_per_youth = Counter(int(y) for y, kind, _, _ in result["rows"] if kind == "urgent")
    rows_missing = sum(1 for y in crisis_youth if rows_per_youth[y] == 0)
    rows_doubled = sum(n - 1 for y, n in rows_per_youth.items() if y in crisis_youth and n > 1)
    rows_other = sum(1 for _, kind, _, _ in result["rows"] if kind != "urgent") + sum(
        n for y, n in rows_per_youth.items() if y not in crisis_youth
    )
    statuses = Counter(str(status) for _, _, status, _ in result["rows"])
    retried = sum(1 for *_, attempts in result["rows"] if int(attempts or 0) > 1)

    told_coach = sum(
        1
        for u in crisis
        if any(TOLD_COACH in text_of(e) for _, e in arrivals.by_chat.get(u.id, [])[:1])
    )
    not_understood = sum(
        1
        for u in baseline
        if any(NOT_UNDERSTOOD in text_of(e) for _, e in arrivals.by_chat.get(u.id, [])[:1])
    )

    n = len(crisis)
    once = sum(1 for c in per_crisis if c == 1)
    by_status = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())) or "—"
    per_round = " / ".join(
        f"{percentile([notice_seconds[u.id] for u in ours if u.id in notice_seconds], 95):.2f}"
        for ours in result["rounds"]
    )
    print(
        f"Coach notices: {args.rounds} round(s); in each, {args.youths} young people write "
        f"'{CRISIS}' at once and {args.youths} others write '{ORDINARY}' at the same moment "
        f"(the baseline). One coach at work with Telegram linked; polku serve on "
        f"{kind_of(result['url'])}, time zone {result['tz']}; notice job every "
        f"{NOTICE_EVERY.total_seconds():.0f} s; run took {result['finished']:.1f} s."
    )
    print()
    print(
        table(
            ["measure", "n", "p50 s", "p95 s", "max s", "missing"],
            [
                seconds_row("(a) crisis message → own first answer", answer_a, n),
                seconds_row("(b) crisis message → coach's 🔴 notice", notice_b, n),
                seconds_row("(c) ordinary message → answer (baseline)", answer_c, n),
            ],
        )
    )
    print()
    print(
        table(
            ["check", "value"],
            [
                ["crisis writers with exactly one notice in the coach's chat", f"{once}/{n}"],
                ["notices missing / doubled (coach's chat)", f"{missing} / {doubled}"],
                ["notices naming a baseline writer / nobody known", f"{for_baseline} / {unknown}"],
                ["other messages in the coach's chat", other_texts],
                ["coachnotice rows missing / doubled (urgent)", f"{rows_missing} / {rows_doubled}"],
                ["coachnotice rows for anything else", rows_other],
                ["(b) p95 per round, s", per_round],
                [
                    "notice batches (job runs that sent): count; largest; longest s",
                    f"{len(batches)}; {max(map(len, batches), default=0)}; "
                    f"{max((b[-1] - b[0] for b in batches), default=0):.2f}",
                ],
                ["coachnotice rows by status", by_status],
                ["coachnotice rows tried more than once", retried],
                ["notices containing the crisis words", len(leaking)],
                ["first answer names the coach ('told Coach 1')", f"{told_coach}/{n}"],
                ["baseline first answer is 'I didn't quite get that'", f"{not_understood}/{n}"],
            ],
        )
    )
    p95 = percentile(notice_b, 95)
    misses = [
        f"{name} {value}"
        for name, value in (
            ("notices missing", missing + rows_missing),
            ("notices doubled", doubled + rows_doubled),
            ("notices for baseline/unknown", for_baseline + unknown + rows_other),
            ("notices with crisis words", len(leaking)),
            ("crisis answers missing", n - len(answer_a)),
            ("baseline answers missing", n - len(answer_c)),
        )
        if value
    ]
    if not notice_b or not p95 < TARGET_P95:
        misses.insert(0, f"(b) p95 {p95:.2f} s (target < {TARGET_P95:.0f} s)")
    print()
    if misses:
        print("MISSES: " + "; ".join(misses))
    else:
        print(f"Every target is met: (b) p95 {p95:.2f} s < {TARGET_P95:.0f} s, one notice each.")
    return not misses


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-notices-") as name:
        folder = Path(args.keep_logs) if args.keep_logs else Path(name)
        folder.mkdir(parents=True, exist_ok=True)
        database: AbstractContextManager[str]
        if args.database_url:
            if not args.database_url.startswith("postgres"):
                raise SystemExit("--database-url: a PostgreSQL URL (SQLite is the default)")
            database = postgres_schema(args.database_url, "bench_notices")
        else:
            database = nullcontext(f"sqlite:///{Path(name) / 'notices.db'}")
        with database as url:
            result = await run(args, url, folder)
    report(result, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--youths", type=int, default=50, help="crisis writers (and as many more)")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL (a fresh schema is made and dropped); default: a fresh SQLite file",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="bursts, each with fresh young people, at another moment of the notice job's cycle",
    )
    parser.add_argument("--wait-seconds", type=float, default=60.0, help="for the notices")
    parser.add_argument("--keep-logs", default="", help="a folder for the polku serve log")
    asyncio.run(main(parser.parse_args()))
