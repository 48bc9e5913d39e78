"""Signing in to the panel: argon2 passwords, lockout after repeated failures, sessions.

The browser holds a random token; the database keeps only its SHA-256, so a copy of the
database does not let anyone in. A session ends on sign-out, after IDLE_LIMIT without use,
after ABSOLUTE_LIMIT in any case, and when the coach is deactivated or their password reset.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col

from core.models import Coach, PanelSession, row_id
from core.services.audit import do_audit
from core.services.coaches import access_coach_by_login, check_password, hash_password

LOCK_AFTER = 5  # failed attempts in a row
LOCK_FOR = timedelta(minutes=15)
IDLE_LIMIT = timedelta(hours=2)
ABSOLUTE_LIMIT = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # write last_seen_at at most this often


class SignInError(ValueError):
    """Signing in failed: `locked` says whether the account is locked for now."""

    def __init__(self, *, locked: bool) -> None:
        super().__init__("locked" if locked else "wrong login or password")
        self.locked = locked


@dataclass(frozen=True)
class SignedIn:
    """A fresh session: the token goes to the cookie, the CSRF token into every form."""

    coach: Coach
    token: str
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Verified against when the login is unknown, so that answer takes as long as a wrong password.
_DECOY_HASH = hash_password(secrets.token_urlsafe(16))


def do_sign_in(session: Session, *, login: str, password: str, now: datetime) -> SignedIn:
    """Check the password and open a session, or raise SignInError (audited either way)."""
    coach = access_coach_by_login(session, login=login.strip().lower())
    decoy = Coach(login="", display_name="", password_hash=_DECOY_HASH)
    if coach is None:
        check_password(decoy, password)  # as long as a real check
        do_audit(session, actor="coach", action="panel.sign_in_failed", detail="unknown login")
        raise SignInError(locked=False)
    # Take one of the LOCK_AFTER tries atomically BEFORE checking the password, so that
    # guesses sent in parallel cannot all be checked: the row stays locked (PostgreSQL) or
    # the database is (SQLite) until this try is settled.
    took = session.execute(
        update(Coach)
        .where(
            col(Coach.id) == coach.id,
            col(Coach.failed_logins) < LOCK_AFTER,
            or_(col(Coach.locked_until).is_(None), col(Coach.locked_until) <= now),
        )
        .values(failed_logins=col(Coach.failed_logins) + 1)
    )
    session.refresh(coach)
    if not took.rowcount:  # type: ignore[attr-defined]
        check_password(decoy, password)  # a locked account answers as slowly as any other
        do_audit(session, actor="coach", action="panel.sign_in_locked", coach_id=coach.id)
        raise SignInError(locked=True)
    if not check_password(coach, password):
        locked = coach.failed_logins >= LOCK_AFTER
        if locked:
            coach.locked_until, coach.failed_logins = now + LOCK_FOR, 0
        session.add(coach)
        action = "panel.locked" if locked else "panel.sign_in_failed"
        do_audit(session, actor="coach", action=action, coach_id=coach.id)
        raise SignInError(locked=locked)
    coach.failed_logins, coach.locked_until = 0, None
    session.add(coach)
    token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        PanelSession(
            token_hash=_digest(token),
            coach_id=row_id(coach),
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
        )
    )
    do_audit(session, actor="coach", action="panel.sign_in", coach_id=coach.id)
    return SignedIn(coach=coach, token=token, csrf_token=csrf_token)


def access_panel_session(
    session: Session, *, token: str, now: datetime
) -> tuple[PanelSession, Coach] | None:
    """The live session behind a cookie and its active coach, or None (expired ones go)."""
    if not token:
        return None
    panel_session = session.get(PanelSession, _digest(token))
    if panel_session is None:
        return None
    coach = session.get(Coach, panel_session.coach_id)
    expired = (
        now - panel_session.last_seen_at > IDLE_LIMIT
        or now - panel_session.created_at > ABSOLUTE_LIMIT
    )
    if coach is None or not coach.active or expired:
        session.delete(panel_session)
        return None
    if now - panel_session.last_seen_at > TOUCH_EVERY:
        panel_session.last_seen_at = now
        session.add(panel_session)
    return panel_session, coach


def do_sign_out(session: Session, *, token: str) -> None:
    """End this browser's session."""
    found = access_panel_session_row(session, token=token)
    if found is not None:
        do_audit(session, actor="coach", action="panel.sign_out", coach_id=found.coach_id)
        session.delete(found)


def access_panel_session_row(session: Session, *, token: str) -> PanelSession | None:
    """The stored session for a token, live or not."""
    return session.get(PanelSession, _digest(token)) if token else None


def do_end_sessions(session: Session, *, coach: Coach) -> None:
    """Sign the coach out everywhere (deactivated, or their password was reset)."""
    session.execute(delete(PanelSession).where(col(PanelSession.coach_id) == coach.id))
