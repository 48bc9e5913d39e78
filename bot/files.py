"""Files young people sent, fetched from Telegram for the coach's panel.

The panel asks through this function, so the bot token stays on the server: the browser
only ever sees the panel's own /media/{id} address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot

MAX_FILE_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download


def media_fetcher(bot: Bot) -> Callable[[str], Awaitable[bytes]]:
    """A function that returns a file's bytes by its Telegram file_id."""

    async def fetch(file_id: str) -> bytes:
        telegram_file = await bot.get_file(file_id)
        if (telegram_file.file_size or 0) > MAX_FILE_BYTES:
            raise ValueError("file too large for the Bot API")
        return bytes(await telegram_file.download_as_bytearray())

    return fetch
