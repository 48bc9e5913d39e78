"""Crisis wording answered within a second: the time from a young person's crisis message until
Polku's crisis answer ("Kiitos, että kerroit …"; outside office hours "Kiitos, kun kerroit …")
has arrived, beside an ordinary menu tap (❓ Apua) in the same run, one at a time and many at
once; then the detector alone, per message on one core, over the whole crisis corpus.

    python -m bench.safety [--youths 100] [--database-url URL]

Polku runs as the real `polku serve` against the Telegram stand-in (see bench.updates); each
run gets a fresh database: a SQLite file, or with a PostgreSQL --database-url a schema of its
own (dropped afterwards). Each young person first reaches the menu (not timed); then one
message each is timed from the update queued in the stand-in until the bot's answer has
arrived there (Polku acknowledges an update once it is in its inbox, before handling it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import DEFAULT_POSTGRES, Answer, ChatWatch, kind_of, percentile
from bench.updates import (
    Conversation,
    Result,
    Timings,
    fresh_database,
    polku_conversation,
    run_polku,
    step,
    table,
)
from bot.sandbox import FakeUser
from core.crisis import PHRASES_DIR, Detector
from core.crisis_model import CrisisModel

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "core" / "crisis_corpus"
TARGET_MS = 20.0  # the detector's budget per message on one core

# (row name, the message, fragments of which any one in a bot message is the answer)
BASELINE = ("❓ Apua (baseline)", "❓ Apua", ("botti",))  # help ends "… Olen botti, …"
# In a coach's office hours "Kiitos, että kerroit. Olen botti, …"; outside them the crisis
# answer reads "Kiitos, kun kerroit. Nyt kukaan ei ole töissä: …" instead.
CRISIS = (
    "crisis message",
    "mä en jaksa elää enää",
    ("Kiitos, että kerroit", "Kiitos, kun kerroit"),
)


def with_any_text(fragments: tuple[str, ...]) -> Answer:
    return lambda entries: any(
        fragment in (e.message.get("text") or "") for e in entries for fragment in fragments
    )


def one_message(text: str, expect: tuple[str, ...]) -> Conversation:
    """Reach the menu untimed, then time one message until a bot message with one of the
    `expect` fragments has arrived."""

    async def conversation(watch: ChatWatch, youth: FakeUser, timings: Timings) -> None:
        await polku_conversation(watch, youth, None)
        await step(watch, youth, lambda: youth.queue_text(text), with_any_text(expect), timings)

    return conversation


def merged_table(groups: list[list[Result]]) -> str:
    """One table of several groups, each group's × column against its own first row."""
    parts = [table(group, group[0]).replace("× echo", "× baseline").split("\n") for group in groups]
    rows = [line for part in parts for line in part[2:] if line.startswith("|")]
    notes = [line for part in parts for line in part[2:] if line and not line.startswith("|")]
    return "\n".join([*parts[0][:2], *rows, *([""] + notes if notes else [])])


def corpus_texts() -> list[str]:
    """Every text of every corpus file (`LABEL<TAB>TEXT`, `#` lines and blank lines skipped)."""
    return [
        line.split("\t", 1)[1]
        for path in sorted(CORPUS.rglob("*.tsv"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#") and "\t" in line
    ]


def per_message(check: Callable[[str], object], texts: list[str]) -> list[float]:
    """Seconds per text, after one untimed pass to warm up."""
    for text in texts:
        check(text)
    seconds = []
    for text in texts:
        started = time.perf_counter()
        check(text)
        seconds.append(time.perf_counter() - started)
    return seconds


def detector_table(texts: list[str]) -> str:
    """The detector alone, pinned to one core: the phrase lists, then lists plus the model."""
    phrases = Detector.from_folder(PHRASES_DIR)
    with_model = Detector.from_folder(PHRASES_DIR, model=CrisisModel.load())
    cases = (
        ("phrase lists only (Detector.find)", phrases.find),
        ("phrase lists + learned model (Detector.assess)", with_model.assess),
    )
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        timed = [(name, per_message(check, texts)) for name, check in cases]
    finally:
        os.sched_setaffinity(0, cores)
    lines = [
        f"| detector | messages | mean µs | p99 µs | max µs | under {TARGET_MS:.0f} ms (p99) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, seconds in timed:
        mean = sum(seconds) / len(seconds) * 1e6
        p99 = percentile(seconds, 99) * 1e6
        verdict = "yes" if p99 < TARGET_MS * 1000 else "NO"
        lines.append(
            f"| {name} | {len(seconds)} | {mean:.0f} | {p99:.0f} | {max(seconds) * 1e6:.0f} "
            f"| {verdict} |"
        )
    return "\n".join(lines)


async def main(youths: int, database_url: str | None) -> None:
    logging.disable(logging.WARNING)
    groups: list[list[Result]] = []
    kind = "SQLite"
    with tempfile.TemporaryDirectory() as folder:
        for load, concurrency in (("one at a time", 1), (f"{youths} at once", youths)):
            group: list[Result] = []
            for name, text, expect in (BASELINE, CRISIS):
                label = f"{len(groups)}_{len(group)}"
                with fresh_database(folder, f"safety_{label}", database_url) as url:
                    kind = kind_of(url)
                    group.append(
                        await run_polku(
                            f"Polku {name}, {load}",
                            url,
                            Path(folder) / f"safety_{label}.log",
                            one_message(text, expect),
                            conversations=youths,
                            concurrency=concurrency,
                        )
                    )
            groups.append(group)
    print(
        f"{youths} young people, one timed message each; Polku in its own process on {kind}; "
        "each message timed from sending until the bot's answer arrived; × baseline: "
        "updates/s against ❓ Apua under the same load"
    )
    print(merged_table(groups))
    texts = corpus_texts()
    print(
        f"\nThe detector alone, per message on one core, over every line of "
        f"{CORPUS.relative_to(CORPUS.parent.parent.parent)} ({len(texts)} messages); "
        f"target: under {TARGET_MS:.0f} ms per message on one core"
    )
    print(detector_table(texts))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--youths", type=int, default=100)
    parser.add_argument(
        "--database-url", help=f"default: fresh SQLite files; e.g. {DEFAULT_POSTGRES}"
    )
    args = parser.parse_args()
    asyncio.run(main(args.youths, args.database_url))
