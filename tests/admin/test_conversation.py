"""The inbox and one conversation: waiting first, replies via the outbox, resending a reply
that failed, media, access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select
from telegram import Bot

from bot.dispatch import Dispatcher
from bot.sandbox import FakeUser, StandIn
from core.db import transaction
from core.models import (
    Delivery,
    Direction,
    MediaKind,
    Message,
    OutboxMessage,
    Youth,
)
from core.services.messages import do_record_message
from core.services.talk import do_open_talk
from core.settings import Settings


def _youth_says(panel, youth, text=None, media=MediaKind.TEXT, file_id=None) -> None:
    with transaction(panel.engine) as session:
        row = session.get(Youth, youth.id)
        do_open_talk(session, youth=row, now=panel.clock())
        do_record_message(
            session,
            youth=row,
            direction=Direction.YOUTH,
            text=text,
            media_kind=media,
            file_id=file_id,
            delivery_status=Delivery.RECEIVED,
        )
    panel.clock.advance(minutes=1)


async def test_the_inbox_puts_the_longest_waiting_on_top_and_updates_by_polling(panel) -> None:
    anna = panel.add_coach("anna")
    aino, eetu = panel.add_youth(anna, "Aino"), panel.add_youth(anna, "Eetu")
    coach = await panel.signed_in("anna")
    assert "No conversations yet" in (await coach.get("/")).text
    _youth_says(panel, eetu, "hei")
    _youth_says(panel, aino, "moi")
    _youth_says(panel, eetu, "oletko siellä?")
    rows = await coach.get("/inbox/rows", headers={"HX-Request": "true"})
    assert rows.text.index("Eetu") < rows.text.index("Aino")
    assert "Waiting for an answer: 2" in rows.text
    assert "oletko siellä?" in rows.text


async def test_the_inbox_shows_what_the_young_person_wrote_not_the_bots_away_note(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    _youth_says(panel, aino, "tarvitsen apua CV:n kanssa")
    with transaction(panel.engine) as session:
        row = session.get(Youth, aino.id)
        do_record_message(
            session,
            youth=row,
            direction=Direction.BOT,
            text="Anna on nyt poissa.",
            delivery_status=Delivery.SENT,
        )
    coach = await panel.signed_in("anna")
    rows = (await coach.get("/inbox/rows", headers={"HX-Request": "true"})).text
    assert "tarvitsen apua CV:n kanssa" in rows
    assert "Anna on nyt poissa." not in rows


async def test_the_inbox_says_how_long_in_words_and_shows_own_words_not_taps_or_commands(
    panel,
) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    _youth_says(panel, aino, "voiks tavata huomenna?")
    _youth_says(panel, aino, "/mydata")  # a command
    _youth_says(panel, aino, "📅 Omat tapaamiset")  # a menu tap
    with transaction(panel.engine) as session:
        row = session.get(Youth, aino.id)
        row.waiting_since = panel.clock() - timedelta(minutes=130)
        session.add(row)
    coach = await panel.signed_in("anna")
    rows = (await coach.get("/inbox/rows", headers={"HX-Request": "true"})).text
    assert "voiks tavata huomenna?" in rows
    assert "/mydata" not in rows and "Omat tapaamiset" not in rows
    assert "waiting 2 h" in rows


async def test_the_inbox_filters_mine_and_the_queue(panel) -> None:
    anna = panel.add_coach("anna")
    _youth_says(panel, panel.add_youth(anna, "Aino"), "moi")
    _youth_says(panel, panel.add_youth(None, "Eetu"), "hei")
    coach = await panel.signed_in("anna")
    mine = (await coach.get("/inbox/rows?show=mine")).text
    queue = (await coach.get("/inbox/rows?show=queue")).text
    every = (await coach.get("/?show=all")).text
    assert "Aino" in mine and "Eetu" not in mine
    assert "Eetu" in queue and "Aino" not in queue
    assert "Aino" in every and "Eetu" in every
    assert 'hx-get="/inbox/rows?show=all"' in every  # the live list keeps the filter


async def test_a_reply_shows_as_sending_and_goes_through_the_outbox(panel) -> None:
    anna = panel.add_coach("anna", name="Anna K")
    aino = panel.add_youth(anna)
    _youth_says(panel, aino, "voitko auttaa?")
    coach = await panel.signed_in("anna")
    chat = await coach.get(f"/youth/{aino.id}/chat")
    assert "voitko auttaa?" in chat.text
    sent = await coach.post(f"/youth/{aino.id}/reply", {"text": "Totta kai!"})
    assert sent.status_code == 303
    chat = await coach.get(f"/youth/{aino.id}/chat")
    assert "Totta kai!" in chat.text and "sending…" in chat.text
    with transaction(panel.engine) as session:
        row = session.exec(select(OutboxMessage)).one()
        assert row.kind == "coach_reply"
        message = session.get(Message, row.payload["message_id"])
        message.delivery_status = Delivery.BLOCKED
        session.add(message)
    live = await coach.get(f"/youth/{aino.id}/chat/messages", headers={"HX-Request": "true"})
    assert "not delivered: blocked" in live.text
    assert "Aino" not in [e.detail for e in panel.audit("message.reply")]


async def test_an_htmx_reply_returns_the_updated_list(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna)
    coach = await panel.signed_in("anna")
    response = await coach.http.post(
        f"/youth/{aino.id}/reply",
        data={"text": "Hei Aino"},
        headers={"HX-Request": "true", "X-CSRF-Token": coach.csrf},
    )
    assert response.status_code == 200 and "Hei Aino" in response.text
    empty = await coach.post(f"/youth/{aino.id}/reply", {"text": "   "})
    assert "Write something first" in empty.text


async def test_hand_back_and_mark_handled(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna)
    _youth_says(panel, aino, "kiitos")
    coach = await panel.signed_in("anna")
    assert "Mark handled" in (await coach.get(f"/youth/{aino.id}/chat")).text
    await coach.post(f"/youth/{aino.id}/handled")
    assert "Waiting for an answer: 0" in (await coach.get("/")).text
    await coach.post(f"/youth/{aino.id}/handback")
    chat = await coach.get(f"/youth/{aino.id}/chat")
    assert "The bot is answering." in chat.text
    with transaction(panel.engine) as session:
        assert session.exec(select(OutboxMessage.kind)).all() == ["talk_closed"]


async def test_a_hand_back_asks_first_while_the_last_message_has_no_answer(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna)
    _youth_says(panel, aino, "en tiiä, kaikki vaan ahdistaa")
    coach = await panel.signed_in("anna")
    asked = await coach.post(f"/youth/{aino.id}/handback")
    assert asked.status_code == 409
    assert "last message has no answer yet" in asked.text
    with transaction(panel.engine) as session:
        assert session.get(Youth, aino.id).talk_opened_at is not None  # nothing dropped
        assert session.exec(select(OutboxMessage.kind)).all() == []
    await coach.post(f"/youth/{aino.id}/handback", {"unanswered_ok": "1"})
    assert "The bot is answering." in (await coach.get(f"/youth/{aino.id}/chat")).text
    with transaction(panel.engine) as session:
        assert session.exec(select(OutboxMessage.kind)).all() == ["talk_closed"]


async def test_photos_and_voice_come_through_the_panel_never_from_telegram(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna)
    panel.files.update({"photo-1": b"\xff\xd8jpeg", "voice-1": b"OggS..."})
    _youth_says(panel, aino, "katso", MediaKind.PHOTO, "photo-1")
    _youth_says(panel, aino, None, MediaKind.VOICE, "voice-1")
    coach = await panel.signed_in("anna")
    chat = await coach.get(f"/youth/{aino.id}/chat")
    assert "api.telegram.org" not in chat.text and "photo-1" not in chat.text
    with transaction(panel.engine) as session:
        ids = session.exec(select(Message.id).order_by(Message.id)).all()
    assert f'<img src="/media/{ids[0]}"' in chat.text
    assert f'<audio controls preload="none" src="/media/{ids[1]}"' in chat.text
    photo = await coach.get(f"/media/{ids[0]}")
    assert photo.content == b"\xff\xd8jpeg" and photo.headers["content-type"] == "image/jpeg"
    voice = await coach.get(f"/media/{ids[1]}")
    assert voice.headers["content-type"] == "audio/ogg"


async def test_another_coachs_young_person_is_not_found_and_the_try_is_audited(panel) -> None:
    anna, ben = panel.add_coach("anna"), panel.add_coach("ben")
    aino = panel.add_youth(anna)
    panel.files["photo-1"] = b"secret"
    _youth_says(panel, aino, "vain Annalle", MediaKind.PHOTO, "photo-1")
    intruder = await panel.signed_in("ben")
    with transaction(panel.engine) as session:
        message_id = session.exec(select(Message.id)).one()
    attempts = [
        await intruder.get(f"/youth/{aino.id}/chat"),
        await intruder.get(f"/youth/{aino.id}/chat/messages"),
        await intruder.post(f"/youth/{aino.id}/reply", {"text": "hi"}),
        await intruder.post(f"/youth/{aino.id}/handback"),
        await intruder.post(f"/youth/{aino.id}/handled"),
        await intruder.get(f"/media/{message_id}"),
    ]
    assert [r.status_code for r in attempts] == [404] * 6
    assert all("vain Annalle" not in r.text for r in attempts)
    assert "vain Annalle" not in (await intruder.get("/")).text
    denied = panel.audit("access.denied")
    assert len(denied) == 6 and {e.coach_id for e in denied} == {ben.id}
    with transaction(panel.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []
    assert (await intruder.get("/youth/999999/chat")).status_code == 404


TOKEN = "1000000001:polku-panel-test"  # the stand-in takes any token


@dataclass
class Telegram:
    """The Telegram stand-in and a dispatcher that sends through it on the panel's clock."""

    standin: StandIn
    dispatcher: Dispatcher

    def chat_of(self, panel, youth: Youth) -> FakeUser:
        """A fake Telegram user whose private chat is this young person's."""
        user = self.standin.user(youth.first_name or "Aino")
        with transaction(panel.engine) as session:
            row = session.get(Youth, youth.id)
            row.chat_id = row.telegram_user_id = user.id
            session.add(row)
        return user


