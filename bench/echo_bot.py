"""The baseline: a bare python-telegram-bot echo bot with PTB's defaults (run as its own process).

TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot python -m bench.echo_bot
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text)


def main(base_url: str) -> None:
    application = Application.builder().token("1000000002:echo").base_url(base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    print("echo bot polling", flush=True)
    application.run_polling(poll_interval=0, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main(os.environ["TELEGRAM_API_BASE_URL"])
