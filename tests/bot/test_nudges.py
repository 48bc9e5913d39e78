"""The gentle re-assessment nudge: after the interval, once, never in quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.jobs import send_due_nudges
from core.dialogs.loader import load_dialogues
from core.models import Assessment, Youth
from tests.bot.test_assessment import answer_everything, begin
from tests.bot.transcript import said

HELSINKI = ZoneInfo("Europe/Helsinki")
DIALOGUES = load_dialogues()


async def finished_who5(polku, language: str = "en"):
    youth = await polku.onboarded("Aino", language)
    await begin(polku, youth, language, "who5")
    await answer_everything(youth, DIALOGUES["who5"], language, value=4)
    with Session(polku.engine) as session:
        finished_at = session.exec(select(Assessment.finished_at)).one()
    return youth, finished_at


def local_noon(day: datetime) -> datetime:
    return day.astimezone(HELSINKI).replace(hour=12, minute=0, second=0, microsecond=0)


async def nudge(polku, now: datetime) -> int:
    return await send_due_nudges(
        polku.application.bot,
        engine=polku.engine,
        dialogues=DIALOGUES,
        settings=polku.settings,
        now=now,
    )


async def test_a_nudge_comes_after_four_weeks_and_only_once(polku):
    youth, finished_at = await finished_who5(polku)
    assert await nudge(polku, local_noon(finished_at + timedelta(days=27))) == 0
    day_28 = local_noon(finished_at + timedelta(days=28, hours=12))
    assert await nudge(polku, day_28) == 1
    assert "since your last Well-being (WHO-5)?" in youth.inbox[-1]["text"]
    assert await nudge(polku, day_28 + timedelta(days=3)) == 0


async def test_no_nudge_in_quiet_hours(polku):
    _youth, finished_at = await finished_who5(polku)
    later = finished_at + timedelta(days=40)
    late_evening = later.astimezone(HELSINKI).replace(hour=21, minute=30)
    early_morning = later.astimezone(HELSINKI).replace(hour=7, minute=59)
    assert await nudge(polku, late_evening) == 0
    assert await nudge(polku, early_morning) == 0
    assert await nudge(polku, early_morning.replace(hour=8, minute=0)) == 1


async def test_the_nudge_starts_the_dialogue_or_waits(polku):
    youth, finished_at = await finished_who5(polku, "fi")
    await nudge(polku, local_noon(finished_at + timedelta(days=30)))
    replies = await youth.taps("Kyllä, aloitetaan")
    assert said(replies, "1/5")
    await youth.says("/start")
    await nudge(polku, local_noon(finished_at + timedelta(days=60)))  # an open run: no nudge
    assert not said(youth.inbox[-1:], "Haluatko katsoa")


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
