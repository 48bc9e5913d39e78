"""The update inbox's two ends in the bot: storing what Telegram delivers, and the workers.

Long polling and the webhook both call `Inbox.store` before they acknowledge anything: once it
returns, the updates are in the database and Telegram may forget them. Workers (`Inbox.run`)
claim stored updates — each chat's in order, chats side by side, in any number of processes —
and hand them to PTB's `process_update`. A failed try is retried with backoff; after the last
try the update is marked failed for admins to see. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from bot.attempt import CURRENT, Attempt
from bot.crisis_fallback import CrisisFallback
from core.db import transaction
from core.models import UpdateStatus, utcnow
from core.services import inbox as stored

log = logging.getLogger(__name__)

# Updates one process handles at once (different chats; one chat is always one at a time).
CONCURRENCY = 128
# How often a worker looks for updates stored by another process or due for a retry.
LOOK_EVERY = 1.0
PURGE_EVERY = 3600.0
RENEW_EVERY = stored.LEASE.total_seconds() / 3
INBOX_KEY = "inbox"


def chat_key(update: Update) -> int:
    """What orders updates: the chat, else the person, else nothing in common (0)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


def inbox_of(application: Application) -> Inbox:  # type: ignore[type-arg]
    """The inbox `build_application` made for this bot."""
    inbox: Inbox = application.bot_data[INBOX_KEY]
    return inbox


