"""Webhook mode: only real updates with the right secret are stored, each once, then handled."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from admin.app import create_web_app
from bot.app import build_application, start_bot, stop_bot
from bot.inbox import inbox_of
from bot.sandbox import StandIn
from bot.webhook import (
    MAX_BODY_BYTES,
    SECRET_HEADER,
    WEBHOOK_PATH,
    register_webhook,
    webhook_router,
)
from core.models import InboundUpdate, Youth
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


async def handled(application, update_ids: set[int]) -> None:
    """Wait until the inbox's workers have settled these updates."""
    settled: set[int] = set()
    event = asyncio.Event()

    def note(update_id: int) -> None:
        settled.add(update_id)
        if update_ids <= settled:
            event.set()

    inbox_of(application).on_settled = note
    await asyncio.wait_for(event.wait(), timeout=10)


async def test_an_update_is_stored_answered_200_and_then_handled(webhook_client, engine):
    client, standin, application = webhook_client
    waiting = asyncio.create_task(handled(application, {1}))
    response = await client.post(WEBHOOK_PATH, json=start_update(), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    await waiting
    assert youth_count(engine) == 1
    assert "Valitse kieli" in standin.sent("sendMessage")[-1]["params"]["text"]


async def test_a_redelivered_update_is_handled_once(webhook_client, engine):
    client, standin, application = webhook_client
    waiting = asyncio.create_task(handled(application, {7}))
    for _ in range(3):  # Telegram did not see the first 200 and sends it again
        response = await client.post(
            WEBHOOK_PATH, json=start_update(update_id=7), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200
    await waiting
    assert len(standin.sent("sendMessage")) == 1


def with_message(**fields) -> dict:
    update = start_update()
    update["message"].update(fields)
    return update


BAD_BODIES = {
    "not JSON": b"{not json",
    "a JSON list": json.dumps([start_update()]).encode(),
    "a message that is a string": json.dumps({"update_id": 3, "message": "x"}).encode(),
    "no update_id": json.dumps({"message": start_update()["message"]}).encode(),
    "update_id as text": json.dumps({**start_update(), "update_id": "3"}).encode(),
    "user id as text": json.dumps(
        with_message(**{"from": {"id": "str", "is_bot": False, "first_name": "A"}})
    ).encode(),
    "chat id missing": json.dumps(with_message(chat={"type": "private"})).encode(),
    "text as a number": json.dumps(with_message(text=5)).encode(),
    "two kinds at once": json.dumps(
        {**start_update(), "edited_message": start_update()["message"]}
    ).encode(),
    "empty body": b"",
    "not UTF-8": b"\xff\xfe{",
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_a_body_that_is_not_an_update_gets_400_and_is_not_stored(
    webhook_client, engine, body
):
    client, standin, _application = webhook_client
    response = await client.post(
        WEBHOOK_PATH,
        content=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    with Session(engine) as session:
        assert session.exec(select(InboundUpdate)).all() == []
    assert youth_count(engine) == 0
    # The connection stays usable: the next real update goes through.
    ok = await client.post(WEBHOOK_PATH, json=start_update(9), headers={SECRET_HEADER: SECRET})
    assert ok.status_code == 200


async def test_a_body_over_the_limit_gets_413(webhook_client, engine):
    client, _standin, _application = webhook_client
    update = with_message(text="a" * (MAX_BODY_BYTES + 10))
    response = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 413
    with Session(engine) as session:
        assert session.exec(select(InboundUpdate)).all() == []


async def test_while_the_database_cannot_store_the_answer_is_503_so_telegram_retries(
    webhook_client, engine, monkeypatch
):
    client, standin, application = webhook_client

    def broken(_rows) -> int:
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(inbox_of(application), "_store", broken)
    response = await client.post(WEBHOOK_PATH, json=start_update(), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 503
    monkeypatch.undo()
    waiting = asyncio.create_task(handled(application, {1}))
    again = await client.post(WEBHOOK_PATH, json=start_update(), headers={SECRET_HEADER: SECRET})
    assert again.status_code == 200
    await waiting
    assert youth_count(engine) == 1


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
