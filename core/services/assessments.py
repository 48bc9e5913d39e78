"""Self-assessment runs: start, answer (state saved after every answer), finish, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from core.dialogs.engine import (
    Answer,
    AnswerValue,
    Finished,
    Paused,
    Screen,
    State,
    start,
    step,
)
from core.dialogs.schema import Dialogue
from core.dialogs.scoring import WHO5_LOW, Outcome, outcome, score
from core.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    Youth,
    row_id,
    utcnow,
)

OPEN = (AssessmentStatus.IN_PROGRESS, AssessmentStatus.PAUSED)
# The initial mapping's question about age, and its answer for a minor.
AGE_QUESTION, UNDER_18 = "age", "under_18"
# A mild crisis signal within this long after a WHO-5 at most this low gets a check-in.
WHO5, LOW_WELLBEING_SCORE, LOW_WELLBEING_DAYS = "who5", WHO5_LOW, timedelta(days=14)


def access_open_assessment(session: Session, *, youth: Youth) -> Assessment | None:
    """The young person's unfinished run, if any (the newest)."""
    return session.exec(
        select(Assessment)
        .where(Assessment.youth_id == youth.id, col(Assessment.status).in_(OPEN))
        .order_by(col(Assessment.id).desc())
    ).first()


def do_start_assessment(
    session: Session, *, youth: Youth, dialogue: Dialogue
) -> tuple[Assessment, Screen]:
    """Begin a run; an unfinished earlier run is set aside as abandoned (its answers stay)."""
    for earlier in session.exec(
        select(Assessment).where(Assessment.youth_id == youth.id, col(Assessment.status).in_(OPEN))
    ):
        earlier.status = AssessmentStatus.ABANDONED
        session.add(earlier)
    state, screen = start(dialogue)
    assessment = Assessment(
        youth_id=row_id(youth),
        dialogue_id=dialogue.id,
        dialogue_version=dialogue.version,
        state=state.to_json(),
    )
    session.add(assessment)
    session.flush()
    return assessment, screen


def do_answer(
    session: Session, *, assessment: Assessment, dialogue: Dialogue, answer: Answer
) -> Screen:
    """Apply one answer, store the new state and the answers, and finish when done."""
    before = State.from_json(assessment.state)
    state, screen = step(dialogue, before, answer)
    assessment.state = state.to_json()
    assessment.updated_at = utcnow()
    if state.answers != before.answers:
        _store_answers(session, assessment=assessment, dialogue=dialogue, state=state)
    if isinstance(screen, Finished):
        assessment.status = AssessmentStatus.FINISHED
        assessment.finished_at = utcnow()
        assessment.score = score(dialogue, state.answers)[0]
        _note_age(session, assessment=assessment, answers=state.answers)
    elif isinstance(screen, Paused):
        assessment.status = AssessmentStatus.PAUSED
    else:
        assessment.status = AssessmentStatus.IN_PROGRESS
    session.add(assessment)
    return screen


def _note_age(session: Session, *, assessment: Assessment, answers: dict[str, Any]) -> None:
    """The initial mapping's age answer says whether the young person is under 18 (an abuse
    alert about a minor reminds the coach of the child-welfare notification)."""
    age = answers.get(AGE_QUESTION)
    if age is None:
        return
    youth = session.get(Youth, assessment.youth_id)
    if youth is not None:
        youth.under_18 = age == UNDER_18
        session.add(youth)


def _store_answers(
    session: Session, *, assessment: Assessment, dialogue: Dialogue, state: State
) -> None:
    """Rewrite this run's answer rows from the state (Back can change an earlier answer)."""
    assessment_id = row_id(assessment)
    session.execute(
        delete(AssessmentAnswer).where(col(AssessmentAnswer.assessment_id) == assessment_id)
    )
    for question in dialogue.questions:
        if question.id not in state.answers:
            continue
        value = state.answers[question.id]
        session.add(
            AssessmentAnswer(
                assessment_id=assessment_id,
                youth_id=assessment.youth_id,
                dialogue_id=dialogue.id,
                dialogue_version=dialogue.version,
                question_id=question.id,
                area=question.area,
                value=value if isinstance(value, int) else None,
                choices=value
                if isinstance(value, list)
                else ([value] if isinstance(value, str) else None),
                skipped=value is None,
            )
        )


