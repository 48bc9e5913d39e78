"""The check-in after a transition, as the young person sees it: four short questions, each
with buttons (`after:<check-in>:<step>:<value>`; the safety net's own check-in is `checkin:`)."""

from __future__ import annotations

import gettext

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.i18n import N_

FACES = ("😞", "🙁", "😐", "🙂", "😄")
ASK_MOOD = N_("Hi! How are your studies or work going?")
ASK_THERE = N_("Are you still there?")
ASK_NEED = N_("Is there something you need? Tap, or write it in your own words.")
ASK_COACH = N_("Would you like to talk to your coach?")
THANKS = N_("Thanks for answering! Your coach sees it.")
NOTED = N_("Thanks, I saved that for your coach.")
CLOSED = N_("This question has closed. Thanks anyway 🙂")
NEED_LABELS = {
    "studies": N_("Help with studies"),
    "money": N_("Money or a place to live"),
    "talk": N_("Someone to talk to"),
    "none": N_("Nothing now"),
}


def _button(label: str, checkin_id: int, step: str, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"after:{checkin_id}:{step}:{value}")


def mood_question(t: gettext.NullTranslations, checkin_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """The first question, sent through the outbox: five faces."""
    faces = [_button(face, checkin_id, "mood", str(n)) for n, face in enumerate(FACES, start=1)]
    return t.gettext(ASK_MOOD), InlineKeyboardMarkup([faces])


def next_question(
    t: gettext.NullTranslations, checkin_id: int, step: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """What follows the answer to `step`: the next question, or thanks at the end."""
    _ = t.gettext
    if step == "mood":
        return _(ASK_THERE), InlineKeyboardMarkup(
            [
                [
                    _button(_("Yes"), checkin_id, "there", "yes"),
                    _button(_("No, I left"), checkin_id, "there", "no"),
                ]
            ]
        )
    if step == "there":
        needs = NEED_LABELS.items()
        rows = [[_button(_(label), checkin_id, "need", code)] for code, label in needs]
        return _(ASK_NEED), InlineKeyboardMarkup(rows)
    if step == "need":
        return _(ASK_COACH), InlineKeyboardMarkup(
            [
                [
                    _button(_("Yes"), checkin_id, "coach", "yes"),
                    _button(_("No thanks"), checkin_id, "coach", "no"),
                ]
            ]
        )
    return _(THANKS), None
