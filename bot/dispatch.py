"""The delivery worker: due outbox rows → Telegram, within Telegram's limits, each sent once.

Runs on PTB's JobQueue. A run claims due rows, renders them in the young person's language,
sends them through a bot-wide limiter (≈30 messages/s) and a per-chat one (≈1/s), and records
each result: sent; 429 → wait as long as Telegram asks, for every chat; 5xx, a time-out or no
network → again later with a capped backoff, for as long as the message makes sense
(`core.services.outbox.give_up_time`), then failed (a coach can resend a reply) or, past its
moment, skipped; 400 → failed at once; 403 → the young person is unreachable, their pending
rows stop and the coach is told; a row whose moment passed while Polku was down → skipped.
A nudge and a check-in after a transition are rendered here too, and wait out the quiet hours.
"""

from __future__ import annotations

import asyncio
import gettext
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from sqlalchemy.engine import Engine
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.appointment_text import (
    appointment_message,
    attendance_keyboard,
    followup_message,
    rating_keyboard,
)
from bot.checkin_text import mood_question
from bot.keyboards import main_menu, talk_keyboard
from bot.runtime import dialogues_of, engine_of, settings_of
from core.db import transaction
from core.dialogs.loader import load_dialogues
from core.dialogs.schema import Dialogue
from core.i18n import N_, gettext_for
from core.models import (
    Appointment,
    AppointmentStatus,
    Assessment,
    Coach,
    Delivery,
    Direction,
    Message,
    OutboxMessage,
    OutboxStatus,
    Youth,
    YouthStatus,
    row_id,
    utcnow,
)
from core.scheduling import next_allowed
from core.services.audit import do_audit
from core.services.checkins import KIND_AFTER, still_to_ask
from core.services.messages import do_record_message
from core.services.nudges import do_release_nudge, nudge_still_fits
from core.services.outbox import (
    KIND_HANDED_BACK,
    KIND_NUDGE,
    KIND_REPLY,
    claim_due,
    do_cancel_pending,
    do_mark,
    do_mark_retry,
    do_mark_sent,
)
from core.services.youth import do_mark_unreachable
from core.settings import Settings
from core.timeutil import in_quiet_hours

log = logging.getLogger(__name__)

HANDED_BACK = N_("{name} ended the chat for now. You can write to {name} again any time.")

BOT_RATE = 30  # messages a second for the whole bot (Telegram's bulk limit)
CHAT_RATE = 1  # messages a second in one chat
BATCH = 60
MAX_RUN = timedelta(seconds=60)  # one job run stops claiming after this; the next goes on
KEPT_CHAT_LIMITERS = 5000
DISPATCH_EVERY = timedelta(seconds=1)


@dataclass(frozen=True)
class Prepared:
    """A claimed row, rendered, ready to send outside any transaction."""

    row_id: int
    youth_id: int
    chat_id: int
    text: str
    markup: Any
    message_id: int | None = None  # a coach's reply: its chat-log row gets the delivery status


