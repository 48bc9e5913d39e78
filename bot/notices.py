"""The coach's side of notices: linking their own Telegram chat, and sending them notices.

A coach opens the one-time deep link the panel made (`/start coach_…`); that chat then gets
Polku's notices (core.services.notices). The link handler runs before every other handler, so a
coach linking their chat is never taken for a young person.

The notice job sends due notices every few seconds, in the panel's language: to the linked
Telegram chat (with a button to the panel page when POLKU_PANEL_URL is set) and by e-mail
(bot/mail.py). A transient failure (5xx, time-out, network, a 4xx from the mail server) is
retried with backoff; a coach who blocked the bot or deleted the chat is unlinked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram import Message as TelegramMessage
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes
from telegram.ext.filters import MessageFilter

from bot.attempt import is_transient
from bot.mail import MailError, send_email
from bot.runtime import engine_of, run_db, settings_of
from core.db import transaction
from core.i18n import N_, gettext_for
from core.models import Coach, NoticeChannel, NoticeKind, Youth, row_id, utcnow
from core.services.notices import (
    claim_due_notices,
    do_redeem_link,
    do_settle_notice,
    do_unlink,
    linked_chats,
    notice_answered,
)
from core.services.talk import TalkError, do_coach_reply
from core.settings import Settings

log = logging.getLogger(__name__)

NOTICE_EVERY = timedelta(seconds=2)

PATH_KINDS = (NoticeKind.CHECKIN_LOW, NoticeKind.CHECKIN_LEFT, NoticeKind.CHECKIN_SILENT)
NOTICE_TEXTS = {
    NoticeKind.URGENT: N_("🔴 Urgent: {name} needs a person now."),
    NoticeKind.WAITING: N_("💬 {name} is waiting for your answer."),
    NoticeKind.CANT_COME: N_("📅 {name} can't come to an appointment."),
    NoticeKind.NEW_TIME: N_("📅 {name} can't come to an appointment and would like a new time."),
    NoticeKind.UNREACHABLE: N_("⚠️ {name} can no longer be reached in Telegram."),
    NoticeKind.CHECKIN_LOW: N_("🧭 {name} says studies or work are not going well."),
    NoticeKind.CHECKIN_LEFT: N_("🧭 {name} says they have left their studies or work."),
    NoticeKind.CHECKIN_SILENT: N_("🧭 {name} has not answered two check-ins in a row."),
}
DIGEST = N_("💬 {count} young people are waiting for your answer.")
DIGEST_FROM = 3  # waiting young people in one go that become one message
OPEN_PANEL = N_("Open in Polku")
LINKED = N_("✅ Linked. {name}, Polku's notices for you come to this chat.")
NOT_LINKED = N_("This link is old or used. Make a new one in Polku's panel.")
SENT_TO = N_("✓ Sent to {name}. It shows in the panel too.")
REPLY_HOW = N_("To answer a young person here, reply to their notice (swipe it left).")
PANEL_ONLY = N_("This chat is for Polku's notices. Answer young people in Polku's panel.")
NOT_SENT = N_("Not sent: {reason}")
_YOUTH_FALLBACK = N_("A young person")


@dataclass(frozen=True)
class _Outgoing:
    notice_id: int
    channel: NoticeChannel
    address: int | str  # the coach's chat id, or their e-mail address
    coach_id: int
    text: str
    page: str  # the panel path to open
    kind: NoticeKind
    # Further notices this one message stands for (a digest); settled with it.
    also: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Result:
    sent: bool = False
    transient: bool = False
    gone: bool = False  # the coach's chat is gone (blocked, deleted): unlink it
    error: str | None = None
    message_id: int | None = None  # the notice in the coach's chat, for replies to it


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
    if name is not None:
        coach_chats_of(context).chats.add(chat.id)
    _ = gettext_for(settings_of(context).panel_language).gettext
    await message.reply_text(_(LINKED).format(name=name) if name else _(NOT_LINKED))
    raise ApplicationHandlerStop


class CoachChats(MessageFilter):
    """Messages in a chat a coach linked for notices (known in memory, refreshed by the notice
    job), so a coach writing there is never taken for a young person."""

    def __init__(self) -> None:
        super().__init__(name="CoachChats")
        self.chats: set[int] = set()
        self.loaded_at = 0.0

    def filter(self, message: TelegramMessage) -> bool:
        return message.chat_id in self.chats


COACH_CHATS_KEY = "coach_chats"
COACH_CHATS_EVERY = 30.0  # seconds between reloads: a chat unlinked elsewhere counts that long


def coach_chats_of(context: ContextTypes.DEFAULT_TYPE) -> CoachChats:
    """This application's filter of coaches' chats (made in bot/app.py)."""
    chats: CoachChats = context.bot_data[COACH_CHATS_KEY]
    return chats


async def in_coach_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything a coach writes in their notices chat: a reply to a notice answers that young
    person (when switched on); anything else gets a pointer to the panel."""
    message = update.message
    if message is None:
        raise ApplicationHandlerStop
    settings = settings_of(context)
    _ = gettext_for(settings.panel_language).gettext
    replied = message.reply_to_message
    if settings.coach_replies_in_telegram and replied is not None and message.text:
        await _reply_from_telegram(context, message, replied.message_id)
    elif settings.coach_replies_in_telegram:
        await message.reply_text(_(REPLY_HOW))
    else:
        await message.reply_text(_(PANEL_ONLY))
    raise ApplicationHandlerStop


