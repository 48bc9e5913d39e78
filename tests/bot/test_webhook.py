"""Webhook mode: only requests carrying the right secret are handled."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, select

from admin.app import create_web_app
from bot.app import build_application, start_bot, stop_bot
from bot.sandbox import StandIn
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH, register_webhook, webhook_router
from core.models import Youth
from core.settings import Settings
from tests.bot.conftest import settings_for

SECRET = "s3cret-webhook-token-0123456789"


def start_update(update_id: int = 1, user_id: int = 4242) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Aino", "language_code": "fi"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "from": user,
            "chat": {"id": user_id, "type": "private", "first_name": "Aino"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@pytest.fixture
async def webhook_client(engine, database_url):
    async with StandIn.running() as standin:
        settings = settings_for(
            standin,
            database_url,
            POLKU_WEBHOOK_URL="https://polku.example.fi",
            POLKU_WEBHOOK_SECRET=SECRET,
        )
        application = build_application(settings, engine)
        await start_bot(application)
        app = create_web_app(
            engine=engine,
            settings=Settings(_env_file=None),
            routers=[webhook_router(application, SECRET)],
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://polku") as client:
            yield client, standin, application
        await stop_bot(application)


def youth_count(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Youth)).all())


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}])
async def test_a_request_without_the_right_secret_is_refused(webhook_client, engine, headers):
    client, standin, _application = webhook_client
    response = await client.post(WEBHOOK_PATH, json=start_update(), headers=headers)
    assert response.status_code == 403
    assert youth_count(engine) == 0
    assert standin.sent("sendMessage") == []


async def test_a_request_with_the_secret_is_handled_before_the_answer(webhook_client, engine):
    client, standin, _application = webhook_client
    response = await client.post(WEBHOOK_PATH, json=start_update(), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    assert youth_count(engine) == 1
    assert "Valitse kieli" in standin.sent("sendMessage")[-1]["params"]["text"]


async def test_the_webhook_is_registered_with_its_secret(webhook_client):
    _client, standin, application = webhook_client
    await register_webhook(application, url="https://polku.example.fi", secret=SECRET)
    params = standin.sent("setWebhook")[-1]["params"]
    assert params["url"] == "https://polku.example.fi/telegram/webhook"
    assert params["secret_token"] == SECRET


def test_a_webhook_without_a_secret_is_refused_at_start():
    from core.settings import Settings

    with pytest.raises(ValueError, match="POLKU_WEBHOOK_SECRET"):
        Settings(_env_file=None, POLKU_WEBHOOK_URL="https://polku.example.fi")
