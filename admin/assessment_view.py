"""What the coach reads of a young person's self-assessments: every run's answers in words, and
for the scored area dialogues each area's first, latest and every value in between.

Pure functions from the stored runs (core.services.assessments.histories) and the dialogue
files to plain rows for the template and the charts; nothing here touches the database. Words
come from the catalogs (question texts, option labels, areas), never ids.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal

from core.dialogs.loader import load_dialogues
from core.dialogs.scales import NUMERIC_SCALES, Scale
from core.dialogs.schema import Dialogue, Question
from core.dialogs.scoring import WHO5_LOW, WHO5_VERY_LOW, Who5Band, who5_band
from core.services.assessments import AreaAnswer, RunSummary

# How the page shows a dialogue: areas (radar, table of areas), a score over time (WHO-5), or a
# profile (the initial mapping: answers in words, no score).
Kind = Literal["areas", "score", "profile"]
KIND_ORDER: dict[Kind, int] = {"profile": 0, "score": 1, "areas": 2}
LEVELS = 10  # a value's height in the little trend bars: 0–10, one CSS class each
WHO5_MARKS = (WHO5_VERY_LOW, WHO5_LOW)


@cache
def known_dialogues() -> dict[str, Dialogue]:
    """The dialogue files, read once (they were validated at start-up)."""
    return load_dialogues()


@dataclass(frozen=True)
class AnswerLine:
    """One question and its answer in words."""

    question: str
    answer: str
    skipped: bool


@dataclass(frozen=True)
class RunView:
    assessment_id: int
    finished_at: datetime
    score: float | None
    band: Who5Band | None
    lines: list[AnswerLine]


@dataclass(frozen=True)
class Point:
    """One run's value of an area, and its height (0–LEVELS) in the trend bars."""

    value: int | None
    level: int | None


@dataclass(frozen=True)
class AreaRow:
    area: str
    points: list[Point]  # one per run, oldest first

    @property
    def first(self) -> int | None:
        return self.points[0].value

    @property
    def latest(self) -> int | None:
        return self.points[-1].value

    @property
    def change(self) -> int | None:
        """Latest minus first, when both were answered and there are two runs."""
        if len(self.points) < 2 or self.first is None or self.latest is None:
            return None
        return self.latest - self.first


@dataclass(frozen=True)
class DialogueView:
    dialogue_id: str
    title: str
    kind: Kind
    low: float
    high: float
    runs: list[RunView]  # oldest first
    areas: list[AreaRow]
    marks: tuple[float, ...]  # cut-offs on the score chart (WHO-5: 28 and 50)

    @property
    def first(self) -> RunView:
        return self.runs[0]

    @property
    def latest(self) -> RunView:
        return self.runs[-1]

    @property
    def newest_first(self) -> list[RunView]:
        return self.runs[::-1]


def kind_of(dialogue: Dialogue | None) -> Kind:
    if dialogue is None or dialogue.scoring == "none":
        return "profile"
    return "areas" if dialogue.chart == "radar" else "score"


def score_range(dialogue: Dialogue | None) -> tuple[float, float]:
    """The score axis: WHO-5 runs 0–100, a mean and an area along the dialogue's scale."""
    if dialogue is not None and dialogue.scoring == "who5":
        return 0, 100
    scale = _scale_of(dialogue, None)
    return (scale.low, scale.high) if scale is not None else (0, 10)


def dialogue_views(
    runs_by_dialogue: Mapping[str, list[RunSummary]],
    known: Mapping[str, Dialogue],
    t: gettext.NullTranslations,
) -> list[DialogueView]:
    """Every dialogue the young person finished: the profile first, then WHO-5, then areas."""
    views = [
        dialogue_view(dialogue_id, runs, known.get(dialogue_id), t)
        for dialogue_id, runs in runs_by_dialogue.items()
        if any(run.finished_at is not None for run in runs)
    ]
    return sorted(views, key=lambda v: (KIND_ORDER[v.kind], v.title))


