"""Tests of the Telegram stand-in itself, driven by python-telegram-bot over real HTTP.

Every test runs its own stand-in on a free loopback port. Nothing sleeps to wait: actions
return when the bot acknowledges, and ``standin.wait_until`` wakes on state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.sandbox import StandIn
from bot.sandbox.people import TINY_PNG
from bot.sandbox.server import SECRET_HEADER, LoopbackServer

TOKEN = "123:ABC"
Handler = Callable[[Update], Awaitable[None]]


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    async with StandIn.running(action_timeout=10) as running:
        yield running


@pytest.fixture
async def bot(standin: StandIn) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=standin.base_url, base_file_url=standin.base_file_url) as b:
        yield b


@contextlib.asynccontextmanager
async def driving(bot: Bot, handle: Handler | None = None) -> AsyncIterator[list[Update]]:
    """A minimal bot: fetch, handle, and only then acknowledge (the next offset).

    Because acknowledgement follows handling, a fake person's action returns the replies.
    """
    seen: list[Update] = []

    async def loop() -> None:
        offset = 0
        while True:
            for update in await bot.get_updates(offset=offset, timeout=30):
                seen.append(update)
                if handle is not None:
                    await handle(update)
                offset = update.update_id + 1

    task = asyncio.create_task(loop())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A handler callback that does nothing (for check_update)."""


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t, callback_data=t.lower())] for t in labels]
    )


# -- basics -------------------------------------------------------------------------------


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.first_name, me.username, me.is_bot) == (
        123,
        "Polku",
        "polku_sandbox_bot",
        True,
    )


async def test_raw_protocol_errors_and_encodings(standin: StandIn) -> None:
    async with httpx.AsyncClient(base_url=standin.url) as client:
        missing = await client.post("/bot123:ABC/noSuchMethod")
        assert missing.status_code == 404
        assert missing.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        assert (await client.get("/botnotatoken/getMe")).status_code == 401
        assert (await client.get("/bot123:ABC/GETME")).json()["result"]["id"] == 123
        aino = standin.user("Aino")
        sent = await client.post(
            "/bot123:ABC/sendMessage", json={"chat_id": str(aino.id), "text": "json body"}
        )
        assert sent.json()["result"]["chat"]["id"] == aino.id
        unknown_chat = await client.post(
            "/bot123:ABC/sendMessage", data={"chat_id": "-5", "text": "x"}
        )
        assert unknown_chat.status_code == 400
        assert unknown_chat.json()["description"] == "Bad Request: chat not found"
        early = await client.post("/bot123:ABC/sendMessage", data={"chat_id": "777", "text": "x"})
        assert early.json()["result"]["chat"]["type"] == "private"  # e.g. after a restart
        assert [m["text"] for m in standin.user("Late", user_id=777).inbox] == ["x"]
        foreign = await client.get("/bot123:ABC/getMe", headers={"Host": "evil.example"})
        assert foreign.status_code == 400


# -- updates the fake people send -----------------------------------------------------------


