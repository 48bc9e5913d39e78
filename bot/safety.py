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
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.appointment_text import when_text
from bot.notices import send_soon
from bot.replies import answer_tap, remove_buttons
from bot.runtime import DETECTOR_KEY, FALLBACK_KEY, run_db, settings_of
from bot.turn import Turn, take_turn, tap_data
from core.crisis import ABUSE, NOTHING, SELF_HARM, Assessment, Detector, may_join
from core.crisis_resources import load_resources
from core.i18n import N_, gettext_for
from core.models import AlertKind, Youth, row_id, utcnow
from core.services.alerts import (
    Reach,
    do_raise_alert,
    do_record_safe_answer,
    reach_of,
    waiting_alert,
)
from core.services.assessments import recently_low_wellbeing
from core.services.audit import do_audit
from core.services.youth import access_youth_by_telegram_id

if TYPE_CHECKING:
    from bot.crisis_fallback import CrisisFallback  # it imports the texts below

log = logging.getLogger(__name__)

CRISIS_TEXT = N_("If it feels heavy now: call 112 in an emergency or MIELI 09 2525 0111.")
ABUSE_TEXT = N_("If you are in danger now, call 112. Nollalinja helps day and night: 080 005 005.")
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
# When nobody the alert reached is at work: never "soon", never "right away".
TOLD_OFF = N_("Thanks for telling me. Nobody's at work now; {name} reads this {when}.")
TOLD_OFF_QUEUE = N_("Thanks for telling me. Nobody's at work now; a coach reads this {when}.")
SAFE_REPLY_OFF = N_("Good that you told me. If it gets harder, call the crisis line any time.")
WAITING_OFF = N_("{name} reads this {when}. In danger now? Call 112.")
WAITING_OFF_QUEUE = N_("A coach reads this {when}. In danger now? Call 112.")
LOW_WELLBEING_OFF = N_("I let {name} know too. {name} is back at work {when}.")
LOW_WELLBEING_OFF_QUEUE = N_("I let the coaches know too. They are back at work {when}.")

# Tier 2: a gentle question instead of the crisis flow.
CHECK_IN = N_("That sounds heavy. How are you right now?")
CHECK_IN_OK = N_("I'm OK")
CHECK_IN_LOW = N_("Not really")
CHECK_IN_HELP = N_("I need help now")
CHECK_IN_OK_REPLY = N_("Good. I'm here whenever you want to talk, and so is your coach.")
CHECK_IN_KEY = "safety_check_in_at"
MILD_KEY = "safety_mild_signals"  # when the recent weak signals came (in memory only)
MILD_IN_A_ROW, MILD_WINDOW = 3, timedelta(minutes=30)
CHECK_IN_EVERY = timedelta(hours=4)

SPLIT_WINDOW = timedelta(minutes=3)
PREVIOUS_KEY = "safety_previous_text"


@dataclass(frozen=True)
class _Previous:
    text: str
    at: datetime
    alerted: bool


@dataclass(frozen=True)
class _Alerting:
    """An alert waiting for a human: who answers and when, and whether it was raised now."""

    reach: Reach
    new_alert: bool
    kind: str = SELF_HARM  # which resources fit: core.crisis SELF_HARM or ABUSE


@dataclass(frozen=True)
class Texts:
    """One message in its four true versions: someone at work or nobody, named or not."""

    at_work: str
    at_work_unnamed: str
    off: str
    off_unnamed: str


TOLD = Texts(TOLD_COACH, TOLD_COACHES, TOLD_OFF, TOLD_OFF_QUEUE)
WAITING = Texts(WAITING_COACH, WAITING_COACHES, WAITING_OFF, WAITING_OFF_QUEUE)
LOW_WELLBEING = Texts(
    LOW_WELLBEING_COACH, LOW_WELLBEING_COACHES, LOW_WELLBEING_OFF, LOW_WELLBEING_OFF_QUEUE
)


