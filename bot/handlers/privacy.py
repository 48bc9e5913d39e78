"""What Polku keeps, and the young person's rights: see it (/mydata), change it, erase it."""

from __future__ import annotations

import json
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from bot.handlers.onboarding import show_menu
from bot.keyboards import consent_keyboard
from bot.replies import answer_tap, remove_buttons, say, send_file
from bot.runtime import engine_of, language_of
from core.db import transaction
from core.i18n import gettext_for
from core.models import Consent, row_id
from core.services.export import export_youth_data
from core.services.youth import access_youth_by_telegram_id, do_erase_youth, do_set_consent

# An erase button older than this asks the young person to start /delete again.
ERASE_QUESTION_LIFETIME_SECONDS = 600


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say in plain words what is kept and who sees it, and offer to change the consent."""
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
        youth_id = row_id(youth) if youth else None
        consent = youth.consent if youth else Consent.PENDING
    t = gettext_for(language)
    _ = t.gettext
    chat_id = update.effective_chat.id
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=_(
            "With your consent I keep your answers and messages. Only you and your coach see them."
        ),
    )
    if consent == Consent.GIVEN:
        question = _(
            "You let me keep your answers. /mydata sends them to you, /delete erases everything."
        )
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Stop keeping my answers"), callback_data="privacy:no")]]
        )
    else:
        question = _(
            "Right now I keep nothing but your language and this choice. May I keep your answers?"
        )
        markup = consent_keyboard(t, prefix="privacy")
    await say(context, chat_id=chat_id, youth_id=youth_id, text=question, reply_markup=markup)


async def change_consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Apply a consent change tapped under /privacy."""
    given = update.callback_query.data == "privacy:yes"
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
        youth_id = row_id(youth) if youth else None
        if youth is not None:
            do_set_consent(
                session, youth=youth, given=given, first_name=update.effective_user.first_name
            )
    _ = gettext_for(language).gettext
    await answer_tap(update)
    await remove_buttons(update)
    if youth_id is None:
        await say(
            context,
            chat_id=update.effective_chat.id,
            youth_id=None,
            text=_("I have nothing stored about you. Send /start to begin."),
        )
        return
    text = (
        _("Thank you! Only you and your coach see your answers.")
        if given
        else _("Okay. I erased your answers and messages and keep nothing new.")
    )
    await show_menu(update, context, youth_id=youth_id, language=language, text=text)


async def mydata(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send everything stored about the young person as a JSON file."""
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
        data = export_youth_data(session, youth=youth) if youth else None
        youth_id = row_id(youth) if youth else None
    _ = gettext_for(language).gettext
    if data is None:
        await say(
            context,
            chat_id=update.effective_chat.id,
            youth_id=None,
            text=_("I have nothing stored about you."),
        )
        return
    await send_file(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        data=json.dumps(data, ensure_ascii=False, indent=2).encode(),
        filename="polku-my-data.json",
        caption=_("Here is everything I have stored about you."),
    )


async def delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask once more before erasing everything; the buttons expire after ten minutes."""
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
        youth_id = row_id(youth) if youth else None
    _ = gettext_for(language).gettext
    if youth_id is None:
        await say(
            context,
            chat_id=update.effective_chat.id,
            youth_id=None,
            text=_("I have nothing stored about you."),
        )
        return
    asked_at = int(time.time())
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=_("This erases your answers, messages and link to your coach. It can't be undone."),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("Yes, erase everything"), callback_data=f"erase:yes:{asked_at}"
                    ),
                    InlineKeyboardButton(_("Cancel"), callback_data=f"erase:no:{asked_at}"),
                ]
            ]
        ),
    )


async def answer_erase(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Erase on a fresh Yes; a Cancel or an old button erases nothing."""
    _prefix, choice, asked_at = update.callback_query.data.split(":", 2)
    fresh = asked_at.isdecimal() and time.time() - int(asked_at) <= ERASE_QUESTION_LIFETIME_SECONDS
    erased = False
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
        youth_id = row_id(youth) if youth else None
        if youth is not None and choice == "yes" and fresh:
            do_erase_youth(session, youth=youth)
            erased = True
    _ = gettext_for(language).gettext
    chat_id = update.effective_chat.id
    if youth_id is None:
        await answer_tap(update, _("I have nothing stored about you."))
        return
    if choice == "yes" and not fresh:
        await answer_tap(update, _("That question is old. Send /delete again to erase your data."))
        await remove_buttons(update)
        return
    await answer_tap(update)
    await remove_buttons(update)
    if erased:
        await say(
            context,
            chat_id=chat_id,
            youth_id=None,
            text=_("Done. Everything about you is erased. If you write again, we start anew."),
            reply_markup=ReplyKeyboardRemove(),
        )
    else:
        await say(context, chat_id=chat_id, youth_id=youth_id, text=_("Okay, nothing was erased."))
