"""Transcripts of the handover: the young person talks with a named coach who answers from
the panel, the bot steps aside and comes back. The panel runs in-process on the same database
and fetches media from the stand-in through the bot, as `polku serve` wires it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import select

from bot.sandbox.people import TINY_PNG
from core.db import transaction
from core.models import AuditEvent, Message, Youth, utcnow
from tests.bot.conftest import assign, coach_with_hours
from tests.bot.transcript import said

ALWAYS = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}


async def _eventually(check: Callable[[], object]) -> None:
    """Wait until the dispatcher's commit shows in the panel (it runs every second)."""
    async with asyncio.timeout(10):
        while not await check():  # type: ignore[misc]  # noqa: ASYNC110 (a commit, no event)
            await asyncio.sleep(0.05)


async def test_a_talk_with_the_coach_from_the_bot_to_the_panel_and_back(polku, panel_client):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", "en")
    youth_id = assign(polku, youth, coach)

    replies = await youth.says("💬 Talk to my coach")
    assert said(replies, "Maija reads this and answers")
    assert youth.reply_keyboard == [["↩️ Back to the bot"]]
    assert await youth.says("I need help with my application") == []
    assert await youth.sends_photo(caption="this form") == []
    assert await youth.sends_voice() == []

    maija = await panel_client("maija")
    inbox = await maija.get("/inbox/rows")
    assert "Aino" in inbox.text and "Waiting for an answer: 1" in inbox.text
    chat = await maija.get(f"/youth/{youth_id}/chat")
    assert "I need help with my application" in chat.text and "this form" in chat.text
    with transaction(polku.engine) as session:
        photo_id, voice_id = session.exec(
            select(Message.id)
            .where(Message.youth_id == youth_id, Message.media_kind.in_(["photo", "voice"]))
            .order_by(Message.id)
        ).all()
    photo = await maija.get(f"/media/{photo_id}")
    assert photo.status_code == 200 and photo.content == TINY_PNG
    assert (await maija.get(f"/media/{voice_id}")).headers["content-type"] == "audio/ogg"
    assert polku.settings.telegram_api_base_url.split("/bot")[0] not in chat.text

    await maija.post(f"/youth/{youth_id}/reply", {"text": "Hi Aino, let's look at it together."})
    await polku.standin.wait_until(
        lambda: said([youth.last_reply], "Maija: Hi Aino, let's look at it together.")
    )

    async def shows_sent() -> bool:
        return "✓ sent" in (await maija.get(f"/youth/{youth_id}/chat/messages")).text

    await _eventually(shows_sent)

    await maija.post(f"/youth/{youth_id}/handback")
    ended = "Maija ended the chat."
    await polku.standin.wait_until(lambda: said([youth.last_reply], ended))
    assert ["📝 Self-assessment", "📅 My appointments"] in youth.reply_keyboard
    replies = await youth.says("📝 Self-assessment")
    assert replies, "the bot answers again after the hand-back"
    with transaction(polku.engine) as session:
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert {"talk.open", "message.reply", "talk.hand_back", "media.read"} <= actions


async def test_dialogues_pause_during_a_talk_and_the_young_person_can_go_back(polku, panel_client):
    youth = await polku.onboarded("Aino", "en")
    await youth.says("📝 Self-assessment")
    await youth.taps(youth.last_reply["reply_markup"]["inline_keyboard"][0][0]["text"])
    question = youth.last_reply
    replies = await youth.says("/coach")
    assert said(replies, "A coach reads your messages and usually answers")
    first_answer = question["reply_markup"]["inline_keyboard"][0][0]["text"]
    await youth.taps_on(question["message_id"], first_answer)
    assert "Back to the bot first" in (youth.callback_answers[-1] or "")
    replies = await youth.says("↩️ Back to the bot")
    assert said(replies, "The bot is back. A coach can still read what you wrote.")
    assert ["📝 Self-assessment", "📅 My appointments"] in youth.reply_keyboard


async def test_off_hours_the_young_person_hears_once_a_day_when_to_expect_an_answer(polku):
    today = datetime.now(polku.settings.tz).weekday()
    other_days = [d for d in range(7) if d != today]
    coach = coach_with_hours(polku, {"days": other_days, "start": "09:00", "end": "16:00"})
    youth = await polku.onboarded("Aino", "en")
    youth_id = assign(polku, youth, coach)
    await youth.says("💬 Talk to my coach")
    first = await youth.says("hello?")
    assert said(first, "Maija is off now. Expect an answer")
    assert said(first, "MIELI 09 2525 0111")
    assert await youth.says("anyone?") == []
    with transaction(polku.engine) as session:  # the next day
        row = session.get(Youth, youth_id)
        row.away_reply_on = (utcnow() - timedelta(days=1)).date().isoformat()
        session.add(row)
    assert said(await youth.says("good morning"), "Expect an answer")


async def test_a_reply_to_a_young_person_who_blocked_the_bot_shows_not_delivered(
    polku, panel_client
):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", "en")
    youth_id = assign(polku, youth, coach)
    await youth.says("💬 Talk to my coach")
    await youth.says("bye")
    maija = await panel_client("maija")
    # Telegram refuses the send (the block has not been announced to the bot yet).
    polku.standin.fail("sendMessage", status=403, chat_id=youth.id)
    await maija.post(f"/youth/{youth_id}/reply", {"text": "Are you ok?"})

    async def shows_blocked() -> bool:
        page = await maija.get(f"/youth/{youth_id}/chat/messages")
        return "not delivered: blocked" in page.text

    await _eventually(shows_blocked)
    assert not said(youth.inbox, "Maija: Are you ok?")
    # Now Polku knows: a further answer is kept and shown as not delivered at once.
    await maija.post(f"/youth/{youth_id}/reply", {"text": "Write when you can."})
    page = await maija.get(f"/youth/{youth_id}/chat/messages")
    assert page.text.count("not delivered: blocked") == 2
