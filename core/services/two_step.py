"""Two-step sign-in: after the password, a six-digit code from the coach's authenticator app
(TOTP, RFC 6238: 30-second steps, one step of clock drift either way), or one of ten one-time
recovery codes when the phone is lost.

The app's secret is stored readable in the coach's row, because every code is checked against
it; it is never logged or audited. A code is accepted once: the step of the last accepted code
is kept and only a later step passes. Recovery codes are random and long, so their SHA-256 is
enough; a used one is deleted. An admin may require two-step sign-in for everyone (a panel
setting); a coach without it then sets it up before anything else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from enum import StrEnum

import pyotp
from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from core.i18n import N_
from core.models import Coach, PanelSetting, RecoveryCode, row_id
from core.services.audit import do_audit
from core.services.coaches import check_password
from core.services.sign_in_limits import TooManyTries, do_forgive, do_take_try

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a phone's clock may be a step behind or ahead
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to mix up
RECOVERY_LENGTH = 10  # ~50 bits each
REQUIRED_SETTING = "two_step_required"
ISSUER = "Polku"
APP_CODE = re.compile(r"^[0-9]{6}$")


class TwoStepError(ValueError):
    """Two-step sign-in could not be changed as asked; the message says why, for the coach."""


class CodeKind(StrEnum):
    """Which kind of code let the coach in (audited, never the code itself)."""

    APP = "app"
    RECOVERY = "recovery code"


def is_on(coach: Coach) -> bool:
    """Whether this coach's sign-in asks for a code after the password."""
    return coach.totp_enabled_at is not None and bool(coach.totp_secret)


def two_step_required(session: Session) -> bool:
    """Whether an admin requires two-step sign-in for everyone."""
    setting = session.get(PanelSetting, REQUIRED_SETTING)
    return setting is not None and setting.value == "1"


def must_set_up(session: Session, *, coach: Coach) -> bool:
    """True when the coach must turn two-step sign-in on before doing anything else."""
    return not is_on(coach) and two_step_required(session)


def do_set_required(session: Session, *, by: Coach, on: bool) -> None:
    """Require two-step sign-in for everyone, or stop requiring it (an admin's choice)."""
    setting = session.get(PanelSetting, REQUIRED_SETTING) or PanelSetting(
        name=REQUIRED_SETTING, value="0"
    )
    setting.value = "1" if on else "0"
    session.add(setting)
    action = "two_step.required" if on else "two_step.not_required"
    do_audit(session, actor="coach", action=action, coach_id=by.id)


def do_start(session: Session, *, coach: Coach) -> str:
    """A fresh secret for the coach's app; it works only once a code from the app confirms it."""
    if is_on(coach):
        raise TwoStepError(N_("Two-step sign-in is already on."))
    coach.totp_secret = pyotp.random_base32()
    coach.totp_enabled_at, coach.totp_last_step = None, None
    session.add(coach)
    do_audit(session, actor="coach", action="two_step.setup_started", coach_id=coach.id)
    return coach.totp_secret


def setup_link(coach: Coach) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(coach.totp_secret or "").provisioning_uri(
        name=coach.login, issuer_name=ISSUER
    )


def do_confirm(session: Session, *, coach: Coach, code: str, now: datetime) -> list[str]:
    """Turn two-step sign-in on when the code from the app matches the new secret; return the
    recovery codes, shown to the coach this once."""
    if is_on(coach) or not coach.totp_secret:
        raise TwoStepError(N_("Start the set-up again."))
    if not _use_app_code(session, coach=coach, code=_plain(code), now=now):
        raise TwoStepError(N_("That code did not match. Check the app and try the newest code."))
    session.refresh(coach)
    coach.totp_enabled_at = now
    session.add(coach)
    do_audit(session, actor="coach", action="two_step.on", coach_id=coach.id)
    return _new_recovery_codes(session, coach=coach)


def do_use_code(session: Session, *, coach: Coach, code: str, now: datetime) -> CodeKind | None:
    """Accept a code from the app (each at most once) or a recovery code (used up), or None."""
    if not is_on(coach):
        return None
    plain = _plain(code)
    if APP_CODE.match(plain):
        return CodeKind.APP if _use_app_code(session, coach=coach, code=plain, now=now) else None
    used = session.execute(
        delete(RecoveryCode).where(
            col(RecoveryCode.coach_id) == coach.id,
            col(RecoveryCode.code_hash) == _digest(plain),
        )
    )
    return CodeKind.RECOVERY if used.rowcount == 1 else None  # type: ignore[attr-defined]


