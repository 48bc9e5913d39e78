"""Asking for a person in one's own words: "apua", "haluun puhua jollekin", "can I talk to
someone". Outside a talk such a message opens one, so it reaches a coach like a tap on
💬 Talk to my coach would.

Crisis wording is found before this (core.crisis); this only recognises a plain wish for a
human, as young people type it: lower case, no punctuation, spoken forms.
"""

from __future__ import annotations

import re

_TALK_FI = r"(puhu\w*|jutel\w*|juttel\w*|keskustel\w*|soitta\w*)"
_SOMEONE_FI = r"(jollekin|jonkun|joku|ihmise\w*|ihmisen|aikuise\w*|valmentaja\w*|ohjaaja\w*)"
_TALK_SV = r"(prata|snacka|tala|chatta)"
_SOMEONE_SV = r"(någon|nån|en människa|en person|en vuxen|\w*coach\w*|handledare\w*)"
_TALK_EN = r"(talk|speak|chat)"
_SOMEONE_EN = r"(someone|somebody|some1|a person|a human|a real person|an adult|\w*coach\w*)"

PATTERNS = [
    re.compile(p)
    for p in (
        r"^(apua+|auta+ (mua|minua|mut)|help( me)?|hjälp( mig)?)$",
        rf"\b{_TALK_FI}\b.*\b{_SOMEONE_FI}\b",
        rf"\b{_SOMEONE_FI}\b.*\b{_TALK_FI}\b",
        r"\b(tarvi\w*|tarvits\w*|tartte\w*|tarttis\w*) (apua|ihmis\w*|jonkun)\b",
        rf"\b{_TALK_SV}\b.*\b{_SOMEONE_SV}\b",
        r"\bbehöver (hjälp|någon|nån|prata)\b",
        rf"\b{_TALK_EN}\b.*\b(to|with|w)\b.*\b{_SOMEONE_EN}\b",
        r"\bneed (help|someone|somebody|a person)\b",
    )
]


def asks_for_a_person(text: str) -> bool:
    """True when the text asks to talk with a human."""
    cleaned = re.sub(r"[^\w\s]", " ", text.lower())
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return any(pattern.search(cleaned) for pattern in PATTERNS)
