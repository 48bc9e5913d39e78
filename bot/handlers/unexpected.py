"""Everything Polku was not asked for: media, edits, unknown commands, groups, blocks, old taps.

Each gets a short, kind answer or is safely ignored, and none of them may crash a handler.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.attempt import note_failure
from bot.replies import answer_tap
from bot.runtime import language_of, run_db
from bot.turn import look_up_turn
from core.i18n import LANGUAGES, N_, gettext_for
from core.services.youth import access_youth_by_telegram_id, do_mark_unreachable, do_touch

log = logging.getLogger(__name__)


async def _reply_in_own_language(
    update: Update, context: ContextTypes.DEFAULT_TYPE, msgid: str
) -> None:
    turn = await look_up_turn(update, context)
    await turn.say(turn._(msgid))


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, voice, stickers, files and places: thank, and point back to words and buttons."""
    message = update.effective_message
    if message is None:
        return
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
    turn = await look_up_turn(update, context)
    await answer_tap(update, turn._("This button is old. Please use the newest message 🙂"))


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
    member, user = update.my_chat_member, update.effective_user
    if member is None or user is None:
        return
    gone = member.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)

    def note(session: Session) -> None:
        youth = access_youth_by_telegram_id(session, telegram_user_id=user.id)
        if youth is None:
            return
        if gone:
            do_mark_unreachable(session, youth=youth)
        else:
            do_touch(session, youth=youth)

    await run_db(context, note)


async def _stored_language(context: ContextTypes.DEFAULT_TYPE, update: Update) -> str:
    """The young person's chosen language, if the database still answers."""
    user = update.effective_user
    if user is None:
        return language_of(update, None)

    def look_up(session: Session) -> str:
        youth = access_youth_by_telegram_id(session, telegram_user_id=user.id)
        return language_of(update, youth)

    try:
        return await run_db(context, look_up)
    except SQLAlchemyError:
        return language_of(update, None)


# Said only after the last try: the failed update stays stored for the admins to look into.
FAILED = N_("Sorry, something broke on my side. Your message is saved for a person to check.")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without message text. A failure that will be retried stays quiet (the
    retry answers); after the last try the young person hears honestly what happened.

    Either way no later handler group sees the update: a half-handled update must not be
    answered further (the retry starts it again from the top, which would answer twice)."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    final = note_failure(error) if error is not None else True
    log.log(
        logging.ERROR if final else logging.WARNING,
        "handler failed" if final else "handler failed; it will be retried",
        exc_info=(type(error), error, error.__traceback__) if error else None,
        extra={"update_id": update_id},
    )
    if not isinstance(update, Update):
        return  # a job's failure: logged, and the job runs again at its next time
    if final:
        await _tell_about_failure(update, context)
    raise ApplicationHandlerStop


async def _tell_about_failure(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the tap's spinner and, in a private chat, say honestly that the message was kept."""
    if update.effective_chat is None:
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError:
            log.info("could not answer the tap after a failure")
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    language = await _stored_language(context, update)
    try:
        await context.bot.send_message(
            update.effective_chat.id, gettext_for(language).gettext(FAILED)
        )
    except TelegramError:
        log.warning("could not tell the young person about the failure")
