"""The inbox's workers as a young person meets them: a failure is tried again quietly, a slow
chat holds up no one else, one chat stays in order, and crisis words get help even when the
database or a handler fails."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import TypeHandler

from bot import replies as replies_module
from bot.handlers.unexpected import FAILED
from bot.inbox import inbox_of
from bot.safety import CRISIS_TEXT
from core.i18n import gettext_for
from core.models import Alert, InboundUpdate, UpdateStatus
from core.services.inbox import MAX_ATTEMPTS

SORRY = gettext_for("en").gettext(FAILED)
CRISIS_WORDS = "I want to kill myself"


def failing(times: int, chat_id: int | None = None, error=lambda: RuntimeError("a bug")):
    """A handler run before all others that fails the first `times` tries of each update."""
    tries: dict[int, int] = {}

    async def fail(update: Update, _context) -> None:
        if chat_id is not None and update.effective_chat.id != chat_id:
            return
        tries[update.update_id] = tries.get(update.update_id, 0) + 1
        if tries[update.update_id] <= times:
            raise error()

    return fail, tries


def texts(messages) -> list[str]:
    return [m.get("text") or "" for m in messages]


def statuses(engine) -> list[str]:
    with Session(engine) as session:
        return [row.status for row in session.exec(select(InboundUpdate))]


async def test_a_failed_try_is_repeated_quietly_and_answered_once(polku):
    fail, tries = failing(times=2)
    polku.application.add_handler(TypeHandler(Update, fail), group=-10)
    youth = polku.youth("Aino", language_code="en")
    replies = await youth.says("/start")
    assert list(tries.values()) == [3]
    assert [t for t in texts(replies) if SORRY in t] == []
    assert len([t for t in texts(replies) if "Choose your language" in t]) == 1
    assert statuses(polku.engine) == [UpdateStatus.DONE]


@pytest.mark.parametrize(
    "outage",
    [
        lambda: NetworkError("Bad Gateway"),  # Telegram answering 5xx
        lambda: OperationalError("SELECT", {}, Exception("database is locked")),
    ],
    ids=["telegram", "database"],
)
async def test_an_outage_longer_than_the_tries_delays_the_answer_but_fails_nothing(polku, outage):
    fail, tries = failing(times=MAX_ATTEMPTS + 3, error=outage)
    polku.application.add_handler(TypeHandler(Update, fail), group=-10)
    youth = polku.youth("Aino", language_code="en")
    replies = await youth.says("/start")
    assert list(tries.values()) == [MAX_ATTEMPTS + 4]
    assert [t for t in texts(replies) if SORRY in t] == []
    assert len([t for t in texts(replies) if "Choose your language" in t]) == 1
    assert statuses(polku.engine) == [UpdateStatus.DONE]


async def test_after_the_last_try_the_young_person_is_told_once_and_the_chat_goes_on(polku):
    fail, tries = failing(times=MAX_ATTEMPTS)
    breaking = TypeHandler(Update, fail)
    polku.application.add_handler(breaking, group=-10)
    youth = polku.youth("Aino", language_code="en")
    replies = await youth.says("/start")
    assert list(tries.values()) == [MAX_ATTEMPTS]
    assert len([t for t in texts(replies) if SORRY in t]) == 1
    assert statuses(polku.engine) == [UpdateStatus.FAILED]
    polku.application.remove_handler(breaking, group=-10)  # whatever broke is mended
    again = await youth.says("/start")  # the next update is not stuck behind the failed one
    assert any("Choose your language" in t for t in texts(again))


async def test_a_slow_young_person_holds_up_no_one_else_and_their_own_order_is_kept(polku):
    aino = polku.youth("Aino", language_code="en")
    release = asyncio.Event()
    order: list[str] = []

    async def slow_for_aino(update: Update, _context) -> None:
        if update.effective_chat.id == aino.id:
            order.append(update.effective_message.text)
            if update.effective_message.text == "first":
                await release.wait()

    polku.application.add_handler(TypeHandler(Update, slow_for_aino), group=-10)
    first = aino.queue_text("first")
    second = aino.queue_text("second")
    await polku.standin.wait_until(lambda: first.acked.is_set() and second.acked.is_set())

    ben = polku.youth("Ben", language_code="en")
    replies = await ben.says("/start")  # answered while Aino's first update still runs
    assert any("Choose your language" in t for t in texts(replies))
    assert order == ["first"]  # Aino's second waits for her first

    release.set()
    await polku.standin.wait_until(lambda: first.processed.is_set() and second.processed.is_set())
    assert order == ["first", "second"]


async def test_crisis_words_get_help_from_memory_while_the_database_is_away(polku, monkeypatch):
    youth = await polku.onboarded("Aino", language="en")
    inbox = inbox_of(polku.application)
    real_store = inbox._store

    def database_down(_rows) -> int:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(inbox, "_store", database_down)
    delivery = youth.queue_text(CRISIS_WORDS)
    help_text = gettext_for("en").gettext(CRISIS_TEXT)
    await polku.standin.wait_until(lambda: any(help_text in t for t in texts(youth.inbox)))
    assert not delivery.acked.is_set()  # not stored, so Telegram keeps it
    assert youth.inbox[-1].get("reply_markup")  # the resources as buttons

    monkeypatch.setattr(inbox, "_store", real_store)  # the database is back
    await polku.standin.wait_until(lambda: delivery.processed.is_set(), timeout=15)
    with Session(polku.engine) as session:
        assert len(session.exec(select(Alert)).all()) == 1  # the human is told after all
    help_messages = [t for t in texts(youth.inbox) if help_text in t]
    assert len(help_messages) == 1  # the memory answer came once
    with_resources = [m for m in youth.inbox if "sos:" in str(m.get("reply_markup"))]
    assert len(with_resources) == 1  # and the resources were not sent twice


async def test_crisis_words_get_help_when_every_handler_try_fails(polku, monkeypatch):
    youth = await polku.onboarded("Aino", language="en")
    inbox_of(polku.application).fallback.delay = 0.2
    fail, _tries = failing(times=MAX_ATTEMPTS, chat_id=youth.id)
    polku.application.add_handler(TypeHandler(Update, fail), group=-10)
    await youth.says(CRISIS_WORDS)
    help_text = gettext_for("en").gettext(CRISIS_TEXT)
    await polku.standin.wait_until(lambda: any(help_text in t for t in texts(youth.inbox)))


async def test_a_tap_whose_spinner_cannot_be_stopped_is_still_answered_once(polku):
    youth = polku.youth("Aino", language_code="en")
    await youth.says("/start")
    polku.standin.fail("answerCallbackQuery", status=502, times=1)
    replies = await youth.taps("English")
    assert len([t for t in texts(replies) if "I'm Polku" in t]) == 1
    with Session(polku.engine) as session:
        tries = [row.attempts for row in session.exec(select(InboundUpdate))]
    assert tries == [1, 1]  # answered on the first try: the spinner is not worth a retry


async def test_a_message_sent_but_not_logged_is_not_sent_again(polku, monkeypatch):
    youth = await polku.onboarded("Aino", language="en")
    real = replies_module.do_record_message
    failures = []

    def database_gone_once(session, **fields):
        if fields.get("direction") == "bot" and not failures:
            failures.append(1)
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return real(session, **fields)

    monkeypatch.setattr(replies_module, "do_record_message", database_gone_once)
    replies = await youth.says("❓ What Polku does")
    assert failures == [1]
    assert len(replies) == len({m["text"] for m in replies})  # nothing came twice
