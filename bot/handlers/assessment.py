"""Self-assessment in the chat: choose a dialogue, answer with buttons or numbers, see the result.

Every answer is stored before the reply, so closing the app, a week of silence or a restart of
Polku resumes where the young person stopped ("Continue where you left off?").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.keyboards import allow_keyboard
from bot.render import ask_keyboard, ask_text
from bot.replies import answer_tap, remove_buttons
from bot.results import FinishedRun, send_result
from bot.runtime import dialogues_of
from bot.turn import Turn, look_up_turn, take_turn, tap_data, tapped
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
from core.models import Assessment, AssessmentStatus, Consent, Youth, row_id
from core.services.assessments import (
    access_open_assessment,
    answers_of,
    do_answer,
    do_start_assessment,
    finished_runs,
    outcome_of,
)

CONTROLS = {"done", "skip", "back", "pause"}


@dataclass(frozen=True)
class _Unfinished:
    """A run the young person can go on with."""

    assessment_id: int
    dialogue: Dialogue


@dataclass(frozen=True)
class _Step:
    """A run after an answer: the screen to show next and, when it ended, the summary."""

    assessment_id: int
    dialogue: Dialogue
    screen: Screen
    finished: FinishedRun | None = None


def dialogue_list(turn: Turn[object], *, instead: bool = False) -> InlineKeyboardMarkup:
    """The dialogues as buttons; `instead` marks a choice that sets an unfinished run aside."""
    prefix = "dlgnew" if instead else "dlg"
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(turn._(d.title), callback_data=f"{prefix}:{d.id}")]
            for d in dialogues_of(turn.context).values()
        ]
    )


def _resumable(
    session: Session, youth: Youth, dialogues: dict[str, Dialogue]
) -> _Unfinished | None:
    """The unfinished run that can go on; one whose dialogue file changed is set aside."""
    unfinished = access_open_assessment(session, youth=youth)
    if unfinished is None:
        return None
    dialogue = dialogues.get(unfinished.dialogue_id)
    if dialogue is None or dialogue.version != unfinished.dialogue_version:
        unfinished.status = AssessmentStatus.ABANDONED
        session.add(unfinished)
        return None
    return _Unfinished(row_id(unfinished), dialogue)


async def _offer_to_continue(turn: Turn[object], unfinished: _Unfinished) -> None:
    """Ask whether to go on with the unfinished run, or choose another dialogue."""
    _ = turn._
    await turn.say(
        _("Continue where you left off? ({title})").format(title=_(unfinished.dialogue.title)),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("▶ Continue"), callback_data=f"resume:{unfinished.assessment_id}"
                    )
                ],
                [InlineKeyboardButton(_("Choose another"), callback_data="dlg:list")],
            ]
        ),
    )


async def open_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The Self-assessment menu item: continue an unfinished one, or choose."""
    dialogues = dialogues_of(context)

    def look(session: Session, youth: Youth) -> tuple[bool, _Unfinished | None]:
        """(consented, the run to go on with)."""
        return youth.consent == Consent.GIVEN, _resumable(session, youth, dialogues)

    turn = await take_turn(update, context, look)
    consented, unfinished = turn.result
    if not consented:
        await turn.say(
            turn._("For self-checks, I need to save your answers."),
            reply_markup=allow_keyboard(turn.translations, "assess"),
        )
        return
    if unfinished is not None:
        await _offer_to_continue(turn, unfinished)
        return
    await turn.say(turn._("Which one would you like to do? 👇"), reply_markup=dialogue_list(turn))


