"""One conversation: the latest messages with result cards and the bot's chatter folded, the
reply box with saved replies, coaches' notes, resending a reply that failed, hand back,
handled, and photos, voice and documents through a proxied download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from admin.web import Checked, CurrentViewer, SessionDep, Viewer, is_htmx, panel_of, render
from core.models import Coach, MediaKind, Message, Youth
from core.services.access import access_message_by_id, access_youth_by_id
from core.services.alerts import do_mark_alert_opened, open_alert
from core.services.audit import do_audit
from core.services.notes import NOTE_LIMIT, NoteError, do_add_note, do_delete_note, notes_of
from core.services.outbox import do_resend_reply
from core.services.saved_replies import filled, saved_replies_for
from core.services.talk import (
    REPLY_LIMIT,
    TalkError,
    UnansweredMessage,
    coach_of,
    conversation,
    do_close_talk,
    do_coach_reply,
    do_mark_handled,
    do_mark_read,
)
from core.services.timeline import cards_since, entries

router = APIRouter()
PAGE = 100  # messages on one page of the conversation
CONTENT_TYPES = {
    MediaKind.PHOTO: "image/jpeg",
    MediaKind.VOICE: "audio/ogg",
    MediaKind.AUDIO: "audio/mpeg",
    MediaKind.VIDEO: "video/mp4",
    MediaKind.VIDEO_NOTE: "video/mp4",
    MediaKind.STICKER: "image/webp",
}


def visible_youth(session: Session, viewer: Viewer, youth_id: int) -> Youth:
    """The young person, or 404 when this coach may not see them (audited)."""
    youth = access_youth_by_id(session, coach=viewer.coach, youth_id=youth_id)
    if youth is None:
        session.commit()  # the refusal's audit event stays, though the request ends in 404
        raise HTTPException(status_code=404)
    return youth


def _timeline(session: Session, youth: Youth, before: int | None) -> dict[str, Any]:
    """The chat page's live part: the latest messages (or an older page), cards and folds."""
    messages = conversation(session, youth_id=youth.id or 0, before_id=before, limit=PAGE)
    full_page = len(messages) >= PAGE  # older messages exist: cards from this page's start
    since = messages[0].created_at if full_page else None
    cards = cards_since(session, youth_id=youth.id or 0, since=since)
    if before is not None:  # an older page: only the cards among its messages
        cards = [c for c in cards if messages and c.created_at <= messages[-1].created_at]
    senders = {c.id: c.display_name for c in session.exec(select(Coach)).all()}
    return {
        "youth": youth,
        "entries": entries(messages, cards),
        "senders": senders,
        "older": messages[0].id if full_page else None,
        "coach": coach_of(session, youth),
        "alert": open_alert(session, youth_id=youth.id or 0),
        "reply_limit": REPLY_LIMIT,
    }


def _chat_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    youth: Youth,
    error: str = "",
    *,
    status_code: int = 200,
    unanswered_warning: bool = False,
    note_error: str = "",
) -> Response:
    before = request.query_params.get("before")
    saved = saved_replies_for(session, coach=viewer.coach)
    chosen = request.query_params.get("saved", "")
    draft = next((filled(r, youth) for r in saved if str(r.id) == chosen), "")
    return render(
        request,
        "conversation.html",
        viewer,
        status_code=status_code,
        error=error,
        unanswered_warning=unanswered_warning,
        saved_replies=[(r, filled(r, youth)) for r in saved],
        draft=draft,
        notes=notes_of(session, youth_id=youth.id or 0),
        note_error=note_error,
        note_limit=NOTE_LIMIT,
        **_timeline(session, youth, int(before) if before and before.isdigit() else None),
    )


@router.get("/youth/{youth_id}/chat")
def chat(request: Request, youth_id: int, session: SessionDep, viewer: CurrentViewer) -> Response:
    """The whole conversation; opening it marks it read and is audited."""
    youth = visible_youth(session, viewer, youth_id)
    do_mark_read(session, youth=youth)
    do_mark_alert_opened(session, coach=viewer.coach, youth=youth, now=panel_of(request).clock())
    do_audit(
        session,
        actor="coach",
        action="youth.read_chat",
        coach_id=viewer.coach.id,
        youth_id=youth.id,
    )
    return _chat_page(request, session, viewer, youth)


