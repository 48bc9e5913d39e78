"""Walk a dialogue: a pure function (state, answer) → (state, what to show).

The bot, a web preview and the tests all call `step`. Nothing here touches the database or
Telegram; the caller stores the state after every answer, so a week of silence or a restart
resumes exactly where the young person stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from core.dialogs.scales import CHOICE, MULTI, NUMERIC_SCALES
from core.dialogs.schema import Dialogue, Question
from core.i18n import all_translations
from core.typed_words import cleaned, meaning

AnswerValue = int | str | list[str] | None  # None: skipped
NUMBER = re.compile(r"-?\d+")  # \d: decimal digits in any script, all of which int() reads


@dataclass(frozen=True)
class State:
    """Where a young person is in one dialogue; stored as JSON between answers."""

    position: int = 0  # index of the question being asked; len(questions) when finished
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    picked: tuple[str, ...] = ()  # options ticked so far on a multi-select question
    visited: tuple[int, ...] = ()  # questions asked before this one, for Back
    paused: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "position": self.position,
            "answers": self.answers,
            "picked": list(self.picked),
            "visited": list(self.visited),
            "paused": self.paused,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> State:
        answers = data.get("answers")
        return cls(
            position=int(str(data.get("position", 0))),
            answers=dict(answers) if isinstance(answers, dict) else {},
            picked=tuple(str(p) for p in _items(data, "picked")),
            visited=tuple(int(str(v)) for v in _items(data, "visited")),
            paused=bool(data.get("paused", False)),
        )


def _items(data: dict[str, object], key: str) -> list[object]:
    value = data.get(key)
    return list(value) if isinstance(value, list) else []


# What the young person did.
@dataclass(frozen=True)
class Pick:
    """A button with a value (numeric scale or a choice option)."""

    value: int | str


@dataclass(frozen=True)
class Toggle:
    """Tick or untick an option of a multi-select question."""

    value: str


@dataclass(frozen=True)
class Typed:
    """A typed text, such as "7"."""

    text: str


@dataclass(frozen=True)
class Control:
    action: Literal["done", "skip", "back", "pause", "resume"]


Answer = Pick | Toggle | Typed | Control


# What to show.
@dataclass(frozen=True)
class Ask:
    question: Question
    number: int  # 1-based position, for "3/10"
    total: int
    picked: tuple[str, ...] = ()
    hint: Literal["", "not_understood"] = ""


@dataclass(frozen=True)
class Paused:
    pass


@dataclass(frozen=True)
class Finished:
    answers: dict[str, AnswerValue]


Screen = Ask | Paused | Finished


def start(dialogue: Dialogue) -> tuple[State, Screen]:
    """The state and screen of a fresh run: the first question that applies."""
    state = State(position=_next_position(dialogue, {}, -1))
    return state, _screen(dialogue, state)


def step(dialogue: Dialogue, state: State, answer: Answer) -> tuple[State, Screen]:
    """Apply one answer and say what to show next."""
    if isinstance(answer, Control) and answer.action == "resume":
        state = replace(state, paused=False)
        return state, _screen(dialogue, state)
    if state.position >= len(dialogue.questions):
        return state, Finished(state.answers)
    if isinstance(answer, Typed) and meaning(answer.text) == "stop":
        answer = Control("pause")  # "lopeta", "sluta", "stop": leave now, go on later
    if isinstance(answer, Control):
        return _control(dialogue, state, answer.action)
    state = replace(state, paused=False)
    question = dialogue.questions[state.position]
    scale = dialogue.scale_of(question)
    if isinstance(answer, Typed):
        parsed = _parse_typed(dialogue, question, answer.text)
        if parsed is None:
            return state, _screen(dialogue, state, hint="not_understood")
        answer = parsed
    if scale == MULTI:
        if isinstance(answer, Toggle) and answer.value in _option_values(question):
            picked = (
                tuple(p for p in state.picked if p != answer.value)
                if answer.value in state.picked
                else (*state.picked, answer.value)
            )
            state = replace(state, picked=picked)
        return state, _screen(dialogue, state)
    if isinstance(answer, Pick) and _valid_pick(dialogue, question, answer.value):
        return _advance(dialogue, state, answer.value)
    return state, _screen(dialogue, state, hint="not_understood")


def _control(dialogue: Dialogue, state: State, action: str) -> tuple[State, Screen]:
    question = dialogue.questions[state.position]
    if action == "pause":
        state = replace(state, paused=True)
        return state, Paused()
    if action == "skip":
        return _advance(dialogue, state, None)
    if action == "done" and dialogue.scale_of(question) == MULTI:
        return _advance(dialogue, state, list(state.picked))
    if action == "back" and state.visited:
        previous = state.visited[-1]
        earlier = dialogue.questions[previous]
        prior_answer = state.answers.get(earlier.id)
        picked = tuple(prior_answer) if isinstance(prior_answer, list) else ()
        state = replace(state, position=previous, visited=state.visited[:-1], picked=picked)
    return state, _screen(dialogue, state)


def _advance(dialogue: Dialogue, state: State, value: AnswerValue) -> tuple[State, Screen]:
    question = dialogue.questions[state.position]
    answers = {**state.answers, question.id: value}
    state = State(
        position=_next_position(dialogue, answers, state.position),
        answers=answers,
        visited=(*state.visited, state.position),
    )
    return state, _screen(dialogue, state)


def _next_position(dialogue: Dialogue, answers: dict[str, AnswerValue], after: int) -> int:
    """The next question whose condition holds (or len(questions): finished)."""
    for index in range(after + 1, len(dialogue.questions)):
        condition = dialogue.questions[index].show_if
        if condition is None:
            return index
        given = answers.get(condition.question)
        chosen = given if isinstance(given, list) else [given]
        if any(c in condition.in_ for c in chosen):
            return index
    return len(dialogue.questions)


def _screen(dialogue: Dialogue, state: State, hint: Literal["", "not_understood"] = "") -> Screen:
    if state.position >= len(dialogue.questions):
        return Finished(state.answers)
    if state.paused:
        return Paused()
    return Ask(
        question=dialogue.questions[state.position],
        number=state.position + 1,
        total=len(dialogue.questions),
        picked=state.picked,
        hint=hint,
    )


def _option_values(question: Question) -> list[str]:
    return [option.value for option in question.options]


def _valid_pick(dialogue: Dialogue, question: Question, value: int | str) -> bool:
    scale = dialogue.scale_of(question)
    if scale in NUMERIC_SCALES:
        return isinstance(value, int) and value in {o.value for o in NUMERIC_SCALES[scale].options}
    return scale == CHOICE and value in _option_values(question)


def _parse_typed(dialogue: Dialogue, question: Question, text: str) -> Answer | None:
    """A typed number (a value on a numeric scale, or an option's 1-based number), or an
    option's label typed in any language ("ammattikoulu" for "🎓 Ammattikoulu")."""
    scale = dialogue.scale_of(question)
    stripped = text.strip().rstrip(".")
    if NUMBER.fullmatch(stripped):
        number = int(stripped)
        if scale in NUMERIC_SCALES:
            return Pick(number)
        if not 1 <= number <= len(question.options):
            return None
        value = question.options[number - 1].value
        return Toggle(value) if scale == MULTI else Pick(value)
    words = cleaned(text)
    for option in question.options:
        if words and words in {cleaned(label) for label in all_translations(option.label)}:
            return Toggle(option.value) if scale == MULTI else Pick(option.value)
    return None
