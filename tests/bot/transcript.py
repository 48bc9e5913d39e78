"""Small helpers to read what the bot sent."""

from __future__ import annotations

from typing import Any


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """The texts (or captions) of bot messages, in order."""
    return [m.get("text") or m.get("caption") or "" for m in messages]


def said(messages: list[dict[str, Any]], fragment: str) -> bool:
    """True when any of the messages contains the fragment."""
    return any(fragment in t for t in texts(messages))


def buttons(message: dict[str, Any]) -> list[str]:
    """The inline button labels of one message."""
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
