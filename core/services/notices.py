"""Coach notices: a coach hears of what needs them in their own Telegram chat, wherever they are.

The panel shows everything, but only while it is open. So the moments a coach must not miss
also become a notice to the Telegram chat the coach linked from the panel: an urgent alert at
once; their young person waiting for an answer, while the coach is at work and at most once per
young person in `WAITING_EVERY`; a young person who cannot come; one who became unreachable.

A notice is written in the same transaction as what it tells of, and sent by the notice job
(bot/notices.py) with retries, like the outbox. It carries no message text: the first name,
what happened, and a link to the panel page, so a phone's lock screen shows nothing private.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.models import (
    Coach,
    CoachNotice,
    NoticeKind,
    OutboxStatus,
    TelegramLinkCode,
    Youth,
    row_id,
)
from core.office_hours import is_in
from core.services.audit import do_audit

LINK_LIFETIME = timedelta(minutes=15)
LINK_PREFIX = "coach_"  # /start payloads that link a coach, never a young person's invite
WAITING_EVERY = timedelta(minutes=30)
RETRY_FOR = timedelta(hours=2)  # a notice older than this helps nobody: the panel shows it
LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(seconds=60)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def do_start_link(session: Session, *, coach: Coach, now: datetime) -> str:
    """A fresh one-time code for the coach's deep link (earlier unused codes stop working)."""
    for old in session.exec(select(TelegramLinkCode).where(TelegramLinkCode.coach_id == coach.id)):
        session.delete(old)
    code = secrets.token_urlsafe(16)
    session.add(
        TelegramLinkCode(
            code_hash=_hash(code), coach_id=row_id(coach), expires_at=now + LINK_LIFETIME
        )
    )
    do_audit(session, actor="coach", action="telegram.link_started", coach_id=coach.id)
    return code


def link_payload(code: str) -> str:
    """The deep link's start parameter (Telegram allows A-Z, a-z, 0-9, _ and -)."""
    return f"{LINK_PREFIX}{code}"


def do_redeem_link(session: Session, *, payload: str, chat_id: int, now: datetime) -> Coach | None:
    """Tie the chat to the code's coach; None when the code is unknown, used or expired."""
    if not payload.startswith(LINK_PREFIX):
        return None
    found = session.get(TelegramLinkCode, _hash(payload.removeprefix(LINK_PREFIX)[:64]))
    if found is None:
        return None
    session.delete(found)  # one time only, also when it has expired
    coach = session.get(Coach, found.coach_id)
    if found.expires_at < now or coach is None or not coach.active:
        return None
    for other in session.exec(select(Coach).where(Coach.telegram_chat_id == chat_id)):
        if other.id != coach.id:  # one chat belongs to one coach
            other.telegram_chat_id = None
            session.add(other)
            session.flush()
    coach.telegram_chat_id = chat_id
    coach.notify_telegram = True
    session.add(coach)
    do_audit(session, actor="coach", action="telegram.linked", coach_id=coach.id)
    return coach


def do_unlink(session: Session, *, coach: Coach) -> None:
    """Forget the coach's Telegram chat; notices not yet sent are dropped with it."""
    coach.telegram_chat_id = None
    session.add(coach)
    session.execute(
        update(CoachNotice)
        .where(
            col(CoachNotice.coach_id) == coach.id,
            col(CoachNotice.status) == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    do_audit(session, actor="coach", action="telegram.unlinked", coach_id=coach.id)


def do_set_notify(session: Session, *, coach: Coach, on: bool) -> None:
    """Keep the link but switch the notices off, or on again."""
    coach.notify_telegram = on
    session.add(coach)
    do_audit(
        session,
        actor="coach",
        action="telegram.notices_" + ("on" if on else "off"),
        coach_id=coach.id,
    )


def reaches(coach: Coach) -> bool:
    """Whether notices can go to this coach at all."""
    return coach.active and coach.notify_telegram and coach.telegram_chat_id is not None


def do_notify(
    session: Session, *, coach: Coach, youth: Youth | None, kind: NoticeKind, now: datetime
) -> CoachNotice | None:
    """Queue one notice to the coach's Telegram, if they have linked it and want notices."""
    if not reaches(coach):
        return None
    notice = CoachNotice(
        coach_id=row_id(coach),
        youth_id=youth.id if youth is not None else None,
        kind=kind,
        due_at=now,
        give_up_at=now + RETRY_FOR,
        created_at=now,
    )
    session.add(notice)
    return notice


def do_notify_waiting(
    session: Session, *, youth: Youth, coach: Coach | None, now: datetime, tz: ZoneInfo
) -> CoachNotice | None:
    """The young person waits for an answer: tell their own coach, when at work, at most once
    in WAITING_EVERY for this young person (the queue's coaches see the panel's inbox)."""
    if coach is None or not reaches(coach) or not is_in(coach.office_hours, now=now, tz=tz):
        return None
    recent = session.exec(
        select(CoachNotice.id).where(
            CoachNotice.youth_id == youth.id,
            CoachNotice.coach_id == coach.id,
            CoachNotice.kind == NoticeKind.WAITING,
            col(CoachNotice.created_at) > now - WAITING_EVERY,
        )
    ).first()
    if recent is not None:
        return None
    return do_notify(session, coach=coach, youth=youth, kind=NoticeKind.WAITING, now=now)


def claim_due_notices(session: Session, *, now: datetime, limit: int = 50) -> list[CoachNotice]:
    """Due notices, each claimed by one sender (compare-and-set, as the outbox does)."""
    abandoned = now - LEASE
    candidates = session.exec(
        select(CoachNotice)
        .where(
            ((col(CoachNotice.status) == OutboxStatus.PENDING) & (col(CoachNotice.due_at) <= now))
            | (
                (col(CoachNotice.status) == OutboxStatus.SENDING)
                & (col(CoachNotice.claimed_at) < abandoned)
            )
        )
        .order_by(col(CoachNotice.due_at), col(CoachNotice.id))
        .limit(limit)
    ).all()
    claimed = []
    for notice in candidates:
        won = session.execute(
            update(CoachNotice)
            .where(
                col(CoachNotice.id) == notice.id,
                col(CoachNotice.status) == notice.status,
                col(CoachNotice.attempts) == notice.attempts,
            )
            .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=notice.attempts + 1)
        )
        if won.rowcount:  # type: ignore[attr-defined]
            session.refresh(notice)
            claimed.append(notice)
    return claimed


def do_settle_notice(
    session: Session,
    *,
    notice_id: int,
    sent: bool,
    error: str | None = None,
    transient: bool = False,
    now: datetime,
) -> None:
    """Sent; or tried again later with a capped backoff while it still helps; else failed."""
    notice = session.get(CoachNotice, notice_id)
    if notice is None:
        return
    notice.claimed_at = None
    if sent:
        notice.status, notice.sent_at, notice.last_error = OutboxStatus.SENT, now, None
    else:
        notice.last_error = (error or "")[:200]
        wait = min(timedelta(seconds=2**notice.attempts), MAX_BACKOFF)
        if transient and now + wait < notice.give_up_at:
            notice.status, notice.due_at = OutboxStatus.PENDING, now + wait
        else:
            notice.status = OutboxStatus.FAILED
    session.add(notice)
