"""Coach accounts: creation, password checks with argon2, and the admin's changes to them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from core.models import Coach, Role, Youth
from core.office_hours import check_hours
from core.services.audit import coach_ref, do_audit
from core.services.sign_in_limits import do_unlock_login

_hasher = PasswordHasher()
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS = Path(__file__).resolve().parent / "common_passwords.txt"


class CoachError(ValueError):
    """A coach account could not be made as asked; the message says why."""


def check_new_coach(
    *, login: str, display_name: str, password: str, role: str = Role.COACH
) -> None:
    """Raise CoachError when the login, the name or the password would not do."""
    if not LOGIN_PATTERN.match(login):
        raise CoachError("login: 2-64 characters, lowercase letters, digits, '.', '_' or '-'")
    if not display_name.strip():
        raise CoachError("display name: young people see it, so it cannot be empty")
    check_password_rule(password, login=login)
    if role not in {r.value for r in Role}:
        raise CoachError("role: coach or admin")


def check_password_rule(password: str, *, login: str = "") -> None:
    """Raise CoachError when a new password would be easy to guess: too short, one of the
    commonly used ones, the login itself or built from it, or a single character repeated."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CoachError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    plain = password.lower()
    if plain in common_passwords() or len(set(plain)) <= 2:
        raise CoachError("password: this one is too common or too easy to guess")
    if login and login.lower() in plain:
        raise CoachError("password: it must not contain the login")


def do_add_coach(
    session: Session,
    *,
    login: str,
    display_name: str,
    password: str,
    role: Role = Role.COACH,
    by: Coach | None = None,
) -> Coach:
    """Create a coach with an argon2-hashed password; `by` is the admin who did it, if any."""
    check_new_coach(login=login, display_name=display_name, password=password, role=role)
    if session.exec(select(Coach).where(Coach.login == login)).first() is not None:
        raise CoachError(f"login {login!r} is taken")
    coach = Coach(
        login=login,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=role,
    )
    session.add(coach)
    session.flush()
    if by is None:
        do_audit(session, actor="system", action="coach.create", coach_id=coach.id, detail=role)
    else:
        detail = f"{coach_ref(coach.id)}, {role}"
        do_audit(session, actor="coach", action="coach.create", coach_id=by.id, detail=detail)
    return coach


def _end_sessions(session: Session, *, coach: Coach) -> None:
    # panel_sessions imports this module for the password checks, so import it here.
    from core.services.panel_sessions import do_end_sessions

    do_end_sessions(session, coach=coach)


def do_set_on_call(session: Session, *, by: Coach, coach: Coach, on_call: bool) -> None:
    """Put a coach on call (in the first ring of every urgent alert) or take them off."""
    coach.on_call = on_call
    session.add(coach)
    do_audit(
        session,
        actor="coach",
        action="coach.on_call" if on_call else "coach.off_call",
        coach_id=by.id,
        detail=coach_ref(coach.id),
    )


def do_deactivate_coach(session: Session, *, by: Coach, coach: Coach) -> None:
    """Close a coach's account and sign them out everywhere; their young people stay linked
    to them until an admin reassigns them. An admin cannot close their own account."""
    if coach.id == by.id:
        raise CoachError("you cannot deactivate your own account")
    if not coach.active:
        return
    coach.active = False
    session.add(coach)
    _end_sessions(session, coach=coach)
    do_audit(
        session,
        actor="coach",
        action="coach.deactivate",
        coach_id=by.id,
        detail=coach_ref(coach.id),
    )


def do_reactivate_coach(session: Session, *, by: Coach, coach: Coach) -> None:
    """Open a closed account again: the coach signs in with the password they had (a lockout
    is lifted). Young people still linked to them are theirs again; anyone an admin gave to
    another coach meanwhile stays with that coach."""
    if coach.active:
        return
    do_unlock_login(session, login=coach.login)
    coach.active = True
    session.add(coach)
    do_audit(
        session,
        actor="coach",
        action="coach.reactivate",
        coach_id=by.id,
        detail=coach_ref(coach.id),
    )


def do_reset_password(session: Session, *, by: Coach, coach: Coach, password: str) -> None:
    """Give a coach a new password (and lift a lockout); every open session of theirs ends."""
    check_password_rule(password, login=coach.login)
    do_unlock_login(session, login=coach.login)  # first: a sign-in may hold these rows
    coach.password_hash = hash_password(password)
    session.add(coach)
    _end_sessions(session, coach=coach)
    do_audit(
        session,
        actor="coach",
        action="coach.password_reset",
        coach_id=by.id,
        detail=coach_ref(coach.id),
    )


def do_set_office_hours(
    session: Session, *, by: Coach, coach: Coach, days: list[int], start: str, end: str
) -> dict[str, Any]:
    """Store a coach's office hours (raises OfficeHoursError when they would not do)."""
    hours = check_hours(days=days, start=start, end=end)
    coach.office_hours = hours
    session.add(coach)
    days_text = ",".join(str(d) for d in hours["days"])
    do_audit(
        session,
        actor="coach",
        action="coach.office_hours",
        coach_id=by.id,
        detail=f"{coach_ref(coach.id)}: days {days_text} {hours['start']}-{hours['end']}",
    )
    return hours


def hash_password(password: str) -> str:
    """The argon2 hash stored for a password (never the password itself)."""
    return _hasher.hash(password)


def check_password(coach: Coach, password: str) -> bool:
    """True when the password matches the coach's argon2 hash."""
    try:
        return _hasher.verify(coach.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def access_coach_by_login(session: Session, *, login: str) -> Coach | None:
    """The active coach with this login, or None."""
    return session.exec(select(Coach).where(Coach.login == login, Coach.active)).first()


@cache
def common_passwords() -> frozenset[str]:
    """Passwords of ten characters or more that appear high in public leak lists (lower case)."""
    lines = COMMON_PASSWORDS.read_text("utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


@dataclass(frozen=True)
class CoachOverview:
    """Every account for the admin's page: active first, how many young people each has,
    and who is still linked to a deactivated coach (waiting to be given to someone else)."""

    coaches: list[Coach]
    counts: dict[int, int]
    stranded: dict[int, list[Youth]]


def coach_overview(session: Session) -> CoachOverview:
    """The coaches page's data in three queries, however many coaches there are."""
    coaches = list(
        session.exec(select(Coach).order_by(col(Coach.active).desc(), col(Coach.display_name)))
    )
    counts: dict[int, int] = dict(
        session.exec(  # type: ignore[arg-type]
            select(Youth.coach_id, func.count())
            .where(col(Youth.coach_id).is_not(None))
            .group_by(col(Youth.coach_id))
        ).all()
    )
    inactive = [c.id for c in coaches if not c.active and counts.get(c.id or 0)]
    stranded: dict[int, list[Youth]] = {}
    if inactive:
        linked = select(Youth).where(col(Youth.coach_id).in_(inactive)).order_by(col(Youth.id))
        for youth in session.exec(linked):
            stranded.setdefault(youth.coach_id or 0, []).append(youth)
    return CoachOverview(coaches=coaches, counts=counts, stranded=stranded)


def youth_of(session: Session, *, coach: Coach) -> list[Youth]:
    """The young people linked to this coach (what deactivating them leaves waiting)."""
    return list(
        session.exec(select(Youth).where(Youth.coach_id == coach.id).order_by(col(Youth.id)))
    )


def all_coaches(session: Session) -> list[Coach]:
    """Every account by name (the audit trail's filter and the names in its sentences)."""
    return list(session.exec(select(Coach).order_by(col(Coach.display_name))))
