"""Typing understood, in fi, sv and en: yes and no to the consent question, menu words, an
option's name in a self-check, and "stop" to leave one — each as the tap it stands for."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.keyboards import MENU_ITEMS
from core.dialogs.loader import load_dialogues
from core.i18n import LANGUAGE_NAMES, gettext_for
from core.models import Assessment, AssessmentAnswer, Consent, Youth
from core.typed_words import MENU_WORDS
from tests.bot.transcript import buttons, said, texts

MAPPING = load_dialogues()["initial_mapping"]
YES = {"fi": "Joo!", "sv": "ja", "en": "Yes 👍"}
NO = {"fi": "ei", "sv": "Nej tack", "en": "no"}
APPOINTMENTS = {"fi": "tapaamiset", "sv": "Möten", "en": "appointments?"}
STOP = {"fi": "lopeta", "sv": "sluta", "en": "Stop"}


def consent_of(polku, youth) -> str:
    with Session(polku.engine) as session:
        return session.exec(select(Youth.consent).where(Youth.telegram_user_id == youth.id)).one()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_yes_and_no_typed_to_the_consent_question(polku, language):
    _ = gettext_for(language).gettext
    for word, given in ((YES[language], Consent.GIVEN), (NO[language], Consent.DECLINED)):
        youth = polku.youth(f"Nuori {given}")
        await youth.says("/start")
        await youth.taps(LANGUAGE_NAMES[language])
        replies = await youth.says(word)
        assert consent_of(polku, youth) == given
        thanks = (
            _("Thank you! Only you and your coach see your answers.")
            if given == Consent.GIVEN
            else _("Okay, I save nothing. You can allow it later with a button.")
        )
        assert said(replies, thanks)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_menu_word_typed_opens_the_menu_item(polku, language):
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)
    replies = await youth.says(APPOINTMENTS[language])
    assert texts(replies) == [_("You have no appointments coming up.")]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_an_options_name_typed_answers_and_stop_leaves_the_self_check(polku, language):
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)
    await youth.says(_("📝 Self-assessment"))
    await youth.taps(_(MAPPING.title))
    typed = _(MAPPING.questions[0].options[1].label).lower()  # "at a workshop", no button
    await youth.says(typed)
    replies = await youth.says(STOP[language])
    assert said(replies, _("⏸ Paused. Continue any time from 📝 Self-assessment."))
    with Session(polku.engine) as session:
        answer = session.exec(select(AssessmentAnswer)).one()
        run = session.exec(select(Assessment)).one()
    assert answer.choices == [MAPPING.questions[0].options[1].value]
    assert run.state["paused"] is True


async def test_anything_else_gets_a_short_hint_with_the_menu(polku):
    youth = await polku.onboarded("Aino", "fi")
    replies = await youth.says("mikä tää on")
    assert len(replies) == 1 and youth.reply_keyboard is not None
    assert buttons(replies[0]) == []


def test_the_menu_words_belong_to_the_menu() -> None:
    assert set(MENU_WORDS) == set(MENU_ITEMS)


@pytest.mark.parametrize("old_label", ["❓ Apua", "❓ Hjälp", "❓ Help"])
async def test_a_tap_on_an_old_help_label_still_opens_help(polku, old_label):
    youth = await polku.onboarded("Aino", "en")
    replies = await youth.says(old_label)  # a keyboard from before the labels changed
    assert "🌐 Language" in buttons(replies[-1])
    with Session(polku.engine) as session:
        assert session.exec(select(Youth.talk_opened_at)).one() is None  # not a talk
