"""Who may see what in the panel. Every route fetches through these functions.

A coach sees and writes only their own young people and the unassigned queue; an admin sees
everyone. An open urgent alert also opens the young person to every coach it was raised to
(their own coach off duty: the coaches on duty). A refused or unknown id looks the same from
outside (None → 404) and is audited.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from core.models import Alert, AlertRecipient, Coach, Message, Role, Youth
from core.services.audit import do_audit


def is_admin(coach: Coach) -> bool:
    """Admins manage coaches, see every young person and read the audit trail."""
    return coach.role == Role.ADMIN


def visible_to(coach: Coach) -> ColumnElement[bool]:
    """The SQL condition for the young people this coach may see."""
    if is_admin(coach):
        return true()
    return or_(
        col(Youth.coach_id) == coach.id,
        col(Youth.coach_id).is_(None),
        col(Youth.id).in_(_alerted_youth(coach)),
    )


def _alerted_youth(coach: Coach) -> SelectOfScalar[int]:
    """Ids of young people with an open alert raised to this coach."""
    return (
        select(Alert.youth_id)
        .join(AlertRecipient, col(AlertRecipient.alert_id) == col(Alert.id))
        .where(AlertRecipient.coach_id == coach.id, col(Alert.handled_at).is_(None))
    )


def can_see(session: Session, coach: Coach, youth: Youth) -> bool:
    """The same rule as `visible_to`, for a row already in hand."""
    if is_admin(coach) or youth.coach_id in (None, coach.id):
        return True
    alerted = session.exec(_alerted_youth(coach).where(Alert.youth_id == youth.id)).first()
    return alerted is not None


def access_youth_by_id(session: Session, *, coach: Coach, youth_id: int) -> Youth | None:
    """The young person if this coach may see them; otherwise None, and the attempt audited."""
    youth = session.get(Youth, youth_id)
    if youth is not None and can_see(session, coach, youth):
        return youth
    do_audit(
        session,
        actor="coach",
        action="access.denied",
        coach_id=coach.id,
        youth_id=youth.id if youth is not None else None,
        detail=f"youth {youth_id}",
    )
    return None


def access_message_by_id(session: Session, *, coach: Coach, message_id: int) -> Message | None:
    """A message (for its photo or voice) if its young person is visible to this coach."""
    message = session.get(Message, message_id)
    youth_id = message.youth_id if message is not None else -1
    if message is None or access_youth_by_id(session, coach=coach, youth_id=youth_id) is None:
        return None
    return message


def access_coach_by_id(session: Session, *, admin: Coach, coach_id: int) -> Coach | None:
    """Another coach's account, for admins only."""
    if not is_admin(admin):
        do_audit(
            session, actor="coach", action="access.denied", coach_id=admin.id, detail="admin only"
        )
        return None
    return session.get(Coach, coach_id)
