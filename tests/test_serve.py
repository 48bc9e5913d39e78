"""`polku serve` as a person runs it: one process, health check, the sandbox chat page, SIGTERM,
and starting on any database (migrated first, or refused with POLKU_AUTO_MIGRATE=0)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect

from core.db import make_engine
from tests.serving import Served, artifact, chromium, read_until, two_free_ports, wait_for_bot


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
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(served.chat)
        page.fill("#setup-name", "Aino")
        page.click("#setup-form button[type=submit]")
        page.click("#start")
        page.get_by_role("button", name="English").click()
        page.get_by_role("button", name="Yes, keep them").click()
        keyboard = page.locator("#keyboard")
        expect(keyboard.get_by_role("button", name="❓ What Polku does")).to_be_visible()
        keyboard.get_by_role("button", name="❓ What Polku does").click()
        expect(page.get_by_text("I'm Polku, a bot for your studies")).to_be_visible()
        page.screenshot(path=artifact("chat.png"))


def polku_env(database_url: str, **settings: str) -> tuple[dict[str, str], int]:
    port = two_free_ports()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "POLKU_BIND": f"127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": "",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    return env, port


@contextmanager
def serving_unmigrated(
    tmp_path: Path, database_url: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`polku serve` straight away, without `polku migrate` first (unlike tests.serving)."""
    env, port = polku_env(database_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "polku.cli", "serve"],
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
    try:
        read_until(lines, "Polku is running:", [])
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def table_names(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_serve_migrates_an_empty_database_and_answers_health(tmp_path, database_url):
    with serving_unmigrated(tmp_path, database_url) as (process, web):
        health = httpx.get(f"{web}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json() == {
            "status": "ok",
            "database": "ok",
            "updates_pending": 0,
            "updates_failed": 0,
            "outbox_failed": 0,
        }
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert {"alembic_version", "coach", "inbound_update"} <= table_names(database_url)


def test_serve_refuses_an_unmigrated_database_in_one_line_when_auto_migrate_is_off(
    tmp_path, database_url
):
    env, _port = polku_env(database_url, POLKU_AUTO_MIGRATE="0")
    done = subprocess.run(
        [sys.executable, "-m", "polku.cli", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "polku: the database schema is not up to date and POLKU_AUTO_MIGRATE is off: "
        "run `polku migrate`, then start again"
    ]
    assert table_names(database_url) == set()  # nothing was created