@pytest.fixture
async def telegram(panel) -> AsyncIterator[Telegram]:
    async with StandIn.running() as standin, Bot(TOKEN, base_url=standin.base_url) as bot:
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        yield Telegram(
            standin, Dispatcher(bot, panel.engine, settings, clock=panel.clock, chat_rate=100)
        )


def _delivery(panel, message_id: int) -> str:
    with transaction(panel.engine) as session:
        return session.get(Message, message_id).delivery_status


def _failed_reply(panel, youth, text: str = "Tule huomenna kymmeneltä") -> int:
    """A coach's reply that the outbox gave up on."""
    with transaction(panel.engine) as session:
        message = do_record_message(
            session,
            youth=session.get(Youth, youth.id),
            direction=Direction.COACH,
            text=text,
            delivery_status=Delivery.FAILED,
            coach_id=youth.coach_id,
        )
        session.flush()
        return message.id


async def test_a_reply_that_failed_for_good_can_be_resent_and_arrives_once(panel, telegram) -> None:
    anna = panel.add_coach("anna", name="Anna K")
    aino = panel.add_youth(anna)
    phone = telegram.chat_of(panel, aino)
    coach = await panel.signed_in("anna")
    await coach.post(f"/youth/{aino.id}/reply", {"text": "Tule huomenna kymmeneltä"})
    telegram.standin.fail("sendMessage", status=502, times=2)  # Telegram is down …
    assert await telegram.dispatcher.run() == 0
    panel.clock.advance(hours=24)  # … for a whole day: the outbox gives up
    assert await telegram.dispatcher.run() == 0
    with transaction(panel.engine) as session:
        message_id = session.exec(select(Message.id)).one()
    coach = await panel.signed_in("anna")  # the next morning
    chat = await coach.get(f"/youth/{aino.id}/chat")
    assert "failed" in chat.text and f'action="/messages/{message_id}/resend"' in chat.text

    resent = await coach.http.post(
        f"/messages/{message_id}/resend",
        headers={"HX-Request": "true", "X-CSRF-Token": coach.csrf},
    )
    assert resent.status_code == 200 and "sending…" in resent.text
    assert "/resend" not in resent.text
    again = await coach.post(f"/messages/{message_id}/resend")  # a second click: nothing new
    assert again.status_code == 303
    assert await telegram.dispatcher.run() == 1
    assert await telegram.dispatcher.run() == 0
    assert [m["text"] for m in phone.inbox] == ["Anna K: Tule huomenna kymmeneltä"]
    live = await coach.get(f"/youth/{aino.id}/chat/messages", headers={"HX-Request": "true"})
    assert "✓ sent" in live.text and "/resend" not in live.text
    assert [e.detail for e in panel.audit("message.resend")] == [str(message_id)]


