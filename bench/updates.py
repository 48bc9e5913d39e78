"""Updates per second and latency of Polku's /start-to-menu conversation, beside a bare echo bot.

Each bot runs as its own process, Polku as the real `polku serve`, against one Telegram
stand-in in this process, which also plays the young people: the same number of conversations
of three updates each, the same number of young people at a time. An update counts as done
when the bot has answered it: for Polku when it acknowledged the update (it acknowledges only
after handling), for the echo bot when its echo arrived.

    python -m bench.updates [--conversations 300] [--concurrency 20] [--database-url URL]

BENCH_PROFILE="-m cProfile -o serve.prof" runs `polku serve` under a profiler.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox import FakeUser, StandIn
from polku.migrations import upgrade_to_head

STEPS = ("/start", "suomi", "Kyllä, tallenna")


Span = tuple[float, float]  # when a timed action started and when the bot had handled it
Conversation = Callable[[StandIn, FakeUser, list[Span]], Awaitable[None]]


@dataclass
class Result:
    name: str
    conversations: int
    spans: list[Span]

    @property
    def latencies(self) -> list[float]:
        return [end - start for start, end in self.spans]

    @property
    def seconds(self) -> float:
        """From the first timed action to the last one handled (untimed set-up left out)."""
        return max(end for _, end in self.spans) - min(start for start, _ in self.spans)

    @property
    def per_second(self) -> float:
        return len(self.spans) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def drive(
    standin: StandIn,
    conversation: Conversation,
    *,
    conversations: int,
    concurrency: int,
) -> list[Span]:
    """Run the conversations, `concurrency` at a time; return the timed actions' spans."""
    spans: list[Span] = []
    slots = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with slots:
            youth = standin.user(f"Nuori{index}", language_code="fi")
            await conversation(standin, youth, spans)

    await asyncio.gather(*(one(i) for i in range(conversations)))
    return spans


async def timed(spans: list[Span], action: Awaitable[object]) -> None:
    """Run one action and record its span."""
    started = time.perf_counter()
    await action
    spans.append((started, time.perf_counter()))


async def polku_conversation(standin: StandIn, youth: FakeUser, spans: list[Span]) -> None:
    """/start, tap the language, tap yes: the young person reaches the menu."""
    for step, act in zip(STEPS, (youth.says, youth.taps, youth.taps), strict=True):
        await timed(spans, act(step))
    if youth.reply_keyboard is None:
        raise AssertionError("the conversation did not reach the menu")


async def echo_conversation(standin: StandIn, youth: FakeUser, spans: list[Span]) -> None:
    """Three texts, each done when its echo is back."""
    for step in STEPS:
        before = len(youth.inbox)

        async def echoed(text: str = step, before: int = before) -> None:
            await youth.says(text)
            await standin.wait_until(lambda: len(youth.inbox) > before)

        await timed(spans, echoed())


async def wait_for_line(process: asyncio.subprocess.Process, marker: str) -> None:
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while marker not in (await process.stdout.readline()).decode():
            pass


async def run_bot(
    name: str,
    command: list[str],
    env: dict[str, str],
    conversation: Conversation,
    *,
    conversations: int,
    concurrency: int,
    marker: str,
) -> Result:
    async with StandIn.running(action_timeout=120) as standin:
        env = {**env, "TELEGRAM_API_BASE_URL": standin.base_url}
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            await wait_for_line(process, marker)
            spans = await drive(
                standin, conversation, conversations=conversations, concurrency=concurrency
            )
        finally:
            process.terminate()
            await process.wait()
    return Result(name, conversations, spans)


def polku_env(base: dict[str, str], database_url: str) -> dict[str, str]:
    """`polku serve` against the stand-in (its address is added by run_bot), on a free port."""
    return {
        **base,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": "1000000003:bench",
        "TELEGRAM_API_FILE_URL": "http://127.0.0.1:1/unused",
        "POLKU_BIND": "127.0.0.1:0",
    }


def table(results: list[Result], baseline: Result) -> str:
    header = (
        "| bot | conversations | updates | seconds | updates/s | p50 ms | p95 ms | p99 ms "
        "| × echo |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(
            f"| {r.name} | {r.conversations} | {len(r.latencies)} | {r.seconds:.2f} "
            f"| {r.per_second:.1f} | {r.percentile(50):.1f} | {r.percentile(95):.1f} "
            f"| {r.percentile(99):.1f} | {r.per_second / baseline.per_second:.2f} |"
        )
    return "\n".join(lines)


async def main(conversations: int, concurrency: int, database_url: str | None) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_to_head(url)
        base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        sizes = {"conversations": conversations, "concurrency": concurrency}
        baseline = await run_bot(
            "bare PTB echo bot",
            [sys.executable, "-m", "bench.echo_bot"],
            base_env,
            echo_conversation,
            marker="echo bot polling",
            **sizes,
        )
        polku_env = {
            **base_env,
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": "1000000003:bench",
            "TELEGRAM_API_FILE_URL": "http://127.0.0.1:1/unused",
            "POLKU_BIND": "127.0.0.1:0",
        }
        polku = await run_bot(
            "Polku /start → menu",
            [
                sys.executable,
                *os.environ.get("BENCH_PROFILE", "").split(),
                "-m",
                "polku.cli",
                "serve",
            ],
            polku_env,
            polku_conversation,
            marker="Polku is running",
            **sizes,
        )
    print(
        f"{conversations} conversations × {len(STEPS)} updates, {concurrency} young people at "
        f"a time; each bot in its own process; Polku on {url.split(':')[0]}"
    )
    print(table([baseline, polku], baseline))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    asyncio.run(main(args.conversations, args.concurrency, args.database_url))
