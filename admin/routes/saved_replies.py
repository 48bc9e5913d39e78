"""Saved replies: a coach's own and the shared ones, kept and deleted here, inserted into an
answer on the conversation page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from admin.web import Checked, CurrentViewer, SessionDep, Viewer, panel_of, render
from core.services.saved_replies import (
    NAME_SLOT,
    TITLE_LIMIT,
    SavedReplyError,
    do_add_saved_reply,
    do_delete_saved_reply,
    saved_replies_for,
)
from core.services.talk import REPLY_LIMIT

router = APIRouter()


def _page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    *,
    error: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "saved_replies.html",
        viewer,
        status_code=status_code,
        replies=saved_replies_for(session, coach=viewer.coach),
        error=error,
        form=form or {},
        title_limit=TITLE_LIMIT,
        text_limit=REPLY_LIMIT,
        name_slot=NAME_SLOT,
    )


@router.get("/replies")
def replies_page(request: Request, session: SessionDep, viewer: CurrentViewer) -> Response:
    """The coach's saved replies and the shared ones, and a form for a new one."""
    return _page(request, session, viewer)


@router.post("/replies")
def add_reply(
    request: Request,
    session: SessionDep,
    viewer: Checked,
    title: Annotated[str, Form(max_length=TITLE_LIMIT * 2)] = "",
    text: Annotated[str, Form(max_length=REPLY_LIMIT * 2)] = "",
    shared: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Keep a new saved reply (shared with every coach when ticked)."""
    try:
        do_add_saved_reply(
            session,
            coach=viewer.coach,
            title=title,
            text=text,
            shared=shared == "1",
            now=panel_of(request).clock(),
        )
    except SavedReplyError as refused:
        form = {"title": title, "text": text, "shared": shared}
        return _page(request, session, viewer, error=str(refused), form=form, status_code=422)
    return RedirectResponse("/replies?saved=1", status_code=303)


@router.post("/replies/{reply_id}/delete")
def delete_reply(reply_id: int, session: SessionDep, viewer: Checked) -> Response:
    """Delete a saved reply: one's own, or a shared one as an admin (anything else: 404)."""
    if not do_delete_saved_reply(session, coach=viewer.coach, reply_id=reply_id):
        session.commit()
        raise HTTPException(status_code=404)
    return RedirectResponse("/replies", status_code=303)
