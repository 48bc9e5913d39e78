"""Self-assessment in the chat: choose a dialogue, answer with buttons or numbers, see the result.

Every answer is stored before the reply, so closing the app, a week of silence or a restart of
Polku resumes where the young person stopped ("Continue where you left off?").
"""

from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.render import ask_keyboard, ask_text
from bot.replies import answer_tap, remove_buttons, say
from bot.results import FinishedRun, send_result
from bot.runtime import dialogues_of, engine_of, language_of, youth_of
from core.db import transaction
from core.dialogs.engine import (
    NUMBER,
    Answer,
    Ask,
    Control,
    Finished,
    Pick,
    Screen,
    State,
    Toggle,
    Typed,
)
from core.dialogs.schema import Dialogue
from core.i18n import gettext_for
from core.models import Assessment, AssessmentStatus, Consent, Youth, row_id
from core.services.assessments import (
    access_open_assessment,
    answers_of,
    do_answer,
    do_start_assessment,
    finished_runs,
    outcome_of,
)
from core.services.youth import access_youth_by_telegram_id

CONTROLS = {"done", "skip", "back", "pause"}


def dialogue_list(
    context: ContextTypes.DEFAULT_TYPE, language: str, *, instead: bool = False
) -> InlineKeyboardMarkup:
    """The dialogues as buttons; `instead` marks a choice that sets an unfinished run aside."""
    _ = gettext_for(language).gettext
    prefix = "dlgnew" if instead else "dlg"
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_(d.title), callback_data=f"{prefix}:{d.id}")]
            for d in dialogues_of(context).values()
        ]
    )


def _resumable(session: Session, youth: Youth, dialogues: dict[str, Dialogue]) -> Assessment | None:
    """The unfinished run that can go on; one whose dialogue file changed is set aside."""
    unfinished = access_open_assessment(session, youth=youth)
    if unfinished is None:
        return None
    dialogue = dialogues.get(unfinished.dialogue_id)
    if dialogue is None or dialogue.version != unfinished.dialogue_version:
        unfinished.status = AssessmentStatus.ABANDONED
        session.add(unfinished)
        return None
    return unfinished


async def _offer_to_continue(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    *,
    youth_id: int,
    language: str,
    assessment_id: int,
    dialogue: Dialogue,
) -> None:
    """Ask whether to go on with the unfinished run, or choose another dialogue."""
    _ = gettext_for(language).gettext
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=_("Continue where you left off? ({title})").format(title=_(dialogue.title)),
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(_("▶ Continue"), callback_data=f"resume:{assessment_id}")],
                [InlineKeyboardButton(_("Choose another"), callback_data="dlg:list")],
            ]
        ),
    )


async def open_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The Self-assessment menu item: continue an unfinished one, or choose."""
    dialogues = dialogues_of(context)
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language, consent = row_id(youth), language_of(update, youth), youth.consent
        unfinished = _resumable(session, youth, dialogues)
        unfinished_id = unfinished.id if unfinished else None
        unfinished_dialogue = unfinished.dialogue_id if unfinished else None
    _ = gettext_for(language).gettext
    chat_id = update.effective_chat.id
    if consent != Consent.GIVEN:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_("Self-assessment needs me to keep your answers. /privacy lets you allow it."),
        )
        return
    if unfinished_id is not None and unfinished_dialogue in dialogues:
        await _offer_to_continue(
            update,
            context,
            youth_id=youth_id,
            language=language,
            assessment_id=unfinished_id,
            dialogue=dialogues[unfinished_dialogue],
        )
        return
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=_("Which one would you like to do? 👇"),
        reply_markup=dialogue_list(context, language),
    )


async def on_choose_dialogue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`dlg:<id>` starts a dialogue, or offers to continue an unfinished run (an old button or
    a nudge must not throw a run away); `dlgnew:<id>` sets the unfinished run aside; `dlg:list`
    lists the dialogues to choose instead."""
    prefix, _sep, choice = update.callback_query.data.partition(":")
    dialogues = dialogues_of(context)
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language, consent = row_id(youth), language_of(update, youth), youth.consent
        unfinished = _resumable(session, youth, dialogues) if prefix == "dlg" else None
        unfinished_id = unfinished.id if unfinished else None
        unfinished_dialogue = unfinished.dialogue_id if unfinished else None
        started = None
        if choice in dialogues and consent == Consent.GIVEN and unfinished is None:
            started = do_start_assessment(session, youth=youth, dialogue=dialogues[choice])
            assessment_id = row_id(started[0])
    _ = gettext_for(language).gettext
    await answer_tap(update)
    chat_id = update.effective_chat.id
    if choice in dialogues and unfinished_id is not None and unfinished_dialogue:
        await _offer_to_continue(
            update,
            context,
            youth_id=youth_id,
            language=language,
            assessment_id=unfinished_id,
            dialogue=dialogues[unfinished_dialogue],
        )
        return
    if started is None:
        await say(
            context,
            chat_id=chat_id,
            youth_id=youth_id,
            text=_("Which one would you like to do? 👇"),
            reply_markup=dialogue_list(context, language, instead=choice == "list"),
        )
        return
    dialogue = dialogues[choice]
    await say(context, chat_id=chat_id, youth_id=youth_id, text=_(dialogue.intro))
    await _show(update, context, dialogue, started[1], assessment_id, language, edit=False)


