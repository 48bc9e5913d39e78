"""The shared domain of Polku: settings, database, models, services and i18n.

Nothing here imports the Telegram side (`bot`) or the panel (`admin`); both build on it.
"""
