"""Scores and what follows from them: strong areas, areas that could use support, change since
last time, and the rule offers (talk to the coach, the safety flow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean
from typing import Literal

from core.dialogs.engine import AnswerValue
from core.dialogs.scales import NUMERIC_SCALES
from core.dialogs.schema import Dialogue, Question

WHO5_ITEMS = 5
# The WHO-5's published cut-offs: at most 50 suggests poor well-being, at most 28 is very low
# (the WHO-5 guide's sign that a talk about depression is worth having).
WHO5_VERY_LOW, WHO5_LOW = 28, 50
Who5Band = Literal["very_low", "low", "good"]


@dataclass(frozen=True)
class Outcome:
    score: float | None = None  # the mean, or the WHO-5 index 0–100
    raw: int | None = None  # WHO-5 raw sum 0–25
    strong: list[Question] = field(default_factory=list)
    support: list[Question] = field(default_factory=list)
    better: list[Question] = field(default_factory=list)
    worse: list[Question] = field(default_factory=list)
    offer: Literal["coach", "safety"] | None = None
    message: str | None = None  # the rule's msgid
    services: list[str] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)


def numeric_answers(dialogue: Dialogue, answers: dict[str, AnswerValue]) -> dict[str, int]:
    """The answered numeric questions, by id (skipped ones left out)."""
    return {
        q.id: value
        for q in dialogue.questions
        if dialogue.scale_of(q) in NUMERIC_SCALES and isinstance(value := answers.get(q.id), int)
    }


def who5_index(raw_sum: int) -> int:
    """The WHO-5 percentage score: raw 0–25 multiplied by 4."""
    return raw_sum * 4


def who5_band(index: float) -> Who5Band:
    """Where a WHO-5 index (0–100) falls by the published cut-offs, for the coach's eyes."""
    if index <= WHO5_VERY_LOW:
        return "very_low"
    return "low" if index <= WHO5_LOW else "good"


def score(dialogue: Dialogue, answers: dict[str, AnswerValue]) -> tuple[float | None, int | None]:
    """(score, raw): the mean of answered items, or the WHO-5 index when all five are answered."""
    values = numeric_answers(dialogue, answers)
    if dialogue.scoring == "who5":
        if len(values) < WHO5_ITEMS:
            return None, None
        raw = sum(values.values())
        return float(who5_index(raw)), raw
    if dialogue.scoring == "mean" and values:
        return round(mean(values.values()), 1), None
    return None, None


def highest_possible(dialogue: Dialogue, answers: dict[str, AnswerValue]) -> float | None:
    """For WHO-5 with skipped items: the best score the answers still allow (skipped = 5).

    Skipping one question must not hide a score that is already certain to be low.
    """
    if dialogue.scoring != "who5":
        return None
    values = numeric_answers(dialogue, answers)
    if not values:
        return None
    missing = WHO5_ITEMS - len(values)
    return float(who5_index(sum(values.values()) + 5 * missing))


def _meaningful_change(dialogue: Dialogue, question: Question) -> float:
    scale = NUMERIC_SCALES[dialogue.scale_of(question)]
    return max(1.0, 0.15 * (scale.high - scale.low))


def outcome(
    dialogue: Dialogue,
    answers: dict[str, AnswerValue],
    previous: dict[str, AnswerValue] | None = None,
) -> Outcome:
    """Everything the summary says about one finished run, compared with the previous one."""
    values = numeric_answers(dialogue, answers)
    earlier = numeric_answers(dialogue, previous or {})
    by_id = {q.id: q for q in dialogue.questions}
    strong = [
        by_id[i]
        for i, v in values.items()
        if dialogue.high_at is not None and v >= dialogue.high_at
    ]
    support = [
        by_id[i] for i, v in values.items() if dialogue.low_at is not None and v <= dialogue.low_at
    ]
    better, worse = [], []
    for question_id, value in values.items():
        if question_id in earlier:
            delta = value - earlier[question_id]
            threshold = _meaningful_change(dialogue, by_id[question_id])
            if delta >= threshold:
                better.append(by_id[question_id])
            elif delta <= -threshold:
                worse.append(by_id[question_id])
    total, raw = score(dialogue, answers)
    offer: Literal["coach", "safety"] | None = None
    message = None
    at_most = total if total is not None else highest_possible(dialogue, answers)
    if at_most is not None:
        triggered = [rule for rule in dialogue.rules if at_most <= rule.score_at_most]
        # The most serious offer wins: the safety flow before a talk with the coach.
        triggered.sort(key=lambda rule: (rule.offer != "safety", rule.score_at_most))
        if triggered:
            offer, message = triggered[0].offer, triggered[0].message
    services = list(dict.fromkeys(s for q in support for s in q.services))
    tips = [q.tip for q in support if q.tip]
    return Outcome(total, raw, strong, support, better, worse, offer, message, services, tips)
