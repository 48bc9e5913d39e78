"""10 000 reminders due in the same minute, sent by `polku serve` to a stand-in that enforces
Telegram's 30 messages/s (429 past it): once straight, once with the process SIGKILLed halfway
and restarted.

    python -m bench.reminders [--count 10000]

Prints messages/s as a ratio of the 30/s cap (target ≥ 0.95), lost (target 0), duplicated
(Telegram has no idempotency key: a kill between "Telegram accepted" and "row marked sent"
resends what was in flight, never more), total seconds and each process's peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.updates import polku_env
from bot.sandbox import StandIn
from core.db import make_engine
from core.models import Appointment, Consent, OutboxMessage, Youth, utcnow
from polku.migrations import upgrade_to_head

CAP = 30
FIRST_CHAT = 3_000_000


def seed(url: str, count: int) -> None:
    """`count` young people, each with an appointment in 3 h and its reminder due now."""
    engine = make_engine(url)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            insert(Youth),
            [
                {
                    "telegram_user_id": FIRST_CHAT + i,
                    "chat_id": FIRST_CHAT + i,
                    "language": "fi",
                    "consent": Consent.GIVEN,
                    "status": "active",
                    "created_at": now,
                    "last_seen_at": now,
                }
                for i in range(count)
            ],
        )
        ids = [row[0] for row in connection.execute(select(Youth.id).order_by(Youth.id))]
        connection.execute(
            insert(Appointment),
            [
                {
                    "youth_id": youth_id,
                    "kind": "meeting",
                    "title": "Tapaaminen",
                    "starts_at": now + timedelta(hours=3),
                    "duration_minutes": 60,
                    "place": "Ohjaamo",
                    "status": "scheduled",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for youth_id in ids
            ],
        )
        appointments = list(connection.execute(select(Appointment.id, Appointment.youth_id)))
        connection.execute(
            insert(OutboxMessage),
            [
                {
                    "youth_id": youth_id,
                    "appointment_id": appointment_id,
                    "kind": "reminder",
                    "payload": {"version": 1, "hours_before": 3},
                    "due_at": now,
                    "not_after": now + timedelta(hours=3),
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
                for appointment_id, youth_id in appointments
            ],
        )
    engine.dispose()


def sent_rows(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        value = connection.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        ).scalar_one()
    engine.dispose()
    return int(value)


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Outcome:
    name: str
    seconds: float
    delivered: int
    lost: int
    duplicated: int
    refused: int  # sends the stand-in answered with 429
    peaks: list[float]


async def start_polku(env: dict[str, str]) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "polku.cli",
        "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while b"Polku is running" not in await process.stdout.readline():
            pass
    return process


async def scenario(name: str, count: int, folder: str, *, kill_at: int | None) -> Outcome:
    url = f"sqlite:///{Path(folder) / name}.db"
    upgrade_to_head(url)
    seed(url, count)
    async with StandIn.running() as standin:
        standin.limit_rate(CAP)
        env = {
            **polku_env({**os.environ, "PYTHONUNBUFFERED": "1"}, url),
            "TELEGRAM_API_BASE_URL": standin.base_url,
        }
        started = time.perf_counter()
        process = await start_polku(env)
        peaks: list[float] = []
        deadline = started + 20 * 60
        while time.perf_counter() < deadline:
            done = sent_rows(url)
            if kill_at is not None and done >= kill_at:
                peaks.append(peak_memory_mb(process.pid))
                process.send_signal(signal.SIGKILL)
                await process.wait()
                kill_at = None
                process = await start_polku(env)
            if done >= count:
                break
            print(f"\r{name}: {done}/{count} sent", end="", file=sys.stderr, flush=True)
            await asyncio.sleep(0.5)
        seconds = time.perf_counter() - started
        peaks.append(peak_memory_mb(process.pid))
        process.terminate()
        await process.wait()
        calls = standin.sent("sendMessage")
        received = Counter(int(c["params"]["chat_id"]) for c in calls if c["status"] == 200)
        refused = sum(1 for c in calls if c["status"] == 429)
    print(file=sys.stderr)
    delivered = sum(1 for n in received.values() if n >= 1)
    return Outcome(
        name=name,
        seconds=seconds,
        delivered=delivered,
        lost=count - delivered,
        duplicated=sum(n - 1 for n in received.values() if n > 1),
        refused=refused,
        peaks=peaks,
    )


async def main(count: int) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        results = [
            await scenario("straight", count, folder, kill_at=None),
            await scenario("SIGKILL halfway", count, folder, kill_at=count // 2),
        ]
    print(f"{count} reminders due at once; stand-in enforces {CAP} msg/s with 429s past it")
    print("| run | seconds | messages/s | × 30/s cap | lost | duplicated | 429s | peak memory MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        rate = r.delivered / r.seconds
        peaks = " / ".join(f"{p:.0f}" for p in r.peaks)
        print(
            f"| {r.name} | {r.seconds:.1f} | {rate:.2f} | {rate / CAP:.3f} | {r.lost} "
            f"| {r.duplicated} | {r.refused} | {peaks} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().count))
