"""Pieces shared by the benches that run `polku serve` as a real process against the stand-in:
databases (a temp SQLite file, a PostgreSQL schema of its own), the process itself, waiting for
the bot's *answer* in a chat, a coach on the panel over HTTP, and /healthz timing.

Since updates are stored in the inbox before they are acknowledged, "acknowledged" no longer
means "handled": a bench times from the young person's action until the bot's answer has
arrived in the stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.sandbox import FakeUser, StandIn
from bot.sandbox.state import JSON, Chat, Entry
from core.db import make_engine

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
POLKU_SERVE = [sys.executable, "-m", "polku.cli", "serve"]
READY = "Polku is running"
BOT_TOKEN = "1000000003:bench"


# -- databases ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def postgres_schema(base_url: str, prefix: str = "bench") -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards (as tests/conftest.py)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url, connect_args={"application_name": "bench"})
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def bench_engine(url: str) -> Engine:
    """The bench's own engine (PostgreSQL connections are named 'bench')."""
    if url.startswith("postgres"):
        return make_engine(url, connect_args={"application_name": "bench"})
    return make_engine(url)


def kind_of(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


# -- the process ----------------------------------------------------------------------------


def serve_env(
    database_url: str, *, api_base: str, port: int, app_name: str = "", **extra: str
) -> dict[str, str]:
    """`polku serve` against the stand-in on a known port; PostgreSQL connections get
    `app_name` (PGAPPNAME), so a fault can find exactly this run's backends."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE_URL": api_base,
        "TELEGRAM_API_FILE_URL": "http://127.0.0.1:1/unused",
        "POLKU_BIND": f"127.0.0.1:{port}",
        **extra,
    }
    if app_name:
        env["PGAPPNAME"] = app_name
    return env


class Serve:
    """One `polku serve` process: started, killed and started again on the same port."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        name: str = "polku",
        command: list[str] | None = None,
    ) -> None:
        self.env, self.log_path, self.name = env, log_path, name
        self.command = command or POLKU_SERVE
        self.process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None
        self.port = int(env["POLKU_BIND"].rsplit(":", 1)[1])
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, within: float = 90) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"\n=== start {self.starts} at {time.strftime('%X')} ===\n".encode())
        log.flush()
        self.process = await asyncio.create_subprocess_exec(
            *self.command, env=self.env, stdout=asyncio.subprocess.PIPE, stderr=log
        )
        log.close()
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(within):
                while True:
                    line = await self.process.stdout.readline()
                    if not line:
                        raise RuntimeError(f"{self.name} exited; see {self.log_path}")
                    if READY.encode() in line:
                        break
        except TimeoutError:
            raise RuntimeError(f"{self.name} did not start; see {self.log_path}") from None
        self._drain = asyncio.create_task(self._read_rest(self.process))

    @staticmethod
    async def _read_rest(process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while await process.stdout.readline():
            pass

    async def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                await self.kill()
        if self._drain is not None:
            self._drain.cancel()


# -- answers in the stand-in ----------------------------------------------------------------


class ChatWatch:
    """Wakes a waiter only when *its* chat changes (the stand-in's own signal wakes every
    waiter on every call, which costs more than the bot with 200 young people waiting)."""

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self._events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        state = standin.state
        record, replace = state.record_message, state.replace_message

        def record_message(chat: Chat, content: JSON, *, sender: JSON | None) -> Entry:
            entry = record(chat, content, sender=sender)
            self._wake(chat.id)
            return entry

        def replace_message(entry: Entry, message: JSON) -> None:
            replace(entry, message)
            self._wake(int(message["chat"]["id"]))

        state.record_message = record_message  # type: ignore[method-assign]
        state.replace_message = replace_message  # type: ignore[method-assign]

    def _wake(self, chat_id: int) -> None:
        event = self._events.pop(chat_id, None)
        if event is not None:
            event.set()

    async def until(self, chat: Chat, done: Callable[[], bool], within: float) -> bool:
        """True once `done()` holds (checked after each change in this chat), False when it
        does not within `within` seconds."""
        try:
            async with asyncio.timeout(within):
                while not done():
                    await self._events[chat.id].wait()
        except TimeoutError:
            return False
        return True


def bot_entries_since(chat: Chat, start: int, seq: int) -> list[Entry]:
    """Bot messages appended at index >= start, or edited after seq (cheap: no copies)."""
    found = [e for e in chat.entries[start:] if e.from_bot and not e.deleted]
    edited = [e for e in chat.entries[:start] if e.from_bot and e.seq > seq and not e.deleted]
    return edited + found


def buttons_of(message: JSON) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [str(b.get("text")) for row in rows for b in row]


Answer = Callable[[list[Entry]], bool]


def any_message(entries: list[Entry]) -> bool:
    return bool(entries)


def with_button(label: str) -> Answer:
    return lambda entries: any(label in buttons_of(e.message) for e in entries)


def with_text(fragment: str) -> Answer:
    return lambda entries: any(fragment in (e.message.get("text") or "") for e in entries)


@dataclass
class Acted:
    """One timed action of a young person: when it started, how long until the answer
    (None: no answer within the time limit) and the update it sent."""

    started: float
    seconds: float | None
    update_id: int
    kind: str


async def act(
    watch: ChatWatch,
    youth: FakeUser,
    queue: Callable[[], Any],
    answered: Answer | None,
    within: float,
) -> Acted:
    """Queue the update (not waiting for any acknowledgement), then wait up to `within`
    seconds for the bot's answer in this chat; `answered` None means no answer is expected."""
    chat = youth.chat
    start, seq = len(chat.entries), watch.standin.state.seq
    started = time.perf_counter()
    delivery = queue()
    seconds: float | None = None
    if answered is not None:
        check = answered
        ok = await watch.until(chat, lambda: check(bot_entries_since(chat, start, seq)), within)
        seconds = time.perf_counter() - started if ok else None
    return Acted(started, seconds, delivery.update_id, delivery.kind)


def tap_queue(youth: FakeUser, label: str) -> Callable[[], Any]:
    """Queue a tap on the newest bot message with that button (raises if there is none)."""
    message_id, data = youth._find_button(youth.chat, label, None)
    return lambda: youth.queue_tap(message_id, data)


def newest_bot_message(youth: FakeUser) -> JSON | None:
    for entry in reversed(youth.chat.entries):
        if entry.from_bot and not entry.deleted:
            return entry.message
    return None


# -- a coach on the panel -------------------------------------------------------------------

_CHAT_LINK = re.compile(r'href="/youth/(\d+)/chat"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class PanelCoach:
    """A coach in a browser: signs in, reads the inbox, answers young people who wait."""

    def __init__(self, base_url: str, login: str, password: str, name: str) -> None:
        self.base_url, self.login, self.password, self.name = base_url, login, password, name
        self.client = httpx.AsyncClient(base_url=base_url, timeout=10, trust_env=False)
        self.csrf = ""
        self.sent: list[str] = []  # reply texts the panel accepted
        self.errors = 0

    async def sign_in(self) -> None:
        page = await self.client.get("/login")
        token = _CSRF.search(page.text)
        if token is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        response = await self.client.post(
            "/login",
            data={"login": self.login, "password": self.password, "csrf_token": token.group(1)},
        )
        if response.status_code != 303:
            raise RuntimeError(f"sign-in failed: {response.status_code}")
        inbox = await self.client.get("/")
        found = _CSRF.search(inbox.text)
        if found is None:
            raise RuntimeError("no CSRF token on the inbox page")
        self.csrf = found.group(1)

    async def waiting(self) -> list[int]:
        """Young people's ids in the inbox, as the page lists them."""
        page = await self.client.get("/inbox/rows")
        page.raise_for_status()
        return [int(i) for i in dict.fromkeys(_CHAT_LINK.findall(page.text))]

    async def answer(self, youth_id: int, reply: str) -> bool:
        """Open the chat, then send the reply; True when the panel accepted it."""
        (await self.client.get(f"/youth/{youth_id}/chat")).raise_for_status()
        response = await self.client.post(
            f"/youth/{youth_id}/reply", data={"text": reply, "csrf_token": self.csrf}
        )
        if response.status_code == 303:
            self.sent.append(reply)
            return True
        return False

    async def close(self) -> None:
        await self.client.aclose()


# -- /healthz --------------------------------------------------------------------------------


@dataclass
class HealthSample:
    at: float
    seconds: float | None  # None: no answer (refused, reset, time-out)
    status: int | None


@dataclass
class HealthPoller:
    """GET /healthz every `every` seconds from a thread of its own (so the bench's busy event
    loop does not add to the times), keeping every sample."""

    url: str
    every: float = 0.1
    timeout: float = 5.0
    samples: list[HealthSample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="healthz", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, trust_env=False) as client:
            while not self._stop.is_set():
                began = time.perf_counter()
                try:
                    status: int | None = client.get(f"{self.url}/healthz").status_code
                    seconds: float | None = time.perf_counter() - began
                except httpx.TimeoutException:
                    status, seconds = None, self.timeout
                except httpx.HTTPError:
                    status, seconds = None, None
                self.samples.append(HealthSample(began, seconds, status))
                self._stop.wait(max(0.0, self.every - (time.perf_counter() - began)))

    def between(self, start: float, end: float) -> list[HealthSample]:
        return [s for s in self.samples if start <= s.at <= end]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]
