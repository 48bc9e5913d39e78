"""What a typed word means when a button was expected: yes, no, stop, or a menu item. Young
people type "joo", "nej" or "tapaamiset" as often as they tap; each is understood the same in
fi, sv and en (lower case, without punctuation or emoji)."""

from __future__ import annotations

import re
from typing import Literal

Meaning = Literal["yes", "no", "stop"]

WORDS: dict[Meaning, frozenset[str]] = {
    "yes": frozenset(
        {
            "joo",
            "juu",
            "jep",
            "jees",
            "kyllä",
            "kyl",
            "ok",
            "okei",
            "oki",
            "käy",
            "sopii",
            "ja",
            "jo",
            "japp",
            "visst",
            "gärna",
            "okej",
            "yes",
            "yeah",
            "yep",
            "yup",
            "sure",
            "okay",
        }
    ),
    "no": frozenset(
        {
            "ei",
            "en",
            "e",
            "ei kiitos",
            "ei käy",
            "nej",
            "nä",
            "nej tack",
            "nope",
            "no",
            "no thanks",
            "nah",
        }
    ),
    "stop": frozenset(
        {
            "lopeta",
            "lopetan",
            "lopetetaan",
            "riittää",
            "tauko",
            "sluta",
            "stopp",
            "avbryt",
            "stop",
            "quit",
            "cancel",
            "pause",
        }
    ),
}

# Words for the main menu's items (their msgids), besides the buttons' own labels.
MENU_WORDS: dict[str, frozenset[str]] = {
    "📝 Self-assessment": frozenset(
        {
            "kysely",
            "kyselyt",
            "kyselyn",
            "itsearviointi",
            "testi",
            "enkät",
            "enkäter",
            "självskattning",
            "self-assessment",
            "self-check",
            "self-checks",
            "survey",
            "quiz",
        }
    ),
    "📅 My appointments": frozenset(
        {
            "tapaamiset",
            "tapaamiseni",
            "tapaaminen",
            "ajat",
            "möten",
            "mina möten",
            "möte",
            "tider",
            "appointments",
            "my appointments",
            "appointment",
            "meetings",
        }
    ),
    "💬 Talk to my coach": frozenset(
        {
            "valmentaja",
            "valmentajalle",
            "ohjaaja",
            "coach",
            "coachen",
            "min coach",
            "talk to my coach",
            "my coach",
        }
    ),
    "❓ Help": frozenset(
        {"ohje", "ohjeet", "ohjeita", "hjälp", "info", "help", "menu", "valikko", "meny"}
    ),
}

_NOT_WORD = re.compile(r"[^\w\s]+")


def cleaned(text: str) -> str:
    """Lower case, punctuation and emoji gone, spaces single: "Joo!! 👍" → "joo"."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def meaning(text: str) -> Meaning | None:
    """Yes, no or stop, when the whole text says just that."""
    words = cleaned(text)
    return next((key for key, found in WORDS.items() if words in found), None)


def menu_word(text: str) -> str | None:
    """The menu item (its msgid) that a typed word names, if any."""
    words = cleaned(text)
    return next((msgid for msgid, found in MENU_WORDS.items() if words in found), None)


def is_a_typed_answer(text: str) -> bool:
    """A yes, no, stop or menu word: an answer to a question, not words about oneself."""
    return meaning(text) is not None or menu_word(text) is not None
