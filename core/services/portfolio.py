"""The portfolio (opintokirja): entries made from the follow-up after a trial day."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.models import Appointment, Coach, PortfolioEntry, Youth, row_id
from core.services.audit import do_audit

ACTIVITIES = ("watched", "tried", "talked", "learned")
CONTINUE_CHOICES = ("yes", "maybe", "no")


def do_rate(
    session: Session, *, youth: Youth, appointment: Appointment, rating: int
) -> PortfolioEntry:
    """Start (or update) the entry for an appointment with the young person's rating 1–5."""
    entry = session.exec(
        select(PortfolioEntry).where(
            PortfolioEntry.youth_id == youth.id, PortfolioEntry.appointment_id == appointment.id
        )
    ).first()
    if entry is None:
        entry = PortfolioEntry(
            youth_id=row_id(youth),
            appointment_id=appointment.id,
            happened_at=appointment.starts_at,
            place=appointment.place,
            field=appointment.title,
        )
    entry.rating = max(1, min(5, rating))
    session.add(entry)
    session.flush()
    return entry


def draft_of(session: Session, *, youth: Youth) -> PortfolioEntry | None:
    """The young person's unfinished entry, if any (the newest)."""
    return session.exec(
        select(PortfolioEntry)
        .where(PortfolioEntry.youth_id == youth.id, col(PortfolioEntry.saved).is_(False))
        .order_by(col(PortfolioEntry.id).desc())
    ).first()


def do_toggle_activity(session: Session, *, entry: PortfolioEntry, activity: str) -> None:
    if activity in ACTIVITIES:
        chosen = list(entry.activities)
        entry.activities = (
            [a for a in chosen if a != activity] if activity in chosen else [*chosen, activity]
        )
        session.add(entry)


def do_add_words(session: Session, *, entry: PortfolioEntry, text: str) -> None:
    """Keep what the young person wrote about the day (several messages are joined)."""
    entry.words = f"{entry.words}\n{text}" if entry.words else text
    session.add(entry)


def do_save(session: Session, *, entry: PortfolioEntry, wants_to_continue: str) -> None:
    entry.wants_to_continue = wants_to_continue if wants_to_continue in CONTINUE_CHOICES else None
    entry.saved = True
    session.add(entry)
    do_audit(
        session,
        actor="youth",
        action="portfolio.save",
        youth_id=entry.youth_id,
        detail=str(entry.id),
    )


def entries(session: Session, *, youth_id: int) -> list[PortfolioEntry]:
    """Saved entries, newest first."""
    return list(
        session.exec(
            select(PortfolioEntry)
            .where(PortfolioEntry.youth_id == youth_id, col(PortfolioEntry.saved).is_(True))
            .order_by(col(PortfolioEntry.happened_at).desc())
        ).all()
    )


def access_entry_by_id(session: Session, *, youth: Youth, entry_id: int) -> PortfolioEntry | None:
    """A saved entry of this young person, or None (another's entry, a draft, or no such id)."""
    entry = session.get(PortfolioEntry, entry_id)
    if entry is None or entry.youth_id != youth.id or not entry.saved:
        return None
    return entry


def do_confirm_entry(
    session: Session, *, coach: Coach, entry: PortfolioEntry, now: datetime
) -> None:
    """The coach confirms the entry (the first confirmation stays)."""
    if entry.confirmed_at is not None:
        return
    entry.confirmed_by_coach_id = coach.id
    entry.confirmed_at = now
    session.add(entry)
    do_audit(
        session,
        actor="coach",
        action="portfolio.confirm",
        coach_id=coach.id,
        youth_id=entry.youth_id,
        detail=str(entry.id),
    )
