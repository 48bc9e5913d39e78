"""The safety net: crisis wording at any moment gets help at once and reaches a human.

Every text and caption a young person sends — in onboarding, a dialogue, a talk, or idle —
is checked before any other handler sees it (group -2, right after the chat log row). A hit
raises an urgent alert (committed before anything is sent, so a failed send never loses it),
opens the handover, and answers within the same update: a short warm message, the crisis
resources as buttons, and once a gentle "are you safe right now?". Until a coach replies,
every further message gets the resources and "a person has been told". A very low WHO-5
score enters the same path with a softer message.

Phrases split over two messages are caught by checking the previous text with the new one;
the previous text is held only in memory (never written down) for SPLIT_WINDOW.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.replies import answer_tap, say
from bot.runtime import (
    DETECTOR_KEY,
    engine_of,
    language_of,
    settings_of,
    youth_of,
)
from core.crisis import Detector
from core.crisis_resources import load_resources
from core.db import transaction
from core.i18n import N_, gettext_for
from core.models import AlertKind, Youth, row_id, utcnow
from core.services.alerts import do_raise_alert, do_record_safe_answer, open_alert
from core.services.talk import coach_of

log = logging.getLogger(__name__)

CRISIS_TEXT = N_("If it feels heavy now: call 112 in an emergency or MIELI 09 2525 0111.")
TOLD_COACH = N_("Thank you for telling me. I'm a bot, so I told {name} right away.")
TOLD_COACHES = N_("Thank you for telling me. I'm a bot, so I told the coaches right away.")
ASK_SAFE = N_("Are you safe right now?")
SAFE = N_("I'm safe right now")
UNSAFE = N_("I'm not safe")
SAFE_REPLY = N_("Good that you told me. A person will get in touch with you soon.")
UNSAFE_REPLY = N_("Please call 112 now. If you can, go where there are other people.")
WAITING_COACH = N_("{name} has been told and will answer here. In danger now? Call 112.")
WAITING_COACHES = N_("A coach has been told and will answer here. In danger now? Call 112.")
LOW_WELLBEING_COACH = N_("I let {name} know too, so they can get in touch with you.")
LOW_WELLBEING_COACHES = N_("I let the coaches know too, so someone can get in touch with you.")

SPLIT_WINDOW = timedelta(minutes=3)
PREVIOUS_KEY = "safety_previous_text"


@dataclass(frozen=True)
class _Previous:
    text: str
    at: datetime
    alerted: bool


@dataclass(frozen=True)
class _Situation:
    youth_id: int
    language: str
    coach_name: str | None
    new_alert: bool


def addressed(language: str, coach_name: str | None, named: str, unnamed: str) -> str:
    """The text naming their coach, or the one about "the coaches" when they have none."""
    _ = gettext_for(language).gettext
    return _(named).format(name=coach_name) if coach_name else _(unnamed)


def detector_of(context: ContextTypes.DEFAULT_TYPE) -> Detector:
    """The phrase lists validated at start-up."""
    detector: Detector = context.bot_data[DETECTOR_KEY]
    return detector


def resource_buttons(language: str) -> InlineKeyboardMarkup:
    """One button per resource: a chat opens its page, a phone number is sent to tap."""
    rows = []
    for resource in load_resources()[language].resources:
        if resource.url:
            rows.append([InlineKeyboardButton(f"💬 {resource.name}", url=resource.url)])
        else:  # Telegram buttons cannot dial: the number comes as a message, tappable
            label = f"📞 {resource.phone} · {resource.name}"
            rows.append([InlineKeyboardButton(label, callback_data=f"sos:{resource.id}")])
    return InlineKeyboardMarkup(rows)


def _crisis_hit(context: ContextTypes.DEFAULT_TYPE, text: str, at: datetime) -> str | None:
    """The phrase found in this text, or in the previous text and this one together."""
    detector = detector_of(context)
    hit = detector.find(text)
    previous: _Previous | None = context.chat_data.get(PREVIOUS_KEY)  # type: ignore[union-attr]
    if hit is None and previous is not None and not previous.alerted:
        if timedelta(0) <= at - previous.at <= SPLIT_WINDOW:
            hit = detector.find(f"{previous.text} {text}")
    context.chat_data[PREVIOUS_KEY] = _Previous(text, at, hit is not None)  # type: ignore[index]
    return f"{hit.language}: {hit.phrase}" if hit else None


async def watch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check every private message; answer crisis wording at once and alert a human."""
    message = update.message or update.edited_message
    if message is None or update.effective_chat is None:
        return
    text = message.text or message.caption
    hit = _crisis_hit(context, text, message.date) if text else None
    if hit is None and update.message is None:
        return  # an edit without crisis wording: no new message to answer
    chat_id = update.effective_chat.id
    try:
        situation = _raise_or_look(update, context, text=text, hit=hit)
    except SQLAlchemyError:
        if hit is None:
            raise
        log.exception("could not store a crisis alert; answering with the resources anyway")
        situation = _Situation(0, language_of(update, None), None, new_alert=True)
    if situation is None:
        return
    if hit is not None:
        await _answer_crisis(context, chat_id=chat_id, situation=situation)
        raise ApplicationHandlerStop  # the crisis text is not a dialogue answer or a command
    await _answer_waiting(context, chat_id=chat_id, situation=situation)


