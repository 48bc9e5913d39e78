"""The coach's side of Telegram: linking their own chat, and sending them notices.

A coach opens the one-time deep link the panel made (`/start coach_…`); that chat then gets
Polku's notices (core.services.notices). The link handler runs before every other handler, so a
coach linking their chat is never taken for a young person.

The notice job sends due notices every few seconds, in the panel's language, with a button to
the panel page when POLKU_PANEL_URL is set. A transient failure (5xx, time-out, network) is
retried with backoff; a coach who blocked the bot or deleted the chat is unlinked.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.runtime import engine_of, run_db, settings_of
from core.db import transaction
from core.i18n import N_, gettext_for
from core.models import Coach, NoticeKind, Youth, row_id, utcnow
from core.services.notices import claim_due_notices, do_redeem_link, do_settle_notice, do_unlink

log = logging.getLogger(__name__)

NOTICE_EVERY = timedelta(seconds=2)

NOTICE_TEXTS = {
    NoticeKind.URGENT: N_("🔴 Urgent: {name} needs a person now."),
    NoticeKind.WAITING: N_("💬 {name} is waiting for your answer."),
    NoticeKind.CANT_COME: N_("📅 {name} can't come to an appointment."),
    NoticeKind.UNREACHABLE: N_("⚠️ {name} can no longer be reached in Telegram."),
}
OPEN_PANEL = N_("Open in Polku")
LINKED = N_("✅ Linked. {name}, Polku's notices for you come to this chat.")
NOT_LINKED = N_("This link is old or used. Make a new one in Polku's panel.")


@dataclass(frozen=True)
class _Outgoing:
    notice_id: int
    chat_id: int
    coach_id: int
    text: str
    page: str | None  # the panel path to open


async def link_coach(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/start coach_<code>`: tie this chat to the coach who made the code, then stop."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not context.args:
        return
    payload = context.args[0]

    def redeem(session: Session) -> str | None:
        coach = do_redeem_link(session, payload=payload, chat_id=chat.id, now=utcnow())
        return coach.display_name if coach is not None else None

    name = await run_db(context, redeem)
    _ = gettext_for(settings_of(context).panel_language).gettext
    await message.reply_text(_(LINKED).format(name=name) if name else _(NOT_LINKED))
    raise ApplicationHandlerStop


def _render(session: Session, now: datetime, language: str) -> list[_Outgoing]:
    _ = gettext_for(language).gettext
    outgoing = []
    for notice in claim_due_notices(session, now=now):
        coach = session.get(Coach, notice.coach_id)
        youth = session.get(Youth, notice.youth_id) if notice.youth_id is not None else None
        notice_id = row_id(notice)
        if coach is None or coach.telegram_chat_id is None:
            do_settle_notice(session, notice_id=notice_id, sent=False, error="unlinked", now=now)
            continue
        name = (youth.first_name if youth else None) or _("A young person")
        page = f"/youth/{youth.id}/chat" if youth is not None else "/"
        text = _(NOTICE_TEXTS[NoticeKind(notice.kind)]).format(name=name)
        outgoing.append(_Outgoing(notice_id, coach.telegram_chat_id, row_id(coach), text, page))
    return outgoing


async def send_notices(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: send every due notice, each once, and record how it went."""
    settings, engine = settings_of(context), engine_of(context)
    language = settings.panel_language
    _ = gettext_for(language).gettext

    def claim() -> list[_Outgoing]:
        with transaction(engine) as session:
            return _render(session, utcnow(), language)

    try:
        outgoing = await asyncio.to_thread(claim)
    except Exception:  # a failed run must not stop the next one
        log.exception("could not claim coach notices")
        return
    for item in outgoing:
        markup = None
        if settings.panel_url and item.page:
            button = InlineKeyboardButton(_(OPEN_PANEL), url=f"{settings.panel_url}{item.page}")
            markup = InlineKeyboardMarkup([[button]])
        sent, transient, gone, error = False, False, False, None
        try:
            await context.bot.send_message(item.chat_id, item.text, reply_markup=markup)
            sent = True
        except RetryAfter as exc:
            transient, error = True, f"429 retry after {exc.retry_after}"
        except Forbidden as exc:
            gone, error = True, f"403 {exc.message}"[:200]
        except BadRequest as exc:
            gone = "chat not found" in exc.message.lower()
            error = f"400 {exc.message}"[:200]
        except (NetworkError, TelegramError) as exc:
            transient, error = True, type(exc).__name__
        await asyncio.to_thread(_settle, engine, item, sent, transient, gone, error)


def _settle(
    engine: Engine, item: _Outgoing, sent: bool, transient: bool, gone: bool, error: str | None
) -> None:
    with transaction(engine) as session:
        now = utcnow()
        do_settle_notice(
            session, notice_id=item.notice_id, sent=sent, error=error, transient=transient, now=now
        )
        if gone:
            coach = session.get(Coach, item.coach_id)
            if coach is not None and coach.telegram_chat_id == item.chat_id:
                do_unlink(session, coach=coach)
                log.warning("a coach's Telegram chat is gone; unlinked", extra={"coach": coach.id})
