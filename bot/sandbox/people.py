"""Fake Telegram users, groups and their actions, for tests and the web chat page.

Every action builds the Update JSON Telegram would send, queues it, and (in the awaitable
form) returns only once the bot has acknowledged - or, with ``SandboxUpdateProcessor``,
finished processing - that update, so a test can assert on the replies without sleeping.
"""

# ruff: noqa: ASYNC109 - actions take a timeout so a stuck bot fails with the chat transcript
from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

from bot.sandbox.markup import inline_buttons, utf16_length
from bot.sandbox.state import (
    JSON,
    CallbackRecord,
    Chat,
    Delivery,
    SandboxState,
    image_size,
    unix_now,
)

if TYPE_CHECKING:
    from bot.sandbox.server import StandIn


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


#: A valid 1x1 PNG, the default photo a fake user sends.
TINY_PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x99\x00"))
    + _png_chunk(b"IEND", b"")
)
#: Enough of an Ogg/Opus header to look like a voice message.
TINY_OGG = b"OggS\x00\x02" + bytes(22) + b"\x01\x13OpusHead\x01\x01"
_TINY_WEBP = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00"
    b"/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)
_TINY_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


class BotDocument(TypedDict):
    """A document the bot sent, with its bytes, e.g. a /mydata export."""

    message_id: int
    file_id: str
    filename: str | None
    mime_type: str | None
    data: bytes
    caption: str | None


class _Participant:
    """Shared plumbing: queue an update, then wait for the bot to take it."""

    def __init__(self, standin: StandIn) -> None:
        self._standin = standin

    @property
    def _state(self) -> SandboxState:
        return self._standin.state

    async def _do(
        self, chat: Chat, queue: Callable[[], Delivery], timeout: float | None
    ) -> list[JSON]:
        """Run ``queue`` (which records and queues the update) and wait for the bot."""
        start_seq = self._state.seq
        return await self._complete(queue(), chat, start_seq, timeout)

    async def _complete(
        self, delivery: Delivery, chat: Chat, start_seq: int, timeout: float | None
    ) -> list[JSON]:
        limit = self._standin.action_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                await delivery.acked.wait()
                await delivery.processed.wait()
        except TimeoutError:
            waited_for = "processed" if delivery.acked.is_set() else "acknowledged"
            raise AssertionError(
                f"The bot has not {waited_for} update {delivery.update_id} "
                f"({delivery.kind}) within {limit} s.\n{chat.transcript()}"
            ) from None
        return chat.bot_messages_since(start_seq)


