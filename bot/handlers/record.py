"""Keep the chat log: every incoming private message becomes a row before it is answered."""

from __future__ import annotations

from sqlmodel import Session
from telegram import Message as TelegramMessage
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.runtime import run_db, settings_of
from core.models import MediaKind
from core.services.messages import do_record_incoming
from core.services.youth import access_youth_by_telegram_id, do_touch


def describe(message: TelegramMessage) -> tuple[MediaKind, str | None, str | None]:
    """Return (media kind, text, Telegram file_id) of an incoming message."""
    if message.photo:
        return MediaKind.PHOTO, message.caption, message.photo[-1].file_id
    if message.sticker:
        return MediaKind.STICKER, message.sticker.emoji, message.sticker.file_id
    for kind, attachment in (
        (MediaKind.VOICE, message.voice),
        (MediaKind.AUDIO, message.audio),
        (MediaKind.VIDEO, message.video),
        (MediaKind.VIDEO_NOTE, message.video_note),
        (MediaKind.DOCUMENT, message.document),
    ):
        if attachment is not None:
            return kind, message.caption, attachment.file_id
    if message.location:
        where = f"{message.location.latitude},{message.location.longitude}"
        return MediaKind.LOCATION, where, None
    if message.contact:
        return MediaKind.CONTACT, None, None
    if message.text is not None:
        return MediaKind.TEXT, message.text, None
    return MediaKind.OTHER, None, None


async def record_incoming(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Note the young person as seen and, with their consent, log what they sent (once, even
    when the update is handled again after a failure)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return
    message = update.message or update.edited_message
    seen = update.my_chat_member is None  # a block or unblock is not the young person writing
    tz = settings_of(context).tz

    def record(session: Session) -> None:
        youth = access_youth_by_telegram_id(session, telegram_user_id=user.id)
        if youth is None:
            return
        if seen:
            do_touch(session, youth=youth)
        if message is None:
            return
        media_kind, text, file_id = describe(message)
        do_record_incoming(
            session,
            youth=youth,
            telegram_message_id=message.message_id,
            text=text,
            media_kind=media_kind,
            file_id=file_id,
            tz=tz,
        )

    await run_db(context, record)
