"""GET /healthz tells whether the web app can reach its database."""

from __future__ import annotations

import httpx

from admin.app import create_web_app
from core.db import make_engine
from core.settings import Settings


async def test_healthz_answers_200_with_the_database_status(engine):
    app = create_web_app(engine=engine, settings=Settings(_env_file=None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_answers_503_when_the_database_is_gone():
    engine = make_engine(
        "postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    app = create_web_app(engine=engine, settings=Settings(_env_file=None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
