"""What every handler needs from the running bot: the database and the young person's language."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar, cast

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from core.db import transaction
from core.dialogs.schema import Dialogue
from core.i18n import pick_language
from core.models import Youth
from core.services.youth import do_register_youth
from core.settings import Settings

ENGINE_KEY = "engine"
SETTINGS_KEY = "settings"
DIALOGUES_KEY = "dialogues"
DETECTOR_KEY = "crisis_detector"
FALLBACK_KEY = "crisis_fallback"

T = TypeVar("T")


def engine_of(context: ContextTypes.DEFAULT_TYPE) -> Engine:
    """The database engine the application was built with."""
    return cast(Engine, context.bot_data[ENGINE_KEY])


def settings_of(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    """The settings the application was built with."""
    return cast(Settings, context.bot_data[SETTINGS_KEY])


def dialogues_of(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Dialogue]:
    """The dialogues validated at start-up."""
    return cast(dict[str, Dialogue], context.bot_data[DIALOGUES_KEY])


async def run_db(context: ContextTypes.DEFAULT_TYPE, work: Callable[[Session], T]) -> T:
    """Run `work` as one transaction in a worker thread and return what it returns.

    A query on the event loop would make every other young person wait for the database;
    here the loop goes on answering them. `work` must return plain values or rows it has
    read (sessions keep them loaded: expire_on_commit=False), nothing that loads lazily, and
    must not touch `context.chat_data` (it runs in another thread).
    """
    engine = engine_of(context)

    def in_transaction() -> T:
        with transaction(engine) as session:
            return work(session)

    return await asyncio.to_thread(in_transaction)


def youth_of(session: Session, update: Update) -> Youth:
    """The young person who sent this update, registered on first contact."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        raise ValueError("only updates from a person in a chat belong to a young person")
    return do_register_youth(session, telegram_user_id=user.id, chat_id=chat.id)


def language_of(update: Update, youth: Youth | None) -> str:
    """The young person's chosen language, else their Telegram app's, else Finnish."""
    telegram_language = update.effective_user.language_code if update.effective_user else None
    return pick_language(youth.language if youth else None, telegram_language)
