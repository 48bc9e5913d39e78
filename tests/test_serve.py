"""`polku serve` as a person runs it: one process, health check, the sandbox chat page, SIGTERM."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

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


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    """Migrate, then start `polku serve` without a token, in an empty folder."""
    port = two_free_ports()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "POLKU_BIND": f"127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": "",
        "PYTHONUNBUFFERED": "1",
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
        yield Served(process, f"http://127.0.0.1:{port}", chat, output)
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


def test_serve_answers_health_runs_the_bot_and_stops_cleanly(served: Served):
    with httpx.Client(timeout=5) as client:
        health = client.get(f"{served.web}/healthz")
        assert health.status_code == 200
        assert health.json()["database"] == "ok"

        base = served.chat.removesuffix("/chat")
        user_id = client.post(
            f"{base}/sandbox/users", json={"first_name": "Aino", "language_code": "fi"}
        ).json()["user_id"]
        client.post(f"{base}/sandbox/send", json={"user_id": user_id, "text": "/start"})
        wait_for_bot(client, base, user_id, "Valitse kieli")

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=20) == 0
    logs = served.process.stderr.read()
    assert "polku stopped" in logs
    assert "/start" not in logs  # message text never reaches the logs


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_person_completes_onboarding_on_the_chat_page(served: Served):
    """Real headless Chromium on the sandbox page: name, language, consent, menu."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(served.chat)
        page.fill("#setup-name", "Aino")
        page.click("#setup-form button[type=submit]")
        page.click("#start")
        page.get_by_role("button", name="English").click()
        page.get_by_role("button", name="Yes, keep them").click()
        keyboard = page.locator("#keyboard")
        expect(keyboard.get_by_role("button", name="❓ Help")).to_be_visible()
        keyboard.get_by_role("button", name="❓ Help").click()
        expect(page.get_by_text("I'm a bot, not a person.")).to_be_visible()
        page.screenshot(path=str(Path(os.environ.get("POLKU_SCREENSHOTS", "/tmp")) / "chat.png"))
        browser.close()
