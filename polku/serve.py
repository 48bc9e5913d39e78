"""`polku serve`: the web app, the bot and its job queue in one asyncio loop.

Stopping (SIGINT or SIGTERM) first stops fetching updates (what was stored is acknowledged),
lets the inbox's workers finish the updates in hand, then stops the bot and the web server.
An update not yet handled stays in the inbox for the next start, or for another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
from collections.abc import Iterator

import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import select

from admin.app import create_web_app
from bot.app import build_application, start_bot, stop_bot
from bot.files import media_fetcher
from bot.polling import poll_until
from bot.sandbox import StandIn
from bot.webhook import register_webhook, webhook_router
from core.db import make_engine, transaction
from core.models import Coach, Role
from core.services.coaches import do_add_coach
from core.settings import Settings

log = logging.getLogger(__name__)
SANDBOX_ADMIN = "admin"


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` decides the order of shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def freeze_long_lived() -> None:
    """Move everything built at start-up (catalogs, dialogues, the crisis model, routes, the
    database engine) out of the garbage collector's full collections: walking it paused about
    one inbox poll in fifteen by ~100 ms at 10 000 young people. Garbage is collected first, so
    none of it is kept for good."""
    gc.collect()
    gc.freeze()


async def serve(settings: Settings) -> None:
    """Run Polku until SIGINT or SIGTERM."""
    from polku.migrations import prepare_database

    # An empty or older database is migrated first (or, with POLKU_AUTO_MIGRATE=0, refused).
    await asyncio.to_thread(
        prepare_database, settings.database_url, auto_migrate=settings.auto_migrate
    )
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
    web_app = create_web_app(
        engine=engine,
        settings=settings,
        routers=routers,
        fetch_media=media_fetcher(application.bot),
        bot_username=lambda: application.bot.username,  # known once the bot has started
    )
    server = _Server(
        uvicorn.Config(
            web_app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            lifespan="off",
            # Behind a trusted proxy its X-Forwarded-Proto counts wherever it runs; otherwise
            # uvicorn's default (the FORWARDED_ALLOW_IPS variable, or only 127.0.0.1).
            forwarded_allow_ips="*" if settings.trusted_proxy else None,
        )
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    await start_bot(application)
    freeze_long_lived()
    web_task = asyncio.create_task(server.serve())
    if settings.webhook_url:
        await register_webhook(
            application, url=settings.webhook_url, secret=settings.webhook_secret
        )
        bot_task: asyncio.Task[object] = asyncio.create_task(stop.wait())
    else:
        bot_task = asyncio.create_task(poll_until(application, stop))
    _announce(settings, standin, _sandbox_admin(engine) if standin is not None else None)
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


def _sandbox_admin(engine: Engine) -> tuple[str, str] | None:
    """In the sandbox, a first admin to try the panel with, made when there is no coach yet.

    Returns (login, password) to print; None when coaches exist (their passwords stay theirs).
    """
    with transaction(engine) as session:
        if session.exec(select(Coach.id)).first() is not None:
            return None
        password = secrets.token_urlsafe(12)
        do_add_coach(
            session,
            login=SANDBOX_ADMIN,
            display_name="Sandbox Admin",
            password=password,
            role=Role.ADMIN,
        )
    return SANDBOX_ADMIN, password


def _announce(settings: Settings, standin: StandIn | None, admin: tuple[str, str] | None) -> None:
    """Print where to go: the addresses, and in sandbox mode the chat page and a first login."""
    print(f"Polku is running: http://{settings.bind}/healthz", flush=True)
    print(f"Coach panel: http://{settings.bind}/", flush=True)
    if standin is not None:
        print(
            "No TELEGRAM_BOT_TOKEN: talking to the built-in Telegram stand-in.\n"
            f"Try the bot as a young person: {standin.url}/chat",
            flush=True,
        )
    if admin is not None:
        print(f"First admin for the panel (sandbox only): {admin[0]} / {admin[1]}", flush=True)