class Inbox:
    """One process's end of the inbox: it stores updates and runs the workers."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        engine: Engine,
        *,
        concurrency: int = CONCURRENCY,
        look_every: float = LOOK_EVERY,
    ) -> None:
        self.application, self.engine = application, engine
        self.concurrency, self.look_every = concurrency, look_every
        self.worker = f"w-{uuid.uuid4().hex[:12]}"
        self.fallback: CrisisFallback | None = None
        # Called with an update's id once it is settled (done or failed); the stand-in's
        # transcript tests use it to wait for the bot's answers.
        self.on_settled: Callable[[int], None] | None = None
        self._wake = asyncio.Event()
        self._in_hand: dict[int, asyncio.Task[None]] = {}
        self._stop = asyncio.Event()
        self._running: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the workers in the running loop."""
        self._stop = asyncio.Event()
        self._running = asyncio.create_task(self.run(self._stop))

    async def stop(self) -> None:
        """Stop claiming; the updates in hand are finished first."""
        self._stop.set()
        if self._running is not None:
            await self._running
            self._running = None
        if self.fallback is not None:
            await self.fallback.close()

    # -- storing -----------------------------------------------------------------------------

    async def receive(self, updates: Sequence[tuple[Update, dict[str, Any]]]) -> int:
        """Store updates (a repeat is ignored) and wake the workers; returns how many were new.

        Raises SQLAlchemyError when the database cannot take them: the caller must then not
        acknowledge them, so Telegram delivers them again. Crisis wording among them gets the
        resources from memory at once in that case, and after a short wait if no handler has
        answered it by then.
        """
        rows = [stored.Incoming(u.update_id, chat_key(u), p) for u, p in updates]
        crisis = self.fallback.screen([u for u, _ in updates]) if self.fallback else []
        try:
            new = await asyncio.to_thread(self._store, rows)
        except SQLAlchemyError:
            for update in crisis:
                await self.fallback.answer_now(update)  # type: ignore[union-attr]
            raise
        for update in crisis:
            self.fallback.watch(update)  # type: ignore[union-attr]
        self._wake.set()
        return new

    async def is_handled(self, update_id: int) -> bool:
        """Whether an update is done, in this process or another."""
        return await asyncio.to_thread(self._is_done, update_id)

    def _is_done(self, update_id: int) -> bool:
        with transaction(self.engine) as session:
            return stored.status_of(session, update_id=update_id) == UpdateStatus.DONE

    def _store(self, updates: Sequence[stored.Incoming]) -> int:
        with transaction(self.engine) as session:
            return stored.do_store(session, updates=updates, now=utcnow())

    # -- working -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and handle updates until `stop`; then let the updates in hand finish."""
        renewer = asyncio.create_task(self._renew_claims(stop))
        purger = asyncio.create_task(self._purge_now_and_then(stop))
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                free = self.concurrency - len(self._in_hand)
                claimed: list[stored.Claimed] = []
                if free > 0:
                    self._wake.clear()
                    claimed = await self._claim(free)
                    for item in claimed:
                        task = asyncio.create_task(self._handle(item))
                        self._in_hand[item.update_id] = task
                        task.add_done_callback(functools.partial(self._done, item.update_id))
                if claimed and len(claimed) == free:
                    await asyncio.sleep(0)  # more may be waiting: look again at once
                    continue
                waker = asyncio.create_task(self._wake.wait())
                await asyncio.wait(
                    {waker, stopping}, timeout=self.look_every, return_when=asyncio.FIRST_COMPLETED
                )
                waker.cancel()
            if self._in_hand:
                await asyncio.gather(*self._in_hand.values(), return_exceptions=True)
        finally:
            stopping.cancel()
            renewer.cancel()
            purger.cancel()

    def _done(self, update_id: int, _task: asyncio.Task[None]) -> None:
        self._in_hand.pop(update_id, None)
        self._wake.set()  # the chat's next update may now be claimed

    async def _claim(self, limit: int) -> list[stored.Claimed]:
        try:
            return await asyncio.to_thread(self._claim_sync, limit)
        except SQLAlchemyError as exc:
            log.warning("could not claim updates", extra={"error": type(exc).__name__})
            return []

    def _claim_sync(self, limit: int) -> list[stored.Claimed]:
        with transaction(self.engine) as session:
            return stored.claim(session, worker=self.worker, now=utcnow(), limit=limit)

    async def _handle(self, item: stored.Claimed) -> None:
        """One try: PTB's handlers run; a failure they report is retried later."""
        attempt = Attempt(item.update_id, item.attempt, final=item.final)
        token = CURRENT.set(attempt)
        try:
            update = Update.de_json(item.payload, self.application.bot)
            await self.application.process_update(update)
        except Exception as exc:  # a failure outside any handler: same as inside one
            attempt.errors.append(exc)
            log.exception("update could not be handled", extra={"update_id": item.update_id})
        finally:
            CURRENT.reset(token)
        await self._settle(item, attempt)

    async def _settle(self, item: stored.Claimed, attempt: Attempt) -> None:
        """Record the outcome; while the database is away, keep trying (the lease is renewed)."""
        delay = 0.5
        while True:
            try:
                status = await asyncio.to_thread(self._settle_sync, item, attempt)
                break
            except SQLAlchemyError as exc:
                log.warning("could not settle an update", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        if status == UpdateStatus.DONE and self.fallback is not None:
            self.fallback.handled(item.update_id)
        if status != UpdateStatus.PENDING and self.on_settled is not None:
            self.on_settled(item.update_id)
        if status == UpdateStatus.FAILED:
            log.error(
                "update failed for good after %d tries",
                item.attempt,
                extra={"update_id": item.update_id, "error": _name(attempt)},
            )

    def _settle_sync(self, item: stored.Claimed, attempt: Attempt) -> str:
        with transaction(self.engine) as session:
            if not attempt.failed:
                stored.do_finish(
                    session, update_id=item.update_id, worker=self.worker, now=utcnow()
                )
                return UpdateStatus.DONE
            return stored.do_retry_later(
                session,
                update_id=item.update_id,
                worker=self.worker,
                error=_name(attempt),
                now=utcnow(),
                transient=attempt.transient,
            )

    async def _renew_claims(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(RENEW_EVERY)
            held = list(self._in_hand)
            if not held:
                continue
            try:
                await asyncio.to_thread(self._renew_sync, held)
            except SQLAlchemyError as exc:
                log.warning("could not renew claims", extra={"error": type(exc).__name__})

    def _renew_sync(self, held: list[int]) -> None:
        with transaction(self.engine) as session:
            stored.do_renew(session, worker=self.worker, update_ids=held, now=utcnow())

    async def _purge_now_and_then(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self._purge_sync)
            except SQLAlchemyError as exc:
                log.warning("could not purge the inbox", extra={"error": type(exc).__name__})
            await asyncio.sleep(PURGE_EVERY)

    def _purge_sync(self) -> None:
        with transaction(self.engine) as session:
            stored.do_purge(session, now=utcnow())


def _name(attempt: Attempt) -> str:
    """The failure's kind, never its message (which may quote what a young person wrote)."""
    return ", ".join(sorted({type(error).__name__ for error in attempt.errors})) or "unknown"
