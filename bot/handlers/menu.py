"""The main menu and free text: every text gets an answer, even when it is not understood."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers import appointments, assessment, portfolio, talk
from bot.handlers.onboarding import ask_consent, ask_language, show_menu
from bot.keyboards import (
    MENU_APPOINTMENTS,
    MENU_COACH,
    MENU_HELP,
    MENU_SELF_ASSESSMENT,
    menu_item_for,
)
from bot.replies import say
from bot.runtime import engine_of, language_of, youth_of
from core.db import transaction
from core.i18n import gettext_for
from core.models import Consent, row_id

# Telegram's own limit for one message; longer texts are kept whole and answered kindly.
TELEGRAM_TEXT_LIMIT = 4096


def _is_emoji_only(text: str) -> bool:
    return not any(ch.isalnum() for ch in text)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain in two short lines what Polku can do."""
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
    _ = gettext_for(language).gettext
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=_("Use the buttons below. /language changes language, /privacy tells what I keep."),
    )
    await show_menu(
        update,
        context,
        youth_id=youth_id,
        language=language,
        text=_("I'm a bot, not a person. In an emergency, call 112."),
    )


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Route a text: finish onboarding first, then the menu, else a kind pointer to the menu."""
    text = update.message.text or ""
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
        needs_language = youth.language is None
        consent_pending = youth.consent == Consent.PENDING
    if needs_language:
        await ask_language(update, context, youth_id)
        return
    if consent_pending:
        await ask_consent(update, context, youth_id=youth_id, language=language)
        return
    _ = gettext_for(language).gettext
    item = menu_item_for(text)
    if item == MENU_HELP:
        await help_command(update, context)
        return
    if item == MENU_SELF_ASSESSMENT:
        await assessment.open_menu(update, context)
        return
    if item == MENU_APPOINTMENTS:
        await appointments.my_appointments(update, context)
        return
    if item == MENU_COACH:
        await talk.open_talk(update, context)
        return
    if await assessment.answer_typed(update, context, text):
        return
    if await portfolio.keep_words(update, context, text):
        return
    if len(text) > TELEGRAM_TEXT_LIMIT:
        reply = _("Thank you for the long message! I understand the buttons best 👇")
    elif _is_emoji_only(text):
        reply = _("🙂 Thanks! Choose from the buttons below.")
    else:
        reply = _("I didn't quite get that. Please choose from the buttons below 👇")
    await show_menu(update, context, youth_id=youth_id, language=language, text=reply)