def truthful(language: str, reach: Reach, texts: Texts, tz: ZoneInfo) -> str:
    """The version that tells the truth about who was told and when they answer."""
    _ = gettext_for(language).gettext
    if reach.answer_at is None:
        return _(texts.at_work).format(name=reach.name) if reach.name else _(texts.at_work_unnamed)
    when = when_text(reach.answer_at, language, tz)
    if reach.name:
        return _(texts.off).format(name=reach.name, when=when)
    return _(texts.off_unnamed).format(when=when)


def detector_of(context: ContextTypes.DEFAULT_TYPE) -> Detector:
    """The phrase lists validated at start-up."""
    detector: Detector = context.bot_data[DETECTOR_KEY]
    return detector


def resource_buttons(language: str, kind: str = SELF_HARM) -> InlineKeyboardMarkup:
    """One button per resource: a chat opens its page, a phone number is sent to tap."""
    rows = []
    for resource in load_resources()[language].for_kind(kind):
        if resource.url:
            rows.append([InlineKeyboardButton(f"💬 {resource.name}", url=resource.url)])
        else:  # Telegram buttons cannot dial: the number comes as a message, tappable
            label = f"📞 {resource.phone} · {resource.name}"
            rows.append([InlineKeyboardButton(label, callback_data=f"sos:{resource.id}")])
    return InlineKeyboardMarkup(rows)


def _assess(context: ContextTypes.DEFAULT_TYPE, text: str, at: datetime) -> Assessment:
    """How this text reads, or the previous text and this one together (a split sentence)."""
    detector = detector_of(context)
    found = detector.assess(text)
    memory = context.chat_data if context.chat_data is not None else {}
    previous: _Previous | None = memory.get(PREVIOUS_KEY)
    if found.tier != 1 and previous is not None and not previous.alerted:
        if timedelta(0) <= at - previous.at <= SPLIT_WINDOW and may_join(previous.text, text):
            joined = detector.assess(f"{previous.text} {text}")
            if joined.tier == 1:  # two ordinary lines are not made a check-in together
                found = joined
    memory[PREVIOUS_KEY] = _Previous(text, at, found.tier == 1)
    return found


