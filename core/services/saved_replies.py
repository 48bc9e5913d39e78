"""Saved replies: answers a coach writes again and again, kept once. Each coach has their own;
a shared one is offered to every coach. `{name}` becomes the young person's first name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from core.models import Coach, SavedReply, Youth
from core.services.access import is_admin
from core.services.audit import do_audit
from core.services.talk import REPLY_LIMIT

TITLE_LIMIT = 80
NAME_SLOT = "{name}"


class SavedReplyError(ValueError):
    """A saved reply that cannot be kept: a title or text empty or too long (the code says)."""


def do_add_saved_reply(
    session: Session, *, coach: Coach, title: str, text: str, shared: bool, now: datetime
) -> SavedReply:
    """Keep a reply for later; a shared one is offered to every coach."""
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise SavedReplyError("empty")
    if len(title) > TITLE_LIMIT or len(text) > REPLY_LIMIT:
        raise SavedReplyError("too_long")
    reply = SavedReply(
        coach_id=coach.id or 0, title=title, text=text, shared=shared, created_at=now
    )
    session.add(reply)
    do_audit(session, actor="coach", action="saved_reply.add", coach_id=coach.id)
    return reply


def do_delete_saved_reply(session: Session, *, coach: Coach, reply_id: int) -> bool:
    """Delete a saved reply: its writer may, and an admin may delete a shared one."""
    reply = session.get(SavedReply, reply_id)
    if reply is None:
        return False
    if reply.coach_id != coach.id and not (reply.shared and is_admin(coach)):
        return False
    session.delete(reply)
    do_audit(session, actor="coach", action="saved_reply.delete", coach_id=coach.id)
    return True


def saved_replies_for(session: Session, *, coach: Coach) -> list[SavedReply]:
    """The coach's own saved replies and the shared ones, by title."""
    return list(
        session.exec(
            select(SavedReply)
            .where(or_(col(SavedReply.coach_id) == coach.id, col(SavedReply.shared)))
            .order_by(col(SavedReply.title), col(SavedReply.id))
        ).all()
    )


def filled(reply: SavedReply, youth: Youth) -> str:
    """The reply's text for this young person: `{name}` becomes their first name (or nothing,
    with the space before it, when the name is unknown)."""
    if youth.first_name:
        return reply.text.replace(NAME_SLOT, youth.first_name)
    return reply.text.replace(" " + NAME_SLOT, "").replace(NAME_SLOT, "")