def finished_runs(session: Session, *, youth_id: int, dialogue_id: str) -> list[Assessment]:
    """The young person's finished runs of one dialogue, oldest first."""
    return list(
        session.exec(
            select(Assessment)
            .where(
                Assessment.youth_id == youth_id,
                Assessment.dialogue_id == dialogue_id,
                Assessment.status == AssessmentStatus.FINISHED,
            )
            .order_by(col(Assessment.finished_at), col(Assessment.id))
        ).all()
    )


def answers_of(assessment: Assessment) -> dict[str, AnswerValue]:
    """The answers a run's stored state holds."""
    return State.from_json(assessment.state).answers


def outcome_of(session: Session, *, assessment: Assessment, dialogue: Dialogue) -> Outcome:
    """The outcome of a finished run, compared with the run before it."""
    runs = finished_runs(session, youth_id=assessment.youth_id, dialogue_id=dialogue.id)
    earlier = [r for r in runs if r.id != assessment.id and (r.id or 0) < (assessment.id or 0)]
    previous = answers_of(earlier[-1]) if earlier else None
    return outcome(dialogue, answers_of(assessment), previous)


@dataclass(frozen=True)
class AreaAnswer:
    question_id: str
    area: str
    value: int | None
    choices: list[str] | None
    skipped: bool


@dataclass(frozen=True)
class RunSummary:
    assessment_id: int
    dialogue_version: int
    finished_at: datetime | None
    score: float | None
    answers: list[AreaAnswer]


def history(session: Session, *, youth_id: int, dialogue_id: str) -> list[RunSummary]:
    """For the coach: every finished run of one dialogue with its answers, oldest first."""
    return histories(session, youth_id=youth_id, dialogue_id=dialogue_id).get(dialogue_id, [])


def histories(
    session: Session, *, youth_id: int, dialogue_id: str | None = None
) -> dict[str, list[RunSummary]]:
    """For the coach: the finished runs with their answers, by dialogue id, oldest first
    (one dialogue, or all of them) — two queries however many runs there are.

    Built from the stored answer rows (with their own version and area), so runs of an older
    version of a dialogue stay readable after the file changes.
    """
    query = select(Assessment).where(
        Assessment.youth_id == youth_id, Assessment.status == AssessmentStatus.FINISHED
    )
    if dialogue_id is not None:
        query = query.where(Assessment.dialogue_id == dialogue_id)
    runs = session.exec(query.order_by(col(Assessment.finished_at), col(Assessment.id))).all()
    answers: dict[int, list[AreaAnswer]] = {}
    if runs:
        rows = session.exec(
            select(AssessmentAnswer)
            .where(col(AssessmentAnswer.assessment_id).in_([row_id(run) for run in runs]))
            .order_by(col(AssessmentAnswer.id))
        ).all()
        for r in rows:
            answers.setdefault(r.assessment_id, []).append(
                AreaAnswer(r.question_id, r.area, r.value, r.choices, r.skipped)
            )
    found: dict[str, list[RunSummary]] = {}
    for run in runs:
        found.setdefault(run.dialogue_id, []).append(
            RunSummary(
                assessment_id=row_id(run),
                dialogue_version=run.dialogue_version,
                finished_at=run.finished_at,
                score=run.score,
                answers=answers.get(row_id(run), []),
            )
        )
    return found


def recently_low_wellbeing(session: Session, *, youth_id: int, now: datetime) -> bool:
    """Whether the young person's latest WHO-5 in the last LOW_WELLBEING_DAYS scored at most
    LOW_WELLBEING_SCORE (below 50 the WHO-5 suggests poor wellbeing)."""
    latest = session.exec(
        select(Assessment)
        .where(
            Assessment.youth_id == youth_id,
            Assessment.dialogue_id == WHO5,
            Assessment.status == AssessmentStatus.FINISHED,
            col(Assessment.finished_at) >= now - LOW_WELLBEING_DAYS,
        )
        .order_by(col(Assessment.finished_at).desc())
    ).first()
    return latest is not None and latest.score is not None and latest.score <= LOW_WELLBEING_SCORE
