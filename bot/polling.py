"""Long polling that acknowledges updates only once they are stored in the inbox.

PTB's own Updater acknowledges a batch as soon as it is in memory, so updates still waiting
there are lost if the process dies. Here a batch is first written to the update inbox
(bot/inbox.py); only then does the next `getUpdates` offset move past it. Handling happens in
the inbox's workers, so a slow update never holds back fetching the next ones. While the
database cannot take a batch, the batch is kept, tried again with backoff and not acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application

from bot.inbox import Inbox, inbox_of

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 10
MAX_BACKOFF_SECONDS = 30.0
MAX_STORE_BACKOFF_SECONDS = 5.0


async def store_until_stored(
    inbox: Inbox, updates: list[Update], stop_waiter: asyncio.Task[bool]
) -> bool:
    """Store a batch, trying again while the database is away; False if stopped first."""
    batch = [(update, update.to_dict()) for update in updates]
    backoff = 0.2
    while True:
        try:
            await inbox.receive(batch)
            return True
        except SQLAlchemyError as exc:
            log.warning("could not store updates", extra={"error": type(exc).__name__})
        await wait_unless_stopped(stop_waiter, backoff)
        if stop_waiter.done():
            return False
        backoff = min(backoff * 2, MAX_STORE_BACKOFF_SECONDS)


async def wait_unless_stopped(stop_waiter: asyncio.Task[bool], seconds: float) -> None:
    """Wait before asking Telegram again, but no longer than until a stop."""
    await asyncio.wait({stop_waiter}, timeout=seconds)


async def poll_until(application: Application, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    """Fetch and store updates until `stop` is set; what was stored is acknowledged."""
    bot, inbox = application.bot, inbox_of(application)
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
                if not await store_until_stored(inbox, updates, stop_waiter):
                    break  # not stored, so not acknowledged: Telegram delivers it again
                offset = updates[-1].update_id + 1
        if offset is not None:
            await _acknowledge(application, offset)
    finally:
        stop_waiter.cancel()


async def _acknowledge(application: Application, offset: int) -> None:  # type: ignore[type-arg]
    """Tell Telegram the last batch is stored, so it is not delivered again after a restart."""
    try:
        await application.bot.get_updates(offset=offset, timeout=0, limit=1)
    except TelegramError as exc:
        log.warning("could not acknowledge the last updates", extra={"error": type(exc).__name__})
