"""``StandIn``: a Bot-API-compatible stand-in for Telegram, served on loopback.

It lets automated tests drive a real python-telegram-bot Application over real HTTP as one
or many users, and lets a person try the bot in a browser (``/chat``) without Telegram. All
state lives in memory (:mod:`bot.sandbox.state`); this module wires the Starlette app, runs
it with uvicorn inside the caller's event loop and delivers webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from collections.abc import AsyncIterator, Callable, Generator
from http import HTTPStatus
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.sandbox.api import BotApi
from bot.sandbox.people import FakeGroup, FakeUser, _Participant
from bot.sandbox.state import (
    BLOCKED,
    JSON,
    ApiCall,
    Chat,
    Delay,
    Delivery,
    Fault,
    SandboxState,
    unix_now,
)
from bot.sandbox.webchat import WebChat

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


class _UvicornServer(uvicorn.Server):
    """uvicorn that reports readiness with an event, stops without waiting for its next
    0.1 s tick (tests start and stop one per test) and leaves signals to the host process."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()
        self.exit_requested = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.1):
                    await self.exit_requested.wait()
            should_exit = await self.on_tick(counter)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The stand-in runs beside the bot and maybe the panel; Ctrl+C belongs to the host.
        yield


class LoopbackServer:
    """Runs an ASGI app with uvicorn as a task in the current loop, on a pre-bound socket.

    Binding first makes ``port=0`` usable: the real port is known before uvicorn starts.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._server: _UvicornServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.host = ""
        self.port = 0

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind, start serving and return once uvicorn accepts connections."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
        # and without it every kept-alive request waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        self.host, self.port = host, int(sock.getsockname()[1])
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=3,
        )
        self._server = _UvicornServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="loopback-server")
        ready = asyncio.create_task(self._server.ready.wait())
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
            await self._task
            raise RuntimeError(f"uvicorn did not start on {host}:{port}")

    async def stop(self) -> None:
        """Ask uvicorn to exit and wait until it has closed every connection."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        self._server.exit_requested.set()
        await self._task
        self._server = self._task = None