def recovery_codes_left(session: Session, *, coach: Coach) -> int:
    """How many unused recovery codes the coach has."""
    count = select(func.count()).select_from(RecoveryCode)
    return session.exec(count.where(RecoveryCode.coach_id == coach.id)).one()


def do_new_recovery_codes(
    session: Session, *, coach: Coach, proof: str, address: str, now: datetime
) -> list[str]:
    """Replace the coach's recovery codes (their password or an app code first)."""
    if not is_on(coach):
        raise TwoStepError(N_("Two-step sign-in is not on."))
    _check_proof(session, coach=coach, proof=proof, address=address, now=now)
    do_audit(session, actor="coach", action="two_step.new_recovery_codes", coach_id=coach.id)
    return _new_recovery_codes(session, coach=coach)


def do_turn_off(session: Session, *, coach: Coach, proof: str, address: str, now: datetime) -> None:
    """Turn the coach's two-step sign-in off (their password or an app code first)."""
    if not is_on(coach):
        return
    if two_step_required(session):
        raise TwoStepError(N_("Two-step sign-in is required for everyone here."))
    _check_proof(session, coach=coach, proof=proof, address=address, now=now)
    _forget(session, coach=coach)
    do_audit(session, actor="coach", action="two_step.off", coach_id=coach.id)


def do_reset(session: Session, *, by: Coach, coach: Coach) -> None:
    """An admin turns a coach's two-step sign-in off (a lost phone); they set it up again."""
    _forget(session, coach=coach)
    detail = f"coach {coach.id}"
    do_audit(session, actor="coach", action="coach.two_step_reset", coach_id=by.id, detail=detail)


def _forget(session: Session, *, coach: Coach) -> None:
    coach.totp_secret, coach.totp_enabled_at, coach.totp_last_step = None, None, None
    session.add(coach)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.coach_id) == coach.id))


def _check_proof(
    session: Session, *, coach: Coach, proof: str, address: str, now: datetime
) -> None:
    """The signed-in coach proves it is still them; a wrong proof counts as a failed sign-in
    try, so a borrowed session cannot be used to guess the password."""
    try:
        do_take_try(session, login=coach.login, address=address, now=now)
    except TooManyTries as refused:
        raise TwoStepError(N_("Too many wrong tries. Wait 15 minutes and try again.")) from refused
    plain = _plain(proof)
    if APP_CODE.match(plain):
        proven = _use_app_code(session, coach=coach, code=plain, now=now)
    else:
        proven = check_password(coach, proof)
    if not proven:
        do_audit(session, actor="coach", action="two_step.proof_failed", coach_id=coach.id)
        raise TwoStepError(N_("That was not your password or a code from your app."))
    do_forgive(session, login=coach.login, address=address)


def _use_app_code(session: Session, *, coach: Coach, code: str, now: datetime) -> bool:
    """Whether the code is the app's for this step or one either side, and newer than the last
    accepted one; the step is stored in the same statement, so a code works only once even
    when sent twice at the same moment."""
    if not coach.totp_secret or not APP_CODE.match(code):
        return False
    totp = pyotp.TOTP(coach.totp_secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            took = session.execute(
                update(Coach)
                .where(
                    col(Coach.id) == coach.id,
                    or_(col(Coach.totp_last_step).is_(None), col(Coach.totp_last_step) < step),
                )
                .values(totp_last_step=step)
            )
            return bool(took.rowcount)  # type: ignore[attr-defined]
    return False


def _new_recovery_codes(session: Session, *, coach: Coach) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.coach_id) == coach.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        plain = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        session.add(RecoveryCode(code_hash=_digest(plain), coach_id=row_id(coach)))
        half = RECOVERY_LENGTH // 2
        codes.append(f"{plain[:half]}-{plain[half:]}")
    return codes


def _plain(code: str) -> str:
    """A typed code without spaces and dashes, in lower case (as recovery codes are stored)."""
    return re.sub(r"[\s-]", "", code).lower()


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()
