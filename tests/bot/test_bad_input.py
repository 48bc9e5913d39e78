"""Input Polku did not ask for gets a kind answer, is kept as a message, and crashes nothing."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import Session, col, select

from core.models import Message, Youth, YouthStatus
from tests.bot.transcript import said


def kept(polku, youth) -> list[Message]:
    with Session(polku.engine) as session:
        row = session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()
        return list(
            session.exec(
                select(Message)
                .where(Message.youth_id == row.id, Message.direction == "youth")
                .order_by(col(Message.id))
            ).all()
        )


def status_of(polku, youth) -> str:
    with Session(polku.engine) as session:
        return session.exec(select(Youth.status).where(Youth.telegram_user_id == youth.id)).one()


@pytest.fixture
def no_handler_errors(caplog):
    caplog.set_level(logging.ERROR)
    yield
    assert [r for r in caplog.records if r.getMessage() == "handler failed"] == []


@pytest.mark.parametrize(
    ("action", "kind", "answer"),
    [
        ("sends_sticker", "sticker", "Kiva tarra!"),
        ("sends_voice", "voice", "En avaa kuvia, ääntä tai tiedostoja"),
        ("sends_photo", "photo", "En avaa kuvia, ääntä tai tiedostoja"),
        ("sends_location", "location", "Kiitos sijainnista!"),
    ],
)
async def test_media_gets_a_kind_answer_and_is_kept(polku, no_handler_errors, action, kind, answer):
    youth = await polku.onboarded("Aino", "fi")
    act = getattr(youth, action)
    replies = await (act(60.17, 24.94) if action == "sends_location" else act())
    assert said(replies, answer)
    last = kept(polku, youth)[-1]
    assert last.media_kind == kind
    if kind != "location":
        assert last.file_id
    else:
        assert last.text == "60.17,24.94"


async def test_a_document_is_kept_with_its_file(polku, no_handler_errors):
    youth = await polku.onboarded("Aino", "en")
    replies = await youth.sends_document("cv.pdf", b"%PDF-1.4 tiny", "application/pdf")
    assert said(replies, "I can't open photos, voice or files")
    last = kept(polku, youth)[-1]
    assert last.media_kind == "document" and last.file_id


async def test_an_edited_message_is_answered_and_both_versions_kept(polku, no_handler_errors):
    youth = await polku.onboarded("Aino", "en")
    await youth.says("I am at scool")
    replies = await youth.edits(youth.last_sent_message_id, "I am at school")
    assert said(replies, "You edited a message")
    texts = [m.text for m in kept(polku, youth)]
    assert texts[-2:] == ["I am at scool", "I am at school"]


async def test_a_5000_character_text_is_kept_whole(polku, no_handler_errors):
    youth = await polku.onboarded("Aino", "en")
    long_text = ("Minulla on paljon sanottavaa. " * 200)[:5000]
    replies = await youth.says(long_text)
    assert said(replies, "Thank you for the long message!")
    assert kept(polku, youth)[-1].text == long_text


async def test_emoji_only(polku, no_handler_errors):
    youth = await polku.onboarded("Aino", "sv")
    replies = await youth.says("👍🙂🎉")
    assert said(replies, "Tack! Välj bland knapparna nedan.")
    assert kept(polku, youth)[-1].text == "👍🙂🎉"


async def test_unknown_command(polku, no_handler_errors):
    youth = await polku.onboarded("Aino", "en")
    replies = await youth.says("/dance")
    assert said(replies, "I don't know that command. /help shows what I can do.")


async def test_a_tap_on_an_unknown_old_button(polku, no_handler_errors):
    youth = await polku.onboarded("Aino", "en")
    await youth.taps_data(youth.last_reply["message_id"], "survey:v0:q3:7")
    assert youth.callback_answers[-1] == "This button is old. Please use the newest message 🙂"


async def test_a_group_is_told_once_and_left(polku, no_handler_errors):
    youth = polku.youth("Aino")
    group = polku.standin.group("Luokka 9B", members=[youth])
    await group.adds_bot(by=youth)
    assert said(group.inbox, "Polku toimii vain yksityisessä keskustelussa")
    assert said(group.inbox, "Polku works only in private chats")
    assert len(group.inbox) == 1
    assert group.bot_left
    with Session(polku.engine) as session:
        assert session.exec(select(Youth)).all() == []  # nothing is stored about group members


async def test_a_message_in_a_group_is_not_answered_as_private(polku, no_handler_errors):
    youth = polku.youth("Aino")
    group = polku.standin.group("Luokka 9B", members=[youth])
    await youth.says_in(group, "/start")
    assert group.bot_left
    assert youth.inbox == []


async def test_a_channel_post_makes_the_bot_leave(polku, no_handler_errors):
    await polku.standin.channel_post("Koulun kanava", "Hei kaikki")
    assert any(call["method"] == "leaveChat" for call in polku.standin.sent())


async def test_blocking_the_bot_marks_them_unreachable_and_writing_again_undoes_it(
    polku, no_handler_errors
):
    youth = await polku.onboarded("Aino", "fi")
    await youth.blocks_bot()
    assert status_of(polku, youth) == YouthStatus.UNREACHABLE
    await youth.unblocks_bot()
    await youth.says("moi taas")
    assert status_of(polku, youth) == YouthStatus.ACTIVE


async def test_a_reply_to_someone_who_blocked_the_bot_is_kept_as_not_delivered(
    polku, no_handler_errors
):
    youth = await polku.onboarded("Aino", "fi")
    polku.standin.fail("sendMessage", status=403, chat_id=youth.id)
    await youth.says("moi")
    with Session(polku.engine) as session:
        row = session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()
        last = session.exec(
            select(Message).where(Message.youth_id == row.id).order_by(col(Message.id).desc())
        ).first()
    assert last.direction == "bot" and last.delivery_status == "blocked"
    assert row.status == YouthStatus.UNREACHABLE


async def test_telegram_asking_to_slow_down_is_honoured(polku, monkeypatch, no_handler_errors):
    waits: list[float] = []

    async def record_wait(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("bot.replies.wait_for_telegram", record_wait)
    youth = await polku.onboarded("Aino", "en")
    polku.standin.fail("sendMessage", status=429, retry_after=3, chat_id=youth.id)
    replies = await youth.says("hello")
    assert waits == [3.0]
    assert said(replies, "I didn't quite get that.")


async def test_a_failing_handler_still_answers_and_logs_no_text(polku, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("bot.handlers.menu.menu_item_for", broken)
    youth = await polku.onboarded("Aino", "en")
    caplog.set_level(logging.INFO)
    replies = await youth.says("my secret words")
    assert said(replies, "Sorry, something broke.")
    assert any(r.getMessage() == "handler failed" for r in caplog.records)
    assert all("my secret words" not in r.getMessage() for r in caplog.records)
