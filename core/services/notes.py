"""Coaches' notes about a young person: read by the coaches who may see them, kept as the
young person's personal data (in /mydata, erased by /delete)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.models import Coach, CoachNote, Youth
from core.services.audit import do_audit

NOTE_LIMIT = 2000


class NoteError(ValueError):
    """A note that cannot be kept: empty or too long (the code names which)."""


def do_add_note(
    session: Session, *, coach: Coach, youth: Youth, text: str, now: datetime
) -> CoachNote:
    """Keep a note written by a coach who may see the young person (the route checked)."""
    text = text.strip()
    if not text:
        raise NoteError("empty")
    if len(text) > NOTE_LIMIT:
        raise NoteError("too_long")
    note = CoachNote(youth_id=youth.id or 0, coach_id=coach.id, text=text, created_at=now)
    session.add(note)
    do_audit(session, actor="coach", action="note.add", coach_id=coach.id, youth_id=youth.id)
    return note


def do_delete_note(session: Session, *, coach: Coach, youth: Youth, note_id: int) -> bool:
    """Delete a note: only its writer may (False when it is not theirs or not this youth's)."""
    note = session.get(CoachNote, note_id)
    if note is None or note.youth_id != youth.id or note.coach_id != coach.id:
        return False
    session.delete(note)
    do_audit(session, actor="coach", action="note.delete", coach_id=coach.id, youth_id=youth.id)
    return True


def notes_of(session: Session, *, youth_id: int) -> list[CoachNote]:
    """The young person's notes, newest first."""
    return list(
        session.exec(
            select(CoachNote)
            .where(CoachNote.youth_id == youth_id)
            .order_by(col(CoachNote.id).desc())
        ).all()
    )
