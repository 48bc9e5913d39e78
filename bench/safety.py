"""Crisis wording answered within a second: the time from a young person's crisis message to
the moment Polku has handled it (alert stored, resources and the safety question sent), beside
an ordinary menu tap in the same run, and the detector alone over the whole corpus.

    python -m bench.safety [--youths 100]    (each Polku run gets a fresh SQLite database)

Each young person first reaches the menu (not timed); then one message each is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.dialogue import fresh_database
from bench.updates import (
    Conversation,
    Span,
    polku_conversation,
    polku_env,
    run_bot,
    table,
    timed,
)
from bot.sandbox import FakeUser, StandIn
from core.crisis import PHRASES_DIR, Detector

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "core" / "crisis_corpus"


def one_message(text: str, expect: str) -> Conversation:
    """Reach the menu untimed, then time one message until Polku has handled it."""

    async def conversation(standin: StandIn, youth: FakeUser, spans: list[Span]) -> None:
        await polku_conversation(standin, youth, [])
        await timed(spans, youth.says(text))
        if not any(expect in (m.get("text") or "") for m in youth.inbox):
            raise AssertionError(f"no {expect!r} in the answer")

    return conversation


def detector_rate() -> tuple[int, float]:
    """How many corpus texts the detector checks per second (all three languages each)."""
    detector = Detector.from_folder(PHRASES_DIR)
    texts = [
        line.split("\t", 1)[1]
        for path in sorted(CORPUS.rglob("*.tsv"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    started = time.perf_counter()
    for text in texts:
        detector.find(text)
    return len(texts), len(texts) / (time.perf_counter() - started)


async def main(youths: int) -> None:
    logging.disable(logging.WARNING)
    polku = [sys.executable, "-m", "polku.cli", "serve"]
    cases = (
        ("❓ Apua (baseline)", "❓ Apua", "botti"),
        ("crisis message", "mä en jaksa elää enää", "Kiitos, että kerroit."),
    )
    results = []
    with tempfile.TemporaryDirectory() as folder:
        base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for load, concurrency in (("one at a time", 1), (f"{youths} at once", youths)):
            for name, text, expect in cases:
                database = fresh_database(folder, f"{len(results)}")
                results.append(
                    await run_bot(
                        f"Polku {name}, {load}",
                        polku,
                        polku_env(base_env, database),
                        one_message(text, expect),
                        marker="Polku is running",
                        conversations=youths,
                        concurrency=concurrency,
                    )
                )
    print(f"{youths} young people, one timed message each; Polku on SQLite")
    print(table(results, results[0]).replace("× echo", "× baseline"))
    count, rate = detector_rate()
    print(f"\ndetector alone: {count} corpus texts, {rate:,.0f} texts/s ({1e6 / rate:.0f} µs each)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--youths", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.youths))
