"""In-memory state of the Telegram stand-in: chats, files, the update queue and recorded calls.

The state is kept free of HTTP so that the Bot API handlers, the fake people used by tests and
the web chat page all read and change one consistent model, and so tests can inspect it
directly instead of parsing responses.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import mimetypes
import secrets
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

JSON = dict[str, Any]

BOT_FIRST_NAME = "Polku"
BOT_USERNAME = "polku_sandbox_bot"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
BLOCKED = "Forbidden: bot was blocked by the user"

#: Update types Telegram delivers when the bot never chose ``allowed_updates``.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)


def unix_now() -> int:
    """Telegram dates are whole seconds since the epoch."""
    return int(time.time())


class ApiError(Exception):
    """A Bot API failure, answered with the same status and JSON shape Telegram uses."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        """The body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """Shortcut for the most common Telegram error, 400 with a "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG so PhotoSize looks plausible; 1x1 if unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                break
            marker = data[index + 1]
            length = int.from_bytes(data[index + 2 : index + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + length
    return 1, 1


_FOLDERS = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ".bin"),
    "voice": ("voice", ".oga"),
    "sticker": ("stickers", ".webp"),
    "video_note": ("video_notes", ".mp4"),
}


@dataclass
class StoredFile:
    """A file either side uploaded; kept so getFile and the download route can return it."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None

    def describe(self) -> JSON:
        """The Bot API ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


class FileStore:
    """Files by id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def add(
        self, data: bytes, *, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store bytes under a fresh opaque file_id, guessing the MIME type like Telegram."""
        number = next(self._numbers)
        folder, extension = _FOLDERS.get(kind, ("documents", ".bin"))
        if not mime_type or mime_type == "application/octet-stream":
            guessed = mimetypes.guess_type(file_name or "")[0]
            mime_type = guessed or mime_type
        if kind == "photo":
            # Telegram re-encodes photos; keep the real type for the download.
            mime_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        elif kind == "document" and file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        elif kind == "document" and mime_type:
            extension = mimetypes.guess_extension(mime_type) or extension
        stored = StoredFile(
            file_id=f"SBX{kind}{number}_{secrets.token_hex(6)}",
            file_unique_id=f"U{number}{kind[:3]}",
            file_path=f"{folder}/file_{number}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this id, if either side uploaded it."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file served at this download path."""
        return self._by_path.get(file_path)


@dataclass
class Entry:
    """One message in a chat's history; ``seq`` moves forward whenever the message changes."""

    seq: int
    from_bot: bool
    message: JSON
    deleted: bool = False
    #: Inline keyboards the message had before edits: a phone that has not refreshed yet
    #: can still tap them, which is what stale-button tests simulate.
    past_markups: list[JSON] = field(default_factory=list)


@dataclass
class Notice:
    """An answerCallbackQuery text, shown by the chat page as a toast or alert."""

    seq: int
    text: str | None
    show_alert: bool


@dataclass
class Chat:
    """A chat with its full history, as both sides have seen it (edits applied in place)."""

    data: JSON
    entries: list[Entry] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False
    bot_left: bool = False
    reply_keyboard: list[list[str]] | None = None
    notices: list[Notice] = field(default_factory=list)
    last_action: str | None = None
    last_action_at: float = 0.0
    _index: dict[int, Entry] = field(default_factory=dict)

    @property
    def id(self) -> int:
        """The Telegram chat id (user id for private chats, negative for groups)."""
        return int(self.data["id"])

    @property
    def type(self) -> str:
        """``private``, ``group`` or ``channel``."""
        return str(self.data["type"])

    def add(self, entry: Entry) -> None:
        """Append a message to the history."""
        self.entries.append(entry)
        self._index[int(entry.message["message_id"])] = entry

    def find(self, message_id: int) -> Entry | None:
        """A message that was not deleted."""
        entry = self._index.get(message_id)
        return None if entry is None or entry.deleted else entry

    def bot_messages(self) -> list[JSON]:
        """Copies of every bot message still in the chat, oldest first."""
        return [copy.deepcopy(e.message) for e in self.entries if e.from_bot and not e.deleted]

    def bot_messages_since(self, seq: int) -> list[JSON]:
        """Bot messages sent or edited after ``seq``, in the order they last changed."""
        changed = [e for e in self.entries if e.from_bot and not e.deleted and e.seq > seq]
        return [copy.deepcopy(e.message) for e in sorted(changed, key=lambda e: e.seq)]

    def transcript(self) -> str:
        """Readable history for assertion messages."""
        name = self.data.get("title") or self.data.get("first_name") or ""
        lines = [f"Chat {self.id} ({self.type}, {name}):"]
        for entry in self.entries:
            if entry.deleted:
                continue
            message = entry.message
            who = "bot" if entry.from_bot else message.get("from", {}).get("first_name", "?")
            lines.append(f"  #{message['message_id']} {who}: {describe_content(message)}")
        if not self.entries:
            lines.append("  (no messages)")
        if self.reply_keyboard:
            lines.append(f"  reply keyboard: {self.reply_keyboard}")
        return "\n".join(lines)


def describe_content(message: JSON) -> str:
    """One-line summary of a message for transcripts."""
    parts: list[str] = []
    for key in ("photo", "document", "voice", "sticker", "video_note", "location"):
        if key in message:
            parts.append(f"[{key}]")
    text = message.get("text") or message.get("caption")
    if text:
        parts.append(str(text))
    keyboard = message.get("reply_markup", {}).get("inline_keyboard")
    if keyboard:
        labels = " | ".join(str(button.get("text")) for row in keyboard for button in row)
        parts.append(f"[buttons: {labels}]")
    if "edit_date" in message:
        parts.append("(edited)")
    return " ".join(parts) or "(empty)"


SENDING_METHODS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendvoice", "sendlocation"}
)


