"""Long polling that acknowledges an update only after it has been handled.

PTB's own Updater acknowledges a batch as soon as it is queued, so updates still waiting in
memory are lost if the process dies. Here the next `getUpdates` offset moves past a batch only
when every update in it has been processed, so a crash or a stop re-delivers what was not
handled. Updates of one chat are handled in order; different chats run side by side.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 10
MAX_BACKOFF_SECONDS = 30.0


def _chat_key(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


async def handle_batch(application: Application, updates: Sequence[Update]) -> None:  # type: ignore[type-arg]
    """Process a batch: each chat's updates in order, chats concurrently."""
    by_chat: dict[int, list[Update]] = defaultdict(list)
    for update in updates:
        by_chat[_chat_key(update)].append(update)

    async def one_chat(chat_updates: list[Update]) -> None:
        for update in chat_updates:
            await application.process_update(update)

    await asyncio.gather(*(one_chat(chat_updates) for chat_updates in by_chat.values()))


async def wait_unless_stopped(stop_waiter: asyncio.Task[bool], seconds: float) -> None:
    """Wait before asking Telegram again, but no longer than until a stop."""
    await asyncio.wait({stop_waiter}, timeout=seconds)


async def poll_until(application: Application, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    """Fetch and handle updates until `stop` is set; a stop never interrupts a batch."""
    bot = application.bot
    await bot.delete_webhook(drop_pending_updates=False)
    offset: int | None = None
    backoff = 1.0
    stop_waiter = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            fetch = asyncio.create_task(
                bot.get_updates(
                    offset=offset,
                    timeout=LONG_POLL_SECONDS,
                    allowed_updates=Update.ALL_TYPES,
                    read_timeout=LONG_POLL_SECONDS + 5,
                )
            )
            await asyncio.wait({fetch, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                fetch.cancel()  # nothing fetched is lost: it was never acknowledged
                break
            try:
                updates = fetch.result()
            except TelegramError as exc:
                # 5xx, time-outs, 429 and a 409 from a second poller during a deploy: none of
                # them may end polling; wait (as long as Telegram asks, if it asks) and go on.
                wait = backoff
                if isinstance(exc, RetryAfter):
                    retry = exc.retry_after
                    wait = retry.total_seconds() if isinstance(retry, timedelta) else float(retry)
                log.warning("getUpdates failed", extra={"error": type(exc).__name__})
                await wait_unless_stopped(stop_waiter, wait)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 1.0
            if updates:
                await handle_batch(application, updates)
                offset = updates[-1].update_id + 1
        if offset is not None:
            await _acknowledge(application, offset)
    finally:
        stop_waiter.cancel()


async def _acknowledge(application: Application, offset: int) -> None:  # type: ignore[type-arg]
    """Tell Telegram the last batch was handled, so it is not delivered again after a restart."""
    try:
        await application.bot.get_updates(offset=offset, timeout=0, limit=1)
    except TelegramError as exc:
        log.warning("could not acknowledge the last updates", extra={"error": type(exc).__name__})