class Dispatcher:
    """Sends due outbox rows; one per process, shared by the job's runs."""

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        bot_rate: float = BOT_RATE,
        chat_rate: float = CHAT_RATE,
        dialogues: Mapping[str, Dialogue] | None = None,
    ) -> None:
        self.bot, self.engine, self.settings, self.clock = bot, engine, settings, clock
        self._dialogues = dialogues
        # One slot every 1/rate seconds (no bursts): a burst would cross a rolling one-second
        # limit like Telegram's and cost a 429 pause.
        self.bot_limiter = AsyncLimiter(1, 1 / bot_rate)
        self.chat_rate = chat_rate
        self.chat_limiters: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self.paused_until: datetime | None = None

    @property
    def dialogues(self) -> Mapping[str, Dialogue]:
        """The dialogues nudges name (the application's; loaded here only when not given)."""
        if self._dialogues is None:
            self._dialogues = load_dialogues()
        return self._dialogues

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self.chat_limiters.pop(chat_id, None) or AsyncLimiter(1, 1 / self.chat_rate)
        self.chat_limiters[chat_id] = limiter
        while len(self.chat_limiters) > KEPT_CHAT_LIMITERS:
            self.chat_limiters.popitem(last=False)
        return limiter

    async def run(self) -> int:
        """Send what is due, batch after batch, for at most MAX_RUN; return how many went.

        The next batch is claimed while the current one is being sent, so the paced sending
        never waits for the database.
        """
        started, sent = self.clock(), 0
        next_batch: asyncio.Task[tuple[int, list[Prepared]]] | None = self._claim_soon()
        while next_batch is not None:
            claimed, prepared = await next_batch
            if claimed == 0:
                break
            running_out = self.clock() - started >= MAX_RUN
            paused = self.paused_until is not None and self.clock() < self.paused_until
            next_batch = None if running_out or paused else self._claim_soon()
            sent += sum(await asyncio.gather(*(self._send(p) for p in prepared)))
        return sent

    def _claim_soon(self) -> asyncio.Task[tuple[int, list[Prepared]]]:
        # Database work runs in a worker thread: on the event loop it would hold back the
        # next paced send.
        return asyncio.create_task(asyncio.to_thread(self._claim, self.clock()))

    def _claim(self, now: datetime) -> tuple[int, list[Prepared]]:
        with transaction(self.engine) as session:
            claimed = claim_due(session, now=now, limit=BATCH)
            return len(claimed), [p for row in claimed if (p := self._prepare(session, row, now))]

    def _prepare(self, session: Any, row: OutboxMessage, now: datetime) -> Prepared | None:
        """Render a row, or settle it at once when it must not be sent."""
        youth = session.get(Youth, row.youth_id)
        if youth is None or youth.status != YouthStatus.ACTIVE:
            do_mark(session, row=row, status=OutboxStatus.CANCELLED, error="not reachable")
            _set_delivery(session, row.payload.get("message_id"), Delivery.BLOCKED)
            return None
        if row.not_after is not None and now >= row.not_after:
            do_mark(session, row=row, status=OutboxStatus.SKIPPED, error="its moment passed")
            return None
        t = gettext_for(youth.language)
        if row.kind == KIND_REPLY:
            return self._prepare_reply(session, row, youth, t)
        if row.kind == KIND_HANDED_BACK:
            coach = session.get(Coach, row.payload.get("coach_id"))
            name = coach.display_name if coach else t.gettext("A coach")
            text = t.gettext(HANDED_BACK)
            return Prepared(
                row_id(row), row_id(youth), youth.chat_id, text.format(name=name), main_menu(t)
            )
        if row.kind == KIND_NUDGE:
            return self._prepare_nudge(session, row, youth, t, now)
        if row.kind == KIND_AFTER:
            return self._prepare_checkin(session, row, youth, t, now)
        return self._prepare_appointment(session, row, youth, t, now)

    def _prepare_nudge(
        self,
        session: Any,
        row: OutboxMessage,
        youth: Youth,
        t: gettext.NullTranslations,
        now: datetime,
    ) -> Prepared | None:
        """An offer to repeat a dialogue: never in quiet hours, and only while it still fits."""
        tz = self.settings.tz
        if in_quiet_hours(now, tz):
            do_mark_retry(
                session,
                row=row,
                now=now,
                error="quiet hours",
                at=next_allowed(now, tz),
                counts=False,
            )
            return None
        assessment_id = row.payload.get("assessment_id")
        assessment = session.get(Assessment, assessment_id) if assessment_id else None
        dialogue = self.dialogues.get(row.payload.get("dialogue_id", ""))
        if dialogue is None or not nudge_still_fits(session, youth=youth, assessment=assessment):
            # A talk opened or a run started meanwhile: the job offers it again when it fits.
            do_mark(session, row=row, status=OutboxStatus.CANCELLED, error="no longer fits")
            if assessment is not None:
                do_release_nudge(session, assessment_id=row_id(assessment))
            return None
        text, markup = nudge_message(t, dialogue)
        return Prepared(row_id(row), row_id(youth), youth.chat_id, text, markup)

    def _prepare_checkin(
        self,
        session: Any,
        row: OutboxMessage,
        youth: Youth,
        t: gettext.NullTranslations,
        now: datetime,
    ) -> Prepared | None:
        """A check-in after a transition: never in quiet hours, not once paused or stopped."""
        tz = self.settings.tz
        if in_quiet_hours(now, tz):
            at = next_allowed(now, tz)
            do_mark_retry(session, row=row, now=now, error="quiet hours", at=at, counts=False)
            return None
        checkin = still_to_ask(session, checkin_id=row.payload.get("checkin_id"))
        if checkin is None:
            do_mark(session, row=row, status=OutboxStatus.CANCELLED, error="paused or stopped")
            return None
        text, markup = mood_question(t, row_id(checkin))
        return Prepared(row_id(row), row_id(youth), youth.chat_id, text, markup)

    def _prepare_reply(
        self, session: Any, row: OutboxMessage, youth: Youth, t: gettext.NullTranslations
    ) -> Prepared | None:
        """A coach's answer, with their name in the text: the young person always knows who."""
        message = session.get(Message, row.payload.get("message_id"))
        if message is None:  # erased with the young person's data meanwhile
            do_mark(session, row=row, status=OutboxStatus.CANCELLED, error="erased")
            return None
        coach = session.get(Coach, message.coach_id) if message.coach_id else None
        name = coach.display_name if coach else t.gettext("A coach")
        markup = talk_keyboard(t) if youth.talk_opened_at is not None else None
        return Prepared(
            row_id(row),
            row_id(youth),
            youth.chat_id,
            f"{name}: {message.text}",
            markup,
            message_id=message.id,
        )

    def _prepare_appointment(
        self,
        session: Any,
        row: OutboxMessage,
        youth: Youth,
        t: gettext.NullTranslations,
        now: datetime,
    ) -> Prepared | None:
        """A booking, reminder, change or follow-up, unless the appointment changed since."""
        language = youth.language or "fi"
        appointment = session.get(Appointment, row.appointment_id) if row.appointment_id else None
        if appointment is None or row.payload.get("version") != appointment.version:
            do_mark(session, row=row, status=OutboxStatus.CANCELLED, error="out of date")
            return None
        tz = self.settings.tz
        markup: InlineKeyboardMarkup | None
        if row.kind == "followup":
            text, markup = followup_message(t, appointment), rating_keyboard(appointment)
        else:
            text = appointment_message(t, row.kind, appointment, language, tz)
            markup = (
                attendance_keyboard(t, appointment)
                if row.kind != "cancelled" and appointment.status != AppointmentStatus.CANCELLED
                else None
            )
        return Prepared(row.id or 0, youth.id or 0, youth.chat_id, text, markup)

    async def _send(self, item: Prepared) -> int:
        """Send one message and record what happened; 1 when it was sent."""
        if self.paused_until is not None and self.clock() < self.paused_until:
            await asyncio.to_thread(
                self._settle,
                item,
                retry_at=self.paused_until,
                error="waiting for Telegram",
                counts=False,
            )
            return 0
        async with self.bot_limiter, self._chat_limiter(item.chat_id):
            try:
                message = await self.bot.send_message(
                    item.chat_id, item.text, reply_markup=item.markup
                )
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                self.paused_until = self.clock() + timedelta(seconds=seconds)
                await asyncio.to_thread(
                    self._settle, item, retry_at=self.paused_until, error="429", counts=False
                )
                return 0
            except Forbidden:
                await asyncio.to_thread(self._blocked, item)
                return 0
            except BadRequest as exc:
                await asyncio.to_thread(self._failed, item, f"400 {exc.message}")
                return 0
            except (NetworkError, TelegramError) as exc:  # 5xx and time-outs
                await asyncio.to_thread(
                    self._settle, item, retry_at=None, error=type(exc).__name__, counts=True
                )
                return 0
        await asyncio.to_thread(self._sent, item, message.message_id)
        return 1

    def _sent(self, item: Prepared, telegram_message_id: int) -> None:
        with transaction(self.engine) as session:
            row = session.get(OutboxMessage, item.row_id)
            youth = session.get(Youth, item.youth_id)
            if row is not None:
                do_mark_sent(
                    session, row=row, now=self.clock(), telegram_message_id=telegram_message_id
                )
            if item.message_id is not None:
                _set_delivery(session, item.message_id, Delivery.SENT, telegram_message_id)
            elif youth is not None:
                do_record_message(
                    session,
                    youth=youth,
                    direction=Direction.BOT,
                    text=item.text,
                    telegram_message_id=telegram_message_id,
                    delivery_status=Delivery.SENT,
                )

    def _settle(
        self, item: Prepared, *, retry_at: datetime | None, error: str, counts: bool
    ) -> None:
        """Put a row back for later: at `retry_at`, or after a backoff that grows per attempt
        (`counts=False`: Telegram's pace, not this message's fault); past its give-up time
        it fails, and a coach's reply shows as failed, with Resend."""
        with transaction(self.engine) as session:
            row = session.get(OutboxMessage, item.row_id)
            if row is None:
                return
            do_mark_retry(
                session, row=row, now=self.clock(), error=error, at=retry_at, counts=counts
            )
            if row.status == OutboxStatus.FAILED:
                _set_delivery(session, item.message_id, Delivery.FAILED)

    def _failed(self, item: Prepared, error: str) -> None:
        with transaction(self.engine) as session:
            row = session.get(OutboxMessage, item.row_id)
            if row is not None:
                do_mark(session, row=row, status=OutboxStatus.FAILED, error=error)
            _set_delivery(session, item.message_id, Delivery.FAILED)

    def _blocked(self, item: Prepared) -> None:
        """403: the young person blocked the bot. Stop their rows and tell the coach."""
        with transaction(self.engine) as session:
            row = session.get(OutboxMessage, item.row_id)
            youth = session.get(Youth, item.youth_id)
            if row is not None:
                do_mark(session, row=row, status=OutboxStatus.FAILED, error="403 blocked")
            if youth is None:
                return
            if item.message_id is not None:
                _set_delivery(session, item.message_id, Delivery.BLOCKED)
            else:
                do_record_message(
                    session,
                    youth=youth,
                    direction=Direction.BOT,
                    text=item.text,
                    delivery_status=Delivery.BLOCKED,
                )
            do_mark_unreachable(session, youth=youth)
            do_cancel_pending(session, youth_id=item.youth_id)
            do_audit(
                session,
                actor="system",
                action="coach.told_unreachable",
                youth_id=youth.id,
                coach_id=youth.coach_id,
            )