async def watch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check every private message; answer crisis wording at once and alert a human."""
    message = update.message or update.edited_message
    if message is None or update.effective_chat is None:
        return
    text = message.text or message.caption
    found = _assess(context, text, message.date) if text else NOTHING
    if found.mild and update.message is not None:
        found = await _weigh_mild(update, context, found, message.date)
    hit = found if found.tier == 1 else None
    if hit is None and update.message is None:
        return  # an edit without crisis wording: no new message to answer
    tz = settings_of(context).tz
    fallback: CrisisFallback | None = context.bot_data.get(FALLBACK_KEY)
    try:
        turn = await take_turn(
            update,
            context,
            lambda session, youth: _raise_or_look(session, youth, text=text, hit=hit, tz=tz),
        )
    except SQLAlchemyError:
        if hit is not None and fallback is not None:
            # Help at once from memory; the update is tried again and the alert stored then.
            log.warning("could not store a crisis alert; resources sent from memory")
            await fallback.answer_now(update)
        raise
    if turn.result is None:
        if found.tier == 2 and update.message is not None:
            await _check_in(turn, found)
        return
    if hit is not None:
        if turn.result.new_alert:
            send_soon(context)  # the coaches' notices, now
        resources_sent = fallback is not None and fallback.answered_from_memory(update.update_id)
        await _answer_crisis(turn, turn.result, with_resources=not resources_sent)
        if fallback is not None:
            fallback.handled(update.update_id)  # the memory path need not answer now
        raise ApplicationHandlerStop  # the crisis text is not a dialogue answer or a command
    await _answer_waiting(turn, turn.result)


def _raise_or_look(
    session: Session, youth: Youth, *, text: str | None, hit: Assessment | None, tz: ZoneInfo
) -> _Alerting | None:
    """Raise the alert for a hit; otherwise find an alert still waiting for a human."""
    new_alert = False
    if hit is not None:
        already_waiting = waiting_alert(session, youth_id=row_id(youth)) is not None
        do_raise_alert(
            session,
            youth=youth,
            kind=AlertKind.ABUSE if hit.kind == ABUSE else AlertKind.CRISIS_WORDS,
            text=text,
            detail=hit.reason,
            now=utcnow(),
            tz=tz,
        )
        new_alert = not already_waiting
    waiting = waiting_alert(session, youth_id=row_id(youth))
    if waiting is None:
        return None
    reach = reach_of(session, alert=waiting, youth=youth, now=utcnow(), tz=tz)
    kind = ABUSE if waiting.kind == AlertKind.ABUSE else SELF_HARM
    return _Alerting(reach, new_alert if hit is not None else False, kind)


async def _answer_crisis(
    turn: Turn[object], alerting: _Alerting, *, with_resources: bool = True
) -> None:
    """Warm words and the resources (unless the memory path already sent them); the question
    about safety only with a new alert."""
    told = truthful(turn.language, alerting.reach, TOLD, settings_of(turn.context).tz)
    buttons = resource_buttons(turn.language, alerting.kind) if with_resources else None
    await turn.say(told, reply_markup=buttons)
    if alerting.new_alert:
        await turn.say(
            turn._(ASK_SAFE),
            reply_markup=InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(turn._(SAFE), callback_data="safe:yes")],
                    [InlineKeyboardButton(turn._(UNSAFE), callback_data="safe:no")],
                ]
            ),
        )


async def _answer_waiting(turn: Turn[object], alerting: _Alerting) -> None:
    """Never silent while waiting for a human: say a person knows, with the resources."""
    text = truthful(turn.language, alerting.reach, WAITING, settings_of(turn.context).tz)
    await turn.say(text, reply_markup=resource_buttons(turn.language, alerting.kind))


async def _weigh_mild(
    update: Update, context: ContextTypes.DEFAULT_TYPE, found: Assessment, at: datetime
) -> Assessment:
    """A weak signal becomes tier 2 when it is the third in MILD_WINDOW, or comes within two
    weeks of a low WHO-5 (core.services.assessments.recently_low_wellbeing)."""
    memory = context.chat_data if context.chat_data is not None else {}
    recent = [t for t in memory.get(MILD_KEY, []) if at - t <= MILD_WINDOW] + [at]
    memory[MILD_KEY] = recent
    if len(recent) >= MILD_IN_A_ROW:
        return Assessment(2, found.kind, f"{len(recent)} mild signals", found.probability)
    user = update.effective_user
    if user is None:
        return found

    def low_wellbeing(session: Session) -> bool:
        youth = access_youth_by_telegram_id(session, telegram_user_id=user.id)
        return youth is not None and recently_low_wellbeing(
            session, youth_id=row_id(youth), now=utcnow()
        )

    if await run_db(context, low_wellbeing):
        return Assessment(2, found.kind, "mild signal after a low WHO-5", found.probability)
    return found


async def _check_in(turn: Turn[object], found: Assessment) -> None:
    """Tier 2, wording that may mean a crisis: one gentle question with answer buttons and the
    resources quietly below, at most once in CHECK_IN_EVERY (unless it escalates)."""
    memory = turn.context.chat_data if turn.context.chat_data is not None else {}
    now = utcnow()
    last: datetime | None = memory.get(CHECK_IN_KEY)
    if last is not None and now - last < CHECK_IN_EVERY:
        return
    youth_id = turn.youth_id

    def note(session: Session) -> bool:
        """Audit the check-in (the coach sees it there and in the chat); none during a talk,
        where a coach reads every word anyway."""
        youth = session.get(Youth, youth_id) if youth_id is not None else None
        if youth is None or youth.talk_opened_at is not None:
            return False
        do_audit(
            session,
            actor="system",
            action="safety.check_in",
            youth_id=youth_id,
            detail=found.reason,
        )
        return True

    if not await run_db(turn.context, note):
        return
    memory[CHECK_IN_KEY] = now
    answers = [
        [InlineKeyboardButton(turn._(label), callback_data=f"checkin:{value}:{found.kind}")]
        for value, label in (("ok", CHECK_IN_OK), ("low", CHECK_IN_LOW), ("help", CHECK_IN_HELP))
    ]
    resources = resource_buttons(turn.language, found.kind).inline_keyboard
    await turn.say(turn._(CHECK_IN), reply_markup=InlineKeyboardMarkup([*answers, *resources]))
    raise ApplicationHandlerStop  # the question is the answer to this message


async def on_check_in_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "I'm OK" is thanked; "Not really" and "I need help now" become a tier-1 alert."""
    _, answer, kind = tap_data(update).split(":")
    await answer_tap(update)
    await remove_buttons(update)
    if answer == "ok":
        thanked = await take_turn(update, context)
        await thanked.say(thanked._(CHECK_IN_OK_REPLY))
        return
    tz = settings_of(context).tz
    escalated = Assessment(1, ABUSE if kind == ABUSE else SELF_HARM, f"check-in: {answer}")
    turn = await take_turn(
        update,
        context,
        lambda session, youth: _raise_or_look(session, youth, text=None, hit=escalated, tz=tz),
    )
    if turn.result is None:
        return
    if turn.result.new_alert:
        send_soon(context)
    await _answer_crisis(turn, turn.result)


