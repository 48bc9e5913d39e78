"""One way into a handler: a young person's "turn".

Every update from a young person needs the same things: their row (registered on first
contact), the database work the update asks for, their language and a way to answer in their
chat. `take_turn` does the database part as ONE transaction in a worker thread (`run_db`),
never on the event loop, where a slow query would make every other young person wait, and
hands back a frozen `Turn` of plain values to answer with:

    turn = await take_turn(update, context, lambda session, youth: do_set_language(...))
    await turn.say(turn._("Okay! I will now speak English."))

`work` runs in another thread, inside the transaction: it returns plain values or rows it has
read (still readable afterwards: sessions use expire_on_commit=False), awaits nothing and does
not touch `context.chat_data`. No lock or session outlives it, so none is held across an await.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, overload

from sqlmodel import Session
from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram import Message as TelegramMessage
from telegram.ext import ContextTypes

from bot.replies import say
from bot.runtime import language_of, run_db, youth_of
from core.i18n import gettext_for
from core.models import Youth, row_id
from core.services.youth import access_youth_by_telegram_id

__all__ = [
    "ReplyMarkup",
    "Turn",
    "look_up_turn",
    "run_db",
    "take_turn",
    "tap_data",
    "tapped",
]

T = TypeVar("T")
R = TypeVar("R", covariant=True)  # a Turn[FinishedRun] is usable wherever a Turn[object] is

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


@dataclass(frozen=True)
class Turn(Generic[R]):
    """Whom an update is answered for, where, in which language, and what its work returned."""

    context: ContextTypes.DEFAULT_TYPE
    chat_id: int
    # Always set by take_turn; None only from look_up_turn for someone with no row (never
    # started, or erased), whose answers are then sent but not kept.
    youth_id: int | None
    language: str  # read after the work, so a language just chosen is already used
    result: R

    @property
    def translations(self) -> gettext.NullTranslations:
        """The young person's catalog, for helpers that take one (keyboards, renderers)."""
        return gettext_for(self.language)

    def _(self, msgid: str) -> str:
        """`msgid` in the young person's language (extracted by `make i18n` like any `_()`)."""
        return self.translations.gettext(msgid)

    async def say(
        self, text: str, reply_markup: ReplyMarkup | None = None
    ) -> TelegramMessage | None:
        """Send `text` to this chat and keep it in the chat log; None if they blocked the bot."""
        return await say(
            self.context,
            chat_id=self.chat_id,
            youth_id=self.youth_id,
            text=text,
            reply_markup=reply_markup,
        )


def _chat_id(update: Update) -> int:
    if update.effective_chat is None:
        raise ValueError("a turn answers in a chat; this update has none")
    return update.effective_chat.id


def _user_id(update: Update) -> int:
    if update.effective_user is None:
        raise ValueError("a turn acts for a person; this update has none")
    return update.effective_user.id


@overload
async def take_turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Turn[None]: ...


@overload
async def take_turn(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    work: Callable[[Session, Youth], T],
) -> Turn[T]: ...


async def take_turn(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    work: Callable[[Session, Youth], T] | None = None,
) -> Turn[T | None]:
    """Register or load the young person, run `work(session, youth)` in the same transaction
    (in a worker thread), and return the Turn to answer with."""
    chat_id = _chat_id(update)

    def in_transaction(session: Session) -> tuple[int, str, T | None]:
        youth = youth_of(session, update)
        result = work(session, youth) if work is not None else None
        return row_id(youth), language_of(update, youth), result

    youth_id, language, result = await run_db(context, in_transaction)
    return Turn(context, chat_id, youth_id, language, result)


@overload
async def look_up_turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Turn[None]: ...


@overload
async def look_up_turn(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    work: Callable[[Session, Youth | None], T],
) -> Turn[T]: ...


async def look_up_turn(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    work: Callable[[Session, Youth | None], T] | None = None,
) -> Turn[T | None]:
    """Like take_turn, but registers nobody: for what must not create a row (/privacy,
    /delete, an old button). `work` gets None for someone Polku does not know."""
    chat_id, user_id = _chat_id(update), _user_id(update)

    def in_transaction(session: Session) -> tuple[int | None, str, T | None]:
        youth = access_youth_by_telegram_id(session, telegram_user_id=user_id)
        result = work(session, youth) if work is not None else None
        return (row_id(youth) if youth else None), language_of(update, youth), result

    youth_id, language, result = await run_db(context, in_transaction)
    return Turn(context, chat_id, youth_id, language, result)


def tapped(update: Update) -> CallbackQuery:
    """The button tap of this update (a handler registered for taps always has one)."""
    if update.callback_query is None:
        raise ValueError("this handler answers button taps; the update has none")
    return update.callback_query


def tap_data(update: Update) -> str:
    """The callback data of the tapped button, which the handler's pattern has matched."""
    data = tapped(update).data
    if data is None:
        raise ValueError("the tapped button carries no callback data")
    return data
