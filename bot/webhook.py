"""Webhook mode: Telegram posts updates to the same web app that serves the panel."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def webhook_router(application: Application, secret: str) -> APIRouter:  # type: ignore[type-arg]
    """A route that handles an update before answering, so Telegram re-sends it on failure."""
    router = APIRouter()
    expected = secret.encode()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def receive_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook request with a wrong or missing secret refused")
            return Response(status_code=403)
        payload: Any = await request.json()
        update = Update.de_json(payload, application.bot)
        await application.process_update(update)
        return Response(status_code=200)

    return router


async def register_webhook(application: Application, *, url: str, secret: str) -> None:  # type: ignore[type-arg]
    """Tell Telegram where to post updates and which secret to send with them."""
    await application.bot.set_webhook(
        url=url.rstrip("/") + WEBHOOK_PATH if not url.endswith(WEBHOOK_PATH) else url,
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
