"""How many lines a message takes in a Telegram chat bubble on a 390 px phone: the measure
behind "at most two phone lines per message".

A bubble at 390 px holds about 34–38 characters of Telegram's default font in a line; we count
36, wrap at spaces as the app does, count an emoji as two characters (they are drawn wider)
and every line break as a new line.
"""

from __future__ import annotations

import unicodedata

LINE_WIDTH = 36


def char_width(char: str) -> int:
    """Emoji and other wide characters take two places; joiners, variation marks and skin
    tones none (they change how the emoji before them looks)."""
    code = ord(char)
    if unicodedata.category(char) in ("Mn", "Cf") or 0xFE00 <= code <= 0xFE0F:
        return 0
    if 0x1F3FB <= code <= 0x1F3FF:
        return 0
    if unicodedata.east_asian_width(char) in "WF" or code >= 0x1F000:
        return 2
    return 1


def phone_lines(text: str, width: int = LINE_WIDTH) -> int:
    """The lines `text` wraps to, word by word; a word longer than a line is cut."""
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0
        for word in paragraph.split(" "):
            size = sum(char_width(c) for c in word)
            if used and used + 1 + size <= width:
                used += 1 + size
                continue
            if used:
                lines += 1
            used = size
            while used > width:
                lines += 1
                used -= width
        total += lines
    return total
