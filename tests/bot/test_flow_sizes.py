"""Whole flows stay short, in fi, sv and en: how many messages each takes and that none is over
two phone lines (onboarding, a life-areas result, a WHO-5 result, an appointment from booking
to reminder to can't come, and declining consent then allowing it)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.dispatch import Dispatcher
from core.db import transaction
from core.dialogs.loader import load_dialogues
from core.i18n import LANGUAGE_NAMES, gettext_for
from core.models import Youth, utcnow
from core.phone_lines import phone_lines
from core.services.appointments import do_book

LANGUAGES = ["fi", "sv", "en"]
DIALOGUES = load_dialogues()
HELSINKI = ZoneInfo("Europe/Helsinki")
# Messages each flow may take (before the December 2026 rewrite: 6, 9, 2, 4 and 8).
LIMITS = {
    "onboarding": 5,
    "life areas result": 3,
    "WHO-5 result": 2,
    "appointment": 3,
    "decline then allow": 3,
}


def check(flow: str, messages: list[dict]) -> None:
    texts = [m.get("text") or m.get("caption") or "" for m in messages]
    assert len(texts) <= LIMITS[flow], texts
    # What to bring may be one short line of its own, when there is something to bring.
    assert all(phone_lines(text) <= (3 if "🎒" in text else 2) for text in texts), texts


def newest_id(youth) -> int:
    return max([m["message_id"] for m in youth.inbox] or [0])


def since(youth, message_id: int) -> list[dict]:
    return [m for m in youth.inbox if m["message_id"] > message_id]


class Clock:
    def __init__(self, now) -> None:
        self.now = now

    def __call__(self):
        return self.now


@pytest.mark.parametrize("language", LANGUAGES)
async def test_onboarding(polku, language):
    _ = gettext_for(language).gettext
    youth = polku.youth("Aino", language_code=language)
    await youth.says("/start")
    await youth.taps(LANGUAGE_NAMES[language])
    await youth.taps(_("Yes, keep them"))
    check("onboarding", youth.inbox)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_life_areas_result(polku, language):
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)
    await youth.says(_("📝 Self-assessment"))
    await youth.taps(_(DIALOGUES["life_areas"].title))
    for value in (9, 2, 8, 3, 7, 6, 5, 6, 7, 5):
        last_question = newest_id(youth)
        await youth.taps(str(value))
    check("life areas result", since(youth, last_question))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_who5_result(polku, language):
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)
    await youth.says(_("📝 Self-assessment"))
    await youth.taps(_(DIALOGUES["who5"].title))
    for _question in DIALOGUES["who5"].questions:
        last_question = newest_id(youth)
        keyboard = youth.inbox[-1]["reply_markup"]["inline_keyboard"]
        await youth.taps([b["text"] for row in keyboard for b in row][3])  # a middling answer
    result = since(youth, last_question)
    check("WHO-5 result", result)
    assert not any(c.isdigit() for c in result[0]["text"])  # kind words, never the number


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_appointment_from_booking_to_cant_come(polku, language):
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)
    now = (utcnow() + timedelta(days=60)).astimezone(HELSINKI).replace(hour=12, minute=0)
    with transaction(polku.engine) as session:
        appointment = do_book(
            session,
            youth=session.exec(select(Youth)).one(),
            coach=None,
            kind="trial_day",
            title="Kokkilinja",
            starts_at=now + timedelta(days=8, hours=2),
            place="Stadin AO, Hattulantie 2",
            bring="sisäkengät",
            tz=HELSINKI,
            now=now,
        )
    clock = Clock(now)
    send = Dispatcher(polku.application.bot, polku.engine, polku.settings, clock=clock)
    before = newest_id(youth)
    await send.run()
    clock.now = appointment.starts_at - timedelta(hours=24)
    await send.run()
    await youth.taps(_("❌ Can't come"))
    await youth.taps(_("Yes, a new time"))
    check("appointment", since(youth, before))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_declining_consent_then_allowing_it(polku, language):
    _ = gettext_for(language).gettext
    youth = polku.youth("Eetu", language_code=language)
    await youth.says("/start")
    await youth.taps(LANGUAGE_NAMES[language])
    before = newest_id(youth)
    await youth.taps(_("No thanks"))
    await youth.says(_("💬 Talk to my coach"))
    await youth.taps(_("✅ Allow saving"))
    check("decline then allow", since(youth, before))
