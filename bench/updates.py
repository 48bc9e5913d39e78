"""Updates per second and latency of Polku's /start-to-menu conversation, beside a bare echo bot.

Each bot runs as its own process, Polku as the real `polku serve`, against one Telegram
stand-in in this process, which also plays the young people: the same number of conversations
of three updates each, the same number of young people at a time.

Polku stores every update in its inbox before it acknowledges it and handles it afterwards, so
an acknowledgement says nothing about the answer. Every update is therefore timed from the
young person's action (the update queued in the stand-in) until the bot's answer has arrived
there: for Polku the message the young person needs for the next step (the language buttons,
the consent buttons, the menu), for the echo bot its echo. An answer that has not arrived
within ANSWER_WITHIN seconds counts under "no answer" and ends that conversation.

    python -m bench.updates [--conversations 300] [--concurrency 20] [--database-url URL]

A PostgreSQL --database-url gets a fresh schema of its own, dropped afterwards.
BENCH_PROFILE="-m cProfile -o serve.prof" runs `polku serve` under a profiler.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import (
    DEFAULT_POSTGRES,
    Acted,
    Answer,
    ChatWatch,
    Serve,
    act,
    any_message,
    free_port,
    kind_of,
    percentile,
    postgres_schema,
    serve_env,
    tap_queue,
    with_button,
)
from bot.sandbox import FakeUser, StandIn
from polku.migrations import upgrade_to_head

STEPS = ("/start", "suomi", "Kyllä, tallenna")
ANSWER_WITHIN = 60.0

Span = tuple[float, float]  # when a timed action started and when its answer had arrived


class Unanswered(Exception):
    """The bot did not answer an action within ANSWER_WITHIN seconds."""


@dataclass
class Timings:
    """The spans of one row's timed actions, and how many of them got no answer."""

    spans: list[Span] = field(default_factory=list)
    unanswered: int = 0


async def step(
    watch: ChatWatch,
    youth: FakeUser,
    queue: Callable[[], Any],
    answered: Answer,
    timings: Timings | None,
) -> Acted:
    """One action of a young person, timed into `timings` (None: not timed) until the answer
    has arrived; Unanswered when it has not within ANSWER_WITHIN seconds."""
    acted = await act(watch, youth, queue, answered, ANSWER_WITHIN)
    if acted.seconds is None:
        if timings is not None:
            timings.unanswered += 1
        raise Unanswered(f"no answer to update {acted.update_id} ({acted.kind})")
    if timings is not None:
        timings.spans.append((acted.started, acted.started + acted.seconds))
    return acted


def menu_shown(youth: FakeUser) -> Answer:
    """The main menu (a reply keyboard) has arrived in the chat."""
    return lambda entries: bool(entries) and youth.chat.reply_keyboard is not None


Conversation = Callable[[ChatWatch, FakeUser, Timings], Awaitable[None]]


async def polku_conversation(watch: ChatWatch, youth: FakeUser, timings: Timings | None) -> None:
    """/start, tap the language, tap yes: the young person reaches the menu."""
    await step(watch, youth, lambda: youth.queue_text("/start"), with_button("suomi"), timings)
    consent = with_button("Kyllä, tallenna")
    await step(watch, youth, tap_queue(youth, "suomi"), consent, timings)
    await step(watch, youth, tap_queue(youth, "Kyllä, tallenna"), menu_shown(youth), timings)


async def echo_conversation(watch: ChatWatch, youth: FakeUser, timings: Timings) -> None:
    """Three texts, each answered when its echo has arrived."""
    for text in STEPS:
        await step(watch, youth, lambda text=text: youth.queue_text(text), any_message, timings)


@dataclass
class Result:
    name: str
    conversations: int
    timings: Timings
    unfinished: int = 0  # conversations that ended early (an answer did not arrive)

    @property
    def spans(self) -> list[Span]:
        return self.timings.spans

    @property
    def latencies(self) -> list[float]:
        return [end - start for start, end in self.spans]

    @property
    def seconds(self) -> float:
        """From the first timed action to the last answer (untimed set-up left out)."""
        if not self.spans:
            return float("nan")
        return max(end for _, end in self.spans) - min(start for start, _ in self.spans)

    @property
    def per_second(self) -> float:
        return len(self.spans) / self.seconds if self.spans else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000


