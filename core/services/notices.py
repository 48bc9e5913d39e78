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
import re
import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.i18n import N_
from core.models import (
    Coach,
    CoachNotice,
    NoticeChannel,
    NoticeKind,
    OutboxStatus,
    TelegramLinkCode,
    Youth,
    row_id,
)
from core.office_hours import is_in
from core.services.access import access_youth_by_id
from core.services.audit import do_audit

EMAIL_LIMIT = 254
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")
LINK_LIFETIME = timedelta(minutes=15)
LINK_PREFIX = "coach_"  # /start payloads that link a coach, never a young person's invite
WAITING_EVERY = timedelta(minutes=30)
RETRY_FOR = timedelta(hours=2)  # a notice older than this helps nobody: the panel shows it
LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(seconds=60)


class NoticeError(ValueError):
    """A notice setting that cannot be saved as asked; the message says why, for the coach."""


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
            col(CoachNotice.channel) == NoticeChannel.TELEGRAM,
            col(CoachNotice.status) == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    do_audit(session, actor="coach", action="telegram.unlinked", coach_id=coach.id)


def do_set_notify(session: Session, *, coach: Coach, channel: NoticeChannel, on: bool) -> None:
    """Keep the link or address but switch that channel's notices off, or on again."""
    if channel == NoticeChannel.TELEGRAM:
        coach.notify_telegram = on
        action = "notices.telegram_on" if on else "notices.telegram_off"
    else:
        coach.notify_email = on
        action = "notices.email_on" if on else "notices.email_off"
    session.add(coach)
    do_audit(session, actor="coach", action=action, coach_id=coach.id)


def channels_of(coach: Coach) -> list[NoticeChannel]:
    """Where this coach gets notices: their linked Telegram and/or their e-mail."""
    if not coach.active:
        return []
    channels = []
    if coach.notify_telegram and coach.telegram_chat_id is not None:
        channels.append(NoticeChannel.TELEGRAM)
    if coach.notify_email and coach.email:
        channels.append(NoticeChannel.EMAIL)
    return channels


def reaches(coach: Coach) -> bool:
    """Whether notices can go to this coach at all."""
    return bool(channels_of(coach))


def do_notify(
    session: Session, *, coach: Coach, youth: Youth | None, kind: NoticeKind, now: datetime
) -> list[CoachNotice]:
    """Queue the notice on each channel the coach has (none: the panel alone shows it)."""
    notices = [
        CoachNotice(
            coach_id=row_id(coach),
            youth_id=youth.id if youth is not None else None,
            kind=kind,
            channel=channel,
            due_at=now,
            give_up_at=now + RETRY_FOR,
            created_at=now,
        )
        for channel in channels_of(coach)
    ]
    session.add_all(notices)
    return notices


def do_set_email(session: Session, *, coach: Coach, email: str) -> None:
    """Set (or, empty, remove) the coach's address for notices; NoticeError if it is not one."""
    email = email.strip()
    if email and (len(email) > EMAIL_LIMIT or not EMAIL_SHAPE.fullmatch(email)):
        raise NoticeError(N_("This does not look like an e-mail address."))
    coach.email = email or None
    session.add(coach)
    do_audit(session, actor="coach", action="notices.email_set", coach_id=coach.id)


def do_notify_waiting(
    session: Session, *, youth: Youth, coach: Coach | None, now: datetime, tz: ZoneInfo
) -> list[CoachNotice]:
    """The young person waits for an answer: tell their own coach, when at work, at most once
    in WAITING_EVERY for this young person (the queue's coaches see the panel's inbox)."""
    if coach is None or not reaches(coach) or not is_in(coach.office_hours, now=now, tz=tz):
        return []
    recent = session.exec(
        select(CoachNotice.id).where(
            CoachNotice.youth_id == youth.id,
            CoachNotice.coach_id == coach.id,
            CoachNotice.kind == NoticeKind.WAITING,
            col(CoachNotice.created_at) > now - WAITING_EVERY,
        )
    ).first()
    if recent is not None:
        return []
    return do_notify(session, coach=coach, youth=youth, kind=NoticeKind.WAITING, now=now)


