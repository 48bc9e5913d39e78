"""Coach accounts: creation and password checks with argon2."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from core.models import Coach, Role
from core.services.audit import do_audit

_hasher = PasswordHasher()
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


class CoachError(ValueError):
    """A coach account could not be made as asked; the message says why."""


def check_new_coach(*, login: str, display_name: str, password: str) -> None:
    """Raise CoachError when the login, the name or the password would not do."""
    if not LOGIN_PATTERN.match(login):
        raise CoachError("login: 2-64 characters, lowercase letters, digits, '.', '_' or '-'")
    if not display_name.strip():
        raise CoachError("display name: young people see it, so it cannot be empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CoachError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


def do_add_coach(
    session: Session,
    *,
    login: str,
    display_name: str,
    password: str,
    role: Role = Role.COACH,
) -> Coach:
    """Create a coach with an argon2-hashed password."""
    check_new_coach(login=login, display_name=display_name, password=password)
    if session.exec(select(Coach).where(Coach.login == login)).first() is not None:
        raise CoachError(f"login {login!r} is taken")
    coach = Coach(
        login=login,
        display_name=display_name.strip(),
        password_hash=_hasher.hash(password),
        role=role,
    )
    session.add(coach)
    session.flush()
    do_audit(session, actor="system", action="coach.create", coach_id=coach.id, detail=role)
    return coach


def check_password(coach: Coach, password: str) -> bool:
    """True when the password matches the coach's argon2 hash."""
    try:
        return _hasher.verify(coach.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def access_coach_by_login(session: Session, *, login: str) -> Coach | None:
    """The active coach with this login, or None."""
    return session.exec(select(Coach).where(Coach.login == login, Coach.active)).first()
