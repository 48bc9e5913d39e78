"""Gentle re-assessment nudges: who finished a dialogue long enough ago to be asked again.

The nudge job only queues: it claims each due run with a compare-and-set on `nudged_at` and
writes an outbox row (kind "nudge") in the same transaction, so two processes running the job
nudge once. The dispatcher renders and sends it like every other message.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from core.models import Assessment, AssessmentStatus, Consent, Youth, YouthStatus, row_id
from core.scheduling import next_allowed
from core.services.assessments import OPEN
from core.services.outbox import KIND_NUDGE, do_enqueue


def _newer_or_open(session: Session, *, youth_id: int, run: Assessment) -> bool:
    """True when a later run of the same dialogue, or any unfinished run, makes the nudge moot."""
    found = session.exec(
        select(Assessment.id).where(
            Assessment.youth_id == youth_id,
            col(Assessment.id) > run.id,
            or_(col(Assessment.dialogue_id) == run.dialogue_id, col(Assessment.status).in_(OPEN)),
            Assessment.status != AssessmentStatus.ABANDONED,
        )
    ).first()
    return found is not None


def _may_be_nudged(youth: Youth) -> bool:
    return (
        youth.status == YouthStatus.ACTIVE
        and youth.consent == Consent.GIVEN
        and youth.talk_opened_at is None
    )


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
    return [
        (youth, run)
        for youth, run in candidates
        if not _newer_or_open(session, youth_id=row_id(youth), run=run)
    ]


def do_claim_nudge(session: Session, *, assessment_id: int, now: datetime) -> bool:
    """Mark a run nudged unless someone else already did (compare-and-set); True if ours."""
    won = session.execute(
        update(Assessment)
        .where(col(Assessment.id) == assessment_id, col(Assessment.nudged_at).is_(None))
        .values(nudged_at=now)
    )
    return bool(won.rowcount)  # type: ignore[attr-defined]


def do_release_nudge(session: Session, *, assessment_id: int) -> None:
    """Forget a nudge that was not sent, so the job may offer it again when it fits."""
    session.execute(
        update(Assessment).where(col(Assessment.id) == assessment_id).values(nudged_at=None)
    )


def do_queue_due_nudges(
    session: Session,
    *,
    now: datetime,
    after: timedelta,
    dialogue_ids: Collection[str],
    tz: ZoneInfo,
) -> int:
    """Queue a nudge for every due run this caller wins; returns how many were queued."""
    queued = 0
    for youth, run in due_reassessments(session, now=now, after=after, dialogue_ids=dialogue_ids):
        if not do_claim_nudge(session, assessment_id=row_id(run), now=now):
            continue  # another process nudged about it a moment ago
        do_enqueue(
            session,
            youth=youth,
            kind=KIND_NUDGE,
            due_at=next_allowed(now, tz),
            payload={"assessment_id": row_id(run), "dialogue_id": run.dialogue_id},
        )
        queued += 1
    return queued


def nudge_still_fits(session: Session, *, youth: Youth, assessment: Assessment | None) -> bool:
    """At sending time: is the nudge still right (no talk opened, no newer or open run)?"""
    return (
        assessment is not None
        and assessment.status == AssessmentStatus.FINISHED
        and _may_be_nudged(youth)
        and not _newer_or_open(session, youth_id=row_id(youth), run=assessment)
    )