def quiet_end(coach: Coach, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """When the coach's quiet time ends, if it is quiet time for them now (else None)."""
    if not coach.quiet_from or not coach.quiet_until:
        return None
    begins, ends = time.fromisoformat(coach.quiet_from), time.fromisoformat(coach.quiet_until)
    local = now.astimezone(tz)
    clock = local.time()
    overnight = begins > ends  # e.g. 21:00–08:00
    quiet = (clock >= begins or clock < ends) if overnight else (begins <= clock < ends)
    if not quiet:
        return None
    day = local.date() + timedelta(days=1 if overnight and clock >= begins else 0)
    return datetime.combine(day, ends, tzinfo=tz)


def _clock(text: str) -> time | None:
    """'8:00', '08:00' or '21.30' as a time of day; None when it is not one."""
    found = CLOCK.fullmatch(text.strip())
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        return None
    return time(int(found[1]), int(found[2]))


def do_set_quiet_time(session: Session, *, coach: Coach, quiet_from: str, quiet_until: str) -> None:
    """Set the coach's quiet time (both empty: none); NoticeError for a time that is not one."""
    if not quiet_from and not quiet_until:
        coach.quiet_from = coach.quiet_until = None
    else:
        begins, ends = _clock(quiet_from), _clock(quiet_until)
        if begins is None or ends is None or begins == ends:
            raise NoticeError(N_("Give both times, like 21:00 and 08:00."))
        coach.quiet_from, coach.quiet_until = begins.strftime("%H:%M"), ends.strftime("%H:%M")
    session.add(coach)
    do_audit(session, actor="coach", action="notices.quiet_time", coach_id=coach.id)


def claim_due_notices(
    session: Session, *, now: datetime, tz: ZoneInfo, limit: int = 50
) -> list[CoachNotice]:
    """Due notices, each claimed by one sender (compare-and-set, as the outbox does). A notice
    due in its coach's quiet time waits until it ends — except an urgent one to a coach on
    call."""
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
        coach = session.get(Coach, notice.coach_id)
        on_call_urgent = coach is not None and coach.on_call and notice.kind == NoticeKind.URGENT
        wait = quiet_end(coach, now=now, tz=tz) if coach and not on_call_urgent else None
        if wait is not None:
            session.execute(
                update(CoachNotice)
                .where(col(CoachNotice.id) == notice.id, col(CoachNotice.status) == notice.status)
                .values(status=OutboxStatus.PENDING, due_at=wait, give_up_at=wait + RETRY_FOR)
            )
            continue
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
    telegram_message_id: int | None = None,
) -> None:
    """Sent; or tried again later with a capped backoff while it still helps; else failed."""
    notice = session.get(CoachNotice, notice_id)
    if notice is None:
        return
    notice.claimed_at = None
    if sent:
        notice.status, notice.sent_at, notice.last_error = OutboxStatus.SENT, now, None
        notice.telegram_message_id = telegram_message_id
    else:
        notice.last_error = (error or "")[:200]
        wait = min(timedelta(seconds=2**notice.attempts), MAX_BACKOFF)
        if transient and now + wait < notice.give_up_at:
            notice.status, notice.due_at = OutboxStatus.PENDING, now + wait
        else:
            notice.status = OutboxStatus.FAILED
    session.add(notice)


def notice_answered(
    session: Session, *, chat_id: int, replied_to: int
) -> tuple[Coach, Youth] | None:
    """The coach and young person of the notice a Telegram reply answers. None when the chat
    is no active coach's or the message no notice of theirs — or when the young person is no
    longer theirs to see (refused and audited, as in the panel)."""
    coach = session.exec(
        select(Coach).where(Coach.telegram_chat_id == chat_id, col(Coach.active))
    ).first()
    if coach is None:
        return None
    notice = session.exec(
        select(CoachNotice).where(
            CoachNotice.coach_id == coach.id, CoachNotice.telegram_message_id == replied_to
        )
    ).first()
    if notice is None or notice.youth_id is None:
        return None
    youth = access_youth_by_id(session, coach=coach, youth_id=notice.youth_id)
    return (coach, youth) if youth is not None else None


def linked_chats(session: Session) -> set[int]:
    """The Telegram chats linked to active coaches: what is written there is no young
    person's."""
    chats = session.exec(
        select(Coach.telegram_chat_id).where(
            col(Coach.telegram_chat_id).is_not(None), col(Coach.active)
        )
    ).all()
    return {chat for chat in chats if chat is not None}