async def on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`resume:<id>`: show the question where the young person stopped."""
    wanted = update.callback_query.data.partition(":")[2]
    dialogues = dialogues_of(context)
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        language = language_of(update, youth)
        assessment = access_open_assessment(session, youth=youth)
        screen: Screen | None = None
        dialogue: Dialogue | None = None
        if assessment is not None and str(assessment.id) == wanted:
            dialogue = dialogues.get(assessment.dialogue_id)
            if dialogue is not None and dialogue.version == assessment.dialogue_version:
                screen = do_answer(
                    session,
                    assessment=assessment,
                    dialogue=dialogue,
                    answer=Control("resume"),
                )
    _ = gettext_for(language).gettext
    if screen is None or assessment is None or dialogue is None:
        await answer_tap(update, _("This button is old. Please use the newest message 🙂"))
        return
    await answer_tap(update)
    await _show(update, context, dialogue, screen, row_id(assessment), language, edit=True)


def _parse_code(code: str) -> Answer | None:
    if code in CONTROLS:
        return Control(code)  # type: ignore[arg-type]
    kind, value = code[:1], code[1:]
    if kind == "v" and NUMBER.fullmatch(value):
        return Pick(int(value))
    if kind == "o":
        return Pick(value)
    if kind == "t":
        return Toggle(value)
    return None


async def on_question_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a question's button; taps on an older question are answered kindly."""
    query = update.callback_query
    parts = query.data.split(":", 3)
    dialogues = dialogues_of(context)
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
        assessment = access_open_assessment(session, youth=youth) if youth else None
        current = _current(assessment, dialogues, parts)
        screen: Screen | None = None
        more: str | None = None
        finished: FinishedRun | None = None
        if current is not None and assessment is not None:
            dialogue = current
            code = parts[3]
            if code == "more":
                more = dialogue.questions[State.from_json(assessment.state).position].more
            elif (answer := _parse_code(code)) is not None:
                screen = do_answer(session, assessment=assessment, dialogue=dialogue, answer=answer)
                finished = _finished_run(session, assessment, dialogue, screen)
    _ = gettext_for(language).gettext
    if current is None or assessment is None:
        await answer_tap(update, _("That question is already behind us 🙂"))
        return
    if more is not None:
        await query.answer(_(more), show_alert=True)
        return
    await answer_tap(update)
    if screen is not None:
        await _show(
            update,
            context,
            dialogue,
            screen,
            row_id(assessment),
            language,
            edit=True,
            finished=finished,
        )


def _current(
    assessment: Assessment | None, dialogues: dict[str, Dialogue], parts: list[str]
) -> Dialogue | None:
    """The dialogue when the tap belongs to the question now asked in the open run."""
    if assessment is None or len(parts) != 4:
        return None
    dialogue = dialogues.get(assessment.dialogue_id)
    if dialogue is None or dialogue.version != assessment.dialogue_version:
        return None
    state = State.from_json(assessment.state)
    if parts[1] != str(assessment.id) or parts[2] != str(state.position) or state.paused:
        return None
    return dialogue


def _finished_run(
    session: Session, assessment: Assessment, dialogue: Dialogue, screen: Screen
) -> FinishedRun | None:
    """What the summary needs, when this answer finished the run."""
    if not isinstance(screen, Finished):
        return None
    runs = finished_runs(session, youth_id=assessment.youth_id, dialogue_id=dialogue.id)
    first = answers_of(runs[0]) if runs and runs[0].id != assessment.id else None
    return FinishedRun(
        dialogue=dialogue,
        outcome=outcome_of(session, assessment=assessment, dialogue=dialogue),
        latest=answers_of(assessment),
        first=first,
    )


async def answer_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """Use a typed text as the answer to the open question; False when no run is in progress."""
    dialogues = dialogues_of(context)
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        language = language_of(update, youth)
        assessment = access_open_assessment(session, youth=youth)
        if assessment is None or assessment.status != AssessmentStatus.IN_PROGRESS:
            return False
        dialogue = dialogues.get(assessment.dialogue_id)
        if dialogue is None or dialogue.version != assessment.dialogue_version:
            return False
        screen = do_answer(session, assessment=assessment, dialogue=dialogue, answer=Typed(text))
        finished = _finished_run(session, assessment, dialogue, screen)
        assessment_id = row_id(assessment)
    await _show(
        update, context, dialogue, screen, assessment_id, language, edit=False, finished=finished
    )
    return True


async def _show(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    dialogue: Dialogue,
    screen: Screen,
    assessment_id: int,
    language: str,
    *,
    edit: bool,
    finished: FinishedRun | None = None,
) -> None:
    """Show a screen: after a tap the question message changes in place (its old buttons go)."""
    t = gettext_for(language)
    _ = t.gettext
    if isinstance(screen, Ask):
        text = ask_text(t, dialogue, screen)
        markup = ask_keyboard(t, dialogue, screen, assessment_id=assessment_id)
    elif isinstance(screen, Finished):
        text, markup = _("✅ {title}: done. Thank you!").format(title=_(dialogue.title)), None
    else:
        text, markup = _("⏸ Paused. Continue any time from 📝 Self-assessment."), None
    chat_id = update.effective_chat.id
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        youth_id = row_id(youth) if youth else None
    if edit and update.callback_query is not None:
        try:
            await update.callback_query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc):
                raise
    else:
        await say(context, chat_id=chat_id, youth_id=youth_id, text=text, reply_markup=markup)
    if finished is not None and youth_id is not None:
        await send_result(
            context, chat_id=chat_id, youth_id=youth_id, language=language, run=finished
        )


async def on_later(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Not now' on a nudge."""
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
    await answer_tap(update)
    await remove_buttons(update)
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=gettext_for(language).gettext("Okay! It is in 📝 Self-assessment whenever you like."),
    )