async def on_choose_dialogue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`dlg:<id>` starts a dialogue, or offers to continue an unfinished run (an old button or
    a nudge must not throw a run away); `dlgnew:<id>` sets the unfinished run aside; `dlg:list`
    lists the dialogues to choose instead."""
    prefix, _sep, choice = tap_data(update).partition(":")
    dialogues = dialogues_of(context)

    def choose(session: Session, youth: Youth) -> tuple[_Unfinished | None, _Step | None]:
        """(the run to offer instead, the run started)."""
        unfinished = _resumable(session, youth, dialogues) if prefix == "dlg" else None
        if choice not in dialogues or youth.consent != Consent.GIVEN or unfinished is not None:
            return unfinished, None
        dialogue = dialogues[choice]
        assessment, screen = do_start_assessment(session, youth=youth, dialogue=dialogue)
        return None, _Step(row_id(assessment), dialogue, screen)

    turn = await take_turn(update, context, choose)
    unfinished, started = turn.result
    await answer_tap(update)
    if choice in dialogues and unfinished is not None:
        await _offer_to_continue(turn, unfinished)
        return
    if started is None:
        await turn.say(
            turn._("Which one would you like to do? 👇"),
            reply_markup=dialogue_list(turn, instead=choice == "list"),
        )
        return
    await turn.say(turn._(started.dialogue.intro))
    await _show(update, turn, started, edit=False)


async def on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`resume:<id>`: show the question where the young person stopped."""
    wanted = tap_data(update).partition(":")[2]
    dialogues = dialogues_of(context)

    def resume(session: Session, youth: Youth) -> _Step | None:
        assessment = access_open_assessment(session, youth=youth)
        if assessment is None or str(assessment.id) != wanted:
            return None
        dialogue = dialogues.get(assessment.dialogue_id)
        if dialogue is None or dialogue.version != assessment.dialogue_version:
            return None
        screen = do_answer(
            session, assessment=assessment, dialogue=dialogue, answer=Control("resume")
        )
        return _Step(row_id(assessment), dialogue, screen)

    turn = await take_turn(update, context, resume)
    if turn.result is None:
        await answer_tap(update, turn._("This button is old. Please use the newest message 🙂"))
        return
    await answer_tap(update)
    await _show(update, turn, turn.result, edit=True)


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


@dataclass(frozen=True)
class _Tap:
    """What a tap on the current question did: explain it (`more`), or answer it (`step`)."""

    more: str | None = None
    step: _Step | None = None


async def on_question_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a question's button; taps on an older question are answered kindly."""
    parts = tap_data(update).split(":", 3)
    dialogues = dialogues_of(context)

    def answer(session: Session, youth: Youth | None) -> _Tap | None:
        """None when the tap is not on the question now asked."""
        assessment = access_open_assessment(session, youth=youth) if youth else None
        dialogue = _current(assessment, dialogues, parts)
        if assessment is None or dialogue is None:
            return None
        code = parts[3]
        if code == "more":
            return _Tap(more=dialogue.questions[State.from_json(assessment.state).position].more)
        parsed = _parse_code(code)
        if parsed is None:
            return _Tap()
        screen = do_answer(session, assessment=assessment, dialogue=dialogue, answer=parsed)
        finished = _finished_run(session, assessment, dialogue, screen)
        return _Tap(step=_Step(row_id(assessment), dialogue, screen, finished))

    turn = await look_up_turn(update, context, answer)
    tap = turn.result
    if tap is None:
        await answer_tap(update, turn._("That question is already behind us 🙂"))
        return
    if tap.more is not None:
        await tapped(update).answer(turn._(tap.more), show_alert=True)
        return
    await answer_tap(update)
    if tap.step is not None:
        await _show(update, turn, tap.step, edit=True)


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

    def answer(session: Session, youth: Youth) -> _Step | None:
        assessment = access_open_assessment(session, youth=youth)
        if assessment is None or assessment.status != AssessmentStatus.IN_PROGRESS:
            return None
        dialogue = dialogues.get(assessment.dialogue_id)
        if dialogue is None or dialogue.version != assessment.dialogue_version:
            return None
        screen = do_answer(session, assessment=assessment, dialogue=dialogue, answer=Typed(text))
        finished = _finished_run(session, assessment, dialogue, screen)
        return _Step(row_id(assessment), dialogue, screen, finished)

    turn = await take_turn(update, context, answer)
    if turn.result is None:
        return False
    await _show(update, turn, turn.result, edit=False)
    return True


async def _show(update: Update, turn: Turn[object], step: _Step, *, edit: bool) -> None:
    """Show a screen: after a tap the question message changes in place (its old buttons go).
    A finished run is followed by its summary."""
    t, _ = turn.translations, turn._
    dialogue, screen = step.dialogue, step.screen
    if isinstance(screen, Ask):
        text = ask_text(t, dialogue, screen)
        markup = ask_keyboard(t, dialogue, screen, assessment_id=step.assessment_id)
    elif isinstance(screen, Finished):
        text, markup = _("✅ {title}: done. Thank you!").format(title=_(dialogue.title)), None
    else:
        text, markup = _("⏸ Paused. Continue any time from 📝 Self-assessment."), None
    if edit and update.callback_query is not None:
        try:
            await update.callback_query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc):
                raise
    else:
        await turn.say(text, reply_markup=markup)
    if step.finished is not None:
        await send_result(turn, step.finished)


async def on_later(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Not now' on a nudge."""
    turn = await take_turn(update, context)
    await answer_tap(update)
    await remove_buttons(update)
    await turn.say(turn._("Okay! It is in 📝 Self-assessment whenever you like."))