class _HostGuard:
    """Refuses foreign Host headers while bound to loopback, so a web page cannot use
    DNS rebinding to drive the bot through a developer's browser."""

    def __init__(self, app: ASGIApp, allowed: Callable[[], frozenset[str] | None]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = self.allowed()
        if scope["type"] == "http" and allowed is not None:
            host = Headers(scope=scope).get("host", "")
            name = host[1 : host.find("]")] if host.startswith("[") else host.split(":")[0]
            if name not in allowed:
                await PlainTextResponse("Invalid host header", status_code=400)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


class SandboxUpdateProcessor(BaseUpdateProcessor):
    """Tells the stand-in when the Application has *finished* an update.

    PTB's Updater acknowledges an update (next getUpdates offset) before the handlers run, so
    "acknowledged" alone races with the replies. Build the Application with
    ``.concurrent_updates(standin.update_processor())`` and every fake action waits for the
    handlers too, so ``await user.says(...)`` returns the replies deterministically.
    """

    def __init__(self, standin: StandIn, max_concurrent_updates: int = 1) -> None:
        super().__init__(max_concurrent_updates)
        self._standin = standin
        standin.state.wait_for_processing = True

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        """Run the handlers, then signal the stand-in even if they failed."""
        try:
            await coroutine
        finally:
            if isinstance(update, Update):
                self._standin.mark_processed(update.update_id)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class StandIn:
    """The Telegram stand-in: state, fake people, fault injection and the HTTP server."""

    def __init__(self, *, action_timeout: float = 10.0, bot_id: int | None = None) -> None:
        self.state = SandboxState(bot_id)
        self.action_timeout = action_timeout
        self._users: dict[int, FakeUser] = {}
        self._user_ids = itertools.count(1001)
        self._group_ids = itertools.count(4_000_000_001)
        self._channel_ids = itertools.count(1_000_000_000_001)
        self._channels: dict[str, Chat] = {}
        self._server: LoopbackServer | None = None
        self._allowed_hosts: frozenset[str] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        api = BotApi(self.state, self._webhook_changed)
        self.app = Starlette(
            routes=[*api.routes(), *WebChat(self).routes()],
            middleware=[Middleware(_HostGuard, allowed=lambda: self._allowed_hosts)],
        )

    # -- lifecycle ------------------------------------------------------------------------

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        action_timeout: float = 10.0,
        bot_id: int | None = None,
    ) -> AsyncIterator[StandIn]:
        """``async with StandIn.running() as standin:`` - serve for the block, then stop."""
        standin = cls(action_timeout=action_timeout, bot_id=bot_id)
        await standin.start(host, port)
        try:
            yield standin
        finally:
            await standin.stop()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (0 picks a free port) until :meth:`stop`."""
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self.state.closing = False
        loopback = host in _LOOPBACK_NAMES or host.startswith("127.")
        self._allowed_hosts = _LOOPBACK_NAMES | {host} if loopback else None
        server = LoopbackServer(self.app)
        await server.start(host, port)
        self._server = server

    async def stop(self) -> None:
        """Release long polls and slow calls, stop webhook delivery and the server."""
        self.state.closing = True
        self.state.notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._server is not None:
            await self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT`` (the chat page is at ``/chat``)."""
        if self._server is None:
            raise RuntimeError("the stand-in is not running; use start() or running()")
        return self._server.url

    @property
    def base_url(self) -> str:
        """For ``telegram.Bot(base_url=...)``; PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``telegram.Bot(base_file_url=...)``."""
        return f"{self.url}/file/bot"

    # -- people -----------------------------------------------------------------------------

    def user(
        self,
        first_name: str = "Aino",
        *,
        user_id: int | None = None,
        language_code: str | None = "fi",
        last_name: str | None = None,
        username: str | None = None,
    ) -> FakeUser:
        """A new fake user with a private chat (chat id == user id)."""
        if user_id is None:
            user_id = next(i for i in self._user_ids if i not in self._users)
        elif user_id in self._users:
            raise ValueError(f"user {user_id} already exists; use get_user()")
        data: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        data.update({key: value for key, value in optional.items() if value is not None})
        user = FakeUser(self, data)
        self._users[user_id] = user
        return user

    def get_user(self, user_id: int) -> FakeUser | None:
        """An existing fake user by id."""
        return self._users.get(user_id)

    def group(self, title: str, members: list[FakeUser] | None = None) -> FakeGroup:
        """A new basic group (negative id); add the bot with ``await group.adds_bot(by=...)``."""
        chat_id = -next(self._group_ids)
        chat = self.state.add_chat({"id": chat_id, "type": "group", "title": title})
        return FakeGroup(self, chat, list(members or []))

    async def channel_post(
        self,
        title: str,
        text: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - fails with the transcript
    ) -> list[JSON]:
        """A post in a channel (created on first use), returning the bot's messages there."""
        chat = self._channels.get(title)
        if chat is None:
            data: JSON = {"id": -next(self._channel_ids), "type": "channel", "title": title}
            chat = self._channels[title] = self.state.add_chat(data)

        def queue() -> Delivery:
            entry = self.state.record_message(chat, {"text": text}, sender=None)
            return self.state.enqueue("channel_post", dict(entry.message), chat.id)

        return await _Participant(self)._do(chat, queue, timeout)

    # -- fault injection --------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally in one chat) fail."""
        if description is None:
            if status == 429:
                retry_after = 1 if retry_after is None else retry_after
                description = f"Too Many Requests: retry after {retry_after}"
            elif status == 403:
                description = BLOCKED
            elif status >= 500:
                description = "Internal Server Error"
            else:
                description = HTTPStatus(status).phrase
        fault = Fault(method.lower(), status, description, retry_after, times, chat_id)
        self.state.faults.append(fault)

    def limit_rate(self, per_second: int | None) -> None:
        """Enforce Telegram's bulk limit: sends past `per_second` in one second get a 429."""
        self.state.rate_limit = per_second

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the answers to the next ``times`` calls of ``method``."""
        self.state.delays.append(Delay(method.lower(), seconds, times))

    # -- inspection -------------------------------------------------------------------------

    def sent(self, method: str | None = None) -> list[ApiCall]:
        """Every Bot API call the bot made (optionally one method, case-insensitive)."""
        calls = list(self.state.calls)
        if method is None:
            return calls
        return [call for call in calls if call["method"].lower() == method.lower()]

    def my_commands(self, language_code: str = "", scope: JSON | None = None) -> list[JSON] | None:
        """The command list set for that language_code (and scope), None if never set."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        commands = self.state.commands.get(key)
        return None if commands is None else [dict(command) for command in commands]

    def history(self, chat_id: int) -> list[JSON]:
        """Every message (both sides) in a chat, oldest first, edits applied."""
        chat = self.state.chat(chat_id)
        return [dict(entry.message) for entry in chat.entries if not entry.deleted]

    def transcript(self, chat_id: int) -> str:
        """A readable chat history, e.g. for assertion messages."""
        return self.state.chat(chat_id).transcript()

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet acknowledged by the bot."""
        return [dict(delivery.update) for delivery in self.state.queue]

    @property
    def long_polls_waiting(self) -> int:
        """getUpdates calls currently waiting for an update (tests wait on this)."""
        return self.state.polls_waiting

    @property
    def webhook_url(self) -> str | None:
        """The URL from setWebhook, None in polling mode."""
        return self.state.webhook.url if self.state.webhook else None

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float | None = None,  # noqa: ASYNC109 - fails with an AssertionError
    ) -> None:
        """Wait (without polling) until ``predicate()`` holds; AssertionError on timeout."""
        limit = self.action_timeout if timeout is None else timeout
        try:
            await self.state.wait_until(predicate, limit)
        except TimeoutError:
            raise AssertionError(f"condition not met within {limit} s") from None

    def update_processor(self, max_concurrent_updates: int = 1) -> SandboxUpdateProcessor:
        """For ``ApplicationBuilder().concurrent_updates(...)``: actions wait for handlers."""
        return SandboxUpdateProcessor(self, max_concurrent_updates)

    def mark_processed(self, update_id: int) -> None:
        """Signal that the bot finished an update (done by ``SandboxUpdateProcessor``)."""
        self.state.mark_processed(update_id)

    # -- webhook delivery -------------------------------------------------------------------

    def _webhook_changed(self) -> None:
        if self.state.webhook is not None and (
            self._webhook_task is None or self._webhook_task.done()
        ):
            self._webhook_task = asyncio.get_running_loop().create_task(
                self._deliver_webhooks(), name="standin-webhook"
            )

    async def _deliver_webhooks(self) -> None:
        """POST queued updates one at a time; 2xx acknowledges, anything else is retried."""
        state = self.state
        backoff = 0.05
        async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
            while not state.closing and state.webhook is not None:
                hook = state.webhook
                batch = state.take(1)
                if not batch:
                    await state.wait_changed(None)
                    continue
                delivery = batch[0]
                headers = {"Content-Type": "application/json"}
                if hook.secret_token:
                    headers[SECRET_HEADER] = hook.secret_token
                try:
                    response = await client.post(
                        hook.url, content=json.dumps(delivery.update), headers=headers
                    )
                    error = None
                    if not response.is_success:
                        error = f"Wrong response from the webhook: {response.status_code} "
                        error += response.reason_phrase
                except httpx.HTTPError as failure:
                    error = f"Connection failed: {type(failure).__name__}"
                if error is None:
                    state.acknowledge_one(delivery)
                    backoff = 0.05
                else:
                    hook.last_error_date = unix_now()
                    hook.last_error_message = error
                    await state.pause(backoff)
                    backoff = min(backoff * 2, 5.0)
