"""`polku serve` as a person runs it, for the tests that need the real process: a free port
pair, the sandbox's first admin, the chat page's endpoints and headless Chromium."""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STARTUP_SECONDS = 30


def two_free_ports() -> int:
    """A port p with p+1 also free (the web app and the sandbox chat page)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free ports in a row")


@dataclass
class Served:
    process: subprocess.Popen[str]
    web: str
    chat: str
    output: list[str]
    admin_login: str
    admin_password: str


def read_until(lines: queue.Queue[str], marker: str, output: list[str]) -> None:
    """Take the server's stdout lines until one contains `marker` (or fail with what it said)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        output.append(line)
        if marker in line:
            return
    raise AssertionError(f"polku serve did not say {marker!r}:\n{''.join(output)}")


@contextmanager
def serving(tmp_path: Path, database_url: str, **settings: str) -> Iterator[Served]:
    """Migrate, then start `polku serve` without a token, in an empty folder (`settings` are
    extra environment variables, e.g. POLKU_PANEL_LANGUAGE="en")."""
    port = two_free_ports()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "POLKU_BIND": f"127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": "",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    polku = [sys.executable, "-m", "polku.cli"]
    subprocess.run([*polku, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    process = subprocess.Popen(
        [*polku, "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    output: list[str] = []
    try:
        read_until(lines, "Try the bot as a young person:", output)
        chat = output[-1].rsplit(" ", 1)[-1].strip()
        read_until(lines, "First admin for the panel (sandbox only):", output)
        login, password = output[-1].rsplit(":", 1)[-1].strip().split(" / ")
        yield Served(process, f"http://127.0.0.1:{port}", chat, output, login, password)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def wait_for_bot(client: httpx.Client, chat: str, user_id: int, fragment: str) -> dict:
    """Ask the chat page's endpoint until a bot message contains `fragment` (10 s at most)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = client.get(f"{chat}/sandbox/messages", params={"user_id": user_id}).json()
        for message in messages["messages"]:
            if message.get("from") == "bot" and fragment in (message.get("text") or ""):
                return message
        time.sleep(0.05)  # another process: asking again is the only way to see its answer
    raise AssertionError(f"the bot never said {fragment!r}")


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium through Playwright (never `playwright install`), headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def artifact(name: str) -> str:
    """Where a screenshot goes: tests/artifacts/ (not committed), or POLKU_SCREENSHOTS."""
    folder = Path(os.environ.get("POLKU_SCREENSHOTS", Path(__file__).parent / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)
