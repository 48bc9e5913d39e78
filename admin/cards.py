"""A finished self-assessment in the chat, in words a coach reads at a glance:
"Life right now · mean 4.1/10 · ↓ 0.6 since last time"."""

from __future__ import annotations

import gettext

from babel.numbers import format_decimal

from admin.assessment_view import known_dialogues
from core.dialogs.scales import NUMERIC_SCALES
from core.services.timeline import Card


def card_words(card: Card, t: gettext.NullTranslations, language: str) -> str:
    """The card's title, its score on its scale, and the change since the run before."""
    dialogue = known_dialogues().get(card.dialogue_id)
    title = t.gettext(dialogue.title) if dialogue else card.dialogue_id
    if card.score is None or dialogue is None or dialogue.scoring == "none":
        return t.gettext("{title} · finished").format(title=title)

    def number(value: float) -> str:
        return format_decimal(value, format="#,##0.#", locale=language)

    if dialogue.scoring == "who5":
        words = t.gettext("{title} · {score}/100").format(title=title, score=number(card.score))
    else:
        high = NUMERIC_SCALES[dialogue.scale or ""].high if dialogue.scale else 0
        words = t.gettext("{title} · mean {score}/{high}").format(
            title=title, score=number(card.score), high=number(high)
        )
    change = card.change
    if change is None:
        return words
    if change == 0:
        return words + " · " + t.gettext("same as last time")
    arrow = "↑" if change > 0 else "↓"
    return (
        words
        + " · "
        + t.gettext("{arrow} {change} since last time").format(
            arrow=arrow, change=number(abs(change))
        )
    )