@router.get("/youth/{youth_id}/chat/messages")
def chat_messages(
    request: Request, youth_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """The message list alone, for htmx polling (new messages, delivery status)."""
    youth = visible_youth(session, viewer, youth_id)
    do_mark_read(session, youth=youth)
    return render(request, "_messages.html", viewer, **_timeline(session, youth, None))


@router.post("/youth/{youth_id}/reply")
def reply(
    request: Request,
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    text: Annotated[str, Form(max_length=REPLY_LIMIT * 2)] = "",
) -> Response:
    """Queue the coach's answer in the outbox; the list shows it at once as 'sending'."""
    youth = visible_youth(session, viewer, youth_id)
    try:
        do_coach_reply(
            session, coach=viewer.coach, youth=youth, text=text, now=panel_of(request).clock()
        )
    except TalkError as refused:
        if is_htmx(request):
            return render(
                request,
                "_messages.html",
                viewer,
                status_code=422,
                error=str(refused),
                **_timeline(session, youth, None),
            )
        return _chat_page(request, session, viewer, youth, error=str(refused))
    if is_htmx(request):
        return render(request, "_messages.html", viewer, **_timeline(session, youth, None))
    return RedirectResponse(f"/youth/{youth_id}/chat", status_code=303)


@router.post("/messages/{message_id}/resend")
def resend(request: Request, message_id: int, session: SessionDep, viewer: Checked) -> Response:
    """Queue a reply that failed once more; the list shows it as 'sending' again."""
    message = do_resend_reply(
        session, coach=viewer.coach, message_id=message_id, now=panel_of(request).clock()
    )
    youth = session.get(Youth, message.youth_id) if message is not None else None
    if message is None or youth is None:
        session.commit()  # the refusal's audit event stays, though the request ends in 404
        raise HTTPException(status_code=404)
    if is_htmx(request):
        return render(request, "_messages.html", viewer, **_timeline(session, youth, None))
    return RedirectResponse(f"/youth/{youth.id}/chat", status_code=303)


@router.post("/youth/{youth_id}/handback")
def hand_back(
    request: Request,
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    unanswered_ok: Annotated[str, Form()] = "",
) -> Response:
    """Give the conversation back to the bot; the young person is told. While their last
    message has no answer, the page asks first (409) and hands back only when confirmed."""
    youth = visible_youth(session, viewer, youth_id)
    try:
        do_close_talk(
            session,
            youth=youth,
            by_coach=viewer.coach,
            now=panel_of(request).clock(),
            unanswered_ok=unanswered_ok == "1",
        )
    except UnansweredMessage:
        return _chat_page(request, session, viewer, youth, status_code=409, unanswered_warning=True)
    return RedirectResponse(f"/youth/{youth_id}/chat", status_code=303)


@router.post("/youth/{youth_id}/handled")
def handled(request: Request, youth_id: int, session: SessionDep, viewer: Checked) -> Response:
    """Nothing to answer now: the conversation leaves the waiting list."""
    youth = visible_youth(session, viewer, youth_id)
    do_mark_handled(session, coach=viewer.coach, youth=youth, now=panel_of(request).clock())
    return RedirectResponse("/", status_code=303)


@router.post("/youth/{youth_id}/notes")
def add_note(
    request: Request,
    youth_id: int,
    session: SessionDep,
    viewer: Checked,
    text: Annotated[str, Form(max_length=NOTE_LIMIT * 2)] = "",
) -> Response:
    """Keep a coaches-only note about the young person."""
    youth = visible_youth(session, viewer, youth_id)
    try:
        do_add_note(
            session, coach=viewer.coach, youth=youth, text=text, now=panel_of(request).clock()
        )
    except NoteError as refused:
        return _chat_page(request, session, viewer, youth, status_code=422, note_error=str(refused))
    return RedirectResponse(f"/youth/{youth_id}/chat#notes", status_code=303)


@router.post("/youth/{youth_id}/notes/{note_id}/delete")
def delete_note(
    request: Request, youth_id: int, note_id: int, session: SessionDep, viewer: Checked
) -> Response:
    """Delete one's own note (another's note, or one of another young person's: 404)."""
    youth = visible_youth(session, viewer, youth_id)
    if not do_delete_note(session, coach=viewer.coach, youth=youth, note_id=note_id):
        raise HTTPException(status_code=404)
    return RedirectResponse(f"/youth/{youth_id}/chat#notes", status_code=303)


def _media_of(session: Session, viewer: Viewer, message_id: int) -> Message:
    """The message whose file is asked for, in the request's own transaction, committed here:
    the fetch from Telegram that follows must not hold the database (SQLite's write lock)."""
    message = access_message_by_id(session, coach=viewer.coach, message_id=message_id)
    if message is None or message.file_id is None:
        session.commit()  # keep the refusal's audit event
        raise HTTPException(status_code=404)
    do_audit(
        session,
        actor="coach",
        action="media.read",
        coach_id=viewer.coach.id,
        youth_id=message.youth_id,
        detail=message.media_kind,
    )
    session.commit()
    return message


@router.get("/media/{message_id}")
async def media(
    request: Request, message_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """A photo, voice message or file, fetched from Telegram by the server for the browser."""
    message = await run_in_threadpool(_media_of, session, viewer, message_id)
    fetch = panel_of(request).fetch_media
    if fetch is None:
        raise HTTPException(status_code=404)
    try:
        content = await fetch(message.file_id or "")
    except Exception as exc:  # Telegram forgot the file or could not be reached
        raise HTTPException(status_code=502) from exc
    kind = MediaKind(message.media_kind)
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    if kind not in CONTENT_TYPES:
        headers["Content-Disposition"] = f'attachment; filename="polku-{message_id}"'
    return Response(
        content, media_type=CONTENT_TYPES.get(kind, "application/octet-stream"), headers=headers
    )
