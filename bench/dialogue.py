"""A full 10-question dialogue (life areas) for many young people at once, beside the
skeleton's baselines (the bare echo bot and Polku's /start-to-menu) measured in the same run.

    python -m bench.dialogue [--youths 200] [--database-url URL]

Each Polku run gets a fresh database: a SQLite file, or with a PostgreSQL --database-url a
schema of its own (dropped afterwards).

Each young person first reaches the menu and opens the dialogue (not timed); then every one of
the ten answers is timed from the tap (the update queued in the stand-in) until the bot's
answer has arrived there, not until the update was acknowledged (Polku acknowledges an update
once it is stored in its inbox, before handling it). Answers 1–9 are answered by the question
message changing into the next question. The tenth answer changes the question into "done",
then sends the summary text, then the radar chart (a photo), tips, services and the offer to
talk with the coach: it is timed to each of these (one row each).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import (
    DEFAULT_POSTGRES,
    Answer,
    ChatWatch,
    any_message,
    bot_entries_since,
    kind_of,
    tap_queue,
    with_button,
)
from bench.updates import (
    ANSWER_WITHIN,
    Conversation,
    Result,
    Timings,
    Unanswered,
    echo_conversation,
    fresh_database,
    polku_conversation,
    run_echo,
    run_polku,
    step,
    table,
)
from bot.sandbox import FakeUser
from bot.sandbox.state import Entry

QUESTIONS = 10
TITLE = "Elämä nyt"  # "Life right now" in Finnish
FINAL_PARTS = (
    "first reply (✅ done)",
    "summary text",
    "chart (photo)",
    "last message (coach offer)",
)


def asks(number: int) -> Answer:
    """The question message now asks question `number` ("3/10 · Asuminen …")."""
    prefix = f"{number}/{QUESTIONS} ·"
    return lambda entries: any((e.message.get("text") or "").startswith(prefix) for e in entries)


def summary(entries: list[Entry]) -> bool:
    """A text after the "✅ done" edit: the summary's first line."""
    return any((text := e.message.get("text")) and not str(text).startswith("✅") for e in entries)


def chart(entries: list[Entry]) -> bool:
    return any("photo" in e.message for e in entries)


def coach_offer(entries: list[Entry]) -> bool:
    """The last message of a result: the offer to talk with the coach (0–9 leaves areas that
    could use support, so the offer always comes)."""
    for entry in entries:
        rows = (entry.message.get("reply_markup") or {}).get("inline_keyboard") or []
        if any(b.get("callback_data") == "coach:talk" for row in rows for b in row):
            return True
    return False


async def act_in_parts(
    watch: ChatWatch,
    youth: FakeUser,
    queue: Callable[[], Any],
    parts: list[tuple[Answer, Timings]],
) -> None:
    """Queue one update, then time it until each part of the answer has arrived, in order."""
    chat = youth.chat
    start, seq = len(chat.entries), watch.standin.state.seq
    started = time.perf_counter()
    delivery = queue()
    for answered, timings in parts:
        left = started + ANSWER_WITHIN - time.perf_counter()

        def arrived(answered: Answer = answered) -> bool:
            return answered(bot_entries_since(chat, start, seq))

        if not await watch.until(chat, arrived, left):
            timings.unanswered += 1
            raise Unanswered(f"no full answer to update {delivery.update_id}")
        timings.spans.append((started, time.perf_counter()))


def life_areas_conversation(finals: list[Timings]) -> Conversation:
    """Onboard and open the dialogue untimed, then time the answers: the first nine into the
    row's timings, the tenth (summary, chart, services, offer) part by part into `finals`."""

    async def conversation(watch: ChatWatch, youth: FakeUser, timings: Timings) -> None:
        await polku_conversation(watch, youth, None)
        opened = with_button(TITLE)
        await step(watch, youth, lambda: youth.queue_text("📝 Itsearviointi"), opened, None)
        await step(watch, youth, tap_queue(youth, TITLE), asks(1), None)
        for value in range(QUESTIONS - 1):
            await step(watch, youth, tap_queue(youth, str(value)), asks(value + 2), timings)
        parts: list[Answer] = [any_message, summary, chart, coach_offer]
        last = tap_queue(youth, str(QUESTIONS - 1))
        await act_in_parts(watch, youth, last, list(zip(parts, finals, strict=True)))
        if not any("valmis" in (m.get("text") or "") for m in youth.inbox):
            raise AssertionError("the dialogue did not finish")

    return conversation


async def main(youths: int, database_url: str | None) -> None:
    logging.disable(logging.WARNING)
    sizes = {"conversations": youths, "concurrency": youths}
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        echo = await run_echo("bare PTB echo bot", echo_conversation, **sizes)
        with fresh_database(folder, "onboarding", database_url) as url:
            kind = kind_of(url)
            onboarding = await run_polku(
                "Polku /start → menu", url, logs / "onboarding.log", polku_conversation, **sizes
            )
        finals = [Timings() for _ in FINAL_PARTS]
        with fresh_database(folder, "dialogue", database_url) as url:
            answers = await run_polku(
                "Polku life areas, answers 1–9",
                url,
                logs / "dialogue.log",
                life_areas_conversation(finals),
                **sizes,
            )
    print(
        f"{youths} young people at once; each bot in its own process; Polku on {kind}; "
        "a row's updates are the timed ones, each timed from the action until the bot's "
        "answer arrived in the stand-in"
    )
    tenth = [
        Result(f"Polku life areas, answer 10: {part}", youths, timings)
        for part, timings in zip(FINAL_PARTS, finals, strict=True)
    ]
    print(table([echo, onboarding, answers, *tenth], echo))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--youths", type=int, default=200)
    parser.add_argument(
        "--database-url", help=f"default: fresh SQLite files; e.g. {DEFAULT_POSTGRES}"
    )
    args = parser.parse_args()
    asyncio.run(main(args.youths, args.database_url))