@dataclass
class Delivery:
    """A queued update and the signals a fake person's action waits for."""

    update: JSON
    chat_id: int | None
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    processed: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: bool = False

    @property
    def update_id(self) -> int:
        """The globally increasing update id."""
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        """The update type, e.g. ``message`` or ``callback_query``."""
        return next(key for key in self.update if key != "update_id")


class ApiCall(TypedDict):
    """One Bot API call the bot made, for assertions; ``files`` maps part name to file name.

    A plain dict so tests can write ``call["params"]["text"]``.
    """

    method: str
    params: JSON
    status: int
    files: dict[str, str]


@dataclass
class Fault:
    """An injected failure for the next ``times`` calls of a method."""

    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None


@dataclass
class Delay:
    """An injected delay for the next ``times`` calls of a method."""

    method: str
    seconds: float
    times: int


@dataclass
class CallbackRecord:
    """A callback query the bot was sent, and how (whether) it answered it."""

    query_id: str
    chat_id: int
    user_id: int
    answer: JSON | None = None


@dataclass
class Webhook:
    """The webhook the bot registered with setWebhook."""

    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


class SandboxState:
    """Everything the stand-in knows, plus a change signal that waiters can sleep on."""

    def __init__(self, bot_id: int | None = None) -> None:
        self.bot_id = bot_id or 1
        self.files = FileStore()
        self.chats: dict[int, Chat] = {}
        self.queue: list[Delivery] = []
        self.calls: deque[ApiCall] = deque(maxlen=50_000)
        self.faults: list[Fault] = []
        self.rate_limit: int | None = None  # messages a second, as Telegram enforces it
        self.recent_sends: deque[float] = deque()
        self.delays: list[Delay] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.callback_answers: list[tuple[int, str | None]] = []
        self.webhook: Webhook | None = None
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.wait_for_processing = False
        self.closing = False
        self.poll_generation = 0
        self.polls_waiting = 0
        self.seq = 0
        self._tracked: dict[int, Delivery] = {}
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_001)
        self._changed: asyncio.Event | None = None

    # -- change notification ----------------------------------------------------------------

    def notify(self) -> None:
        """Wake everyone sleeping in :meth:`wait_changed` (pollers, waiters, the webhook)."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_changed(self, seconds: float | None) -> None:
        """Sleep until the next :meth:`notify` or for ``seconds``, whichever comes first."""
        if self._changed is None:
            self._changed = asyncio.Event()
        event = self._changed
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return

    async def wait_until(self, predicate: Callable[[], bool], seconds: float) -> None:
        """Return once ``predicate()`` is true, re-checking after every change."""
        async with asyncio.timeout(seconds):
            while not predicate():
                await self.wait_changed(None)

    def next_seq(self) -> int:
        """A new history sequence number; every history change gets one and notifies."""
        self.seq += 1
        self.notify()
        return self.seq

    # -- chats and messages -----------------------------------------------------------------

    def bot_user(self) -> JSON:
        """The bot as a Telegram ``User`` (getMe)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def bot_sender(self) -> JSON:
        """The bot as it appears in ``from`` of its messages (no getMe-only fields)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }

    def add_chat(self, data: JSON) -> Chat:
        """Create a chat, or return the existing one with that id."""
        chat_id = int(data["id"])
        if chat_id not in self.chats:
            self.chats[chat_id] = Chat(data=data)
        return self.chats[chat_id]

    def chat(self, chat_id: object) -> Chat:
        """Resolve a Bot API ``chat_id`` (number or @username) or fail like Telegram.

        Unknown positive ids become private chats: the user may have written through a
        hand-made webhook update, or before the stand-in restarted (the bot's database
        outlives the stand-in's memory). Unknown groups and channels are "not found".
        """
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.data.get("username") == chat_id[1:]:
                    return chat
            raise bad_request("chat not found")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        try:
            number = int(str(chat_id))
        except ValueError:
            raise bad_request("chat not found") from None
        found = self.chats.get(number)
        if found is None and number > 0:
            found = self.add_chat({"id": number, "type": "private", "first_name": f"User {number}"})
        if found is None:
            raise bad_request("chat not found")
        return found

    def record_message(self, chat: Chat, content: JSON, *, sender: JSON | None) -> Entry:
        """Add a message to the chat with the next message_id; ``sender`` None means a post."""
        message: JSON = {"message_id": chat.next_message_id}
        chat.next_message_id += 1
        if sender is not None:
            message["from"] = sender
        else:
            message["sender_chat"] = chat.data
        message["chat"] = chat.data
        message["date"] = unix_now()
        message.update(content)
        from_bot = sender is not None and bool(sender.get("is_bot"))
        entry = Entry(seq=self.next_seq(), from_bot=from_bot, message=message)
        chat.add(entry)
        return entry

    def replace_message(self, entry: Entry, message: JSON) -> None:
        """Apply an edit in place and move the message's seq forward."""
        old_markup = entry.message.get("reply_markup")
        if old_markup is not None and old_markup != message.get("reply_markup"):
            entry.past_markups.append(old_markup)
        entry.message = message
        entry.seq = self.next_seq()

    # -- the update queue -------------------------------------------------------------------

    def enqueue(self, kind: str, payload: JSON, chat_id: int | None) -> Delivery:
        """Queue an update for getUpdates or the webhook."""
        delivery = Delivery(
            update={"update_id": next(self._update_ids), kind: payload}, chat_id=chat_id
        )
        self.queue.append(delivery)
        self._tracked[delivery.update_id] = delivery
        self.notify()
        return delivery

    def next_query_id(self) -> str:
        """Callback query ids are opaque strings in Telegram."""
        return str(next(self._query_ids))

    def _finish(self, delivery: Delivery, *, dropped: bool) -> None:
        delivery.dropped = dropped
        delivery.acked.set()
        if dropped or not self.wait_for_processing:
            delivery.processed.set()
        if delivery.processed.is_set():
            self._tracked.pop(delivery.update_id, None)

    def acknowledge(self, offset: int) -> None:
        """getUpdates ``offset`` semantics: forget every update with a smaller id.

        A negative offset keeps only the last ``-offset`` updates, as Telegram does.
        """
        if offset < 0:
            keep = self.queue[offset:]
            for delivery in self.queue[: len(self.queue) - len(keep)]:
                self._finish(delivery, dropped=True)
            self.queue = keep
        else:
            for delivery in [d for d in self.queue if d.update_id < offset]:
                self._finish(delivery, dropped=False)
            self.queue = [d for d in self.queue if d.update_id >= offset]
        self.notify()

    def acknowledge_one(self, delivery: Delivery) -> None:
        """The webhook answered 2xx for this update."""
        if delivery in self.queue:
            self.queue.remove(delivery)
        self._finish(delivery, dropped=False)
        self.notify()

    def drop_pending(self) -> None:
        """``drop_pending_updates``: forget the queue; waiting people are released."""
        for delivery in self.queue:
            self._finish(delivery, dropped=True)
        self.queue = []
        self.notify()

    def take(self, limit: int) -> list[Delivery]:
        """The oldest pending updates the bot asked for; others are dropped like Telegram."""
        for delivery in [d for d in self.queue if d.kind not in self.allowed_updates]:
            self.queue.remove(delivery)
            self._finish(delivery, dropped=True)
        return self.queue[:limit]

    def set_allowed_updates(self, allowed: object) -> None:
        """An empty or missing list means Telegram's default set."""
        if isinstance(allowed, list) and allowed:
            self.allowed_updates = frozenset(str(kind) for kind in allowed)
        elif isinstance(allowed, list):
            self.allowed_updates = DEFAULT_UPDATE_TYPES

    def mark_processed(self, update_id: int) -> None:
        """The bot finished handling this update (see ``SandboxUpdateProcessor``)."""
        delivery = self._tracked.get(update_id)
        if delivery is None:
            return
        delivery.processed.set()
        if delivery.acked.is_set():
            self._tracked.pop(update_id, None)
        self.notify()

    # -- fault injection --------------------------------------------------------------------

    def take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        """Consume one matching injected failure, if any."""
        for fault in self.faults:
            if fault.method == method.lower() and fault.chat_id in (None, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def over_rate(self, method: str) -> bool:
        """True when a sending call goes past the enforced messages-per-second limit."""
        if self.rate_limit is None or method.lower() not in SENDING_METHODS:
            return False
        now = asyncio.get_running_loop().time()
        while self.recent_sends and now - self.recent_sends[0] >= 1.0:
            self.recent_sends.popleft()
        if len(self.recent_sends) >= self.rate_limit:
            return True
        self.recent_sends.append(now)
        return False

    def take_delay(self, method: str) -> float:
        """Consume one matching injected delay, if any."""
        for delay in self.delays:
            if delay.method == method.lower():
                delay.times -= 1
                if delay.times <= 0:
                    self.delays.remove(delay)
                return delay.seconds
        return 0.0

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake early when the stand-in is shutting down."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not self.closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            await self.wait_changed(remaining)
