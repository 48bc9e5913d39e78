"""`polku serve`: the web app, the bot and its job queue in one asyncio loop.

Stopping (SIGINT or SIGTERM) first stops taking new updates, lets the batch in hand finish and
acknowledges it, then stops the bot and the web server: no delivered update is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn

from admin.app import create_web_app
from bot.app import build_application, start_bot, stop_bot
from bot.polling import poll_until
from bot.sandbox import StandIn
from bot.webhook import register_webhook, webhook_router
from core.db import make_engine
from core.settings import Settings

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` decides the order of shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings) -> None:
    """Run Polku until SIGINT or SIGTERM."""
    engine = make_engine(settings.database_url)
    standin: StandIn | None = None
    if settings.sandbox:
        standin = StandIn()
        await standin.start(host="127.0.0.1", port=settings.port + 1)
        settings = settings.model_copy(
            update={
                "telegram_api_base_url": standin.base_url,
                "telegram_api_file_url": standin.base_file_url,
            }
        )
    application = build_application(settings, engine)
    routers = []
    if settings.webhook_url:
        routers.append(webhook_router(application, settings.webhook_secret))
    web_app = create_web_app(engine=engine, routers=routers)
    server = _Server(
        uvicorn.Config(
            web_app, host=settings.host, port=settings.port, log_config=None, lifespan="off"
        )
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    await start_bot(application)
    web_task = asyncio.create_task(server.serve())
    if settings.webhook_url:
        await register_webhook(
            application, url=settings.webhook_url, secret=settings.webhook_secret
        )
        bot_task: asyncio.Task[object] = asyncio.create_task(stop.wait())
    else:
        bot_task = asyncio.create_task(poll_until(application, stop))
    _announce(settings, standin)
    try:
        await asyncio.wait({bot_task, web_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.set()
        await bot_task
        server.should_exit = True
        await web_task
        await stop_bot(application)
        if standin is not None:
            await standin.stop()
        engine.dispose()
        log.info("polku stopped")


def _announce(settings: Settings, standin: StandIn | None) -> None:
    """Print where to go: the addresses, and in sandbox mode the chat page."""
    print(f"Polku is running: http://{settings.bind}/healthz", flush=True)
    if standin is not None:
        print(
            "No TELEGRAM_BOT_TOKEN: talking to the built-in Telegram stand-in.\n"
            f"Try the bot as a young person: {standin.url}/chat",
            flush=True,
        )