def nudge_message(
    t: gettext.NullTranslations, dialogue: Dialogue
) -> tuple[str, InlineKeyboardMarkup]:
    """The offer to repeat a dialogue, with Yes and Not now."""
    _ = t.gettext
    text = _("Hi! Want to see how things have changed since your last {title}?")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, let's go"), callback_data=f"dlg:{dialogue.id}"),
                InlineKeyboardButton(_("Not now"), callback_data="nudge:later"),
            ]
        ]
    )
    return text.format(title=_(dialogue.title)), markup


def _set_delivery(
    session: Any,
    message_id: int | None,
    status: Delivery,
    telegram_message_id: int | None = None,
) -> None:
    """Record on a coach's message what became of it; the panel shows it beside the text."""
    message = session.get(Message, message_id) if message_id is not None else None
    if message is None:
        return
    message.delivery_status = status
    message.telegram_message_id = telegram_message_id or message.telegram_message_id
    session.add(message)


DISPATCHER_KEY = "dispatcher"


async def dispatch_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: send what is due."""
    dispatcher = context.bot_data.get(DISPATCHER_KEY)
    if dispatcher is None:
        dispatcher = Dispatcher(
            context.bot,
            engine_of(context),
            settings_of(context),
            dialogues=dialogues_of(context),
        )
        context.bot_data[DISPATCHER_KEY] = dispatcher
    try:
        await dispatcher.run()
    except Exception:  # a failed run must not stop the next one
        log.exception("dispatcher run failed")
