"""The Bot API routes of the stand-in: ``/bot{token}/{method}`` and file downloads.

Requests are parsed the way Telegram parses them (query string, urlencoded or multipart form
with JSON-encoded complex values, or a JSON body) and answered with Telegram's envelope and
status codes, so python-telegram-bot raises the same exceptions it would in production.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.markup import check_reply_markup, formatted_text, keyboard_rows
from bot.sandbox.state import (
    BLOCKED,
    JSON,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ApiCall,
    ApiError,
    Chat,
    Entry,
    Notice,
    SandboxState,
    StoredFile,
    Webhook,
    bad_request,
    image_size,
    unix_now,
)

TOKEN_PATTERN = re.compile(r"(\d+):[^/]+")
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "menu_button",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "from_chat_id",
        "user_id",
        "message_thread_id",
        "duration",
        "cache_time",
        "max_connections",
        "reply_to_message_id",
        "length",
    }
)
_FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "allow_sending_without_reply",
        "resize_keyboard",
        "is_personal",
    }
)
_TYPED_FIELDS = _JSON_FIELDS | _INT_FIELDS | _FLOAT_FIELDS | _BOOL_FIELDS
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_PATTERN = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


Params = dict[str, Any]
Handler = Callable[[Params, dict[str, Upload]], Awaitable[Any]]


def _coerce(key: str, value: str) -> Any:
    """Form values are strings; decode the ones Telegram treats as JSON, numbers or booleans."""
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as error:
            raise bad_request(f"can't parse {key} JSON object") from error
    if key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key in _FLOAT_FIELDS:
        try:
            return float(value)
        except ValueError:
            return value
    if key in _BOOL_FIELDS and value in ("true", "false", "True", "False"):
        return value.lower() == "true"
    return value


async def parse_request(request: Request) -> tuple[Params, dict[str, Upload]]:
    """Parameters and uploaded files from any encoding PTB or a person might use."""
    params: Params = {k: _coerce(k, v) for k, v in request.query_params.items()}
    uploads: dict[str, Upload] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        if body.strip():
            try:
                decoded = json.loads(body)
            except ValueError as error:
                raise bad_request("can't parse JSON body") from error
            if not isinstance(decoded, dict):
                raise bad_request("JSON body must be an object")
            for key, value in decoded.items():
                typed = isinstance(value, str) and key in _TYPED_FIELDS
                params[key] = _coerce(key, value) if typed else value
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        async with request.form(max_part_size=50 * 1024 * 1024) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    uploads[key] = Upload(value.filename, value.content_type, data)
                else:
                    params[key] = _coerce(key, value)
    return params, uploads


def envelope(result: Any = None, error: ApiError | None = None) -> JSONResponse:
    """Telegram's ``{"ok": ...}`` envelope with the matching HTTP status."""
    if error is not None:
        return JSONResponse(error.payload(), status_code=error.status)
    return JSONResponse({"ok": True, "result": result})


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class BotApi:
    """Implements the Bot API methods on top of :class:`SandboxState`."""

    def __init__(self, state: SandboxState, on_webhook_change: Callable[[], None]) -> None:
        self.state = state
        self._on_webhook_change = on_webhook_change
        self._methods: dict[str, tuple[str, Handler]] = {}
        for name, handler in {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendVoice": self.send_voice,
            "sendLocation": self.send_location,
            "sendChatAction": self.send_chat_action,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "leaveChat": self.leave_chat,
            "getChat": self.get_chat,
            "getFile": self.get_file,
            "setMyDescription": self.accept,
            "setMyShortDescription": self.accept,
            "setMyName": self.accept,
            "setChatMenuButton": self.accept,
        }.items():
            self._methods[name.lower()] = (name, handler)

    def routes(self) -> list[Route]:
        """The Starlette routes for API calls and file downloads."""
        return [
            Route("/bot{token}/{method}", self.endpoint, methods=["GET", "POST"]),
            Route("/file/bot{token}/{file_path:path}", self.download, methods=["GET"]),
        ]

    # -- HTTP plumbing ----------------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        """Dispatch one call: token check, fault injection, the method, the call record."""
        token = TOKEN_PATTERN.fullmatch(request.path_params["token"])
        if token is None:
            return envelope(error=ApiError(401, "Unauthorized"))
        self.state.bot_id = int(token.group(1))
        found = self._methods.get(str(request.path_params["method"]).lower())
        if found is None:
            return envelope(error=ApiError(404, "Not Found: method not found"))
        name, handler = found
        try:
            params, uploads = await parse_request(request)
        except ApiError as unparsable:
            return envelope(error=unparsable)
        delay = self.state.take_delay(name)
        if delay:
            await self.state.pause(delay)
        fault = self.state.take_fault(name, self._chat_of(params))
        result: Any = None
        error: ApiError | None = None
        if fault is not None:
            error = ApiError(fault.status, fault.description, fault.retry_after)
        elif self.state.over_rate(name):
            error = ApiError(429, "Too Many Requests: retry after 1", 1)
        else:
            try:
                result = await handler(params, uploads)
            except ApiError as raised:
                error = raised
        files = {key: upload.filename or "" for key, upload in uploads.items()}
        status = 200 if error is None else error.status
        self.state.calls.append(ApiCall(method=name, params=params, status=status, files=files))
        self.state.notify()
        return envelope(result, error)

    def _chat_of(self, params: Params) -> int | None:
        """The chat a call concerns, for chat-specific fault injection."""
        if "chat_id" in params:
            return _int_or_none(params["chat_id"])
        record = self.state.callbacks.get(str(params.get("callback_query_id")))
        return record.chat_id if record else None

    async def download(self, request: Request) -> Response:
        """``/file/bot{token}/{file_path}``: the bytes of a stored file."""
        stored = self.state.files.by_path(request.path_params["file_path"])
        if TOKEN_PATTERN.fullmatch(request.path_params["token"]) is None or stored is None:
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
            )
        return Response(stored.data, media_type=stored.mime_type or "application/octet-stream")

    # -- helpers ----------------------------------------------------------------------------

    def _target(self, params: Params) -> Chat:
        """The chat a send/edit/action goes to, refusing where Telegram would."""
        chat = self.state.chat(params.get("chat_id"))
        if chat.blocked:
            raise ApiError(403, BLOCKED)
        if chat.bot_left:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        return chat

    def _send(self, chat: Chat, content: JSON, params: Params) -> JSON:
        """Record a bot message; inline keyboards stay on it, reply keyboards on the chat."""
        markup = check_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        reply_to = params.get("reply_to_message_id")
        if isinstance(params.get("reply_parameters"), dict):
            reply_to = params["reply_parameters"].get("message_id")
        replied = chat.find(int(reply_to)) if isinstance(reply_to, int) else None
        if replied is not None:
            content["reply_to_message"] = {
                k: v for k, v in replied.message.items() if k != "reply_to_message"
            }
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = keyboard_rows(markup)
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        entry = self.state.record_message(chat, content, sender=self.state.bot_sender())
        return copy.deepcopy(entry.message)

    def _bot_message(self, params: Params) -> tuple[Chat, Entry]:
        """The bot message an edit refers to."""
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the stand-in")
        chat = self._target(params)
        entry = chat.find(_int_or_none(params.get("message_id")) or 0)
        if entry is None:
            raise bad_request("message to edit not found")
        if not entry.from_bot:
            raise bad_request("message can't be edited")
        return chat, entry

    def _apply_edit(self, entry: Entry, message: JSON) -> JSON:
        """Store an edit unless it changes nothing, which Telegram refuses."""
        old = {k: v for k, v in entry.message.items() if k != "edit_date"}
        if message == old:
            raise bad_request(_NOT_MODIFIED)
        message["edit_date"] = unix_now()
        self.state.replace_message(entry, message)
        return copy.deepcopy(message)

    def _input_file(
        self, params: Params, uploads: dict[str, Upload], key: str, kind: str
    ) -> StoredFile:
        """An uploaded part, an ``attach://`` reference, a known file_id or a URL."""
        upload = uploads.get(key)
        value = params.get(key)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            return self.state.files.add(
                upload.data, kind=kind, file_name=upload.filename, mime_type=upload.content_type
            )
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {key} in the request")
        known = self.state.files.get(value)
        if known is not None:
            return known
        if value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            return self.state.files.add(b"", kind=kind, file_name=name)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _caption(self, params: Params, content: JSON) -> None:
        if params.get("caption") in (None, ""):
            return
        caption, entities = formatted_text(
            params["caption"],
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=MAX_CAPTION_LENGTH,
            what="caption",
        )
        content["caption"] = caption
        if entities:
            content["caption_entities"] = entities

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    # -- methods ----------------------------------------------------------------------------

    async def accept(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """Settings the stand-in only records (descriptions, names, menu button)."""
        return True

    async def get_me(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """The bot user."""
        return self.state.bot_user()

    async def get_updates(self, params: Params, uploads: dict[str, Upload]) -> list[JSON]:
        """Long polling: acknowledge below ``offset``, then wait up to ``timeout`` seconds."""
        state = self.state
        if state.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            state.set_allowed_updates(params["allowed_updates"])
        offset = _int_or_none(params.get("offset", 0)) or 0
        if offset:
            state.acknowledge(offset)
        limit = min(max(_int_or_none(params.get("limit", 100)) or 100, 1), 100)
        timeout = max(float(_int_or_none(params.get("timeout", 0)) or 0), 0.0)
        state.poll_generation += 1
        generation = state.poll_generation
        state.notify()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if generation != state.poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if state.webhook is not None:
                raise ApiError(409, "Conflict: webhook was set while getUpdates was waiting")
            batch = state.take(limit)
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or state.closing or remaining <= 0:
                return [copy.deepcopy(delivery.update) for delivery in batch]
            state.polls_waiting += 1
            state.notify()
            try:
                await state.wait_changed(remaining)
            finally:
                state.polls_waiting -= 1

    async def set_webhook(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """Register the webhook; deliveries start right away."""
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_PATTERN.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self.state.drop_pending()
        if "allowed_updates" in params:
            self.state.set_allowed_updates(params["allowed_updates"])
        self.state.webhook = None
        if url:
            max_connections = _int_or_none(params.get("max_connections", 40)) or 40
            self.state.webhook = Webhook(url, secret and str(secret), max_connections)
        self.state.notify()
        self._on_webhook_change()
        return True

    async def delete_webhook(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """Back to getUpdates."""
        if params.get("drop_pending_updates"):
            self.state.drop_pending()
        self.state.webhook = None
        self.state.notify()
        self._on_webhook_change()
        return True

    async def get_webhook_info(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """WebhookInfo, with the last delivery error if there was one."""
        hook = self.state.webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.queue),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def send_message(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """A text message."""
        chat = self._target(params)
        text, entities = formatted_text(
            params.get("text"),
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            what="text",
        )
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._send(chat, content, params)

    async def edit_message_text(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """Telegram drops the inline keyboard when an edit does not repeat it."""
        _, entry = self._bot_message(params)
        if "text" not in entry.message:
            raise bad_request("there is no text in the message to edit")
        text, entities = formatted_text(
            params.get("text"),
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            what="text",
        )
        message = {k: v for k, v in entry.message.items() if k not in ("edit_date", "entities")}
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._set_inline_markup(message, params)
        return self._apply_edit(entry, message)

    async def edit_message_caption(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """Change a media message's caption."""
        _, entry = self._bot_message(params)
        message = {
            k: v
            for k, v in entry.message.items()
            if k not in ("edit_date", "caption", "caption_entities")
        }
        self._caption(params, message)
        self._set_inline_markup(message, params)
        return self._apply_edit(entry, message)

    async def edit_message_reply_markup(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """Replace or remove the inline keyboard."""
        _, entry = self._bot_message(params)
        message = {k: v for k, v in entry.message.items() if k != "edit_date"}
        self._set_inline_markup(message, params)
        return self._apply_edit(entry, message)

    @staticmethod
    def _set_inline_markup(message: JSON, params: Params) -> None:
        markup = check_reply_markup(params.get("reply_markup"))
        message.pop("reply_markup", None)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if markup is not None and markup["inline_keyboard"]:
            message["reply_markup"] = markup

    async def delete_message(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """Remove a message from the chat."""
        chat = self.state.chat(params.get("chat_id"))
        entry = chat.find(_int_or_none(params.get("message_id")) or 0)
        if entry is None:
            raise bad_request("message to delete not found")
        entry.deleted = True
        entry.seq = self.state.next_seq()
        return True

    async def answer_callback_query(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """Record the toast/alert text for the tap; each query can be answered once."""
        record = self.state.callbacks.get(str(params.get("callback_query_id")))
        if record is None or record.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = {k: params[k] for k in ("text", "show_alert", "url") if k in params}
        self.state.callback_answers.append((record.user_id, None if text is None else str(text)))
        chat = self.state.chats.get(record.chat_id)
        if chat is not None:
            seq = self.state.next_seq()
            chat.notices.append(Notice(seq, text, bool(params.get("show_alert"))))
        return True

    async def send_photo(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """A photo, as one PhotoSize of the uploaded image."""
        chat = self._target(params)
        stored = self._input_file(params, uploads, "photo", "photo")
        width, height = image_size(stored.data)
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": width,
            "height": height,
        }
        content: JSON = {"photo": [size]}
        self._caption(params, content)
        return self._send(chat, content, params)

    async def send_document(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """A document, keeping the file name the bot gave."""
        chat = self._target(params)
        stored = self._input_file(params, uploads, "document", "document")
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        content: JSON = {"document": document}
        self._caption(params, content)
        return self._send(chat, content, params)

    async def send_voice(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """A voice message."""
        chat = self._target(params)
        stored = self._input_file(params, uploads, "voice", "voice")
        content: JSON = {
            "voice": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "duration": _int_or_none(params.get("duration", 1)) or 1,
                "mime_type": "audio/ogg",
            }
        }
        self._caption(params, content)
        return self._send(chat, content, params)

    async def send_location(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """A map pin."""
        chat = self._target(params)
        latitude, longitude = params.get("latitude"), params.get("longitude")
        if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
            raise bad_request("wrong latitude or longitude specified")
        content: JSON = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._send(chat, content, params)

    async def send_chat_action(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """ "typing…" and friends; the chat page shows it for a few seconds."""
        chat = self._target(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = str(action)
        chat.last_action_at = asyncio.get_running_loop().time()
        self.state.notify()
        return True

    async def set_my_commands(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """Commands per scope and language_code, validated like Telegram."""
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_PATTERN.fullmatch(
                str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "")) <= 256:
                raise bad_request("command description must be non-empty")
        key = self._commands_key(params)
        self.state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, params: Params, uploads: dict[str, Upload]) -> list[JSON]:
        """Exactly the list set for that scope and language_code."""
        return copy.deepcopy(self.state.commands.get(self._commands_key(params), []))

    async def delete_my_commands(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """Forget the list for that scope and language_code."""
        self.state.commands.pop(self._commands_key(params), None)
        return True

    async def leave_chat(self, params: Params, uploads: dict[str, Upload]) -> bool:
        """The bot leaves a group or channel."""
        chat = self.state.chat(params.get("chat_id"))
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        chat.bot_left = True
        self.state.notify()
        return True

    async def get_chat(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """ChatFullInfo, minimally."""
        chat = self.state.chat(params.get("chat_id"))
        return {**chat.data, "accent_color_id": 0, "max_reaction_count": 11}

    async def get_file(self, params: Params, uploads: dict[str, Upload]) -> JSON:
        """File metadata with the path for the download route."""
        stored = self.state.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.describe()