async def on_safe_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The answer to "are you safe right now?": kept on the alert for the coach, and answered."""
    safe = tap_data(update) == "safe:yes"
    tz = settings_of(context).tz

    def record(session: Session, youth: Youth) -> _Alerting | None:
        alert = do_record_safe_answer(session, youth=youth, answer="safe" if safe else "unsafe")
        if alert is None:
            return None
        reach = reach_of(session, alert=alert, youth=youth, now=utcnow(), tz=tz)
        return _Alerting(reach, False, ABUSE if alert.kind == AlertKind.ABUSE else SELF_HARM)

    turn = await take_turn(update, context, record)
    await answer_tap(update)
    alerting = turn.result
    nobody_at_work = alerting is not None and alerting.reach.answer_at is not None
    kind = alerting.kind if alerting is not None else SELF_HARM
    if safe:
        await turn.say(turn._(SAFE_REPLY_OFF if nobody_at_work else SAFE_REPLY))
    else:
        await turn.say(turn._(UNSAFE_REPLY), reply_markup=resource_buttons(turn.language, kind))


async def on_resource_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A phone resource tapped: send the number alone, so one more tap calls it."""
    wanted = tap_data(update).removeprefix("sos:")
    turn = await take_turn(update, context)
    await answer_tap(update)
    resource = load_resources()[turn.language].find(wanted)
    if resource is not None and resource.phone:
        await turn.say(f"📞 {resource.phone}\n{resource.name} · {resource.hours}")


async def enter_safety_flow(turn: Turn[object], *, message: str | None, reason: str) -> None:
    """A very low wellbeing score: the dialogue's soft words, an alert, and the resources."""
    youth_id = turn.youth_id
    if youth_id is None:
        raise ValueError("only a young person Polku knows can finish a dialogue")
    tz = settings_of(turn.context).tz

    def raise_alert(session: Session) -> Reach:
        youth = session.get(Youth, youth_id)
        if youth is None:
            raise ValueError("the young person's row is gone")
        alert = do_raise_alert(
            session,
            youth=youth,
            kind=AlertKind.LOW_WELLBEING,
            text=None,
            detail=reason,
            now=utcnow(),
            tz=tz,
        )
        return reach_of(session, alert=alert, youth=youth, now=utcnow(), tz=tz)

    reach = await run_db(turn.context, raise_alert)
    send_soon(turn.context)
    if message:
        await turn.say(turn._(message))
    told = truthful(turn.language, reach, LOW_WELLBEING, tz)
    await turn.say(told, reply_markup=resource_buttons(turn.language))
