"""Everything Polku was not asked for: media, edits, unknown commands, groups, blocks, old taps.

Each gets a short, kind answer or is safely ignored, and none of them may crash a handler.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.replies import answer_tap, say
from bot.runtime import engine_of, language_of
from core.db import transaction
from core.i18n import LANGUAGES, N_, gettext_for
from core.models import row_id
from core.services.youth import access_youth_by_telegram_id, do_mark_unreachable, do_touch

log = logging.getLogger(__name__)


async def _reply_in_own_language(
    update: Update, context: ContextTypes.DEFAULT_TYPE, msgid: str
) -> None:
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
        youth_id = row_id(youth) if youth else None
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=gettext_for(language).gettext(msgid),
    )


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, voice, stickers, files and places: thank, and point back to words and buttons."""
    message = update.effective_message
    if message.sticker is not None:
        msgid = N_("Nice sticker! 😄 I understand words and buttons best.")
    elif message.location is not None:
        msgid = N_("Thanks for the location! I can't use it here, but the buttons below work.")
    else:
        msgid = N_(
            "Thanks! I can't open photos, voice or files myself. Please write or use the buttons."
        )
    await _reply_in_own_language(update, context, msgid)


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: say that the first version counts."""
    await _reply_in_own_language(
        update,
        context,
        N_("You edited a message. If something changed, please send it as a new message."),
    )


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command Polku does not have."""
    await _reply_in_own_language(
        update, context, N_("I don't know that command. /help shows what I can do.")
    )


async def on_stale_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a button Polku no longer knows: answer kindly instead of acting."""
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        language = language_of(update, youth)
    await answer_tap(
        update,
        gettext_for(language).gettext("This button is old. Please use the newest message 🙂"),
    )


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Polku is for private chats: say so once, in every language, and leave the group."""
    chat = update.effective_chat
    if chat is None:
        return
    if update.my_chat_member is not None and update.my_chat_member.new_chat_member.status in (
        ChatMember.LEFT,
        ChatMember.BANNED,
    ):
        return
    text = "\n".join(
        gettext_for(code).gettext("Polku works only in private chats. Open a chat with me 🙂")
        for code in LANGUAGES
    )
    try:
        if chat.type != ChatType.CHANNEL:
            await context.bot.send_message(chat.id, text)
        await context.bot.leave_chat(chat.id)
    except TelegramError as exc:
        log.info("could not leave a group", extra={"error": type(exc).__name__})


async def on_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was added to a group, or a young person blocked or unblocked it."""
    if update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE:
        await on_group(update, context)
        return
    status = update.my_chat_member.new_chat_member.status
    with transaction(engine_of(context)) as session:
        youth = access_youth_by_telegram_id(session, telegram_user_id=update.effective_user.id)
        if youth is None:
            return
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            do_mark_unreachable(session, youth=youth)
        else:
            do_touch(session, youth=youth)


def _stored_language(context: ContextTypes.DEFAULT_TYPE, update: Update) -> str:
    """The young person's chosen language, if the database still answers."""
    user = update.effective_user
    try:
        with transaction(engine_of(context)) as session:
            youth = access_youth_by_telegram_id(session, telegram_user_id=user.id) if user else None
            return language_of(update, youth)
    except SQLAlchemyError:
        return language_of(update, None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without message text, and never leave the young person without an answer."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "handler failed",
        exc_info=(type(error), error, error.__traceback__) if error else None,
        extra={"update_id": update_id},
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError:
            log.info("could not answer the tap after a failure")
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    language = _stored_language(context, update)
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            gettext_for(language).gettext(
                "Sorry, something went wrong on my side. Please try again."
            ),
        )
    except TelegramError:
        log.warning("could not tell the young person about the failure")
