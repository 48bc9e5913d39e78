"""The dialogue engine: a pure function (state, answer) → (state, what to show)."""

from __future__ import annotations

import pytest

from core.dialogs.engine import (
    Ask,
    Control,
    Finished,
    Paused,
    Pick,
    State,
    Toggle,
    Typed,
    start,
    step,
)
from core.dialogs.loader import load_dialogues
from core.dialogs.schema import Dialogue


@pytest.fixture(scope="module")
def dialogues() -> dict[str, Dialogue]:
    return load_dialogues()


def walk(dialogue, *answers):
    state, screen = start(dialogue)
    for answer in answers:
        state, screen = step(dialogue, state, answer)
    return state, screen


def test_answers_move_forward_and_finish(dialogues):
    who5 = dialogues["who5"]
    state, screen = walk(who5, *(Pick(3) for _ in range(5)))
    assert isinstance(screen, Finished)
    assert state.answers == {q.id: 3 for q in who5.questions}


def test_skip_back_and_a_changed_answer(dialogues):
    life = dialogues["life_areas"]
    first, second = life.questions[0].id, life.questions[1].id
    state, screen = walk(life, Pick(7), Control("skip"), Control("back"))
    assert isinstance(screen, Ask) and screen.question.id == second
    assert state.answers[second] is None  # skipped is remembered as skipped
    state, screen = walk(life, Pick(7), Control("skip"), Control("back"), Control("back"), Pick(2))
    assert state.answers[first] == 2 and isinstance(screen, Ask) and screen.number == 2


def test_back_on_the_first_question_stays_there(dialogues):
    state, screen = walk(dialogues["life_areas"], Control("back"))
    assert isinstance(screen, Ask) and screen.number == 1 and state.answers == {}


def test_pause_and_resume_keep_the_place(dialogues):
    life = dialogues["life_areas"]
    state, screen = walk(life, Pick(5), Pick(6), Control("pause"))
    assert isinstance(screen, Paused) and state.paused
    restored = State.from_json(state.to_json())  # as stored in the database
    state, screen = step(life, restored, Control("resume"))
    assert isinstance(screen, Ask) and screen.number == 3
    assert state.answers == {life.questions[0].id: 5, life.questions[1].id: 6}


def test_a_typed_number_is_an_answer_and_nonsense_asks_again(dialogues):
    life = dialogues["life_areas"]
    state, screen = walk(life, Typed(" 7 "))
    assert state.answers == {life.questions[0].id: 7}
    state, screen = step(life, state, Typed("seitsemän"))
    assert isinstance(screen, Ask) and screen.hint == "not_understood" and screen.number == 2
    state, screen = step(life, state, Typed("11"))
    assert screen.hint == "not_understood" and len(state.answers) == 1
    for odd in ("²", "--5", "7½", "", "  "):
        state, screen = step(life, state, Typed(odd))
        assert screen.hint == "not_understood" and len(state.answers) == 1


def test_multi_select_ticks_unticks_and_is_done(dialogues):
    mapping = dialogues["initial_mapping"]
    interests = next(i for i, q in enumerate(mapping.questions) if q.scale == "multi")
    question = mapping.questions[interests]
    a, b = question.options[0].value, question.options[1].value
    state, _ = start(mapping)
    state = State(position=interests, answers=state.answers)
    state, screen = step(mapping, state, Toggle(a))
    state, screen = step(mapping, state, Toggle(b))
    state, screen = step(mapping, state, Toggle(a))
    assert screen.picked == (b,)
    state, screen = step(mapping, state, Typed("1"))  # typing an option's number ticks it
    state, screen = step(mapping, state, Control("done"))
    assert sorted(state.answers[question.id]) == sorted([a, b])


def test_a_choice_question_takes_its_options_only(dialogues):
    mapping = dialogues["initial_mapping"]
    first = mapping.questions[0]
    state, screen = walk(mapping, Pick("not-an-option"))
    assert screen.hint == "not_understood" and state.answers == {}
    state, screen = walk(mapping, Pick(first.options[1].value))
    assert state.answers == {first.id: first.options[1].value}


def test_show_if_skips_questions_that_do_not_apply():
    dialogue = Dialogue.model_validate(
        {
            "id": "t",
            "version": 1,
            "title": "T",
            "intro": "I",
            "questions": [
                {
                    "id": "a",
                    "area": "A",
                    "text": "A?",
                    "scale": "choice",
                    "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}],
                },
                {
                    "id": "b",
                    "area": "B",
                    "text": "B?",
                    "scale": "zero_to_ten",
                    "show_if": {"question": "a", "in": ["x"]},
                },
                {"id": "c", "area": "C", "text": "C?", "scale": "zero_to_ten"},
            ],
        }
    )
    _, screen = walk(dialogue, Pick("y"))
    assert screen.question.id == "c"
    _, screen = walk(dialogue, Pick("x"))
    assert screen.question.id == "b"
