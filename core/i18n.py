"""Translations. Message ids are English; catalogs live in locales/{fi,sv,en}.

Finnish is the primary language and the fallback when Telegram tells us nothing useful.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "polku"
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it yet (it is translated when shown)."""
    return msgid


def pick_language(*candidates: str | None) -> str:
    """Return the first supported language among the candidates, else Finnish."""
    for candidate in candidates:
        if candidate:
            code = candidate.split("-")[0].lower()
            if code in LANGUAGES:
                return code
    return DEFAULT_LANGUAGE


@cache
def translator(language: str) -> gettext.NullTranslations:
    """Return the compiled catalog for a language; a missing catalog is an install error."""
    return gettext.translation(DOMAIN, localedir=LOCALES_DIR, languages=[language])


def gettext_for(language: str | None) -> gettext.NullTranslations:
    """The catalog of the given language, falling back to Finnish."""
    return translator(pick_language(language))


def all_translations(msgid: str) -> set[str]:
    """The msgid as it reads in every language (to recognise a tapped keyboard label)."""
    return {translator(lang).gettext(msgid) for lang in LANGUAGES}


@cache
def own_texts() -> frozenset[str]:
    """Every text Polku writes or puts on a button, in every language, as typed back to it
    (lower case, trimmed): a tapped menu label arrives as such a text."""
    texts: set[str] = set()
    for language in LANGUAGES:
        catalog: dict[object, str] = getattr(translator(language), "_catalog", {})
        for msgid, msgstr in catalog.items():
            if isinstance(msgid, str) and msgid:
                texts.update({msgid.strip().lower(), msgstr.strip().lower()})
    return frozenset(texts)


def is_own_text(text: str) -> bool:
    """A command, or one of Polku's own texts or button labels (not the young person's words)."""
    cleaned = text.strip().lower()
    return cleaned.startswith("/") or cleaned in own_texts()
