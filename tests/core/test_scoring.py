"""WHO-5 scoring at the published cut-offs, and what a result says."""

from __future__ import annotations

import pytest

from core.dialogs.loader import load_dialogues
from core.dialogs.scoring import outcome, score


@pytest.fixture(scope="module")
def who5():
    return load_dialogues()["who5"]


def answers_summing_to(who5, raw: int) -> dict:
    """Five WHO-5 answers (each 0–5) whose sum is `raw`."""
    values, left = [], raw
    for _ in range(5):
        values.append(min(5, left))
        left -= values[-1]
    return {q.id: v for q, v in zip(who5.questions, values, strict=True)}


@pytest.mark.parametrize(
    ("raw", "index", "offer"),
    [
        (25, 100, None),
        (13, 52, None),  # just above 50: no offer
        (12, 48, "coach"),  # the first raw sum at or below 50 (12.5 × 4 cannot happen)
        (8, 32, "coach"),
        (7, 28, "safety"),  # exactly 28: the safety flow
        (0, 0, "safety"),
    ],
)
def test_who5_is_raw_sum_times_four_with_offers_at_the_cut_offs(who5, raw, index, offer):
    answers = answers_summing_to(who5, raw)
    assert sum(answers.values()) == raw
    assert score(who5, answers) == (float(index), raw)
    assert outcome(who5, answers).offer == offer


def test_who5_with_a_skipped_item_has_no_score_but_still_offers_help(who5):
    answers = {q.id: 0 for q in who5.questions}
    answers[who5.questions[2].id] = None  # 0+0+?+0+0: at most 5 × 4 = 20
    assert score(who5, answers) == (None, None)
    assert outcome(who5, answers).offer == "safety"
    answers = {q.id: 2 for q in who5.questions}
    answers[who5.questions[0].id] = None  # at most (8 + 5) × 4 = 52: not certain
    assert outcome(who5, answers).offer is None
    answers[who5.questions[1].id] = 0  # at most (6 + 5) × 4 = 44
    assert outcome(who5, answers).offer == "coach"


def test_life_areas_summary_names_strong_low_and_changed_areas():
    life = load_dialogues()["life_areas"]
    ids = [q.id for q in life.questions]
    before = {i: 5 for i in ids}
    now = {**before, ids[0]: 9, ids[1]: 2, ids[2]: None}
    result = outcome(life, now, before)
    assert [q.id for q in result.strong] == [ids[0]]
    assert [q.id for q in result.support] == [ids[1]]
    assert [q.id for q in result.better] == [ids[0]]
    assert [q.id for q in result.worse] == [ids[1]]
    assert result.services == life.questions[1].services
