"""Long polling acknowledges an update only after it was handled, so nothing delivered is lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, Update, User
from telegram.ext import TypeHandler

from bot.app import build_application, start_bot, stop_bot
from bot.polling import poll_until
from bot.sandbox import StandIn
from tests.bot.conftest import settings_for


def text_update(update_id: int, chat_id: int) -> Update:
    user = User(id=chat_id, first_name="Aino", is_bot=False)
    chat = Chat(id=chat_id, type="private")
    message = Message(1, datetime.now(UTC), chat, from_user=user, text="hei")
    return Update(update_id, message=message)


class FakeTelegram:
    """Just enough of Bot and Application to watch the offsets the poller sends."""

    def __init__(self, first_batch: list[Update]) -> None:
        self.bot = self
        self.batches = [first_batch]
        self.offsets: list[int | None] = []
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()
        self.handled: list[int] = []

    async def delete_webhook(self, **_kwargs) -> bool:
        return True

    async def get_updates(self, *, offset=None, timeout=0, **_kwargs) -> list[Update]:  # noqa: ASYNC109
        self.offsets.append(offset)
        if self.batches:
            return self.batches.pop(0)
        if timeout:
            await asyncio.Event().wait()  # a long poll that finds nothing
        return []

    async def process_update(self, update: Update) -> None:
        self.entered.set()
        await self.gate.wait()
        self.handled.append(update.update_id)


async def test_the_offset_moves_only_after_the_whole_batch_is_handled():
    telegram = FakeTelegram([text_update(7, 1), text_update(8, 2)])
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_until(telegram, stop))

    await telegram.entered.wait()
    assert telegram.offsets == [None]  # nothing acknowledged while the handlers run

    stop.set()  # a stop in the middle of a batch ...
    telegram.gate.set()
    await poller
    assert sorted(telegram.handled) == [7, 8]  # ... still finishes it
    assert telegram.offsets[-1] == 9  # and acknowledges it before leaving


async def test_updates_not_yet_handled_when_polku_dies_come_again_after_a_restart(
    engine, database_url
):
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
        delivery = youth.queue_text("/start")
        await entered.wait()
        crashed.cancel()  # the process dies while handling
        await asyncio.gather(crashed, return_exceptions=True)
        assert not delivery.acked.is_set()
        await stop_bot(first)

        second = build_application(settings, engine)
        await start_bot(second)
        stop = asyncio.Event()
        poller = asyncio.create_task(poll_until(second, stop))
        await standin.wait_until(lambda: delivery.acked.is_set())
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
