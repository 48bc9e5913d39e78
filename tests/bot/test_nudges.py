"""The gentle re-assessment nudge: after the interval, once, never in quiet hours.

The job queues a nudge in the outbox; a dispatcher with the test's clock sends it. The test
times are weeks ahead of the real clock, so the application's own dispatcher never finds
these rows due.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.dispatch import Dispatcher
from bot.jobs import queue_due_nudges
from core.db import transaction
from core.dialogs.loader import load_dialogues
from core.models import Assessment, Message, OutboxMessage, Youth
from core.services.nudges import do_claim_nudge, due_reassessments
from tests.bot.test_assessment import answer_everything, begin
from tests.bot.transcript import said

HELSINKI = ZoneInfo("Europe/Helsinki")
DIALOGUES = load_dialogues()
NUDGE_TEXT = "Well-being: shall we see what has changed?"


async def finished_who5(polku, language: str = "en"):
    youth = await polku.onboarded("Aino", language)
    await begin(polku, youth, language, "who5")
    await answer_everything(youth, DIALOGUES["who5"], language, value=4)
    with Session(polku.engine) as session:
        finished_at = session.exec(select(Assessment.finished_at)).one()
    return youth, finished_at


def local_noon(day: datetime) -> datetime:
    return day.astimezone(HELSINKI).replace(hour=12, minute=0, second=0, microsecond=0)


async def queue(polku, now: datetime) -> int:
    """One run of the nudge job (in a worker thread, as the job runs it)."""
    return await asyncio.to_thread(
        queue_due_nudges,
        engine=polku.engine,
        dialogues=DIALOGUES,
        settings=polku.settings,
        now=now,
    )


def dispatcher(polku, now: datetime) -> Dispatcher:
    return Dispatcher(
        polku.application.bot,
        polku.engine,
        polku.settings,
        clock=lambda: now,
        chat_rate=100,
        dialogues=DIALOGUES,
    )


async def nudge(polku, now: datetime) -> int:
    """The job queues, the dispatcher sends; returns how many nudges reached someone."""
    await queue(polku, now)
    return await dispatcher(polku, now).run()


def nudges_seen(youth) -> int:
    return sum(NUDGE_TEXT in (m.get("text") or "") for m in youth.inbox)


async def test_a_nudge_comes_after_four_weeks_and_only_once(polku):
    youth, finished_at = await finished_who5(polku)
    assert await nudge(polku, local_noon(finished_at + timedelta(days=27))) == 0
    day_28 = local_noon(finished_at + timedelta(days=28, hours=12))
    assert await nudge(polku, day_28) == 1
    assert NUDGE_TEXT in youth.inbox[-1]["text"]
    assert await nudge(polku, day_28 + timedelta(days=3)) == 0
    assert nudges_seen(youth) == 1
    with Session(polku.engine) as session:  # the coach sees it in the chat
        assert session.exec(select(Message).where(Message.text.contains(NUDGE_TEXT))).one()


async def test_no_nudge_in_quiet_hours(polku):
    _youth, finished_at = await finished_who5(polku)
    later = finished_at + timedelta(days=40)
    late_evening = later.astimezone(HELSINKI).replace(hour=21, minute=30)
    early_morning = later.astimezone(HELSINKI).replace(hour=7, minute=59)
    assert await nudge(polku, late_evening) == 0
    assert await nudge(polku, early_morning) == 0
    assert await nudge(polku, early_morning.replace(hour=8, minute=0)) == 1


async def test_a_nudge_held_up_until_the_evening_waits_for_the_morning(polku):
    youth, finished_at = await finished_who5(polku)
    evening = (finished_at + timedelta(days=30)).astimezone(HELSINKI).replace(hour=20, minute=59)
    polku.standin.fail("sendMessage", status=502, chat_id=youth.id)
    assert await nudge(polku, evening) == 0  # Telegram fails; the retry would fall at 21:00
    assert await dispatcher(polku, evening.replace(hour=21, minute=5)).run() == 0
    with Session(polku.engine) as session:
        row = session.exec(select(OutboxMessage)).one()
    assert (row.status, row.due_at.astimezone(HELSINKI).hour) == ("pending", 8)
    assert await dispatcher(polku, row.due_at).run() == 1
    assert nudges_seen(youth) == 1


async def test_two_job_runs_and_two_dispatchers_at_once_nudge_once(polku):
    youth, finished_at = await finished_who5(polku)
    noon = local_noon(finished_at + timedelta(days=30))
    queued = await asyncio.gather(queue(polku, noon), queue(polku, noon))
    assert sorted(queued) == [0, 1]
    sent = await asyncio.gather(dispatcher(polku, noon).run(), dispatcher(polku, noon).run())
    assert sum(sent) == 1
    assert nudges_seen(youth) == 1


async def test_a_run_claimed_by_another_process_is_not_queued_again(polku):
    _youth, finished_at = await finished_who5(polku)
    noon = local_noon(finished_at + timedelta(days=30))
    with transaction(polku.engine) as session:  # this process reads the due list …
        (_row, run), *_ = due_reassessments(
            session, now=noon, after=timedelta(days=28), dialogue_ids=["who5"]
        )
    assert await queue(polku, noon) == 1  # … another one nudges meanwhile
    with transaction(polku.engine) as session:
        assert do_claim_nudge(session, assessment_id=run.id, now=noon) is False
        assert len(session.exec(select(OutboxMessage)).all()) == 1


async def test_the_nudge_starts_the_dialogue_or_waits(polku):
    youth, finished_at = await finished_who5(polku, "fi")
    await nudge(polku, local_noon(finished_at + timedelta(days=30)))
    assert said(youth.inbox[-1:], "katsotaanko, mikä on muuttunut")
    replies = await youth.taps("Kyllä, aloitetaan")
    assert said(replies, "1/5")
    await youth.says("/start")
    await nudge(polku, local_noon(finished_at + timedelta(days=60)))  # an open run: no nudge
    assert not said(youth.inbox[-1:], "katsotaanko, mikä on muuttunut")


async def test_a_talk_opened_after_queueing_holds_the_nudge_back_until_it_ends(polku):
    youth, finished_at = await finished_who5(polku)
    noon = local_noon(finished_at + timedelta(days=30))
    assert await queue(polku, noon) == 1
    await youth.says("💬 Talk to my coach")
    assert await dispatcher(polku, noon).run() == 0
    assert nudges_seen(youth) == 0
    await youth.says("↩️ Back to the bot")
    assert await nudge(polku, noon + timedelta(hours=1)) == 1
    assert nudges_seen(youth) == 1


async def test_the_interval_is_a_setting(polku):
    _youth, finished_at = await finished_who5(polku)
    polku.settings = polku.settings.model_copy(update={"reassess_after_days": 7})
    assert await nudge(polku, local_noon(finished_at + timedelta(days=8))) == 1


async def test_someone_who_blocked_the_bot_is_not_nudged(polku):
    youth, finished_at = await finished_who5(polku)
    await youth.blocks_bot()
    assert await nudge(polku, local_noon(finished_at + timedelta(days=30))) == 0
    with Session(polku.engine) as session:
        assert session.exec(select(Youth.status)).one() == "unreachable"


async def test_a_nudge_that_meets_a_block_marks_the_young_person_unreachable(polku):
    youth, finished_at = await finished_who5(polku)
    polku.standin.fail("sendMessage", status=403, chat_id=youth.id)
    assert await nudge(polku, local_noon(finished_at + timedelta(days=30))) == 0
    with Session(polku.engine) as session:
        assert session.exec(select(Youth.status)).one() == "unreachable"
        assert session.exec(select(OutboxMessage.status)).one() == "failed"
