"""Keyboards. Callback data is `prefix:value`, short (≤ 64 bytes) so old taps can be recognised."""

from __future__ import annotations

import gettext

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, all_translations
from core.typed_words import cleaned, menu_word

MENU_SELF_ASSESSMENT = N_("📝 Self-assessment")
MENU_APPOINTMENTS = N_("📅 My appointments")
MENU_COACH = N_("💬 Talk to my coach")
MENU_HELP = N_("❓ Help")
MENU_ITEMS = (MENU_SELF_ASSESSMENT, MENU_APPOINTMENTS, MENU_COACH, MENU_HELP)
# Labels the menu had before 2026-12-07: a keyboard stays on a phone until a new one is sent,
# so a tap on an old label must still mean its item (and never read as asking for a person).
EARLIER_LABELS = {
    "📝 Itsearviointi": MENU_SELF_ASSESSMENT,
    "📝 Självskattning": MENU_SELF_ASSESSMENT,
    "💬 Puhu valmentajalle": MENU_COACH,
    "💬 Prata med min coach": MENU_COACH,
    "❓ Apua": MENU_HELP,
    "❓ Hjälp": MENU_HELP,
    "❓ Help": MENU_HELP,
}
BACK_TO_BOT = N_("↩️ Back to the bot")
ALLOW_SAVING = N_("✅ Allow saving")
# What the help message offers: callback value and the button's label.
HELP_CHOICES = (
    ("assess", MENU_SELF_ASSESSMENT),
    ("appointments", MENU_APPOINTMENTS),
    ("talk", MENU_COACH),
    ("privacy", N_("🔒 What I save")),
    ("language", N_("🌐 Language")),
)


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


def allow_keyboard(t: gettext.NullTranslations, then: str) -> InlineKeyboardMarkup:
    """One tap to allow saving and go on to what was asked (`then`: talk or assess)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext(ALLOW_SAVING), callback_data=f"allow:{then}")]]
    )


def help_keyboard(t: gettext.NullTranslations) -> InlineKeyboardMarkup:
    """Everything Polku can do, two buttons a row: no command needs to be known."""
    buttons = [
        InlineKeyboardButton(t.gettext(label), callback_data=f"help:{value}")
        for value, label in HELP_CHOICES
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


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
    """The menu msgid a tapped menu button stands for, in any language."""
    stripped = text.strip()
    for msgid in MENU_ITEMS:
        if stripped in all_translations(msgid):
            return msgid
    return EARLIER_LABELS.get(stripped)


def menu_item_named(text: str) -> str | None:
    """The menu msgid a tapped button or a typed word names ("tapaamiset", "Help", "möten").
    Only outside a talk with the coach: there every word is for the coach."""
    tapped = menu_item_for(text)
    if tapped is not None:
        return tapped
    words = cleaned(text)
    for msgid in MENU_ITEMS:
        if words and words in {cleaned(label) for label in all_translations(msgid)}:
            return msgid
    return menu_word(text)