class FakeUser(_Participant):
    """A Telegram user talking to the bot in a private chat (and in groups)."""

    def __init__(self, standin: StandIn, data: JSON) -> None:
        super().__init__(standin)
        self.data = data
        chat_data: JSON = {"id": data["id"], "type": "private", "first_name": data["first_name"]}
        for key in ("last_name", "username"):
            if data.get(key):
                chat_data[key] = data[key]
        self.chat = self._state.add_chat(chat_data)
        if self.chat.data is not chat_data:  # the bot wrote to this id before we knew the name
            self.chat.data.clear()
            self.chat.data.update(chat_data)
        self._last_sent: int | None = None

    def __repr__(self) -> str:
        return f"FakeUser({self.first_name!r}, id={self.id})"

    @property
    def id(self) -> int:
        """The Telegram user id, also the private chat id."""
        return int(self.data["id"])

    @property
    def user_id(self) -> int:
        """Same as :attr:`id`; reads better next to database rows keyed by Telegram user id."""
        return self.id

    @property
    def first_name(self) -> str:
        """As shown to the bot."""
        return str(self.data["first_name"])

    @property
    def language_code(self) -> str | None:
        """The client language the bot sees on every update."""
        return self.data.get("language_code")

    # -- inspection -------------------------------------------------------------------------

    @property
    def inbox(self) -> list[JSON]:
        """Every bot message in the private chat, oldest first, edits applied."""
        return self.chat.bot_messages()

    @property
    def last_reply(self) -> JSON | None:
        """The newest bot message in the private chat."""
        messages = self.inbox
        return messages[-1] if messages else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Rows of the bot's current reply keyboard, None after ``remove_keyboard``."""
        rows = self.chat.reply_keyboard
        return [list(row) for row in rows] if rows is not None else None

    @property
    def callback_answers(self) -> list[str | None]:
        """answerCallbackQuery texts for this user's taps, in order (None: no text)."""
        return [text for user_id, text in self._state.callback_answers if user_id == self.id]

    @property
    def documents(self) -> list[BotDocument]:
        """Documents the bot sent in the private chat, with their bytes."""
        found: list[BotDocument] = []
        for message in self.inbox:
            document = message.get("document")
            if document is None:
                continue
            stored = self._state.files.get(document["file_id"])
            found.append(
                BotDocument(
                    message_id=message["message_id"],
                    file_id=document["file_id"],
                    filename=document.get("file_name"),
                    mime_type=document.get("mime_type"),
                    data=stored.data if stored else b"",
                    caption=message.get("caption"),
                )
            )
        return found

    @property
    def last_sent_message_id(self) -> int | None:
        """The id of this user's newest message in the private chat, for ``edits``."""
        return self._last_sent

    # -- queueing without waiting (the chat page uses these) --------------------------------

    def queue_message(self, content: JSON, chat: Chat | None = None) -> Delivery:
        """Record the user's message in the chat and queue the ``message`` update."""
        target = chat or self.chat
        kind = "channel_post" if target.type == "channel" else "message"
        entry = self._state.record_message(target, content, sender=self.data)
        if target is self.chat:
            self._last_sent = int(entry.message["message_id"])
        return self._state.enqueue(kind, dict(entry.message), target.id)

    def queue_text(self, text: str, chat: Chat | None = None) -> Delivery:
        """A text message; commands get the bot_command entity CommandHandler needs."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        return self.queue_message(content, chat)

    def queue_tap(self, message_id: int, data: str, chat: Chat | None = None) -> Delivery:
        """A ``callback_query`` for a message, as a tap on its button would send."""
        target = chat or self.chat
        entry = target.find(message_id)
        if entry is None or not entry.from_bot:
            raise AssertionError(f"No bot message {message_id} to tap.\n{target.transcript()}")
        query_id = self._state.next_query_id()
        self._state.callbacks[query_id] = CallbackRecord(query_id, target.id, self.id)
        payload: JSON = {
            "id": query_id,
            "from": self.data,
            "message": dict(entry.message),
            "chat_instance": str(abs(target.id) * 7919 % 10**12 + 10**12),
            "data": data,
        }
        return self._state.enqueue("callback_query", payload, target.id)

    # -- actions ----------------------------------------------------------------------------

    async def says(self, text: str, *, timeout: float | None = None) -> list[JSON]:
        """Send a text (``/start CODE`` for deep links); returns the bot's replies."""
        return await self._do(self.chat, lambda: self.queue_text(text), timeout)

    async def replies_to(
        self, message: JSON, text: str, *, timeout: float | None = None
    ) -> list[JSON]:
        """Answer a bot message with Telegram's Reply (the message is quoted with it)."""
        content: JSON = {"text": text, "reply_to_message": dict(message)}
        return await self._do(self.chat, lambda: self.queue_message(content), timeout)

    async def says_in(
        self, group: FakeGroup, text: str, *, timeout: float | None = None
    ) -> list[JSON]:
        """Send a text in a group; nothing reaches a bot that left it."""
        if self not in group.members:
            group.members.append(self)
        if group.bot_left:
            return []
        return await self._do(group.chat, lambda: self.queue_text(text, group.chat), timeout)

    async def _sends_file(
        self, kind: str, data: bytes, content: JSON, timeout: float | None, **store: str | None
    ) -> list[JSON]:
        stored = self._state.files.add(data, kind=kind, **store)
        described: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
        }
        for key, value in list(content.items()):
            if isinstance(value, dict) and value.pop("__file__", False):
                content[key] = {**described, **value}
        return await self._do(self.chat, lambda: self.queue_message(content), timeout)

    async def sends_photo(
        self, data: bytes = TINY_PNG, caption: str | None = None, *, timeout: float | None = None
    ) -> list[JSON]:
        """A photo (one PhotoSize), optionally captioned."""
        width, height = image_size(data)
        stored = self._state.files.add(data, kind="photo")
        content: JSON = {
            "photo": [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(data),
                    "width": width,
                    "height": height,
                }
            ]
        }
        if caption:
            content["caption"] = caption
        return await self._do(self.chat, lambda: self.queue_message(content), timeout)

    async def sends_voice(
        self, data: bytes = TINY_OGG, duration: int = 3, *, timeout: float | None = None
    ) -> list[JSON]:
        """A voice message."""
        content: JSON = {
            "voice": {"__file__": True, "duration": duration, "mime_type": "audio/ogg"}
        }
        return await self._sends_file("voice", data, content, timeout, mime_type="audio/ogg")

    async def sends_sticker(self, emoji: str = "😀", *, timeout: float | None = None) -> list[JSON]:
        """A regular static sticker."""
        content: JSON = {
            "sticker": {
                "__file__": True,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
            }
        }
        return await self._sends_file(
            "sticker", _TINY_WEBP, content, timeout, mime_type="image/webp"
        )

    async def sends_document(
        self,
        filename: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
        timeout: float | None = None,
    ) -> list[JSON]:
        """A file attachment."""
        content: JSON = {
            "document": {"__file__": True, "file_name": filename, "mime_type": mime_type}
        }
        if caption:
            content["caption"] = caption
        return await self._sends_file(
            "document", data, content, timeout, file_name=filename, mime_type=mime_type
        )

    async def sends_location(
        self, latitude: float, longitude: float, *, timeout: float | None = None
    ) -> list[JSON]:
        """A map pin."""
        content: JSON = {"location": {"latitude": latitude, "longitude": longitude}}
        return await self._do(self.chat, lambda: self.queue_message(content), timeout)

    async def sends_video_note(
        self, data: bytes = _TINY_MP4, duration: int = 2, *, timeout: float | None = None
    ) -> list[JSON]:
        """A round video message."""
        content: JSON = {"video_note": {"__file__": True, "length": 240, "duration": duration}}
        return await self._sends_file("video_note", data, content, timeout, mime_type="video/mp4")

    async def edits(
        self, message_id: int, new_text: str, *, timeout: float | None = None
    ) -> list[JSON]:
        """Edit one of this user's texts in the private chat (an ``edited_message`` update)."""
        entry = self.chat.find(message_id)
        if entry is None or entry.from_bot:
            raise AssertionError(f"{self} has no message {message_id}.\n{self.chat.transcript()}")

        def queue() -> Delivery:
            message = {k: v for k, v in entry.message.items() if k != "entities"}
            message["text"] = new_text
            message["edit_date"] = unix_now()
            self._state.replace_message(entry, message)
            return self._state.enqueue("edited_message", dict(message), self.chat.id)

        return await self._do(self.chat, queue, timeout)

    def _find_button(self, chat: Chat, button_text: str, message_id: int | None) -> tuple[int, str]:
        """The newest (or given) bot message with that button: exact match before contained."""
        entries = [e for e in reversed(chat.entries) if e.from_bot and not e.deleted]
        if message_id is not None:
            entries = [e for e in entries if e.message["message_id"] == message_id]
        for entry in entries:
            versions = [entry.message.get("reply_markup")]
            if message_id is not None:  # an old message: what the phone may still show
                versions += reversed(entry.past_markups)
            buttons = [b for markup in versions for b in inline_buttons({"reply_markup": markup})]
            match = next((b for b in buttons if b.get("text") == button_text), None)
            match = match or next((b for b in buttons if button_text in str(b.get("text"))), None)
            if match is None:
                continue
            if "callback_data" not in match:
                raise AssertionError(f"Button {match.get('text')!r} sends no callback data.")
            return int(entry.message["message_id"]), str(match["callback_data"])
        raise AssertionError(f"No button {button_text!r} to tap.\n{chat.transcript()}")

    async def taps(
        self, button_text: str, *, in_group: FakeGroup | None = None, timeout: float | None = None
    ) -> list[JSON]:
        """Tap a button on the newest bot message that has it."""
        chat = in_group.chat if in_group else self.chat
        message_id, data = self._find_button(chat, button_text, None)
        return await self._do(chat, lambda: self.queue_tap(message_id, data, chat), timeout)

    async def taps_on(
        self,
        message_id: int,
        button_text: str,
        *,
        in_group: FakeGroup | None = None,
        timeout: float | None = None,
    ) -> list[JSON]:
        """Tap a button on a specific (possibly old) message, even one an edit removed."""
        chat = in_group.chat if in_group else self.chat
        found_id, data = self._find_button(chat, button_text, message_id)
        return await self._do(chat, lambda: self.queue_tap(found_id, data, chat), timeout)

    async def taps_data(
        self,
        message_id: int,
        data: str,
        *,
        in_group: FakeGroup | None = None,
        timeout: float | None = None,
    ) -> list[JSON]:
        """Send arbitrary callback data for a message (forged or outdated buttons)."""
        chat = in_group.chat if in_group else self.chat
        return await self._do(chat, lambda: self.queue_tap(message_id, data, chat), timeout)

    def _member_update(self, chat: Chat, old: str, new: str) -> Delivery:
        bot = self._state.bot_sender()
        new_member: JSON = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: JSON = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        payload: JSON = {
            "chat": chat.data,
            "from": self.data,
            "date": unix_now(),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        return self._state.enqueue("my_chat_member", payload, chat.id)

    async def blocks_bot(self, *, timeout: float | None = None) -> list[JSON]:
        """Block the bot: sends to this chat answer 403 from now on."""

        def queue() -> Delivery:
            self.chat.blocked = True
            return self._member_update(self.chat, "member", "kicked")

        return await self._do(self.chat, queue, timeout)

    async def unblocks_bot(self, *, timeout: float | None = None) -> list[JSON]:
        """Unblock the bot (Telegram's "Restart bot")."""

        def queue() -> Delivery:
            self.chat.blocked = False
            return self._member_update(self.chat, "kicked", "member")

        return await self._do(self.chat, queue, timeout)


class FakeGroup(_Participant):
    """A basic group with fake members."""

    def __init__(self, standin: StandIn, chat: Chat, members: list[FakeUser]) -> None:
        super().__init__(standin)
        self.chat = chat
        self.members = members

    def __repr__(self) -> str:
        return f"FakeGroup({self.title!r}, id={self.id})"

    @property
    def id(self) -> int:
        """Negative, like Telegram group ids."""
        return self.chat.id

    @property
    def title(self) -> str:
        """The group's name."""
        return str(self.chat.data["title"])

    @property
    def inbox(self) -> list[JSON]:
        """Every bot message in the group."""
        return self.chat.bot_messages()

    @property
    def last_reply(self) -> JSON | None:
        """The newest bot message in the group."""
        messages = self.inbox
        return messages[-1] if messages else None

    @property
    def bot_left(self) -> bool:
        """True after the bot called leaveChat (until it is added again)."""
        return self.chat.bot_left

    async def adds_bot(self, by: FakeUser, *, timeout: float | None = None) -> list[JSON]:
        """A member adds the bot: a ``my_chat_member`` update (left -> member)."""

        def queue() -> Delivery:
            self.chat.bot_left = False
            return by._member_update(self.chat, "left", "member")

        return await self._do(self.chat, queue, timeout)

    async def removes_bot(self, by: FakeUser, *, timeout: float | None = None) -> list[JSON]:
        """A member removes the bot: ``my_chat_member`` (member -> left)."""

        def queue() -> Delivery:
            self.chat.bot_left = True
            return by._member_update(self.chat, "member", "left")

        return await self._do(self.chat, queue, timeout)
