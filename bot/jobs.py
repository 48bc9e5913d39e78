"""Scheduled work on PTB's JobQueue: the gentle re-assessment nudge."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.runtime import dialogues_of, engine_of, settings_of
from core.db import transaction
from core.dialogs.schema import Dialogue
from core.i18n import gettext_for
from core.models import Assessment, Delivery, Direction, Youth, row_id, utcnow
from core.services.messages import do_record_message
from core.services.nudges import do_mark_nudged, due_reassessments
from core.services.youth import do_mark_unreachable
from core.settings import Settings
from core.timeutil import in_quiet_hours

log = logging.getLogger(__name__)

NUDGE_EVERY = timedelta(minutes=30)


async def send_due_nudges(
    bot: Bot,
    *,
    engine: Engine,
    dialogues: dict[str, Dialogue],
    settings: Settings,
    now: datetime,
) -> int:
    """Offer a repeat of each dialogue finished long enough ago; never in quiet hours.

    Returns how many young people were nudged. Each finished run is nudged about once.
    """
    if in_quiet_hours(now, settings.tz):
        return 0
    repeatable = [d.id for d in dialogues.values() if d.repeat]
    with transaction(engine) as session:
        due = [
            (row_id(youth), youth.chat_id, youth.language, row_id(run), run.dialogue_id)
            for youth, run in due_reassessments(
                session,
                now=now,
                after=timedelta(days=settings.reassess_after_days),
                dialogue_ids=repeatable,
            )
        ]
    sent = 0
    for youth_id, chat_id, language, run_id, dialogue_id in due:
        _ = gettext_for(language).gettext
        text = _("Hi! Want to see how things have changed since your last {title}?").format(
            title=_(dialogues[dialogue_id].title)
        )
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(_("Yes, let's go"), callback_data=f"dlg:{dialogue_id}"),
                    InlineKeyboardButton(_("Not now"), callback_data="nudge:later"),
                ]
            ]
        )
        delivery, message_id = Delivery.SENT, None
        try:
            message_id = (await bot.send_message(chat_id, text, reply_markup=markup)).message_id
            sent += 1
        except Forbidden:
            delivery = Delivery.BLOCKED
        except TelegramError as exc:
            log.warning("nudge not sent", extra={"error": type(exc).__name__})
            continue
        with transaction(engine) as session:
            youth = session.get(Youth, youth_id)
            run = session.get(Assessment, run_id)
            if youth is None or run is None:
                continue
            do_mark_nudged(session, assessment=run, now=now)
            do_record_message(
                session,
                youth=youth,
                direction=Direction.BOT,
                text=text,
                telegram_message_id=message_id,
                delivery_status=delivery,
            )
            if delivery == Delivery.BLOCKED:
                do_mark_unreachable(session, youth=youth)
    return sent


async def nudge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: nudge whoever is due now."""
    await send_due_nudges(
        context.bot,
        engine=engine_of(context),
        dialogues=dialogues_of(context),
        settings=settings_of(context),
        now=utcnow(),
    )