async def _reply_from_telegram(
    context: ContextTypes.DEFAULT_TYPE, message: TelegramMessage, replied_to: int
) -> None:
    """A coach's reply to a notice answers that young person, as a reply from the panel would
    ("Maija: …", audited, in the panel)."""
    text, chat_id = message.text or "", message.chat_id
    replied = replied_to

    def answer(session: Session) -> tuple[str, str] | None:
        found = notice_answered(session, chat_id=chat_id, replied_to=replied)
        if found is None:
            return None
        coach, youth = found
        name = youth.first_name or _YOUTH_FALLBACK
        try:
            do_coach_reply(session, coach=coach, youth=youth, text=text, now=utcnow())
        except TalkError as refused:
            return name, str(refused)
        return name, ""

    result = await run_db(context, answer)
    _ = gettext_for(settings_of(context).panel_language).gettext
    if result is None:
        await message.reply_text(_(REPLY_HOW))
        return
    name, refused = result
    name = _(name) if name == _YOUTH_FALLBACK else name
    if refused:
        await message.reply_text(_(NOT_SENT).format(reason=_(refused)))
    else:
        await message.reply_text(_(SENT_TO).format(name=name))


async def _reload_coach_chats(engine: Engine, coach_chats: CoachChats) -> None:
    def load() -> set[int]:
        with transaction(engine) as session:
            return linked_chats(session)

    try:
        coach_chats.chats = await asyncio.to_thread(load)
        coach_chats.loaded_at = time.monotonic()
    except Exception:  # the next run tries again
        log.exception("could not load the coaches' chats")


def _render(session: Session, now: datetime, settings: Settings) -> list[_Outgoing]:
    _ = gettext_for(settings.panel_language).gettext
    outgoing = []
    for notice in claim_due_notices(session, now=now, tz=settings.tz):
        coach = session.get(Coach, notice.coach_id)
        youth = session.get(Youth, notice.youth_id) if notice.youth_id is not None else None
        notice_id, channel = row_id(notice), NoticeChannel(notice.channel)
        address = None
        if coach is not None:
            address = coach.telegram_chat_id if channel == NoticeChannel.TELEGRAM else coach.email
        if coach is None or address is None:
            do_settle_notice(session, notice_id=notice_id, sent=False, error="no address", now=now)
            continue
        name = (youth.first_name if youth else None) or _(_YOUTH_FALLBACK)
        page = f"/youth/{youth.id}/chat" if youth is not None else "/"
        if youth is not None and notice.kind in PATH_KINDS:
            page = f"/youth/{youth.id}#path"  # the check-in's answers are on the page
        text = _(NOTICE_TEXTS[NoticeKind(notice.kind)]).format(name=name)
        kind = NoticeKind(notice.kind)
        outgoing.append(_Outgoing(notice_id, channel, address, row_id(coach), text, page, kind))
    return outgoing


def send_soon(context: ContextTypes.DEFAULT_TYPE) -> None:
    """An urgent alert was just committed: send its notices now, not at the next tick.
    (Claims are compare-and-set, so this run and the repeating one never send one twice.)"""
    if context.job_queue is not None:
        context.job_queue.run_once(send_notices, when=0, name="coach notices now")