def dialogue_view(
    dialogue_id: str, runs: list[RunSummary], dialogue: Dialogue | None, t: gettext.NullTranslations
) -> DialogueView:
    """One dialogue's finished runs for the page (runs of an older version keep their rows)."""
    _ = t.gettext
    finished = [run for run in runs if run.finished_at is not None]
    questions = {q.id: q for q in dialogue.questions} if dialogue else {}
    order = _question_order(dialogue, finished)
    low, high = score_range(dialogue)
    views = []
    for run in runs:
        if run.finished_at is None:
            continue
        by_id = {a.question_id: a for a in run.answers}
        lines = [
            _line(dialogue, questions.get(qid), by_id[qid], t) for qid in order if qid in by_id
        ]
        band = (
            who5_band(run.score)
            if dialogue is not None and dialogue.scoring == "who5" and run.score is not None
            else None
        )
        views.append(RunView(run.assessment_id, run.finished_at, run.score, band, lines))
    kind = kind_of(dialogue)
    areas = _areas(dialogue, questions, order, finished, t) if kind == "areas" else []
    title = _(dialogue.title) if dialogue else dialogue_id
    marks = WHO5_MARKS if dialogue is not None and dialogue.scoring == "who5" else ()
    return DialogueView(dialogue_id, title, kind, low, high, views, areas, marks)


def _question_order(dialogue: Dialogue | None, runs: list[RunSummary]) -> list[str]:
    """The dialogue's questions in its order, then any only older versions had."""
    order = [q.id for q in dialogue.questions] if dialogue else []
    for run in runs:
        order += [a.question_id for a in run.answers if a.question_id not in order]
    return order


def _areas(
    dialogue: Dialogue | None,
    questions: Mapping[str, Question],
    order: list[str],
    runs: list[RunSummary],
    t: gettext.NullTranslations,
) -> list[AreaRow]:
    """Each area's value in every run (None: skipped, or not asked in that version)."""
    stored_area = {a.question_id: a.area for run in runs for a in run.answers}
    rows = []
    for qid in order:
        scale = _scale_of(dialogue, questions.get(qid))
        if scale is None:
            continue
        points = []
        for run in runs:
            answer = next((a for a in run.answers if a.question_id == qid), None)
            value = answer.value if answer is not None and not answer.skipped else None
            points.append(Point(value, _level(value, scale)))
        if any(p.value is not None for p in points) or qid in questions:
            area = questions[qid].area if qid in questions else stored_area.get(qid, qid)
            rows.append(AreaRow(t.gettext(area), points))
    return rows


def _level(value: int | None, scale: Scale) -> int | None:
    if value is None:
        return None
    return round(LEVELS * (value - scale.low) / ((scale.high - scale.low) or 1))


def _scale_of(dialogue: Dialogue | None, question: Question | None) -> Scale | None:
    if dialogue is None:
        return None
    name = dialogue.scale_of(question) if question is not None else dialogue.scale or ""
    return NUMERIC_SCALES.get(name)


def _line(
    dialogue: Dialogue | None,
    question: Question | None,
    answer: AreaAnswer,
    t: gettext.NullTranslations,
) -> AnswerLine:
    """The question as the young person read it, and their answer as they tapped it."""
    _ = t.gettext
    asked = _(question.text) if question is not None else _(answer.area)
    if answer.skipped:
        return AnswerLine(asked, _("skipped"), True)
    return AnswerLine(asked, _answer_words(dialogue, question, answer, t), False)


def _answer_words(
    dialogue: Dialogue | None,
    question: Question | None,
    answer: AreaAnswer,
    t: gettext.NullTranslations,
) -> str:
    _ = t.gettext
    if answer.value is not None:
        scale = _scale_of(dialogue, question)
        option = (
            next((o for o in scale.options if o.value == answer.value), None) if scale else None
        )
        if option is not None and option.translate:
            return f"{_(option.label)} ({answer.value})"
        return f"{answer.value} / {scale.high}" if scale is not None else str(answer.value)
    labels = {o.value: o.label for o in question.options} if question is not None else {}
    # A value the dialogue no longer offers (or a typed text) is shown as it was stored.
    words = [_(labels[c]) if c in labels else c for c in answer.choices or []]
    return ", ".join(words) if words else _("nothing chosen")
