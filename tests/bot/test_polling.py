"""Long polling acknowledges an update once it is stored, so nothing delivered is lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application, start_bot, stop_bot
from bot.inbox import inbox_of
from bot.polling import poll_until
from bot.sandbox import StandIn
from core.models import InboundUpdate
from tests.bot.conftest import settings_for


async def test_an_update_is_acknowledged_once_stored_while_its_handler_still_runs(
    engine, database_url
):
    """Telegram may forget an update as soon as it is in the inbox; handling comes after."""
    async with StandIn.running() as standin:
        application = build_application(settings_for(standin, database_url), engine)
        entered, release = asyncio.Event(), asyncio.Event()

        async def slow(_update, _context) -> None:
            entered.set()
            await release.wait()

        application.add_handler(TypeHandler(Update, slow), group=-10)
        await start_bot(application)
        stop = asyncio.Event()
        poller = asyncio.create_task(poll_until(application, stop))
        youth = standin.user("Aino", language_code="en")
        delivery = youth.queue_text("/start")
        await entered.wait()
        await standin.wait_until(lambda: delivery.acked.is_set())
        with Session(engine) as session:
            assert session.get(InboundUpdate, delivery.update_id) is not None
        release.set()
        await standin.wait_until(lambda: bool(youth.inbox))
        stop.set()
        await poller
        await stop_bot(application)
        assert "Choose your language" in youth.inbox[-1]["text"]


async def test_an_update_in_hand_when_polku_dies_is_handled_after_a_restart(
    engine, database_url, monkeypatch
):
    monkeypatch.setattr("core.services.inbox.LEASE", timedelta(milliseconds=300))
    async with StandIn.running() as standin:
        settings = settings_for(standin, database_url)
        youth = standin.user("Aino", language_code="en")

        first = build_application(settings, engine)
        entered, never = asyncio.Event(), asyncio.Event()

        async def hang(_update, _context) -> None:
            entered.set()
            await never.wait()

        first.add_handler(TypeHandler(Update, hang), group=-10)  # before every Polku handler
        await start_bot(first)
        crashed = asyncio.create_task(poll_until(first, asyncio.Event()))
        youth.queue_text("/start")
        await entered.wait()
        # The process dies: its poller and workers stop without settling anything.
        crashed.cancel()
        inbox_of(first)._running.cancel()
        await asyncio.gather(crashed, inbox_of(first)._running, return_exceptions=True)
        inbox_of(first)._running = None
        await stop_bot(first)
        assert youth.inbox == []

        second = build_application(settings, engine)
        await start_bot(second)
        stop = asyncio.Event()
        poller = asyncio.create_task(poll_until(second, stop))
        await standin.wait_until(lambda: bool(youth.inbox), timeout=10)
        stop.set()
        await poller
        await stop_bot(second)
        assert "Choose your language" in youth.inbox[-1]["text"]


async def test_the_job_queue_runs_inside_the_bot(polku):
    """Reminders and nudges (later issues) rely on PTB's JobQueue running in the same loop."""
    ran = asyncio.Event()

    async def job(_context) -> None:
        ran.set()

    polku.application.job_queue.run_once(job, when=0)
    await ran.wait()
    assert polku.application.job_queue.scheduler.running


@pytest.mark.parametrize(("status", "retry_after"), [(429, 1), (409, None), (502, None)])
async def test_polling_survives_errors_from_get_updates(polku, monkeypatch, status, retry_after):
    waits: list[float] = []

    async def note_the_wait(_stop_waiter, seconds: float) -> None:
        waits.append(seconds)  # and go on at once: no real waiting in tests

    monkeypatch.setattr("bot.polling.wait_unless_stopped", note_the_wait)
    polku.standin.fail("getUpdates", status=status, retry_after=retry_after)
    youth = polku.youth("Aino", language_code="en")
    replies = await youth.says("/start")
    assert "Choose your language" in replies[-1]["text"]
    if retry_after:
        assert float(retry_after) in waits