async def send_notices(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: send every due notice, each once, and record how it went; batch
    after batch until none is due."""
    settings, engine = settings_of(context), engine_of(context)

    def claim() -> list[_Outgoing]:
        with transaction(engine) as session:
            return _render(session, utcnow(), settings)

    coach_chats = coach_chats_of(context)
    if time.monotonic() - coach_chats.loaded_at > COACH_CHATS_EVERY:
        await _reload_coach_chats(engine, coach_chats)

    while True:
        try:
            outgoing = await asyncio.to_thread(claim)
        except Exception:  # a failed run must not stop the next one
            log.exception("could not claim coach notices")
            return
        if not outgoing:
            return
        messages = _with_digests(outgoing, settings)
        await asyncio.gather(*(_deliver(context, settings, engine, item) for item in messages))


def _with_digests(outgoing: list[_Outgoing], settings: Settings) -> list[_Outgoing]:
    """Several young people waiting for one coach at once become one message: "💬 4 young
    people are waiting for your answer." (a phone buzzing four times helps nobody)."""
    waiting: dict[tuple[int, NoticeChannel], list[_Outgoing]] = defaultdict(list)
    for item in outgoing:
        if item.kind == NoticeKind.WAITING:
            waiting[(item.coach_id, item.channel)].append(item)
    digested = {id(i) for items in waiting.values() if len(items) >= DIGEST_FROM for i in items}
    messages = [item for item in outgoing if id(item) not in digested]
    _ = gettext_for(settings.panel_language).gettext
    for items in waiting.values():
        if len(items) >= DIGEST_FROM:
            text = _(DIGEST).format(count=len(items))
            others = tuple(i.notice_id for i in items[1:])
            messages.append(replace(items[0], text=text, page="/", also=others))
    return messages


async def _deliver(
    context: ContextTypes.DEFAULT_TYPE, settings: Settings, engine: Engine, item: _Outgoing
) -> None:
    if item.channel == NoticeChannel.EMAIL:
        result = await asyncio.to_thread(_send_mail, settings, item)
    else:
        result = await _send_telegram(context, settings, item)
    await asyncio.to_thread(_settle, engine, item, result)


async def _send_telegram(
    context: ContextTypes.DEFAULT_TYPE, settings: Settings, item: _Outgoing
) -> _Result:
    _ = gettext_for(settings.panel_language).gettext
    markup = None
    if settings.panel_url:
        button = InlineKeyboardButton(_(OPEN_PANEL), url=f"{settings.panel_url}{item.page}")
        markup = InlineKeyboardMarkup([[button]])
    try:
        sent = await context.bot.send_message(item.address, item.text, reply_markup=markup)
    except RetryAfter as exc:
        return _Result(transient=True, error=f"429 retry after {exc.retry_after}")
    except Forbidden as exc:
        return _Result(gone=True, error=f"403 {exc.message}"[:200])
    except BadRequest as exc:
        return _Result(gone="chat not found" in exc.message.lower(), error=f"400 {exc.message}")
    except TelegramError as exc:  # 5xx, time-out and network are worth another try
        return _Result(transient=is_transient(exc), error=type(exc).__name__)
    return _Result(sent=True, message_id=sent.message_id)


def _send_mail(settings: Settings, item: _Outgoing) -> _Result:
    if not settings.email_enabled:
        return _Result(error="e-mail is not set up (POLKU_SMTP_HOST, POLKU_SMTP_FROM)")
    _ = gettext_for(settings.panel_language).gettext
    where = f"{settings.panel_url}{item.page}" if settings.panel_url else _("Polku's panel")
    body = f"{item.text}\n\n{_(OPEN_PANEL)}: {where}\n"
    try:
        send_email(settings, to=str(item.address), subject=item.text, body=body)
    except MailError as exc:
        return _Result(transient=exc.transient, error=str(exc))
    return _Result(sent=True)


def _settle(engine: Engine, item: _Outgoing, result: _Result) -> None:
    with transaction(engine) as session:
        now = utcnow()
        for notice_id in (item.notice_id, *item.also):
            do_settle_notice(
                session,
                notice_id=notice_id,
                sent=result.sent,
                error=result.error,
                transient=result.transient,
                now=now,
                # a digest names nobody: a reply to it cannot answer one young person
                telegram_message_id=None if item.also else result.message_id,
            )
        if result.gone:
            coach = session.get(Coach, item.coach_id)
            if coach is not None and coach.telegram_chat_id == item.address:
                do_unlink(session, coach=coach)
                log.warning("a coach's Telegram chat is gone; unlinked", extra={"coach": coach.id})
