"""Every string a young person reads exists, finished and short, in fi, sv and en."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.i18n import LANGUAGES, LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = ("core", "bot", "admin", "polku")
YAML_EXTRACTOR = "core.dialogs.babel_extract:extract_yaml"
JINJA_EXTRACTOR = "jinja2.ext:babel_extract"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
# Two lines on a phone: Telegram fits about 45 characters a line on a small screen.
MAX_MESSAGE_LENGTH = 90


def source_msgids() -> set[str]:
    """Every msgid in the Python code, the panel templates and the dialogue and service YAML."""
    found: set[str] = set()
    for folder in (*SOURCE_PACKAGES, "dialogs", "services", "paths"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[
                ("**.py", "python"),
                ("**.yaml", YAML_EXTRACTOR),
                ("**.html", JINJA_EXTRACTOR),
            ],
            options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
            keywords=KEYWORDS,
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_dialogue_and_panel_texts_are_extracted():
    assert "I have felt cheerful and in good spirits" in source_msgids()
    assert "Take as my young person" in source_msgids()  # a panel template
    assert "School social worker" in source_msgids() or any(
        "social worker" in m for m in source_msgids()
    )


def catalog(language: str):
    with open(LOCALES_DIR / language / "LC_MESSAGES" / "polku.po", "rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_in_the_code_is_translated(language):
    translated = {m.id: m.string for m in catalog(language) if m.id}
    missing = sorted(source_msgids() - translated.keys())
    assert missing == [], f"not in {language}: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_entry_is_empty_or_fuzzy(language):
    problems = [m.id for m in catalog(language) if m.id and (not m.string or m.fuzzy)]
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_messages_fit_two_phone_lines(language):
    too_long = [m.string for m in catalog(language) if m.id and len(m.string) > MAX_MESSAGE_LENGTH]
    assert too_long == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language):
    import re

    for message in catalog(language):
        if message.id:
            # {name} in Python texts, %(name)s in the panel's templates
            placeholder = r"{\w+}|%\(\w+\)s"
            assert set(re.findall(placeholder, message.id)) == set(
                re.findall(placeholder, message.string)
            ), message.id
