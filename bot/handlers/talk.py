"""Talking with a coach: the bot steps aside while a named person answers from the panel.

"Talk to my coach" (menu, /coach, or a dialogue's offer) opens the talk. Until the young
person taps "Back to the bot" (or the coach hands back), everything they send waits for the
coach in the panel (the chat log row is written by `record`), dialogue buttons pause, and the
bot stays quiet except for one "away" note a day outside the coach's office hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.appointment_text import when_text
from bot.handlers.onboarding import show_menu
from bot.keyboards import BACK_TO_BOT, allow_keyboard, menu_item_for, talk_keyboard
from bot.replies import answer_tap
from bot.runtime import settings_of
from bot.safety import CRISIS_TEXT
from bot.turn import Turn, take_turn
from core.i18n import N_, all_translations
from core.models import Coach, Consent, Youth, row_id, utcnow
from core.office_hours import describe, is_in, next_opening
from core.services.alerts import waiting_alert
from core.services.talk import (
    coach_of,
    do_ask_for_a_person,
    do_claim_away_reply,
    do_close_talk,
    do_open_talk,
)

AWAY = N_("{name} is off now. Expect an answer {when}.")
AWAY_QUEUE = N_("The coaches are off now. Expect an answer {when}.")


@dataclass(frozen=True)
class _Opened:
    consented: bool
    coach: Coach | None  # None: the shared queue of coaches answers


async def on_talk_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "talk to your coach" button under a result or an offer."""
    await answer_tap(update)
    await open_talk(update, context)


async def open_talk(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open the talk and say who answers and when (a tap is answered by whoever routed it)."""

    def open_with_consent(session: Session, youth: Youth) -> _Opened:
        if youth.consent != Consent.GIVEN:
            return _Opened(consented=False, coach=None)
        return _Opened(consented=True, coach=do_open_talk(session, youth=youth, now=utcnow()))

    await _say_who_answers(await take_turn(update, context, open_with_consent))


async def open_talk_on_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """They asked in words to talk with someone: the talk opens with their words waiting for
    a coach, and outside office hours they also get the crisis line."""

    def ask(session: Session, youth: Youth) -> _Opened:
        if youth.consent != Consent.GIVEN:
            return _Opened(consented=False, coach=None)
        coach = do_ask_for_a_person(session, youth=youth, now=utcnow())
        return _Opened(consented=True, coach=coach)

    turn = await take_turn(update, context, ask)
    await _say_who_answers(turn)
    coach = turn.result.coach
    hours = coach.office_hours if coach else None
    # They asked for a person: when no one can answer now (or may not, without saving), the
    # crisis line is there at once.
    if not turn.result.consented or not is_in(hours, now=utcnow(), tz=settings_of(context).tz):
        await turn.say(turn._(CRISIS_TEXT))


async def _say_who_answers(turn: Turn[_Opened]) -> None:
    _ = turn._
    if not turn.result.consented:
        await turn.say(
            _("To write to your coach, I need to save the messages."),
            reply_markup=allow_keyboard(turn.translations, "talk"),
        )
        return
    coach = turn.result.coach
    hours = describe(coach.office_hours if coach else None, turn.translations)
    if coach is not None:
        text = _("What you write now goes to {name}, your coach. {name} usually answers {hours}.")
    else:
        text = _("What you write now goes to a coach. A coach usually answers {hours}.")
    await turn.say(
        text.format(name=coach.display_name if coach else "", hours=hours),
        reply_markup=talk_keyboard(turn.translations),
    )


@dataclass(frozen=True)
class _Relayed:
    coach: Coach | None
    going_back: bool  # "Back to the bot": the talk ended
    still_talking: bool  # False also after a menu button, which ends the talk
    away: bool  # the one "away" note of the day is due


async def relay_while_talking(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """During a talk, keep what the young person sends for the coach and let nothing else
    answer; outside a talk, do nothing and let the other handlers run."""
    message = update.message
    text = (message.text or "").strip() if message else ""
    now, tz = utcnow(), settings_of(context).tz

    def relay(session: Session, youth: Youth) -> _Relayed | None:
        if youth.talk_opened_at is None:
            return None
        coach = coach_of(session, youth)
        going_back = text in all_translations(BACK_TO_BOT)
        if going_back or menu_item_for(text) is not None:
            do_close_talk(session, youth=youth, by_coach=None, now=now)
        # While an alert waits, the safety net has just said who answers and when.
        alerting = waiting_alert(session, youth_id=row_id(youth)) is not None
        away = (
            not going_back
            and not alerting
            and do_claim_away_reply(session, youth=youth, coach=coach, now=now, tz=tz)
        )
        return _Relayed(coach, going_back, youth.talk_opened_at is not None, away)

    turn = await take_turn(update, context, relay)
    relayed = turn.result
    if relayed is None:
        return
    _ = turn._
    coach = relayed.coach
    if relayed.going_back:
        await show_menu(
            turn,
            _("The bot is back. {name} can still read what you wrote.").format(
                name=coach.display_name
            )
            if coach
            else _("The bot is back. A coach can still read what you wrote."),
        )
        raise ApplicationHandlerStop
    if not relayed.still_talking:
        return  # a menu button: the talk ended, the menu answers it as usual
    if relayed.away:
        hours = coach.office_hours if coach else None
        when = when_text(next_opening(hours, now=now, tz=tz), turn.language, tz, now=now)
        await turn.say(
            _(AWAY if coach else AWAY_QUEUE).format(
                name=coach.display_name if coach else "", when=when
            )
        )
        await turn.say(_(CRISIS_TEXT))
    raise ApplicationHandlerStop


async def pause_dialogue_taps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a dialogue button during a talk: the dialogue waits until the talk ends."""
    turn = await take_turn(update, context, lambda _session, youth: youth.talk_opened_at)
    if turn.result is None:
        return
    await answer_tap(
        update, turn._("You're talking with a coach now. Tap ↩️ Back to the bot first.")
    )
    raise ApplicationHandlerStop
