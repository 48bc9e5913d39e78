"""The main menu and free text: every text gets an answer, even when it is not understood."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers import after, appointments, assessment, portfolio, privacy, talk
from bot.handlers.onboarding import (
    ask_consent,
    ask_language,
    language_command,
    record_consent,
    show_menu,
)
from bot.keyboards import (
    MENU_APPOINTMENTS,
    MENU_COACH,
    MENU_HELP,
    MENU_SELF_ASSESSMENT,
    help_keyboard,
    menu_item_for,
    menu_item_named,
)
from bot.replies import answer_tap
from bot.turn import take_turn, tap_data
from core.asking import asks_for_a_person
from core.models import Consent, Youth
from core.typed_words import meaning

# Telegram's own limit for one message; longer texts are kept whole and answered kindly.
TELEGRAM_TEXT_LIMIT = 4096


def _is_emoji_only(text: str) -> bool:
    return not any(ch.isalnum() for ch in text)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say in two short lines what Polku does, with a button for everything it can do."""
    turn = await take_turn(update, context)
    await turn.say(
        turn._("I'm Polku, a bot for your studies, appointments and your coach."),
        reply_markup=help_keyboard(turn.translations),
    )


async def on_help_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`help:<choice>`: a button under the help message opens what it names."""
    await answer_tap(update)
    choice = tap_data(update).partition(":")[2]
    routes = {
        "assess": assessment.open_menu,
        "appointments": appointments.my_appointments,
        "talk": talk.open_talk,
        "privacy": privacy.privacy,
        "language": language_command,
    }
    if choice in routes:
        await routes[choice](update, context)


def _onboarding_step(session: Session, youth: Youth) -> str | None:
    """What onboarding still needs before the menu: "language", "consent", or None."""
    if youth.language is None:
        return "language"
    if youth.consent == Consent.PENDING:
        return "consent"
    return None


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Route a text: finish onboarding first, then the menu, else a kind pointer to the menu."""
    text = (update.message.text or "") if update.message else ""
    turn = await take_turn(update, context, _onboarding_step)
    if turn.result == "language":
        await ask_language(turn)
        return
    if turn.result == "consent":
        if meaning(text) in ("yes", "no"):
            await record_consent(update, context, given=meaning(text) == "yes")
            return
        await ask_consent(turn)
        return
    # A tapped button first; then asking for a person ("apua", "hjälp") before a typed menu word.
    item = menu_item_for(text)
    if item is None and not asks_for_a_person(text):
        item = menu_item_named(text)
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
    if await after.keep_typed_needs(update, context, text):
        return
    if asks_for_a_person(text):
        await talk.open_talk_on_request(update, context)
        return
    if len(text) > TELEGRAM_TEXT_LIMIT:
        reply = turn._("Thank you for the long message! I understand the buttons best 👇")
    elif _is_emoji_only(text):
        reply = turn._("🙂 Thanks! Choose from the buttons below.")
    else:
        reply = turn._("I didn't quite get that. Please choose from the buttons below 👇")
    await show_menu(turn, reply)