async def drive(
    watch: ChatWatch, conversation: Conversation, *, conversations: int, concurrency: int
) -> tuple[Timings, int]:
    """Run the conversations, `concurrency` at a time; the timed actions and how many
    conversations ended early."""
    timings = Timings()
    slots = asyncio.Semaphore(concurrency)
    unfinished = 0

    async def one(index: int) -> None:
        nonlocal unfinished
        async with slots:
            youth = watch.standin.user(f"Nuori{index}", language_code="fi")
            try:
                await conversation(watch, youth, timings)
            except (Unanswered, AssertionError):
                unfinished += 1

    await asyncio.gather(*(one(i) for i in range(conversations)))
    return timings, unfinished


async def wait_for_line(process: asyncio.subprocess.Process, marker: str) -> None:
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while marker not in (await process.stdout.readline()).decode():
            pass


async def run_echo(
    name: str, conversation: Conversation, *, conversations: int, concurrency: int
) -> Result:
    """The bare PTB echo bot in its own process, against a stand-in of its own."""
    async with StandIn.running(action_timeout=120) as standin:
        watch = ChatWatch(standin)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TELEGRAM_API_BASE_URL": standin.base_url}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.echo_bot", env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            await wait_for_line(process, "echo bot polling")
            timings, unfinished = await drive(
                watch, conversation, conversations=conversations, concurrency=concurrency
            )
        finally:
            process.terminate()
            await process.wait()
    return Result(name, conversations, timings, unfinished)


def polku_command() -> list[str]:
    profile = os.environ.get("BENCH_PROFILE", "").split()
    return [sys.executable, *profile, "-m", "polku.cli", "serve"]


async def run_polku(
    name: str,
    database_url: str,
    log_path: Path,
    conversation: Conversation,
    *,
    conversations: int,
    concurrency: int,
) -> Result:
    """`polku serve` in its own process (its log in `log_path`), against a stand-in."""
    async with StandIn.running(action_timeout=120) as standin:
        watch = ChatWatch(standin)
        env = serve_env(database_url, api_base=standin.base_url, port=free_port())
        serve = Serve(env, log_path, command=polku_command())
        await serve.start()
        try:
            timings, unfinished = await drive(
                watch, conversation, conversations=conversations, concurrency=concurrency
            )
        finally:
            await serve.stop()
    return Result(name, conversations, timings, unfinished)


@contextlib.contextmanager
def fresh_database(folder: str, name: str, database_url: str | None) -> Iterator[str]:
    """A new database with the schema: a SQLite file in `folder`, or a PostgreSQL schema of
    its own on `database_url` (dropped afterwards)."""
    if database_url is None or not database_url.startswith("postgres"):
        url = database_url or f"sqlite:///{Path(folder) / name}.db"
        upgrade_to_head(url)
        yield url
        return
    with postgres_schema(database_url, prefix=f"bench_{name}") as url:
        upgrade_to_head(url)
        yield url


def table(results: list[Result], baseline: Result) -> str:
    header = (
        "| bot | conversations | updates | no answer | seconds | updates/s | p50 ms | p95 ms "
        "| p99 ms | × echo |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(
            f"| {r.name} | {r.conversations} | {len(r.spans)} | {r.timings.unanswered} "
            f"| {r.seconds:.2f} | {r.per_second:.1f} | {r.percentile(50):.1f} "
            f"| {r.percentile(95):.1f} | {r.percentile(99):.1f} "
            f"| {r.per_second / baseline.per_second:.2f} |"
        )
    broken = [r for r in results if r.unfinished]
    for r in broken:
        lines.append(f"\n{r.name}: {r.unfinished} conversations ended early (no answer)")
    return "\n".join(lines)


async def main(conversations: int, concurrency: int, database_url: str | None) -> None:
    logging.disable(logging.WARNING)
    sizes = {"conversations": conversations, "concurrency": concurrency}
    with tempfile.TemporaryDirectory() as folder:
        baseline = await run_echo("bare PTB echo bot", echo_conversation, **sizes)
        with fresh_database(folder, "updates", database_url) as url:
            polku = await run_polku(
                "Polku /start → menu",
                url,
                Path(folder) / "polku.log",
                polku_conversation,
                **sizes,
            )
    print(
        f"{conversations} conversations × {len(STEPS)} updates, {concurrency} young people at "
        f"a time; each bot in its own process; Polku on {kind_of(url)}; every update timed "
        "from the action until the bot's answer arrived"
    )
    print(table([baseline, polku], baseline))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--database-url", help=f"default: a fresh SQLite file; e.g. {DEFAULT_POSTGRES}"
    )
    args = parser.parse_args()
    asyncio.run(main(args.conversations, args.concurrency, args.database_url))
