"""Every text Polku can send a young person fits two lines of a chat bubble on a 390 px phone
(core.phone_lines), in fi, sv and en, filled in with long but realistic names, places and
times. The few that must be longer are named here with the reason."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir

from bot.appointment_text import when_text
from core.i18n import translator
from core.office_hours import describe
from core.phone_lines import phone_lines

ROOT = Path(__file__).resolve().parents[1]
# Where the young person's texts live: the bot, the domain, the dialogues, the services.
FOLDERS = ("bot", "core", "dialogs", "services")
METHODS = [("**.py", "python"), ("**.yaml", "core.dialogs.babel_extract:extract_yaml")]
FILLERS = {  # long but real: a double first name, a school's address, a weekday and a time
    "name": "Johanna Virtanen",
    "coach": "Johanna Virtanen",
    "title": "Kokkilinjan kokeilupäivä",
    "place": "Stadin AO, Hattulantie 2",
    "things": "sisäkengät ja eväät",
    "kind": "Tutustumiskäynti",
}
HELSINKI = ZoneInfo("Europe/Helsinki")
# The longest "when" Polku says in practice: on a Friday evening, the coach answers on Monday.
FRIDAY_EVENING = datetime(2027, 1, 15, 17, 0, tzinfo=HELSINKI)
MONDAY_MORNING = datetime(2027, 1, 18, 9, 0, tzinfo=HELSINKI)
WORKING_HOURS = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "16:00"}
# Longer on purpose, with the reason; and the coach's own notices, which quote the young person.
LONGER = {  # what Polku keeps must be said exactly, even in three lines
    "With your consent I keep your answers and messages. Only you and your coach see them.": (
        "privacy: what is kept and who sees it"
    ),
    "Right now I keep nothing but your language and this choice. May I keep your answers?": (
        "privacy: what is kept without consent, truthfully"
    ),
}
# Texts for coaches, not young people: notices in the coach's own chat (they quote the young
# person) and the panel's two-step sign-in.
COACH_FILES = ("bot/notices.py", "core/services/two_step.py")


def young_persons_texts() -> list[str]:
    found: set[str] = set()
    for folder in FOLDERS:
        for filename, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, METHODS, keywords={"_": None, "N_": None}
        ):
            if f"{folder}/{filename}" in COACH_FILES:
                continue
            found.add(message if isinstance(message, str) else message[0])
    return sorted(found - set(LONGER))


def filled(text: str, language: str) -> str:
    """The text with its slots filled as Polku fills them, times in the language's words."""
    fillers = {
        **FILLERS,
        "when": when_text(MONDAY_MORNING, language, HELSINKI, now=FRIDAY_EVENING),
        "hours": describe(WORKING_HOURS, translator(language)),
    }
    slot = re.compile(r"%\((\w+)\)s|\{(\w+)\}")
    return slot.sub(lambda m: fillers.get(m.group(1) or m.group(2), "Aleksandra"), text)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_message_fits_two_phone_lines(language: str) -> None:
    t = translator(language)
    too_long = {
        msgid: t.gettext(msgid)
        for msgid in young_persons_texts()
        if phone_lines(filled(t.gettext(msgid), language)) > 2
    }
    assert too_long == {}, f"{len(too_long)} texts over two phone lines in {language}"
