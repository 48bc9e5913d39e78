"""Talking with a coach: the bot steps aside while a named person answers from the panel.

"Talk to my coach" (menu, /coach, or a dialogue's offer) opens the talk. Until the young
person taps "Back to the bot" (or the coach hands back), everything they send waits for the
coach in the panel (the chat log row is written by `record`), dialogue buttons pause, and the
bot stays quiet except for one "away" note a day outside the coach's office hours.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.appointment_text import when_text
from bot.handlers.onboarding import show_menu
from bot.keyboards import BACK_TO_BOT, menu_item_for, talk_keyboard
from bot.replies import answer_tap, say
from bot.runtime import engine_of, language_of, settings_of, youth_of
from bot.safety import CRISIS_TEXT
from core.db import transaction
from core.i18n import N_, all_translations, gettext_for
from core.models import Consent, row_id, utcnow
from core.office_hours import describe, next_opening
from core.services.talk import (
    coach_of,
    do_claim_away_reply,
    do_close_talk,
    do_open_talk,
)

AWAY = N_("{name} is off now and usually answers {hours}. Expect an answer {when}.")
AWAY_QUEUE = N_("The coaches are off now and usually answer {hours}. Expect an answer {when}.")


async def open_talk(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open the talk and say who answers and when."""
    await answer_tap(update)
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
        consented = youth.consent == Consent.GIVEN
        coach = do_open_talk(session, youth=youth, now=utcnow()) if consented else None
    t = gettext_for(language)
    _ = t.gettext
    chat_id = update.effective_chat.id
    if not consented:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_("To chat with a coach here, I need to keep the messages. /privacy changes it."),
        )
        await say(context, chat_id=chat_id, youth_id=youth_id, text=_(CRISIS_TEXT))
        return
    hours = describe(coach.office_hours if coach else None, t)
    if coach is not None:
        text = _("What you write now goes to {name}, your coach. {name} usually answers {hours}.")
    else:
        text = _("What you write now goes to a coach. A coach usually answers {hours}.")
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=text.format(name=coach.display_name if coach else "", hours=hours),
        reply_markup=talk_keyboard(t),
    )


async def relay_while_talking(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """During a talk, keep what the young person sends for the coach and let nothing else
    answer; outside a talk, do nothing and let the other handlers run."""
    message = update.message
    text = (message.text or "").strip() if message else ""
    now, tz = utcnow(), settings_of(context).tz
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        if youth.talk_opened_at is None:
            return
        youth_id, language = row_id(youth), language_of(update, youth)
        coach = coach_of(session, youth)
        going_back = text in all_translations(BACK_TO_BOT)
        if going_back or menu_item_for(text) is not None:
            do_close_talk(session, youth=youth, by_coach=None, now=now)
        away = not going_back and do_claim_away_reply(
            session, youth=youth, coach=coach, now=now, tz=tz
        )
    t = gettext_for(language)
    _ = t.gettext
    chat_id = update.effective_chat.id
    if going_back:
        await show_menu(
            update,
            context,
            youth_id=youth_id,
            language=language,
            text=(
                _("The bot is back. {name} can still read what you wrote.").format(
                    name=coach.display_name
                )
                if coach
                else _("The bot is back. A coach can still read what you wrote.")
            ),
        )
        raise ApplicationHandlerStop
    if youth.talk_opened_at is None:
        return  # a menu button: the talk ended, the menu answers it as usual
    if away:
        hours = coach.office_hours if coach else None
        when = when_text(next_opening(hours, now=now, tz=tz), language, tz)
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_(AWAY if coach else AWAY_QUEUE).format(
                name=coach.display_name if coach else "", hours=describe(hours, t), when=when
            ),
        )
        await say(context, chat_id=chat_id, youth_id=youth_id, text=_(CRISIS_TEXT))
    raise ApplicationHandlerStop


async def pause_dialogue_taps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a dialogue button during a talk: the dialogue waits until the talk ends."""
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        if youth.talk_opened_at is None:
            return
        language = language_of(update, youth)
    _ = gettext_for(language).gettext
    await answer_tap(update, _("You're talking with a coach now. Tap ↩️ Back to the bot first."))
    raise ApplicationHandlerStop
