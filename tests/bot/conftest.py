"""Transcript tests: the real PTB Application over real HTTP against the Telegram stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import select
from telegram.ext import Application

from admin.app import create_web_app
from bot.app import build_application, start_bot, stop_bot
from bot.files import media_fetcher
from bot.inbox import inbox_of
from bot.polling import poll_until
from bot.sandbox import FakeUser, StandIn
from core.db import transaction
from core.models import Coach, Role, Youth
from core.services.coaches import do_add_coach
from core.settings import Settings
from tests.admin.conftest import SignedInClient, sign_in


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """A failed update is tried again at once: the tests need not wait out the real backoff
    (1, 2, 4… s, tested on its own in tests/core/test_inbox.py)."""
    monkeypatch.setattr("core.services.inbox.backoff", lambda _attempt: timedelta(0))
    monkeypatch.setattr("core.services.inbox.transient_backoff", lambda _age: timedelta(0))


class Polku:
    """A running Polku and the stand-in it talks to; tests act as young people through it."""

    def __init__(self, standin: StandIn, engine: Engine, settings: Settings) -> None:
        self.standin = standin
        self.engine = engine
        self.settings = settings
        self.application: Application | None = None
        self._stop = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Build and start the bot and its poller, as `polku serve` does."""
        self.application = build_application(self.settings, self.engine)
        wait_for_handling(self.standin, self.application)
        await start_bot(self.application)
        self._stop = asyncio.Event()
        self._poller = asyncio.create_task(poll_until(self.application, self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._poller is not None:
            await self._poller
        if self.application is not None:
            await stop_bot(self.application)

    async def restart(self) -> None:
        """Stop the Application and start a new one on the same database (a redeploy)."""
        await self.stop()
        await self.start()

    def youth(self, first_name: str = "Aino", language_code: str = "fi") -> FakeUser:
        return self.standin.user(first_name, language_code=language_code)

    async def onboarded(self, first_name: str = "Aino", language: str = "fi") -> FakeUser:
        """A young person who chose a language and said yes to keeping answers."""
        from core.i18n import LANGUAGE_NAMES, gettext_for

        youth = self.youth(first_name, language_code=language)
        await youth.says("/start")
        await youth.taps(LANGUAGE_NAMES[language])
        await youth.taps(gettext_for(language).gettext("Yes, keep them"))
        return youth

    def add_coach(self, login: str = "maija", name: str = "Maija", role: Role = Role.COACH):
        with transaction(self.engine) as session:
            return do_add_coach(
                session, login=login, display_name=name, password="correct horse 1", role=role
            )

    def rows_about(self, youth_row_id: int, telegram_user_id: int) -> dict[str, int]:
        """Count, per table, the rows that point at this young person in any way."""
        counts: dict[str, int] = {}
        with self.engine.connect() as connection:
            inspector = inspect(connection)
            for table in inspector.get_table_names():
                if table == "alembic_version":
                    continue
                columns = {c["name"] for c in inspector.get_columns(table)}
                conditions = []
                if table == "youth":
                    conditions.append(f"id = {youth_row_id}")
                    conditions.append(f"telegram_user_id = {telegram_user_id}")
                for column in ("youth_id", "used_by_youth_id"):
                    if column in columns:
                        conditions.append(f"{column} = {youth_row_id}")
                if conditions:
                    sql = f"SELECT COUNT(*) FROM {table} WHERE " + " OR ".join(conditions)
                    counts[table] = connection.execute(text(sql)).scalar_one()
        return counts


def wait_for_handling(standin: StandIn, application: Application) -> None:
    """Make a young person's action in the stand-in wait until the bot has handled it, not
    only stored it (the inbox acknowledges an update before its workers handle it)."""
    standin.state.wait_for_processing = True
    inbox_of(application).on_settled = standin.mark_processed


def settings_for(standin: StandIn, database_url: str, **overrides: str) -> Settings:
    """Settings that ignore any developer .env and point the bot at the stand-in."""
    values = {
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "TELEGRAM_API_FILE_URL": standin.base_file_url,
        "DATABASE_URL": database_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def polku(engine: Engine, database_url: str) -> AsyncIterator[Polku]:
    """Polku polling the stand-in, as `polku serve` runs it, until the test ends."""
    async with StandIn.running() as standin:
        polku = Polku(standin, engine, settings_for(standin, database_url))
        await polku.start()
        try:
            yield polku
        finally:
            await polku.stop()


@pytest.fixture
async def panel_client(polku: Polku) -> AsyncIterator[Callable[[str], Awaitable[SignedInClient]]]:
    """Sign a coach in to the panel, in-process on the same database as the bot."""
    settings = polku.settings.model_copy(update={"panel_language": "en"})
    bot = polku.application.bot
    app = create_web_app(
        engine=polku.engine,
        settings=settings,
        fetch_media=media_fetcher(bot),
        bot_username=lambda: bot.username,
    )
    clients: list[httpx.AsyncClient] = []

    async def signed_in(login: str) -> SignedInClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://panel.test"
        )
        clients.append(client)
        return await sign_in(client, login, "correct horse 1")

    yield signed_in
    for client in clients:
        await client.aclose()


def coach_with_hours(polku: Polku, hours: dict, login: str = "maija", name: str = "Maija") -> Coach:
    """A coach at work in these office hours."""
    coach = polku.add_coach(login, name)
    with transaction(polku.engine) as session:
        row = session.get(Coach, coach.id)
        row.office_hours = hours
        session.add(row)
    return coach


def assign(polku: Polku, user: FakeUser, coach: Coach | None) -> int:
    """Make `coach` the young person's coach (None: the shared queue); return their row id."""
    with transaction(polku.engine) as session:
        youth = session.exec(select(Youth).where(Youth.telegram_user_id == user.id)).one()
        youth.coach_id = coach.id if coach else None
        session.add(youth)
        return youth.id
