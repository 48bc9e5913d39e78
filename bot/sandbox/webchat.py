"""HTTP endpoints behind ``chat.html``, the page where a person talks to the bot without Telegram.

Unlike the test actions these never wait for the bot: the page polls ``/sandbox/messages``
and renders whatever has arrived, like a phone would.
"""

from __future__ import annotations

import asyncio
import secrets
from importlib import resources
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.state import JSON, MAX_TEXT_LENGTH, ApiError, Chat, Entry

if TYPE_CHECKING:
    from bot.sandbox.people import FakeUser
    from bot.sandbox.server import StandIn

#: How long "typing…" stays visible after sendChatAction, like Telegram clients (~5 s).
ACTION_VISIBLE_SECONDS = 5.0
_LANGUAGES = frozenset({"fi", "sv", "en", "se", "ru", "et", "so", "ar", "uk"})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


def _file_link(file_id: str) -> str:
    return f"/sandbox/files/{file_id}"


def page_message(entry: Entry) -> JSON:
    """A history entry flattened for the page: only what it needs to draw a bubble."""
    message = entry.message
    out: JSON = {
        "seq": entry.seq,
        "from": "bot" if entry.from_bot else "user",
        "message_id": message["message_id"],
        "date": message["date"],
        "text": message.get("text") or message.get("caption") or "",
        "edited": "edit_date" in message,
        "deleted": entry.deleted,
        "reply_markup": message.get("reply_markup"),
    }
    if "photo" in message:
        out["photo"] = {"url": _file_link(message["photo"][-1]["file_id"])}
    for kind in ("document", "voice", "video_note"):
        if kind in message:
            media = message[kind]
            out[kind] = {
                "url": _file_link(media["file_id"]),
                "file_name": media.get("file_name") or kind,
                "mime_type": media.get("mime_type"),
            }
    if "location" in message:
        out["location"] = dict(message["location"])
    if "sticker" in message:
        out["sticker"] = {"emoji": message["sticker"].get("emoji") or "🖼"}
    return out


class WebChat:
    """The chat page and its JSON endpoints."""

    def __init__(self, standin: StandIn) -> None:
        self._standin = standin

    def routes(self) -> list[Route]:
        """Starlette routes for the page."""
        return [
            Route("/", self.page, methods=["GET"]),
            Route("/chat", self.page, methods=["GET"]),
            Route("/sandbox/users", self.create_user, methods=["POST"]),
            Route("/sandbox/send", self.send, methods=["POST"]),
            Route("/sandbox/tap", self.tap, methods=["POST"]),
            Route("/sandbox/messages", self.messages, methods=["GET"]),
            Route("/sandbox/files/{file_id}", self.file, methods=["GET"]),
        ]

    async def page(self, request: Request) -> Response:
        """The single-page chat UI."""
        html = resources.files("bot.sandbox").joinpath("chat.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def _body(self, request: Request) -> dict[str, Any]:
        """JSON bodies only: a cross-site form cannot send them without a CORS preflight."""
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise ApiError(415, "JSON body expected")
        try:
            body = await request.json()
        except ValueError as error:
            raise ApiError(400, "invalid JSON") from error
        if not isinstance(body, dict):
            raise ApiError(400, "JSON object expected")
        return body

    def _user(self, body: dict[str, Any]) -> FakeUser:
        user_id = body.get("user_id")
        user = self._standin.get_user(user_id) if isinstance(user_id, int) else None
        if user is None:
            raise ApiError(404, "unknown user_id; register again")
        return user

    async def _handle(self, request: Request, action: Any) -> Response:
        try:
            body = await self._body(request)
            return JSONResponse(await action(body))
        except ApiError as error:
            return _error(error.status, error.description)

    async def create_user(self, request: Request) -> Response:
        """Register (or re-register after a restart) the person using the page."""

        async def action(body: dict[str, Any]) -> JSON:
            name = str(body.get("first_name") or "").strip()
            if not 1 <= len(name) <= 64:
                raise ApiError(400, "first_name must be 1-64 characters")
            language = str(body.get("language_code") or "fi")
            if language not in _LANGUAGES:
                raise ApiError(400, "unsupported language_code")
            user_id = body.get("user_id")
            user = self._standin.get_user(user_id) if isinstance(user_id, int) else None
            if user is None:
                if not isinstance(user_id, int) or not 0 < user_id < 2**52:
                    user_id = 1_000_000_000 + secrets.randbelow(1_000_000_000)
                    while self._standin.get_user(user_id) is not None:
                        user_id += 1
                user = self._standin.user(name, user_id=user_id, language_code=language)
            return {"user_id": user.id, "first_name": user.first_name}

        return await self._handle(request, action)

    async def send(self, request: Request) -> Response:
        """The person sends a text (also used for reply keyboard buttons)."""

        async def action(body: dict[str, Any]) -> JSON:
            user = self._user(body)
            text = str(body.get("text") or "")
            if not text.strip() or len(text) > MAX_TEXT_LENGTH:
                raise ApiError(400, f"text must be 1-{MAX_TEXT_LENGTH} characters")
            delivery = user.queue_text(text)
            return {"ok": True, "update_id": delivery.update_id}

        return await self._handle(request, action)

    async def tap(self, request: Request) -> Response:
        """The person taps an inline button."""

        async def action(body: dict[str, Any]) -> JSON:
            user = self._user(body)
            message_id, data = body.get("message_id"), body.get("data")
            if not isinstance(message_id, int) or not isinstance(data, str):
                raise ApiError(400, "message_id (int) and data (str) are required")
            try:
                delivery = user.queue_tap(message_id, data)
            except AssertionError as error:
                raise ApiError(404, "no such bot message") from error
            return {"ok": True, "update_id": delivery.update_id}

        return await self._handle(request, action)

    async def messages(self, request: Request) -> Response:
        """Everything that changed after ``after`` (a seq), plus keyboard and typing state."""
        try:
            user = self._standin.get_user(int(request.query_params.get("user_id", "")))
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            return _error(400, "user_id and after must be integers")
        if user is None:
            return _error(404, "unknown user_id; register again")
        chat: Chat = user.chat
        changed = sorted((e for e in chat.entries if e.seq > after), key=lambda e: e.seq)
        notices = [
            {"seq": n.seq, "text": n.text, "show_alert": n.show_alert}
            for n in chat.notices
            if n.seq > after and n.text
        ]
        now = asyncio.get_running_loop().time()
        typing = chat.last_action is not None and now - chat.last_action_at < ACTION_VISIBLE_SECONDS
        return JSONResponse(
            {
                "messages": [page_message(entry) for entry in changed],
                "reply_keyboard": chat.reply_keyboard,
                "notices": notices,
                "seq": self._standin.state.seq,
                "action": chat.last_action if typing else None,
                "blocked": chat.blocked,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def file(self, request: Request) -> Response:
        """Download a file shown in the chat (no bot token needed on the page)."""
        stored = self._standin.state.files.get(request.path_params["file_id"])
        if stored is None:
            return _error(404, "no such file")
        headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
        if stored.file_name:
            safe = "".join(c for c in stored.file_name if c.isalnum() or c in "._- ")[:100]
            headers["Content-Disposition"] = f'inline; filename="{safe or "file"}"'
        media_type = stored.mime_type or "application/octet-stream"
        if media_type.startswith(("text/html", "image/svg")):
            media_type = "application/octet-stream"
        return Response(stored.data, media_type=media_type, headers=headers)
