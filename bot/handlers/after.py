"""Answers to the check-in after a transition (`after:<check-in>:<step>:<value>`).

Each answer is kept on the check-in row at once, so a young person who stops halfway has
still told the coach something. "Yes" to talking opens the talk with the coach.
"""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.checkin_text import CLOSED, NOTED, next_question
from bot.handlers import talk
from bot.replies import answer_tap, edit_tapped, remove_buttons
from bot.turn import take_turn, tap_data, tapped
from core.models import Youth, utcnow
from core.services.checkins import awaiting_needs, do_answer, do_keep_needs

PATTERN = r"^after:\d+:(mood|there|need|coach):[a-z0-9]+$"


def _with_choice(update: Update) -> str:
    """The question with the chosen button's label after it, so the answer shows in place."""
    query = tapped(update)
    message = query.message
    text = getattr(message, "text", None) or ""
    markup = getattr(message, "reply_markup", None)
    rows = markup.inline_keyboard if markup is not None else ()
    chosen = next((b.text for row in rows for b in row if b.callback_data == query.data), "")
    return f"{text} {chosen}".strip()


async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep the tapped answer and ask the next question; an old button answers kindly."""
    _prefix, checkin_id, step, value = tap_data(update).split(":", 3)

    def answer(session: Session, youth: Youth) -> bool:
        found = do_answer(
            session,
            youth=youth,
            checkin_id=int(checkin_id),
            step=step,
            value=value,
            now=utcnow(),
        )
        return found is not None

    turn = await take_turn(update, context, answer)
    if not turn.result:
        await answer_tap(update, turn._(CLOSED))
        await remove_buttons(update)
        return
    await answer_tap(update)
    await edit_tapped(update, _with_choice(update))
    if step == "coach" and value == "yes":
        await talk.open_talk(update, context)
        return
    text, markup = next_question(turn.translations, int(checkin_id), step)
    await turn.say(text, reply_markup=markup)


async def keep_typed_needs(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """Words typed while "is there something you need?" is open are kept as the need, and the
    last question follows; False when no such question is open."""

    def keep(session: Session, youth: Youth) -> int | None:
        checkin = awaiting_needs(session, youth=youth, now=utcnow())
        if checkin is None:
            return None
        do_keep_needs(session, checkin=checkin, text=text)
        return checkin.id

    turn = await take_turn(update, context, keep)
    if turn.result is None:
        return False
    await turn.say(turn._(NOTED))
    question, markup = next_question(turn.translations, turn.result, "need")
    await turn.say(question, reply_markup=markup)
    return True
