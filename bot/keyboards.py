"""Keyboards. Callback data is `prefix:value`, short (≤ 64 bytes) so old taps can be recognised."""

from __future__ import annotations

import gettext

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, all_translations

MENU_SELF_ASSESSMENT = N_("📝 Self-assessment")
MENU_APPOINTMENTS = N_("📅 My appointments")
MENU_COACH = N_("💬 Talk to my coach")
MENU_HELP = N_("❓ Help")
MENU_ITEMS = (MENU_SELF_ASSESSMENT, MENU_APPOINTMENTS, MENU_COACH, MENU_HELP)
BACK_TO_BOT = N_("↩️ Back to the bot")


def language_keyboard() -> InlineKeyboardMarkup:
    """Language names written in their own language, so anyone finds theirs."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=f"lang:{code}")]
            for code in LANGUAGES
        ]
    )


def consent_keyboard(t: gettext.NullTranslations, prefix: str = "consent") -> InlineKeyboardMarkup:
    """Yes / No thanks for keeping answers."""
    _ = t.gettext
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, keep them"), callback_data=f"{prefix}:yes"),
                InlineKeyboardButton(_("No thanks"), callback_data=f"{prefix}:no"),
            ]
        ]
    )


def main_menu(t: gettext.NullTranslations) -> ReplyKeyboardMarkup:
    """The persistent main menu under the text box."""
    _ = t.gettext
    return ReplyKeyboardMarkup(
        [
            [_(MENU_SELF_ASSESSMENT), _(MENU_APPOINTMENTS)],
            [_(MENU_COACH), _(MENU_HELP)],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


def talk_keyboard(t: gettext.NullTranslations) -> ReplyKeyboardMarkup:
    """While talking with a coach, the only button is the way back to the bot."""
    return ReplyKeyboardMarkup([[t.gettext(BACK_TO_BOT)]], resize_keyboard=True, is_persistent=True)


def menu_item_for(text: str) -> str | None:
    """The menu msgid a typed or tapped text stands for, in any language."""
    cleaned = text.strip()
    for msgid in MENU_ITEMS:
        if cleaned in all_translations(msgid):
            return msgid
    return None