async def test_only_a_coach_who_sees_the_young_person_can_resend(panel) -> None:
    anna, ben = panel.add_coach("anna"), panel.add_coach("ben")
    aino = panel.add_youth(anna)
    message_id = _failed_reply(panel, aino)
    intruder = await panel.signed_in("ben")
    assert (await intruder.post(f"/messages/{message_id}/resend")).status_code == 404
    assert (await intruder.post("/messages/999999/resend")).status_code == 404
    assert _delivery(panel, message_id) == "failed"
    assert [e.coach_id for e in panel.audit("access.denied")] == [ben.id]
    with transaction(panel.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


async def test_a_resend_without_the_csrf_token_is_refused(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna)
    message_id = _failed_reply(panel, aino)
    coach = await panel.signed_in("anna")
    forged = await coach.http.post(f"/messages/{message_id}/resend", data={})
    wrong = await coach.http.post(f"/messages/{message_id}/resend", data={"csrf_token": "x"})
    assert (forged.status_code, wrong.status_code) == (403, 403)
    assert _delivery(panel, message_id) == "failed"
    with transaction(panel.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


async def test_a_resend_to_someone_who_blocked_the_bot_is_kept_as_not_delivered(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, status="unreachable")
    message_id = _failed_reply(panel, aino)
    coach = await panel.signed_in("anna")
    await coach.post(f"/messages/{message_id}/resend")
    assert _delivery(panel, message_id) == "blocked"
    with transaction(panel.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []
