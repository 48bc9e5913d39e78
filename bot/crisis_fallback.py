"""Crisis resources from memory, for when the usual path cannot answer in time.

The safety handler (bot/safety.py) answers crisis wording with the resources and stores an
urgent alert. That path needs the database and a working handler. If the database is down,
locked, or the handler keeps failing, a young person in crisis must still get help at once:
every update is screened in memory as it arrives, and one with crisis wording that is not
answered within `DELAY` (or that could not even be stored) gets the crisis text and the
resource buttons straight from memory. When the update is handled later, the safety handler
sees that the resources were already sent, stores the alert and tells the young person that a
person knows — without sending the resources twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.safety import ABUSE_TEXT, CRISIS_TEXT, resource_buttons
from core.crisis import ABUSE, SELF_HARM, Detector
from core.i18n import gettext_for, pick_language

log = logging.getLogger(__name__)

# How long the usual path has to answer before the memory path does.
DELAY = 3.0
REMEMBERED = 10_000

# Asks whether an update is already handled (by this or another process); raising means
# "cannot tell", and then the memory path answers.
IsHandled = Callable[[int], Awaitable[bool]]


def crisis_text(update: Update) -> str | None:
    """The text or caption a young person sent in a private chat, if any."""
    message = update.message or update.edited_message
    if message is None or message.chat.type != "private":
        return None
    return message.text or message.caption


class CrisisFallback:
    """Screens arriving updates and answers crisis wording from memory when needed."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        detector: Detector,
        *,
        is_handled: IsHandled,
        delay: float = DELAY,
    ) -> None:
        self.application, self.detector = application, detector
        self.is_handled, self.delay = is_handled, delay
        self._answered: OrderedDict[int, None] = OrderedDict()
        self._handled: OrderedDict[int, None] = OrderedDict()
        self._timers: dict[int, asyncio.Task[None]] = {}

    def screen(self, updates: list[Update]) -> list[Update]:
        """The updates whose text is crisis wording (checked in memory only)."""
        return [u for u in updates if (text := crisis_text(u)) and self.detector.find(text)]

    def watch(self, update: Update) -> None:
        """Answer from memory after DELAY unless the update was handled by then."""
        if update.update_id not in self._timers:
            self._timers[update.update_id] = asyncio.create_task(self._answer_later(update))

    async def answer_now(self, update: Update) -> None:
        """The update could not be stored: answer from memory at once (once per update)."""
        timer = self._timers.pop(update.update_id, None)
        if timer is not None:
            timer.cancel()
        await self._answer(update)

    def handled(self, update_id: int) -> None:
        """The safety handler answered this update itself: no memory answer is needed."""
        _remember(self._handled, update_id)
        timer = self._timers.pop(update_id, None)
        if timer is not None:
            timer.cancel()

    def answered_from_memory(self, update_id: int) -> bool:
        """True when this update's young person already got the resources from memory."""
        return update_id in self._answered

    async def _answer_later(self, update: Update) -> None:
        try:
            await asyncio.sleep(self.delay)
            if update.update_id in self._handled:
                return
            try:
                if await asyncio.wait_for(self.is_handled(update.update_id), timeout=1.0):
                    return
            except Exception:  # noqa: BLE001 - cannot tell: better twice than never
                log.warning("could not check whether a crisis update was handled")
            await self._answer(update)
        finally:
            self._timers.pop(update.update_id, None)

    async def _answer(self, update: Update) -> None:
        if update.update_id in self._answered or update.update_id in self._handled:
            return
        chat = update.effective_chat
        if chat is None:
            return
        user = update.effective_user
        language = pick_language(user.language_code if user else None)
        text = crisis_text(update)
        hit = self.detector.find(text) if text else None
        kind = hit.kind if hit is not None else SELF_HARM
        words = ABUSE_TEXT if kind == ABUSE else CRISIS_TEXT
        _remember(self._answered, update.update_id)
        try:
            await self.application.bot.send_message(
                chat.id,
                gettext_for(language).gettext(words),
                reply_markup=resource_buttons(language, kind),
            )
            log.warning("crisis resources sent from memory", extra={"update_id": update.update_id})
        except TelegramError as exc:
            del self._answered[update.update_id]
            log.error("crisis resources could not be sent", extra={"error": type(exc).__name__})

    async def close(self) -> None:
        """Stop waiting timers (a stop of the process)."""
        for timer in list(self._timers.values()):
            timer.cancel()
        await asyncio.gather(*self._timers.values(), return_exceptions=True)
        self._timers.clear()


def _remember(seen: OrderedDict[int, None], update_id: int) -> None:
    seen[update_id] = None
    while len(seen) > REMEMBERED:
        seen.popitem(last=False)
