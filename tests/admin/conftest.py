"""The panel in-process: an httpx client on the ASGI app, a clock the test moves, coaches
and young people made through the services."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from admin.app import create_web_app
from core.db import transaction
from core.models import AuditEvent, Coach, Consent, Role, Youth
from core.services.coaches import do_add_coach
from core.settings import Settings

PASSWORD = "correct horse battery"
HOME = "127.0.0.1"  # where the test's browsers connect from, unless a test says otherwise
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    """The panel's now; tests move it instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 8, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class PanelHarness:
    engine: Engine
    clock: Clock
    files: dict[str, bytes]
    app: object

    def client(self, address: str = HOME) -> httpx.AsyncClient:
        """A browser of its own (its own cookies), connecting from `address`."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(address, 50000)),  # type: ignore[arg-type]
            base_url="http://panel.test",
        )

    def add_coach(self, login: str, role: Role = Role.COACH, name: str | None = None) -> Coach:
        with transaction(self.engine) as session:
            return do_add_coach(
                session,
                login=login,
                display_name=name or login.title(),
                password=PASSWORD,
                role=role,
            )

    def add_youth(self, coach: Coach | None = None, name: str = "Aino", **fields: object) -> Youth:
        with transaction(self.engine) as session:
            count = len(session.exec(select(Youth.id)).all())
            defaults: dict[str, object] = {"language": "fi", "consent": Consent.GIVEN}
            youth = Youth(
                telegram_user_id=1000 + count,
                chat_id=1000 + count,
                first_name=name,
                coach_id=coach.id if coach else None,
                **{**defaults, **fields},
            )
            session.add(youth)
            session.flush()
            return youth

    def audit(self, action: str) -> list[AuditEvent]:
        with transaction(self.engine) as session:
            return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())

    async def signed_in(
        self, login: str, password: str = PASSWORD, code: str | None = None
    ) -> SignedInClient:
        """A client signed in as this coach, with the CSRF token its pages carry."""
        return await sign_in(self.client(), login, password, code)


async def sign_in(
    client: httpx.AsyncClient, login: str, password: str, code: str | None = None
) -> SignedInClient:
    """Sign in through the form, as a browser would (with the app's `code` when two-step
    sign-in asks for it); returns the client and the CSRF token of the page it lands on."""
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303, response.text
    if response.headers["location"] == "/login/code":
        assert code is not None, "this coach has two-step sign-in: give the code"
        page = await client.get("/login/code")
        response = await client.post(
            "/login/code", data={"code": code, "csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 303, response.text
    landing = await client.get("/", follow_redirects=True)
    return SignedInClient(client, csrf_of(landing.text))


@dataclass
class SignedInClient:
    http: httpx.AsyncClient
    csrf: str

    async def get(self, url: str, **kwargs: object) -> httpx.Response:
        return await self.http.get(url, **kwargs)  # type: ignore[arg-type]

    async def post(
        self, url: str, data: dict[str, str] | None = None, **kw: object
    ) -> httpx.Response:
        """A form post from a panel page: with the session's CSRF token."""
        return await self.http.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kw)  # type: ignore[arg-type]


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
async def panel(engine: Engine) -> AsyncIterator[PanelHarness]:
    files: dict[str, bytes] = {}

    async def fetch(file_id: str) -> bytes:
        return files[file_id]

    clock = Clock()
    app = create_web_app(
        engine=engine,
        settings=Settings(_env_file=None, POLKU_PANEL_LANGUAGE="en"),
        fetch_media=fetch,
        clock=clock,
        bot_username=lambda: "polku_test_bot",
    )
    yield PanelHarness(engine=engine, clock=clock, files=files, app=app)
