"""Sending to a young person and keeping the chat log: every message is a row (with consent)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from telegram import Message as TelegramMessage
from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from bot.runtime import run_db
from core.models import Delivery, Direction, MediaKind, Youth
from core.services.messages import do_record_message
from core.services.youth import do_mark_unreachable

log = logging.getLogger(__name__)

# Waits between tries to log a message already sent (then the gap is logged as an error).
LOG_RETRY_WAITS = (0.2, 1.0, 3.0)

# How Telegram words its refusal to answer a tap after about 15 seconds.
TOO_LATE_TO_ANSWER = ("query is too old", "query id is invalid")

# A reply waits at most this long for Telegram's 429 retry_after before giving up.
MAX_RETRY_AFTER_SECONDS = 30.0


async def wait_for_telegram(seconds: float) -> None:
    """Wait as long as Telegram asked (a seam, so tests need not wait for real)."""
    await asyncio.sleep(seconds)


def _seconds(retry_after: timedelta | float) -> float:
    """PTB gives retry_after as seconds or, with PTB_TIMEDELTA set, as a timedelta."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


async def _send_once_more_after_429(send: Any) -> TelegramMessage:
    """Call `send()`; on 429 wait the time Telegram asks for and try once more."""
    try:
        return await send()  # type: ignore[no-any-return]
    except RetryAfter as exc:
        wait = _seconds(exc.retry_after)
        if wait > MAX_RETRY_AFTER_SECONDS:
            raise
        log.warning("telegram asked to slow down", extra={"retry_after": wait})
        await wait_for_telegram(wait)
        return await send()  # type: ignore[no-any-return]


async def say(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    chat_id: int,
    youth_id: int | None,
    text: str,
    reply_markup: Any = None,
) -> TelegramMessage | None:
    """Send a text to a young person's chat and log it; None when they have blocked the bot."""
    try:
        sent = await _send_once_more_after_429(
            lambda: context.bot.send_message(chat_id, text, reply_markup=reply_markup)
        )
    except Forbidden:
        await _record_blocked(context, youth_id=youth_id, text=text)
        return None
    await _record_outgoing(
        context, youth_id=youth_id, text=text, telegram_message_id=sent.message_id
    )
    return sent


async def send_file(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    chat_id: int,
    youth_id: int | None,
    data: bytes,
    filename: str,
    caption: str,
) -> TelegramMessage | None:
    """Send a document (such as the /mydata export) and log that it was sent."""
    return await _send_media(
        context,
        youth_id=youth_id,
        caption=caption,
        kind=MediaKind.DOCUMENT,
        send=lambda: context.bot.send_document(
            chat_id, document=data, filename=filename, caption=caption
        ),
    )


async def send_photo(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    chat_id: int,
    youth_id: int | None,
    data: bytes,
    caption: str,
) -> TelegramMessage | None:
    """Send a picture (such as the radar chart) and log it like any other message."""
    return await _send_media(
        context,
        youth_id=youth_id,
        caption=caption,
        kind=MediaKind.PHOTO,
        send=lambda: context.bot.send_photo(chat_id, photo=data, caption=caption),
    )


async def _send_media(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    youth_id: int | None,
    caption: str,
    kind: MediaKind,
    send: Any,
) -> TelegramMessage | None:
    """Send a file, then log it with its Telegram file_id; None when the bot is blocked."""
    try:
        sent = await _send_once_more_after_429(send)
    except Forbidden:
        await _record_blocked(context, youth_id=youth_id, text=caption)
        return None
    attachment = sent.effective_attachment
    if isinstance(attachment, tuple):  # a photo comes in several sizes: keep the largest
        attachment = attachment[-1] if attachment else None
    await _record_outgoing(
        context,
        youth_id=youth_id,
        text=caption,
        telegram_message_id=sent.message_id,
        media_kind=kind,
        file_id=getattr(attachment, "file_id", None),
    )
    return sent


async def _record_outgoing(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    youth_id: int | None,
    text: str | None,
    telegram_message_id: int | None,
    media_kind: MediaKind = MediaKind.TEXT,
    file_id: str | None = None,
) -> None:
    """Keep a delivered message in the chat log (off the event loop).

    The message is already in the young person's chat: failing here would retry the whole
    update and send it to them twice. So the log is tried a few times, and if the database
    stays away the gap is logged as an error (without the text) instead."""
    if youth_id is None:
        return

    def keep(session: Session) -> None:
        youth = session.get(Youth, youth_id)
        if youth is not None:
            do_record_message(
                session,
                youth=youth,
                direction=Direction.BOT,
                text=text,
                media_kind=media_kind,
                file_id=file_id,
                telegram_message_id=telegram_message_id,
                delivery_status=Delivery.SENT,
            )

    for wait in LOG_RETRY_WAITS:
        try:
            await run_db(context, keep)
            return
        except SQLAlchemyError as exc:
            log.warning("could not log a sent message", extra={"error": type(exc).__name__})
            await asyncio.sleep(wait)
    log.error("a sent message is missing from the chat log", extra={"youth_id": youth_id})


async def _record_blocked(
    context: ContextTypes.DEFAULT_TYPE, *, youth_id: int | None, text: str | None
) -> None:
    """Telegram said 403: log the message as not delivered and the young person as unreachable."""
    log.info("young person has blocked the bot", extra={"youth_id": youth_id})
    if youth_id is None:
        return

    def keep(session: Session) -> None:
        youth = session.get(Youth, youth_id)
        if youth is not None:
            do_record_message(
                session,
                youth=youth,
                direction=Direction.BOT,
                text=text,
                delivery_status=Delivery.BLOCKED,
            )
            do_mark_unreachable(session, youth=youth)

    await run_db(context, keep)


async def answer_tap(update: Update, text: str | None = None) -> None:
    """Answer a button tap so the young person's app stops its spinner.

    Telegram accepts an answer only for about 15 seconds. A tap handled later (after a retry,
    or a slow database) has nothing left to stop; failing on it would only retry the update
    and answer the young person twice."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer(text)
    except BadRequest as exc:
        if not any(words in exc.message.lower() for words in TOO_LATE_TO_ANSWER):
            raise
        log.info("a tap was answered too late to stop its spinner")
    except (NetworkError, RetryAfter) as exc:
        # Only the spinner stays: the answer that matters comes next, or its retry does.
        log.warning("could not stop a tap's spinner", extra={"error": type(exc).__name__})


async def edit_tapped(update: Update, text: str) -> None:
    """Change the tapped message in place to `text` (its buttons go): the answer shows where it
    was given. A message that can no longer be edited is left as it is."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=None)
        except (Forbidden, BadRequest) as exc:
            log.info("a tapped message could not be edited", extra={"error": type(exc).__name__})


async def remove_buttons(update: Update) -> None:
    """Take the inline buttons off the message that was tapped, so it cannot be tapped again."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except (Forbidden, BadRequest):
            return  # blocked, or the buttons were already gone (a double tap)
