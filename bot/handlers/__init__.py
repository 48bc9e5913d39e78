"""Update handlers, one module per part of the conversation; `bot.app` registers them all."""
