"""Invite codes: a coach's deep link that ties a new young person to them."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session

from core.models import Coach, InviteCode, Youth, row_id, utcnow
from core.services.audit import do_audit

INVITE_LIFETIME = timedelta(days=30)


def do_create_invite(session: Session, *, coach: Coach) -> InviteCode:
    """Make a fresh one-time code; Telegram deep links allow A-Z, a-z, 0-9, _ and -."""
    invite = InviteCode(
        code=secrets.token_urlsafe(12),
        coach_id=row_id(coach),
        expires_at=utcnow() + INVITE_LIFETIME,
    )
    session.add(invite)
    do_audit(session, actor="coach", action="invite.create", coach_id=coach.id)
    return invite


def deep_link(*, bot_username: str, code: str) -> str:
    """The t.me link a young person opens to start the bot with this code."""
    return f"https://t.me/{bot_username}?start={code}"


def do_redeem_invite(session: Session, *, youth: Youth, code: str) -> Coach | None:
    """Tie the young person to the invite's coach; None when the code is unknown, used or old."""
    invite = session.get(InviteCode, code[:64])
    if invite is None or invite.expires_at < utcnow():
        return None
    if invite.used_by_youth_id not in (None, youth.id) or (
        invite.used_at is not None and invite.used_by_youth_id is None
    ):
        return None
    coach = session.get(Coach, invite.coach_id)
    if coach is None or not coach.active:
        return None
    invite.used_by_youth_id = youth.id
    invite.used_at = invite.used_at or utcnow()
    youth.coach_id = coach.id
    session.add_all([invite, youth])
    do_audit(session, actor="youth", action="invite.redeem", youth_id=youth.id, coach_id=coach.id)
    return coach