def _raise_or_look(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, text: str | None, hit: str | None
) -> _Situation | None:
    """Raise the alert for a hit; otherwise find an alert still waiting for a human."""
    settings = settings_of(context)
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        if hit is not None:
            before = open_alert(session, youth_id=row_id(youth))
            already_waiting = before is not None and before.answered_at is None
            do_raise_alert(
                session,
                youth=youth,
                kind=AlertKind.CRISIS_WORDS,
                text=text,
                detail=hit,
                now=utcnow(),
                tz=settings.tz,
            )
            new_alert = not already_waiting
        else:
            waiting = open_alert(session, youth_id=row_id(youth))
            if waiting is None or waiting.answered_at is not None:
                return None
            new_alert = False
        coach = coach_of(session, youth)
        return _Situation(
            row_id(youth),
            language_of(update, youth),
            coach.display_name if coach else None,
            new_alert,
        )


async def _answer_crisis(
    context: ContextTypes.DEFAULT_TYPE, *, chat_id: int, situation: _Situation
) -> None:
    """Warm words and the resources; the question about safety only with a new alert."""
    _ = gettext_for(situation.language).gettext
    youth_id = situation.youth_id or None
    told = addressed(situation.language, situation.coach_name, TOLD_COACH, TOLD_COACHES)
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=told,
        reply_markup=resource_buttons(situation.language),
    )
    if situation.new_alert:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_(ASK_SAFE),
            reply_markup=InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(_(SAFE), callback_data="safe:yes")],
                    [InlineKeyboardButton(_(UNSAFE), callback_data="safe:no")],
                ]
            ),
        )


async def _answer_waiting(
    context: ContextTypes.DEFAULT_TYPE, *, chat_id: int, situation: _Situation
) -> None:
    """Never silent while waiting for a human: say a person knows, with the resources."""
    text = addressed(situation.language, situation.coach_name, WAITING_COACH, WAITING_COACHES)
    await say(
        context,
        chat_id=chat_id,
        youth_id=situation.youth_id,
        text=text,
        reply_markup=resource_buttons(situation.language),
    )


async def on_safe_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The answer to "are you safe right now?": kept on the alert for the coach, and answered."""
    query = update.callback_query
    assert query is not None and query.data is not None
    answer = "safe" if query.data == "safe:yes" else "unsafe"
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        do_record_safe_answer(session, youth=youth, answer=answer)
        youth_id, language = row_id(youth), language_of(update, youth)
    await answer_tap(update)
    _ = gettext_for(language).gettext
    reply = SAFE_REPLY if answer == "safe" else UNSAFE_REPLY
    await say(
        context,
        chat_id=update.effective_chat.id,  # type: ignore[union-attr]
        youth_id=youth_id,
        text=_(reply),
        reply_markup=None if answer == "safe" else resource_buttons(language),
    )


async def on_resource_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A phone resource tapped: send the number alone, so one more tap calls it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
    await answer_tap(update)
    wanted = query.data.removeprefix("sos:")
    for resource in load_resources()[language].resources:
        if resource.id == wanted and resource.phone:
            await say(
                context,
                chat_id=update.effective_chat.id,  # type: ignore[union-attr]
                youth_id=youth_id,
                text=f"📞 {resource.phone}\n{resource.name} · {resource.hours}",
            )
            return


async def enter_safety_flow(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    chat_id: int,
    youth_id: int,
    language: str,
    message: str | None,
    reason: str,
) -> None:
    """A very low wellbeing score: the dialogue's soft words, an alert, and the resources."""
    _ = gettext_for(language).gettext
    with transaction(engine_of(context)) as session:
        youth = session.get(Youth, youth_id)
        assert youth is not None
        do_raise_alert(
            session,
            youth=youth,
            kind=AlertKind.LOW_WELLBEING,
            text=None,
            detail=reason,
            now=utcnow(),
            tz=settings_of(context).tz,
        )
        coach = coach_of(session, youth)
        coach_name = coach.display_name if coach else None
    if message:
        await say(context, chat_id=chat_id, youth_id=youth_id, text=_(message))
    told = addressed(language, coach_name, LOW_WELLBEING_COACH, LOW_WELLBEING_COACHES)
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=told,
        reply_markup=resource_buttons(language),
    )
