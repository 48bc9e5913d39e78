"""A full 10-question dialogue (life areas) for many young people at once, beside the
skeleton's baselines (the bare echo bot and Polku's /start-to-menu) measured in the same run.

    python -m bench.dialogue [--youths 200]    (each Polku run gets a fresh SQLite database)

Each young person first reaches the menu and opens the dialogue (not timed); then every one of
the ten answers is timed from the tap until Polku has handled it (acknowledged the update).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

from bench.updates import (
    Conversation,
    Result,
    Span,
    echo_conversation,
    polku_conversation,
    polku_env,
    run_bot,
    table,
    timed,
)
from bot.sandbox import FakeUser, StandIn
from polku.migrations import upgrade_to_head

QUESTIONS = 10


def life_areas_conversation(finals: list[Span]) -> Conversation:
    """Onboard and open the dialogue untimed, then time the answers: the first nine into the
    row's spans, the tenth (which builds the summary, chart and services) into `finals`."""

    async def conversation(standin: StandIn, youth: FakeUser, spans: list[Span]) -> None:
        await polku_conversation(standin, youth, [])
        await youth.says("📝 Itsearviointi")
        await youth.taps("Elämä nyt")
        for value in range(QUESTIONS):
            await timed(finals if value == QUESTIONS - 1 else spans, youth.taps(str(value)))
        if not any("valmis" in (m.get("text") or "") for m in youth.inbox):
            raise AssertionError("the dialogue did not finish")

    return conversation


def fresh_database(folder: str, name: str) -> str:
    """A new SQLite database with the schema, one per Polku run."""
    url = f"sqlite:///{Path(folder) / name}.db"
    upgrade_to_head(url)
    return url


async def main(youths: int) -> None:
    logging.disable(logging.WARNING)
    sizes = {"conversations": youths, "concurrency": youths}
    with tempfile.TemporaryDirectory() as folder:
        base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        echo = await run_bot(
            "bare PTB echo bot",
            [sys.executable, "-m", "bench.echo_bot"],
            base_env,
            echo_conversation,
            marker="echo bot polling",
            **sizes,
        )
        polku = [sys.executable, "-m", "polku.cli", "serve"]
        onboarding = await run_bot(
            "Polku /start → menu",
            polku,
            polku_env(base_env, fresh_database(folder, "onboarding")),
            polku_conversation,
            marker="Polku is running",
            **sizes,
        )
        finals: list[Span] = []
        answers = await run_bot(
            "Polku life areas, answers 1–9",
            polku,
            polku_env(base_env, fresh_database(folder, "dialogue")),
            life_areas_conversation(finals),
            marker="Polku is running",
            **sizes,
        )
    print(
        f"{youths} young people at once; each bot in its own process; Polku on SQLite; "
        "a row's updates are the timed ones"
    )
    final = Result("Polku life areas, answer 10", youths, finals)
    print(table([echo, onboarding, answers, final], echo))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--youths", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.youths))
