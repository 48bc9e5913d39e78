"""First contact: language, a plain hello, consent, the coach's name and the main menu."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.keyboards import consent_keyboard, language_keyboard, main_menu
from bot.replies import answer_tap, remove_buttons, say
from bot.runtime import engine_of, language_of, youth_of
from core.db import transaction
from core.i18n import LANGUAGES, gettext_for, translator
from core.models import Consent, row_id
from core.services.invites import do_redeem_invite
from core.services.youth import (
    access_youth_by_telegram_id,
    coach_of,
    do_set_consent,
    do_set_language,
)


def language_question() -> str:
    """The language question in all three languages, since we do not know theirs yet."""
    return " · ".join(translator(code).gettext("Choose your language") for code in LANGUAGES)


async def ask_language(update: Update, context: ContextTypes.DEFAULT_TYPE, youth_id: int) -> None:
    """Show the language buttons."""
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=language_question(),
        reply_markup=language_keyboard(),
    )


async def ask_consent(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, youth_id: int, language: str
) -> None:
    """Ask, once and plainly, whether Polku may keep the young person's answers."""
    _ = gettext_for(language).gettext
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=_("May I keep your answers? Then you and your coach can see how things change."),
        reply_markup=consent_keyboard(gettext_for(language)),
    )


async def show_menu(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, youth_id: int, language: str, text: str
) -> None:
    """Send `text` with the main menu under the text box."""
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=text,
        reply_markup=main_menu(gettext_for(language)),
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet a young person; `/start CODE` also ties them to the coach who made the invite."""
    code = context.args[0] if context.args else None
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        coach = do_redeem_invite(session, youth=youth, code=code) if code else None
        youth_id = row_id(youth)
        language = language_of(update, youth)
        onboarded = youth.language is not None and youth.consent != Consent.PENDING
        coach_name = coach.display_name if coach else None
    _ = gettext_for(language).gettext
    chat_id = update.effective_chat.id
    if code and coach is None:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_("This invite link no longer works. Ask your coach for a new one."),
        )
    if not onboarded:
        await ask_language(update, context, youth_id)
        return
    if coach_name:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_("Your coach is {name}.").format(name=coach_name),
        )
    await show_menu(
        update,
        context,
        youth_id=youth_id,
        language=language,
        text=_("Welcome back! Choose from the menu below 👇"),
    )


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the language buttons again."""
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id = row_id(youth)
    await ask_language(update, context, youth_id)


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Switch to the tapped language; during onboarding, go on to the hello and consent."""
    language = update.callback_query.data.partition(":")[2]
    if language not in LANGUAGES:
        await answer_tap(
            update,
            gettext_for(None).gettext("This button is old. Please use the newest message 🙂"),
        )
        return
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        do_set_language(session, youth=youth, language=language)
        youth_id = row_id(youth)
        consent_pending = youth.consent == Consent.PENDING
    _ = gettext_for(language).gettext
    await answer_tap(update)
    await remove_buttons(update)
    chat_id = update.effective_chat.id
    if not consent_pending:
        await show_menu(
            update,
            context,
            youth_id=youth_id,
            language=language,
            text=_("Okay! I will now speak English."),
        )
        return
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=_(
            "Hi! I'm Polku, a bot, not an emergency service. I help with studies and next steps."
        ),
    )
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=_("Your coach, a real person, reads what you send them. In an emergency, call 112."),
    )
    await ask_consent(update, context, youth_id=youth_id, language=language)


async def answer_consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record Yes / No thanks from onboarding, then show the menu."""
    given = update.callback_query.data == "consent:yes"
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
        if youth is None or youth.consent != Consent.PENDING:
            stale = True
        else:
            stale = False
            do_set_consent(
                session, youth=youth, given=given, first_name=update.effective_user.first_name
            )
            youth_id = row_id(youth)
            coach = coach_of(session, youth=youth)
            coach_name = coach.display_name if coach else None
    _ = gettext_for(language).gettext
    if stale:
        await answer_tap(update, _("You already answered this. /privacy lets you change it."))
        return
    await answer_tap(update)
    await remove_buttons(update)
    chat_id = update.effective_chat.id
    if given:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_("Thank you! Only you and your coach see your answers."),
        )
    else:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_(
                "Okay, I keep only this choice. Help and the menu still work; /privacy changes it."
            ),
        )
    if coach_name:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_("Your coach is {name}.").format(name=coach_name),
        )
    await show_menu(
        update,
        context,
        youth_id=youth_id,
        language=language,
        text=_("Choose from the menu below 👇"),
    )
