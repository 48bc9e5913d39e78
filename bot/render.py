"""Turn the engine's screens into Telegram text and keyboards (≤ 5 buttons a row)."""

from __future__ import annotations

import gettext

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.dialogs.engine import Ask
from core.dialogs.scales import CHOICE, MULTI, NUMERIC_SCALES
from core.dialogs.schema import Dialogue, Question
from core.i18n import N_

HINT_NUMBER = N_("Tap a button or type a number from {low} to {high} 🙂")
HINT_OPTION = N_("Tap a button or type the number of an option 🙂")


def question_data(assessment_id: int, position: int, code: str) -> str:
    """Callback data of a question's button: run, question and what was tapped (≤ 64 bytes)."""
    return f"q:{assessment_id}:{position}:{code}"[:64]


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def ask_text(t: gettext.NullTranslations, dialogue: Dialogue, screen: Ask) -> str:
    """'3/10 · Housing' and the question, with a hint when a typed answer was not understood."""
    _ = t.gettext
    question = screen.question
    text = f"{screen.number}/{screen.total} · {_(question.area)}\n{_(question.text)}"
    if screen.hint:
        scale = dialogue.scale_of(question)
        if scale in NUMERIC_SCALES:
            hint = _(HINT_NUMBER).format(
                low=NUMERIC_SCALES[scale].low, high=NUMERIC_SCALES[scale].high
            )
        else:
            hint = _(HINT_OPTION)
        text = f"{hint}\n\n{text}"
    return text


def ask_keyboard(
    t: gettext.NullTranslations, dialogue: Dialogue, screen: Ask, *, assessment_id: int
) -> InlineKeyboardMarkup:
    """The answer buttons, then Back, Skip, Pause (and Tell me more) on every question."""
    _ = t.gettext
    question: Question = screen.question
    position = screen.number - 1

    def button(label: str, code: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=question_data(assessment_id, position, code)
        )

    scale = dialogue.scale_of(question)
    rows: list[list[InlineKeyboardButton]]
    if scale in NUMERIC_SCALES:
        numeric = NUMERIC_SCALES[scale]
        options = [
            button(f"{o.value} · {_(o.label)}" if o.translate else o.label, f"v{o.value}")
            for o in numeric.options
        ]
        rows = _rows(options, numeric.row)
    elif scale == CHOICE:
        rows = _rows([button(_(o.label), f"o{o.value}") for o in question.options], 2)
    else:
        ticked = [
            button(("✅ " if o.value in screen.picked else "") + _(o.label), f"t{o.value}")
            for o in question.options
        ]
        rows = [*_rows(ticked, 2), [button(_("Done ✔"), "done")]]
    controls = [
        button(_("◀ Back"), "back"),
        button(_("Skip ⏭"), "skip"),
        button(_("Pause ⏸"), "pause"),
    ]
    if question.more:
        controls.append(button(_("ℹ️ More"), "more"))
    return InlineKeyboardMarkup([*rows, controls])


def is_multi(dialogue: Dialogue, question: Question) -> bool:
    return dialogue.scale_of(question) == MULTI
