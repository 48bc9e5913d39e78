"""First contact: language, a plain hello, consent, the coach's name and the main menu."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.keyboards import consent_keyboard, language_keyboard, main_menu
from bot.replies import answer_tap, remove_buttons
from bot.turn import Turn, look_up_turn, take_turn, tap_data
from core.i18n import LANGUAGES, gettext_for, translator
from core.models import Consent, Youth
from core.services.invites import do_redeem_invite
from core.services.youth import coach_of, do_set_consent, do_set_language


def language_question() -> str:
    """The language question in all three languages, since we do not know theirs yet."""
    return " · ".join(translator(code).gettext("Choose your language") for code in LANGUAGES)


async def ask_language(turn: Turn[object]) -> None:
    """Show the language buttons."""
    await turn.say(language_question(), reply_markup=language_keyboard())


async def ask_consent(turn: Turn[object]) -> None:
    """Ask, once and plainly, whether Polku may keep the young person's answers."""
    await turn.say(
        turn._("May I save your messages? Self-checks and your coach need it."),
        reply_markup=consent_keyboard(turn.translations),
    )


async def show_menu(turn: Turn[object], text: str) -> None:
    """Send `text` with the main menu under the text box."""
    await turn.say(text, reply_markup=main_menu(turn.translations))


def _is_onboarded(youth: Youth) -> bool:
    return youth.language is not None and youth.consent != Consent.PENDING


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet a young person; `/start CODE` also ties them to the coach who made the invite."""
    code = context.args[0] if context.args else None

    def redeem(session: Session, youth: Youth) -> tuple[bool, str | None]:
        """(onboarded, the name of the coach the invite ties them to)."""
        coach = do_redeem_invite(session, youth=youth, code=code) if code else None
        return _is_onboarded(youth), coach.display_name if coach else None

    turn = await take_turn(update, context, redeem)
    onboarded, coach_name = turn.result
    if code and coach_name is None:
        await turn.say(turn._("This invite link no longer works. Ask your coach for a new one."))
    if not onboarded:
        await ask_language(turn)
        return
    if coach_name:
        await turn.say(turn._("Your coach is {name}.").format(name=coach_name))
    await show_menu(turn, turn._("Welcome back! Choose from the menu below 👇"))


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the language buttons again."""
    await ask_language(await take_turn(update, context))


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Switch to the tapped language; during onboarding, go on to the hello and consent."""
    language = tap_data(update).partition(":")[2]
    if language not in LANGUAGES:
        await answer_tap(
            update,
            gettext_for(None).gettext("This button is old. Please use the newest message 🙂"),
        )
        return

    def switch(session: Session, youth: Youth) -> bool:
        """Set the language; True while the consent question is still to come."""
        do_set_language(session, youth=youth, language=language)
        return youth.consent == Consent.PENDING

    turn = await take_turn(update, context, switch)  # answers in the new language
    await answer_tap(update)
    await remove_buttons(update)
    if not turn.result:
        await show_menu(turn, turn._("Okay! I will now speak English."))
        return
    await turn.say(
        turn._(
            "Hi! I'm Polku, a bot, not an emergency service. I help with studies and next steps."
        )
    )
    await turn.say(
        turn._("Your coach, a real person, reads what you send them. In an emergency, call 112.")
    )
    await ask_consent(turn)


async def answer_consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record Yes / No thanks tapped in onboarding, then show the menu."""
    await record_consent(update, context, given=tap_data(update) == "consent:yes")


async def record_consent(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, given: bool
) -> None:
    """Record the onboarding answer, tapped or typed ("joo", "nej", "no")."""
    first_name = update.effective_user.first_name if update.effective_user else None

    def record(session: Session, youth: Youth | None) -> tuple[bool, str | None]:
        """(answered now, the coach's name); an answer given before is not changed here."""
        if youth is None or youth.consent != Consent.PENDING:
            return False, None
        do_set_consent(session, youth=youth, given=given, first_name=first_name)
        coach = coach_of(session, youth=youth)
        return True, coach.display_name if coach else None

    turn = await look_up_turn(update, context, record)
    answered, coach_name = turn.result
    if not answered:
        await answer_tap(update, turn._("You already answered this 🙂"))
        return
    await answer_tap(update)
    await remove_buttons(update)
    answer = (
        turn._("Thank you! Only you and your coach see your answers.")
        if given
        else turn._("Okay, I save nothing. You can allow it later with a button.")
    )
    if coach_name:  # the coach's name closes the welcome, with the menu under it
        await turn.say(answer)
        answer = turn._("Your coach is {name}.").format(name=coach_name)
    await show_menu(turn, answer)  # the menu comes with the last message, not one of its own
