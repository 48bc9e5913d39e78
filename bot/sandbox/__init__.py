"""A loopback stand-in for Telegram's Bot API, for tests and for trying the bot in a browser."""

from bot.sandbox.people import BotDocument, FakeGroup, FakeUser
from bot.sandbox.server import SandboxUpdateProcessor, StandIn
from bot.sandbox.state import ApiCall

__all__ = [
    "ApiCall",
    "BotDocument",
    "FakeGroup",
    "FakeUser",
    "SandboxUpdateProcessor",
    "StandIn",
]
