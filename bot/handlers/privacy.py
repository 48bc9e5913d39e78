"""What Polku keeps, and the young person's rights: see it (/mydata), change it, erase it."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from bot.handlers import assessment, talk
from bot.handlers.onboarding import show_menu
from bot.keyboards import consent_keyboard
from bot.replies import answer_tap, edit_tapped, remove_buttons, say, send_file
from bot.turn import look_up_turn, take_turn, tap_data
from core.i18n import N_
from core.models import Consent, Youth
from core.services.export import export_youth_data
from core.services.youth import do_erase_youth, do_set_consent

# An erase button older than this asks the young person to start /delete again.
ERASE_QUESTION_LIFETIME_SECONDS = 600

NOTHING_STORED = N_("I have nothing stored about you.")


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say in plain words what is kept and who sees it, and offer to change the consent."""
    turn = await look_up_turn(
        update, context, lambda _session, youth: youth.consent if youth else Consent.PENDING
    )
    _ = turn._
    await turn.say(
        _("With your consent I keep your answers and messages. Only you and your coach see them.")
    )
    if turn.result == Consent.GIVEN:
        question = _("You let me keep your answers. The buttons send or erase them.")
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(_("📄 Send me my data"), callback_data="rights:mydata")],
                [InlineKeyboardButton(_("Stop keeping my answers"), callback_data="privacy:no")],
                [InlineKeyboardButton(_("🗑 Erase everything"), callback_data="rights:delete")],
            ]
        )
    else:
        question = _(
            "Right now I keep nothing but your language and this choice. May I keep your answers?"
        )
        markup = consent_keyboard(turn.translations, prefix="privacy")
    await turn.say(question, reply_markup=markup)


async def change_consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Apply a consent change tapped under /privacy."""
    given = tap_data(update) == "privacy:yes"
    first_name = update.effective_user.first_name if update.effective_user else None

    def change(session: Session, youth: Youth | None) -> None:
        if youth is not None:
            do_set_consent(session, youth=youth, given=given, first_name=first_name)

    turn = await look_up_turn(update, context, change)
    await answer_tap(update)
    await remove_buttons(update)
    if turn.youth_id is None:
        await turn.say(turn._("I have nothing stored about you. Send /start to begin."))
        return
    text = (
        turn._("Thank you! Only you and your coach see your answers.")
        if given
        else turn._("Okay. I erased your answers and messages and keep nothing new.")
    )
    await show_menu(turn, text)


async def allow_and_go_on(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`allow:talk|assess`: the one-tap consent offered where saving is needed. The question
    changes in place to say it is allowed, and what was asked for opens at once."""
    then = tap_data(update).partition(":")[2]
    first_name = update.effective_user.first_name if update.effective_user else None

    def allow(session: Session, youth: Youth) -> None:
        if youth.consent != Consent.GIVEN:
            do_set_consent(session, youth=youth, given=True, first_name=first_name)

    turn = await take_turn(update, context, allow)
    await answer_tap(update)
    await edit_tapped(update, turn._("✅ Saving allowed. Only you and your coach see it."))
    go_on = {"talk": talk.open_talk, "assess": assessment.open_menu}.get(then)
    if go_on is not None:
        await go_on(update, context)


async def on_rights_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`rights:mydata|delete`: the buttons under the privacy message, so that no right needs
    a typed command."""
    await answer_tap(update)
    if tap_data(update) == "rights:mydata":
        await mydata(update, context)
    else:
        await delete(update, context)


async def mydata(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send everything stored about the young person as a JSON file."""

    def export(session: Session, youth: Youth | None) -> dict[str, Any] | None:
        return export_youth_data(session, youth=youth) if youth else None

    turn = await look_up_turn(update, context, export)
    if turn.result is None:
        await turn.say(turn._(NOTHING_STORED))
        return
    await send_file(
        context,
        chat_id=turn.chat_id,
        youth_id=turn.youth_id,
        data=json.dumps(turn.result, ensure_ascii=False, indent=2).encode(),
        filename="polku-my-data.json",
        caption=turn._("Here is everything I have stored about you."),
    )


async def delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask once more before erasing everything; the buttons expire after ten minutes."""
    turn = await look_up_turn(update, context)
    _ = turn._
    if turn.youth_id is None:
        await turn.say(_(NOTHING_STORED))
        return
    asked_at = int(time.time())
    await turn.say(
        _("This erases your answers, messages and link to your coach. It can't be undone."),
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
    _prefix, choice, asked_at = tap_data(update).split(":", 2)
    fresh = asked_at.isdecimal() and time.time() - int(asked_at) <= ERASE_QUESTION_LIFETIME_SECONDS

    def erase(session: Session, youth: Youth | None) -> bool:
        """True when everything about the young person was erased."""
        if youth is None or choice != "yes" or not fresh:
            return False
        do_erase_youth(session, youth=youth)
        return True

    turn = await look_up_turn(update, context, erase)
    _ = turn._
    if turn.youth_id is None:
        await answer_tap(update, _(NOTHING_STORED))
        return
    if choice == "yes" and not fresh:
        await answer_tap(update, _("That question is old. Send /delete again to erase your data."))
        await remove_buttons(update)
        return
    await answer_tap(update)
    await remove_buttons(update)
    if turn.result:
        await say(  # no row to keep this message under any more
            context,
            chat_id=turn.chat_id,
            youth_id=None,
            text=_("Done. Everything about you is erased. If you write again, we start anew."),
            reply_markup=ReplyKeyboardRemove(),
        )
    else:
        await turn.say(_("Okay, nothing was erased."))