async def test_text_and_command_updates_parse(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino", last_name="Virtanen", username="aino_v")
    async with driving(bot) as updates:
        await aino.says("moi")
        await aino.says("/start CODE123")
    text, command = updates
    assert text.message is not None and command.message is not None
    assert text.message.text == "moi"
    assert text.message.chat.type == "private" and text.message.chat.id == aino.id
    assert text.message.from_user is not None
    assert (text.message.from_user.first_name, text.message.from_user.language_code) == (
        "Aino",
        "fi",
    )
    assert command.update_id > text.update_id
    assert command.message.message_id > text.message.message_id
    entity = command.message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    handler: CommandHandler[ContextTypes.DEFAULT_TYPE, None] = CommandHandler("start", ignore)
    checked = handler.check_update(command)
    assert isinstance(checked, tuple) and checked[0] == ["CODE123"]


async def test_media_updates_and_user_files(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    async with driving(bot) as updates:
        await aino.sends_photo(caption="kuva")
        await aino.sends_voice(duration=4)
        await aino.sends_sticker("🐱")
        await aino.sends_document("cv.pdf", b"%PDF-1.4 cv", "application/pdf")
        await aino.sends_location(60.17, 24.94)
        await aino.sends_video_note()
    photo, voice, sticker, document, location, video_note = (u.message for u in updates)
    assert photo is not None and photo.photo[-1].width == 1 and photo.caption == "kuva"
    assert voice is not None and voice.voice is not None and voice.voice.mime_type == "audio/ogg"
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "🐱"
    assert location is not None and location.location is not None
    assert (location.location.latitude, location.location.longitude) == (60.17, 24.94)
    assert video_note is not None and video_note.video_note is not None
    assert document is not None and document.document is not None
    assert (document.document.file_name, document.document.mime_type) == (
        "cv.pdf",
        "application/pdf",
    )
    file = await document.document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 cv"
    photo_file = await photo.photo[-1].get_file()
    assert bytes(await photo_file.download_as_bytearray()) == TINY_PNG


async def test_edited_message(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    async with driving(bot) as updates:
        await aino.says("moi")
        assert aino.last_sent_message_id is not None
        await aino.edits(aino.last_sent_message_id, "moikka")
    edited = updates[-1].edited_message
    assert edited is not None and edited.text == "moikka" and edited.edit_date is not None
    assert edited.message_id == aino.last_sent_message_id
    assert standin.history(aino.id)[0]["text"] == "moikka"


async def test_block_and_unblock(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    async with driving(bot) as updates:
        await aino.blocks_bot()
        with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
            await bot.send_message(aino.id, "hei")
        with pytest.raises(Forbidden):
            await bot.send_chat_action(aino.id, "typing")
        await aino.unblocks_bot()
        await bot.send_message(aino.id, "tervetuloa takaisin")
    blocked, unblocked = (u.my_chat_member for u in updates)
    assert blocked is not None and unblocked is not None
    assert blocked.old_chat_member.status == "member"
    assert blocked.new_chat_member.status == "kicked"
    assert blocked.new_chat_member.user.id == 123 and blocked.from_user.id == aino.id
    assert unblocked.new_chat_member.status == "member"


# -- acknowledgement and long polling -------------------------------------------------------


async def test_action_completes_only_after_acknowledgement(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    saying = asyncio.create_task(aino.says("hei"))
    updates = await bot.get_updates(timeout=10)
    assert [u.message.text for u in updates if u.message] == ["hei"]
    assert not saying.done()
    again = await bot.get_updates(timeout=0)  # no offset: still pending, returned again
    assert [u.update_id for u in again] == [updates[0].update_id]
    await bot.send_message(aino.id, "Moi Aino!")
    assert not saying.done()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    replies = await saying
    assert [reply["text"] for reply in replies] == ["Moi Aino!"]
    assert standin.pending_updates == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    poll = asyncio.create_task(bot.get_updates(timeout=600))
    await standin.wait_until(lambda: standin.long_polls_waiting == 1)
    saying = asyncio.create_task(aino.says("oletko siellä?"))
    # The poll would wait 600 s; the guard only turns a hang into a failure.
    updates = await asyncio.wait_for(poll, timeout=10)
    assert updates[0].message is not None and updates[0].message.text == "oletko siellä?"
    await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert await saying == []


async def test_stuck_bot_fails_with_transcript(standin: StandIn) -> None:
    aino = standin.user("Aino")
    with pytest.raises(AssertionError, match=r"(?s)not acknowledged.*Aino: hei"):
        await aino.says("hei", timeout=0.05)


async def test_negative_offset_and_drop_pending(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    for text in ("yksi", "kaksi", "kolme"):
        aino.queue_text(text)
    last = await bot.get_updates(offset=-1, timeout=0)
    assert [u.message.text for u in last if u.message] == ["kolme"]
    await bot.delete_webhook(drop_pending_updates=True)
    assert standin.pending_updates == []


async def test_many_users_at_once(standin: StandIn, bot: Bot) -> None:
    async def echo(update: Update) -> None:
        if update.message and update.message.text:
            await bot.send_message(update.message.chat.id, "kaiku: " + update.message.text)

    people = [standin.user(name) for name in ("Aino", "Eino", "Helmi", "Onni")]
    async with driving(bot, echo):
        answers = await asyncio.gather(*(person.says(person.first_name) for person in people))
    for person, replies in zip(people, answers, strict=True):
        assert [r["text"] for r in replies] == ["kaiku: " + person.first_name]
        assert person.last_reply is not None and person.last_reply["chat"]["id"] == person.id


# -- what the bot sends -----------------------------------------------------------------------


async def test_inline_keyboard_and_taps(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")

    async def handle(update: Update) -> None:
        query = update.callback_query
        if query is not None and query.message is not None:
            await query.answer(f"Valitsit {query.data}")
            await bot.edit_message_text(
                f"Valinta: {query.data}", chat_id=aino.id, message_id=query.message.message_id
            )

    first = await bot.send_message(aino.id, "Jatketaanko?", reply_markup=keyboard("Kyllä", "Ei"))
    assert first.reply_markup is not None
    second = await bot.send_message(
        aino.id, "Entä nyt?", reply_markup=keyboard("Kyllä", "Ei kiitos", "Ei")
    )
    async with driving(bot, handle) as updates:
        replies = await aino.taps("Ei")  # newest message; exact match wins over "Ei kiitos"
        assert [r["text"] for r in replies] == ["Valinta: ei"]
        assert replies[0]["message_id"] == second.message_id
        assert "reply_markup" not in replies[0]  # an edit without markup drops the keyboard
        await aino.taps_on(first.message_id, "Kyllä")
        await aino.taps_data(first.message_id, "forged")
        with pytest.raises(AssertionError, match="No button 'Kyllä'"):
            await aino.taps("Kyllä", timeout=1)  # only the edited-away keyboard had it...
        stale = await aino.taps_on(second.message_id, "Kyllä")  # ...but a slow phone shows it
        assert [r["text"] for r in stale] == ["Valinta: kyllä"]
        with pytest.raises(AssertionError, match="No button 'Ehkä'"):
            await aino.taps("Ehkä")
    query = updates[0].callback_query
    assert query is not None and query.data == "ei" and query.from_user.id == aino.id
    assert query.message is not None and query.message.message_id == second.message_id
    taps = [u.callback_query.data for u in updates[1:] if u.callback_query]
    assert taps == ["kyllä", "forged", "kyllä"]
    assert aino.callback_answers == [
        "Valitsit ei",
        "Valitsit kyllä",
        "Valitsit forged",
        "Valitsit kyllä",
    ]
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer("again")


async def test_reply_keyboard_tracking(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    assert aino.reply_keyboard is None
    markup = ReplyKeyboardMarkup([["Hyvin", "Huonosti"], ["En osaa sanoa"]], resize_keyboard=True)
    message = await bot.send_message(aino.id, "Miten menee?", reply_markup=markup)
    assert message.reply_markup is None  # Telegram only echoes inline keyboards
    assert aino.reply_keyboard == [["Hyvin", "Huonosti"], ["En osaa sanoa"]]
    await bot.send_message(aino.id, "Inline ei vaikuta", reply_markup=keyboard("OK"))
    assert aino.reply_keyboard == [["Hyvin", "Huonosti"], ["En osaa sanoa"]]
    await bot.send_message(aino.id, "Kiitos!", reply_markup=ReplyKeyboardRemove())
    assert aino.reply_keyboard is None


async def test_edit_message_text(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    sent = await bot.send_message(aino.id, "Luonnos", reply_markup=keyboard("OK"))
    edited = await bot.edit_message_text(
        "Valmis", chat_id=aino.id, message_id=sent.message_id, reply_markup=keyboard("OK")
    )
    assert isinstance(edited, Message) and edited.text == "Valmis" and edited.edit_date is not None
    assert [m["text"] for m in aino.inbox] == ["Valmis"]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "Valmis", chat_id=aino.id, message_id=sent.message_id, reply_markup=keyboard("OK")
        )
    without = await bot.edit_message_reply_markup(chat_id=aino.id, message_id=sent.message_id)
    assert isinstance(without, Message) and without.reply_markup is None
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=aino.id, message_id=999)


async def test_html_parse_mode_like_telegram(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    assert (await bot.send_message(aino.id, "true")).text == "true"  # not a form boolean
    sent = await bot.send_message(aino.id, "<b>Hei</b> Aino &lt;3", parse_mode="HTML")
    assert sent.text == "Hei Aino <3"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 3)]
    with pytest.raises(BadRequest, match='(?i)Unsupported start tag "br"'):
        await bot.send_message(aino.id, "rivi<br>rivi", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(aino.id, "<b></b>", parse_mode="HTML")


async def test_too_long_text_is_refused(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    await bot.send_message(aino.id, "a" * 4096)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(aino.id, "a" * 4097)
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        button = InlineKeyboardButton("x", callback_data="d" * 65)
        await bot.send_message(aino.id, "x", reply_markup=InlineKeyboardMarkup([[button]]))


async def test_documents_photos_voice_location(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    sent = await bot.send_document(
        aino.id, b'{"name": "Aino"}', filename="omat_tiedot.json", caption="Tietosi"
    )
    assert sent.document is not None and sent.document.file_name == "omat_tiedot.json"
    assert sent.document.mime_type == "application/json"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b'{"name": "Aino"}'
    [document] = aino.documents
    assert (document["filename"], document["data"], document["caption"]) == (
        "omat_tiedot.json",
        b'{"name": "Aino"}',
        "Tietosi",
    )
    photo = await bot.send_photo(aino.id, TINY_PNG)
    again = await bot.send_photo(aino.id, photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    await bot.send_voice(aino.id, b"OggS voice", duration=2)
    await bot.send_location(aino.id, 60.45, 22.27)
    kinds = [
        next(k for k in ("document", "photo", "voice", "location") if k in m) for m in aino.inbox
    ]
    assert kinds == ["document", "photo", "photo", "voice", "location"]
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")
    assert standin.sent("sendDocument")[0]["files"] == {"document": "omat_tiedot.json"}


async def test_commands_actions_and_call_log(standin: StandIn, bot: Bot) -> None:
    aino = standin.user("Aino")
    await bot.set_my_commands(
        [BotCommand("start", "Aloita"), BotCommand("apu", "Apua")], language_code="fi"
    )
    await bot.set_my_commands([BotCommand("start", "Start")])
    assert standin.my_commands("fi") == [
        {"command": "start", "description": "Aloita"},
        {"command": "apu", "description": "Apua"},
    ]
    assert standin.my_commands() == [{"command": "start", "description": "Start"}]
    assert [c.command for c in await bot.get_my_commands(language_code="fi")] == ["start", "apu"]
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start!", "x")])
    await bot.delete_my_commands(language_code="fi")
    assert standin.my_commands("fi") is None
    await bot.send_chat_action(aino.id, "typing")
    [action] = standin.sent("sendchataction")
    assert action["method"] == "sendChatAction" and action["params"] == {
        "chat_id": aino.id,
        "action": "typing",
    }
    assert [c["status"] for c in standin.sent("setMyCommands")] == [200, 200, 400]


# -- groups and channels --------------------------------------------------------------------


async def test_group_membership_and_leave(standin: StandIn, bot: Bot) -> None:
    aino, eino = standin.user("Aino"), standin.user("Eino")
    group = standin.group("Ryhmä TVO23", members=[aino, eino])
    assert group.id < 0

    async def greet(update: Update) -> None:
        if update.my_chat_member is not None:
            await bot.send_message(update.my_chat_member.chat.id, "Hei ryhmä!")

    async with driving(bot, greet) as updates:
        replies = await group.adds_bot(by=aino)
        assert [r["text"] for r in replies] == ["Hei ryhmä!"]
        await eino.says_in(group, "moi kaikki")
    added = updates[0].my_chat_member
    assert added is not None and added.chat.type == "group" and added.chat.title == "Ryhmä TVO23"
    assert (added.old_chat_member.status, added.new_chat_member.status) == ("left", "member")
    said = updates[1].message
    assert said is not None and said.chat.id == group.id and said.from_user is not None
    assert said.from_user.id == eino.id
    assert [m["text"] for m in group.inbox] == ["Hei ryhmä!"]
    assert await bot.leave_chat(group.id)
    assert group.bot_left
    with pytest.raises(Forbidden):
        await bot.send_message(group.id, "vielä täällä?")
    assert await eino.says_in(group, "minne botti meni?") == []


async def test_channel_post(standin: StandIn, bot: Bot) -> None:
    async with driving(bot) as updates:
        await standin.channel_post("Tiedotteet", "Huomenna ei koulua")
    post = updates[0].channel_post
    assert post is not None and post.text == "Huomenna ei koulua"
    assert post.chat.type == "channel" and post.sender_chat is not None


# -- fault injection ------------------------------------------------------------------------


async def test_fault_injection(standin: StandIn, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB 22 warns about int retry_after otherwise
    aino, eino = standin.user("Aino"), standin.user("Eino")
    standin.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(aino.id, "x")
    assert flood.value.retry_after == dtm.timedelta(seconds=7)
    standin.fail("sendmessage", status=403)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(aino.id, "x")
    standin.fail("sendMessage", status=500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as server_error:
            await bot.send_message(aino.id, "x")
        assert server_error.type is NetworkError
    standin.fail("sendMessage", status=403, chat_id=eino.id)
    await bot.send_message(aino.id, "Aino is fine")
    with pytest.raises(Forbidden):
        await bot.send_message(eino.id, "Eino is not")
    await bot.send_message(eino.id, "only once")
    assert [c["status"] for c in standin.sent("sendMessage")] == [429, 403, 500, 500, 200, 403, 200]
    assert [m["text"] for m in aino.inbox] == ["Aino is fine"]


async def test_slow_answers_time_out_and_do_not_block_shutdown(standin: StandIn, bot: Bot) -> None:
    standin.slow("getMe", 3600)
    with pytest.raises(TimedOut):
        await bot.get_me(read_timeout=0.2)
    assert (await bot.get_me()).id == 123


# -- webhook ----------------------------------------------------------------------------------


async def test_webhook_delivery_with_secret(standin: StandIn, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []
    attempts = 0

    async def hook(request: Request) -> Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            return Response(status_code=502)  # Telegram retries until the bot answers 2xx
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return Response(status_code=200)

    receiver = LoopbackServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    await receiver.start()
    try:
        aino = standin.user("Aino")
        assert await bot.set_webhook(receiver.url + "/hook", secret_token="s3cret-token")
        assert standin.webhook_url == receiver.url + "/hook"
        with pytest.raises(Conflict):
            await bot.get_updates()
        assert await aino.says("webhook?") == []
        [(secret, body)] = received
        assert secret == "s3cret-token"
        update = Update.de_json(body, bot)
        assert update.message is not None and update.message.text == "webhook?"
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
        assert await bot.delete_webhook()
        assert standin.webhook_url is None
    finally:
        await receiver.stop()


# -- the web chat page ----------------------------------------------------------------------


async def test_chat_page_endpoints(standin: StandIn, bot: Bot) -> None:
    async with httpx.AsyncClient(base_url=standin.url) as web:
        page = await web.get("/chat")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "/sandbox/messages" in page.text and (await web.get("/")).text == page.text
        created = await web.post(
            "/sandbox/users", json={"first_name": "Eveliina", "language_code": "sv"}
        )
        user_id = created.json()["user_id"]
        again = await web.post(
            "/sandbox/users",
            json={"first_name": "Eveliina", "language_code": "sv", "user_id": user_id},
        )
        assert again.json()["user_id"] == user_id
        assert (
            await web.post("/sandbox/send", json={"user_id": user_id, "text": "/start"})
        ).is_success
        assert (await web.post("/sandbox/send", data={"user_id": user_id})).status_code == 415

        [update] = await bot.get_updates(timeout=10)
        assert update.message is not None and update.message.text == "/start"
        assert update.message.from_user is not None
        assert (update.message.from_user.id, update.message.from_user.language_code) == (
            user_id,
            "sv",
        )
        await bot.get_updates(offset=update.update_id + 1, timeout=0)

        button = await bot.send_message(user_id, "Tervetuloa!", reply_markup=keyboard("Jatka"))
        await bot.send_message(
            user_id, "Miten menee?", reply_markup=ReplyKeyboardMarkup([["Hyvin"]])
        )
        await bot.send_document(user_id, b"data", filename="tiedot.json")
        await bot.send_location(user_id, 60.1, 24.9)
        listing = (
            await web.get("/sandbox/messages", params={"user_id": user_id, "after": 0})
        ).json()
        messages = listing["messages"]
        assert [m["from"] for m in messages] == ["user", "bot", "bot", "bot", "bot"]
        assert messages[1]["text"] == "Tervetuloa!"
        assert messages[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "jatka"
        assert listing["reply_keyboard"] == [["Hyvin"]]
        assert messages[4]["location"] == {"latitude": 60.1, "longitude": 24.9}
        download = await web.get(messages[3]["document"]["url"])
        assert download.content == b"data"
        after = listing["seq"]
        quiet = await web.get("/sandbox/messages", params={"user_id": user_id, "after": after})
        assert quiet.json()["messages"] == []

        tap = {"user_id": user_id, "message_id": button.message_id, "data": "jatka"}
        assert (await web.post("/sandbox/tap", json=tap)).is_success
        [tapped] = await bot.get_updates(timeout=10)
        assert tapped.callback_query is not None and tapped.callback_query.data == "jatka"
        await tapped.callback_query.answer("Jatketaan!")
        await bot.edit_message_text("Jatkettu", chat_id=user_id, message_id=button.message_id)
        changed = (
            await web.get("/sandbox/messages", params={"user_id": user_id, "after": after})
        ).json()
        assert [(m["message_id"], m["text"], m["edited"]) for m in changed["messages"]] == [
            (button.message_id, "Jatkettu", True)
        ]
        assert [n["text"] for n in changed["notices"]] == ["Jatketaan!"]
        unknown = await web.get("/sandbox/messages", params={"user_id": 1, "after": 0})
        assert unknown.status_code == 404


# -- a real python-telegram-bot Application -------------------------------------------------


async def test_real_application_with_update_processor(standin: StandIn) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        code = context.args[0] if context.args else "-"
        await update.message.reply_text(f"Hei! Koodi {code}", reply_markup=keyboard("Kyllä"))

    async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Selvä")
        await query.edit_message_text(f"Valitsit: {query.data}")

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(standin.base_url)
        .base_file_url(standin.base_file_url)
        .concurrent_updates(standin.update_processor())
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(choose))
    aino = standin.user("Aino")
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()
        try:
            replies = await aino.says("/start ABC")
            assert [r["text"] for r in replies] == ["Hei! Koodi ABC"]
            replies = await aino.taps("Kyllä")
            assert [r["text"] for r in replies] == ["Valitsit: kyllä"]
            assert aino.callback_answers == ["Selvä"]
        finally:
            await application.updater.stop()
            await application.stop()


async def test_an_enforced_rate_answers_429_past_the_limit():
    from telegram import Bot
    from telegram.error import RetryAfter

    async with StandIn.running() as standin:
        standin.limit_rate(3)
        user = standin.user("Aino")
        async with Bot("123:ABC", base_url=standin.base_url) as bot:
            for _ in range(3):
                await bot.send_message(user.id, "hei")
            with pytest.raises(RetryAfter):
                await bot.send_message(user.id, "liikaa")
            await bot.get_me()  # only sending is limited
