"""A young person's record: first contact, language, consent, reachability and erasure."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from core.models import (
    Assessment,
    AuditEvent,
    CheckIn,
    Coach,
    Consent,
    InviteCode,
    Message,
    NoticeKind,
    Youth,
    YouthStatus,
    row_id,
    utcnow,
)
from core.services.access import is_admin
from core.services.audit import coach_ref, do_audit
from core.services.notices import do_notify


def access_youth_by_telegram_id(session: Session, *, telegram_user_id: int) -> Youth | None:
    """The young person behind a Telegram user, or None if they never started (or erased)."""
    return session.exec(select(Youth).where(Youth.telegram_user_id == telegram_user_id)).first()


def do_register_youth(session: Session, *, telegram_user_id: int, chat_id: int) -> Youth:
    """Return the young person's row, creating a minimal one on first contact."""
    youth = access_youth_by_telegram_id(session, telegram_user_id=telegram_user_id)
    if youth is None:
        youth = Youth(telegram_user_id=telegram_user_id, chat_id=chat_id)
        session.add(youth)
        session.flush()
    return youth


def do_touch(session: Session, *, youth: Youth) -> None:
    """Note that the young person wrote or tapped: they are reachable and active again."""
    youth.last_seen_at = utcnow()
    if youth.status == YouthStatus.UNREACHABLE:
        youth.status = YouthStatus.ACTIVE
        do_audit(session, actor="youth", action="youth.reachable", youth_id=youth.id)
    session.add(youth)


def do_set_language(session: Session, *, youth: Youth, language: str) -> None:
    """Remember the language the young person chose."""
    youth.language = language
    session.add(youth)


def do_set_consent(
    session: Session, *, youth: Youth, given: bool, first_name: str | None = None
) -> None:
    """Record the consent answer. Declining (or withdrawing) removes what was kept.

    Without consent Polku keeps only what it needs to remember the choice: the Telegram ids,
    the language, the consent itself and the coach link made by an invite.
    """
    youth.consent = Consent.GIVEN if given else Consent.DECLINED
    youth.consent_at = utcnow()
    if given:
        youth.first_name = first_name
    else:
        youth.first_name = None
        youth.talk_opened_at = youth.waiting_since = youth.last_message_at = None
        youth.unread = 0  # the chat is gone, so there is nothing left to answer
        _erase_kept_answers(session, youth_id=row_id(youth))
    session.add(youth)
    do_audit(
        session,
        actor="youth",
        action="consent.given" if given else "consent.declined",
        youth_id=youth.id,
    )


def _erase_kept_answers(session: Session, *, youth_id: int) -> None:
    """What consent covered: messages, self-assessments (answers go with them), answers to
    check-ins, and the audit events about them (scores, exports). Appointments and path
    statuses stay: the coach made those."""
    session.execute(delete(Message).where(col(Message.youth_id) == youth_id))
    session.execute(
        update(CheckIn)
        .where(col(CheckIn.youth_id) == youth_id)
        .values(mood=None, still_there=None, needs=None, wants_coach=None)
    )
    session.execute(delete(Assessment).where(col(Assessment.youth_id) == youth_id))
    session.execute(
        delete(AuditEvent).where(
            col(AuditEvent.youth_id) == youth_id, col(AuditEvent.action).not_like("consent.%")
        )
    )


def do_mark_unreachable(session: Session, *, youth: Youth) -> None:
    """The young person blocked the bot: stop treating them as reachable, and tell their coach
    (a notice in their own Telegram; the panel shows it too)."""
    if youth.status != YouthStatus.UNREACHABLE:
        youth.status = YouthStatus.UNREACHABLE
        session.add(youth)
        do_audit(session, actor="youth", action="youth.unreachable", youth_id=youth.id)
        coach = session.get(Coach, youth.coach_id) if youth.coach_id is not None else None
        if coach is not None:
            do_notify(session, coach=coach, youth=youth, kind=NoticeKind.UNREACHABLE, now=utcnow())


def do_erase_youth(session: Session, *, youth: Youth) -> None:
    """Erase every row about the young person, in every table.

    What remains is one audit event that says an erasure happened, with nothing that
    identifies whom it was about.
    """
    youth_id = row_id(youth)
    _erase_kept_answers(session, youth_id=youth_id)
    session.execute(delete(AuditEvent).where(col(AuditEvent.youth_id) == youth_id))
    session.execute(
        update(InviteCode)
        .where(col(InviteCode.used_by_youth_id) == youth_id)
        .values(used_by_youth_id=None)
    )
    session.delete(youth)
    do_audit(session, actor="youth", action="youth.erased")


def coach_of(session: Session, *, youth: Youth) -> Coach | None:
    """The young person's named coach, if they have one."""
    return session.get(Coach, youth.coach_id) if youth.coach_id is not None else None


def do_take_youth(session: Session, *, coach: Coach, youth: Youth) -> bool:
    """Become the young person's coach. A coach may take only someone from the shared queue
    (False when another coach took them first); an admin may take anyone."""
    if youth.coach_id == coach.id:
        return True
    previous = youth.coach_id
    if is_admin(coach):
        youth.coach_id = coach.id
        session.add(youth)
    else:
        taken = session.execute(
            update(Youth)
            .where(col(Youth.id) == youth.id, col(Youth.coach_id).is_(None))
            .values(coach_id=coach.id)
            .execution_options(synchronize_session=False)
        )
        if int(taken.rowcount) != 1:  # type: ignore[attr-defined]
            return False
        youth.coach_id = coach.id
    detail = "from the queue" if previous is None else f"from coach {previous}"
    do_audit(
        session,
        actor="coach",
        action="youth.take",
        coach_id=coach.id,
        youth_id=youth.id,
        detail=detail,
    )
    return True


def do_assign_youth(session: Session, *, by: Coach, youth: Youth, coach: Coach | None) -> None:
    """An admin gives the young person to a coach, or back to the shared queue (None)."""
    previous = youth.coach_id
    youth.coach_id = coach.id if coach is not None else None
    session.add(youth)
    before = coach_ref(previous) if previous is not None else "queue"
    after = coach_ref(coach.id) if coach is not None else "queue"
    do_audit(
        session,
        actor="coach",
        action="youth.assign",
        coach_id=by.id,
        youth_id=youth.id,
        detail=f"{before} -> {after}",
    )


def do_record_under_18(
    session: Session, *, coach: Coach, youth: Youth, under_18: bool | None
) -> None:
    """A coach records whether the young person is under 18 (None: not known)."""
    youth.under_18 = under_18
    session.add(youth)
    do_audit(
        session,
        actor="coach",
        action="youth.under_18",
        coach_id=coach.id,
        youth_id=youth.id,
        detail={True: "yes", False: "no", None: "unknown"}[under_18],
    )


GROUP_LIMIT = 100


def do_set_group(session: Session, *, coach: Coach, youth: Youth, group: str) -> None:
    """A coach puts the young person in a group of the organisation's (a project, a school),
    by which the impact report can be filtered; an empty name takes them out of any."""
    youth.group_name = " ".join(group.split())[:GROUP_LIMIT] or None
    session.add(youth)
    do_audit(session, actor="coach", action="youth.group", coach_id=coach.id, youth_id=youth.id)
