"""Webhook mode: Telegram posts updates to the same web app that serves the panel.

A posted update is checked, stored in the update inbox and answered 200 at once; the inbox's
workers handle it. A body that is not a Telegram update gets 400 and is not stored (Telegram
would only retry a 5xx); a body over MAX_BODY_BYTES gets 413; while the database cannot store
updates the answer is 503, so Telegram delivers the update again later.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update
from telegram.ext import Application

from bot.inbox import inbox_of

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Telegram's own updates are far smaller; a bigger body is not from Telegram.
MAX_BODY_BYTES = 1_000_000

UPDATE_KINDS = frozenset(str(kind) for kind in Update.ALL_TYPES)
# Field types Polku relies on, wherever the field occurs in an update.
INTEGER_FIELDS = frozenset({"message_id", "date", "edit_date", "update_id"})
TEXT_FIELDS = frozenset(
    {"text", "caption", "data", "first_name", "last_name", "username", "language_code", "type"}
)
PARTY_FIELDS = frozenset({"from", "chat", "user", "sender_chat"})  # objects with an integer id


class NotAnUpdate(ValueError):
    """The body is not a Telegram update Polku could handle."""


def _check_fields(value: Any, path: str = "") -> None:
    """Refuse wrong types anywhere in the update before anything is written."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_fields(item, f"{path}[{index}]")
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key in INTEGER_FIELDS and (not isinstance(item, int) or isinstance(item, bool)):
            raise NotAnUpdate(f"{where} must be an integer")
        if key in TEXT_FIELDS and not isinstance(item, str):
            raise NotAnUpdate(f"{where} must be a string")
        if key in PARTY_FIELDS:
            if not isinstance(item, dict):
                raise NotAnUpdate(f"{where} must be an object")
            party_id = item.get("id")
            if not isinstance(party_id, int) or isinstance(party_id, bool):
                raise NotAnUpdate(f"{where}.id must be an integer")
        _check_fields(item, where)


def parse_update(body: bytes, bot: Bot) -> tuple[Update, dict[str, Any]]:
    """The update and its JSON, or NotAnUpdate saying (without quoting the body) what is wrong."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise NotAnUpdate("not JSON") from None
    if not isinstance(payload, dict):
        raise NotAnUpdate("not a JSON object")
    update_id = payload.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise NotAnUpdate("update_id must be a non-negative integer")
    kinds = [key for key in payload if key in UPDATE_KINDS]
    if len(kinds) != 1 or not isinstance(payload[kinds[0]], dict):
        raise NotAnUpdate("an update carries exactly one object such as message")
    _check_fields(payload)
    try:
        update = Update.de_json(payload, bot)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise NotAnUpdate("fields missing or of the wrong type") from None
    return update, payload


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY_BYTES (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def webhook_router(application: Application, secret: str) -> APIRouter:  # type: ignore[type-arg]
    """A route that stores an update in the inbox before answering 200."""
    router = APIRouter()
    expected = secret.encode()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def receive_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook request with a wrong or missing secret refused")
            return Response(status_code=403)
        body = await _read_body(request)
        if body is None:
            log.warning("webhook body over the size limit refused")
            return Response(status_code=413)
        try:
            update, payload = parse_update(body, application.bot)
        except NotAnUpdate as exc:
            log.warning("webhook body refused: %s", exc)
            return Response(status_code=400)
        try:
            await inbox_of(application).receive([(update, payload)])
        except SQLAlchemyError as exc:
            log.warning("could not store a webhook update", extra={"error": type(exc).__name__})
            return Response(status_code=503)
        return Response(status_code=200)

    return router


async def register_webhook(application: Application, *, url: str, secret: str) -> None:  # type: ignore[type-arg]
    """Tell Telegram where to post updates and which secret to send with them."""
    await application.bot.set_webhook(
        url=url.rstrip("/") + WEBHOOK_PATH if not url.endswith(WEBHOOK_PATH) else url,
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
