"""Signing in to the panel: argon2 passwords, then the code from the coach's app when they
have two-step sign-in, within the tries core.services.sign_in_limits allows; and sessions.

The browser holds a random token; the database keeps only its SHA-256, so a copy of the
database does not let anyone in. A half-done sign-in (right password, code still to come) is a
PendingSignIn of CODE_WAIT, kept the same way; no session exists until the code is right.
A session ends on sign-out, after IDLE_LIMIT without use, after ABSOLUTE_LIMIT in any case,
and when the coach is deactivated or their password reset.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from core.models import Coach, PanelSession, PendingSignIn, row_id
from core.services.audit import do_audit
from core.services.coaches import access_coach_by_login, check_password, hash_password
from core.services.sign_in_limits import (
    LOCK_AFTER,
    Refused,
    TooManyTries,
    do_forget_expired,
    do_forgive,
    do_take_try,
)
from core.services.two_step import do_use_code, is_on

IDLE_LIMIT = timedelta(hours=2)
ABSOLUTE_LIMIT = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # write last_seen_at at most this often
CODE_WAIT = timedelta(minutes=5)  # how long a right password waits for the code


class SignInError(ValueError):
    """Signing in failed. `refused` says why the try was not even checked (None: it was, and
    was wrong); `locked` whether this login now waits from this address."""

    def __init__(self, *, refused: Refused | None = None, locked: bool = False) -> None:
        super().__init__(refused.value if refused else "wrong login, password or code")
        self.refused = refused
        self.locked = locked or refused is Refused.LOCKED

    @property
    def throttled(self) -> bool:
        """Too many failed tries from this address, whatever the login."""
        return self.refused is Refused.THROTTLED


@dataclass(frozen=True)
class SignedIn:
    """A fresh session: the token goes to the cookie, the CSRF token into every form."""

    coach: Coach
    token: str
    csrf_token: str


@dataclass(frozen=True)
class CodeNeeded:
    """The password was right and the coach's code comes next: the token goes to a cookie."""

    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Verified against when the login is unknown, so that answer takes as long as a wrong password.
_DECOY_HASH = hash_password(secrets.token_urlsafe(16))
_DECOY = Coach(login="", display_name="", password_hash=_DECOY_HASH)


def do_sign_in(
    session: Session, *, login: str, password: str, address: str, now: datetime
) -> SignedIn | CodeNeeded:
    """Check the password from this client address and open a session, or ask for the code
    next when the coach has two-step sign-in; raise SignInError (audited either way)."""
    try:
        signed = _sign_in(
            session, login=login.strip().lower(), password=password, address=address, now=now
        )
    except SignInError:
        do_forget_expired(session, now=now)
        raise
    do_forget_expired(session, now=now)  # last: it never waits, so it cannot deadlock
    return signed


def _sign_in(
    session: Session, *, login: str, password: str, address: str, now: datetime
) -> SignedIn | CodeNeeded:
    coach = access_coach_by_login(session, login=login)
    # Take a try atomically BEFORE checking the password, so that guesses sent in parallel
    # cannot all be checked (core.services.sign_in_limits).
    try:
        tries = do_take_try(session, login=login, address=address, now=now)
    except TooManyTries as too_many:
        if too_many.refused is Refused.LOCKED:
            check_password(_DECOY, password)  # as slow as any other answer on the 401 page
        # A throttled address is refused at once: it costs no password hash.
        throttled = too_many.refused is Refused.THROTTLED
        action = "panel.sign_in_throttled" if throttled else "panel.sign_in_locked"
        do_audit(session, actor="coach", action=action, coach_id=coach.id if coach else None)
        raise SignInError(refused=too_many.refused) from too_many
    if coach is None:
        check_password(_DECOY, password)  # as long as a real check
        do_audit(session, actor="coach", action="panel.sign_in_failed", detail="unknown login")
        raise SignInError(locked=tries >= LOCK_AFTER)
    if not check_password(coach, password):
        locked = tries >= LOCK_AFTER
        action = "panel.locked" if locked else "panel.sign_in_failed"
        do_audit(session, actor="coach", action=action, coach_id=coach.id)
        raise SignInError(locked=locked)
    if is_on(coach):
        # The try stays counted until the code is right too: a right password alone must not
        # reset the count, or whoever knows it could guess codes without end.
        token = secrets.token_urlsafe(32)
        session.add(
            PendingSignIn(
                token_hash=_digest(token), coach_id=row_id(coach), expires_at=now + CODE_WAIT
            )
        )
        do_audit(session, actor="coach", action="panel.password_ok", coach_id=coach.id)
        return CodeNeeded(token=token)
    do_forgive(session, login=login, address=address)
    do_audit(session, actor="coach", action="panel.sign_in", coach_id=coach.id)
    return _open_session(session, coach=coach, now=now)


def access_pending_sign_in(session: Session, *, token: str, now: datetime) -> Coach | None:
    """The active coach whose password was right in this browser a moment ago, or None."""
    pending = session.get(PendingSignIn, _digest(token)) if token else None
    if pending is None or pending.expires_at <= now:
        return None
    coach = session.get(Coach, pending.coach_id)
    return coach if coach is not None and coach.active else None


class PendingGone(LookupError):
    """No half-done sign-in in this browser (never begun, taken too long, or locked)."""


def do_sign_in_code(
    session: Session, *, token: str, code: str, address: str, now: datetime
) -> SignedIn:
    """The second step: a code from the coach's app (or a recovery code) opens the session.
    A wrong code counts as a failed try of that login from this address; raise SignInError,
    or PendingGone when the password has to be given again."""
    try:
        signed = _sign_in_code(session, token=token, code=code, address=address, now=now)
    except SignInError:
        do_forget_expired(session, now=now)
        raise
    do_forget_expired(session, now=now)
    return signed


def _sign_in_code(
    session: Session, *, token: str, code: str, address: str, now: datetime
) -> SignedIn:
    coach = access_pending_sign_in(session, token=token, now=now)
    if coach is None:
        raise PendingGone
    try:
        tries = do_take_try(session, login=coach.login, address=address, now=now)
    except TooManyTries as too_many:
        if too_many.refused is Refused.LOCKED:
            _drop_pending(session, token=token)
        throttled = too_many.refused is Refused.THROTTLED
        action = "panel.code_throttled" if throttled else "panel.code_locked"
        do_audit(session, actor="coach", action=action, coach_id=coach.id)
        raise SignInError(refused=too_many.refused) from too_many
    used = do_use_code(session, coach=coach, code=code, now=now)
    if used is None:
        locked = tries >= LOCK_AFTER
        if locked:  # after the lock, begin again with the password
            _drop_pending(session, token=token)
        action = "panel.locked" if locked else "panel.code_failed"
        do_audit(session, actor="coach", action=action, coach_id=coach.id)
        raise SignInError(locked=locked)
    _drop_pending(session, token=token)
    # Both steps succeeded: the address gets back the password's try and this one.
    do_forgive(session, login=coach.login, address=address, tries=2)
    do_audit(session, actor="coach", action="panel.sign_in", coach_id=coach.id, detail=used.value)
    return _open_session(session, coach=coach, now=now)


def _drop_pending(session: Session, *, token: str) -> None:
    session.execute(delete(PendingSignIn).where(col(PendingSignIn.token_hash) == _digest(token)))


def _open_session(session: Session, *, coach: Coach, now: datetime) -> SignedIn:
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
