"""The inbox and one conversation: waiting first, replies via the outbox, media, access."""

from __future__ import annotations

from sqlmodel import select

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
