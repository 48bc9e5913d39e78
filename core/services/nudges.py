"""Gentle re-assessment nudges: who finished a dialogue long enough ago to be asked again."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from core.models import Assessment, AssessmentStatus, Consent, Youth, YouthStatus
from core.services.assessments import OPEN


def due_reassessments(
    session: Session, *, now: datetime, after: timedelta, dialogue_ids: Collection[str]
) -> list[tuple[Youth, Assessment]]:
    """(young person, their latest finished run) for runs older than `after` never nudged about.

    Only reachable young people who consented, are not talking with a coach just now and have
    no unfinished run are asked, and only once per finished run.
    """
    candidates = session.exec(
        select(Youth, Assessment)
        .join(Assessment, col(Assessment.youth_id) == col(Youth.id))
        .where(
            Assessment.status == AssessmentStatus.FINISHED,
            col(Assessment.dialogue_id).in_(list(dialogue_ids)),
            col(Assessment.finished_at) <= now - after,
            col(Assessment.nudged_at).is_(None),
            Youth.status == YouthStatus.ACTIVE,
            Youth.consent == Consent.GIVEN,
            col(Youth.talk_opened_at).is_(None),
        )
        .order_by(col(Assessment.id))
    ).all()
    due = []
    for youth, run in candidates:
        newer_or_open = session.exec(
            select(Assessment.id).where(
                Assessment.youth_id == youth.id,
                col(Assessment.id) > run.id,
                or_(
                    col(Assessment.dialogue_id) == run.dialogue_id, col(Assessment.status).in_(OPEN)
                ),
                Assessment.status != AssessmentStatus.ABANDONED,
            )
        ).first()
        if newer_or_open is None:
            due.append((youth, run))
    return due


def do_mark_nudged(session: Session, *, assessment: Assessment, now: datetime) -> None:
    """Remember the nudge, so it is sent once."""
    assessment.nudged_at = now
    session.add(assessment)
