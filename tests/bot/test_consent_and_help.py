"""Consent that never traps and help that helps, in fi, sv and en: after "No thanks" every menu
item answers in one message with a button to allow saving, which opens what was asked; the
help message says what Polku does and has a button for everything."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.i18n import LANGUAGE_NAMES, gettext_for
from core.models import Consent, Youth
from core.phone_lines import phone_lines
from tests.bot.transcript import buttons, said, texts

LANGUAGES = ["fi", "sv", "en"]


async def declined(polku, language: str):
    _ = gettext_for(language).gettext
    youth = polku.youth("Eetu")
    await youth.says("/start")
    replies = await youth.taps(LANGUAGE_NAMES[language])
    question = replies[-1]
    assert question["text"] == _("May I save your messages? Self-checks and your coach need it.")
    assert phone_lines(question["text"]) <= 2
    await youth.taps(_("No thanks"))
    return youth, _


def consent_of(polku, youth) -> str:
    with Session(polku.engine) as session:
        return session.exec(select(Youth.consent).where(Youth.telegram_user_id == youth.id)).one()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_no_thanks_the_coach_chat_asks_once_and_one_tap_opens_it(polku, language):
    youth, _ = await declined(polku, language)
    replies = await youth.says(_("💬 Talk to my coach"))
    assert texts(replies) == [_("To write to your coach, I need to save the messages.")]
    assert buttons(replies[0]) == [_("✅ Allow saving")]
    asked = replies[0]["message_id"]

    replies = await youth.taps(_("✅ Allow saving"))
    assert consent_of(polku, youth) == Consent.GIVEN
    edited = next(m for m in youth.inbox if m["message_id"] == asked)
    assert edited["text"] == _("✅ Saving allowed. Only you and your coach see it.")
    assert buttons(edited) == []
    assert said(
        replies,
        _("What you write now goes to a coach. A coach usually answers {hours}.").split("{")[0],
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_no_thanks_self_checks_ask_once_and_one_tap_opens_them(polku, language):
    youth, _ = await declined(polku, language)
    replies = await youth.says(_("📝 Self-assessment"))
    assert texts(replies) == [_("For self-checks, I need to save your answers.")]
    replies = await youth.taps(_("✅ Allow saving"))
    assert consent_of(polku, youth) == Consent.GIVEN
    assert _("Study skills") in buttons(replies[-1])  # the choice of self-checks is open


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_no_thanks_appointments_and_help_still_answer(polku, language):
    youth, _ = await declined(polku, language)
    assert texts(await youth.says(_("📅 My appointments"))) == [
        _("You have no appointments coming up.")
    ]
    help_message = (await youth.says(_("❓ Help")))[-1]
    assert help_message["text"] == _(
        "I'm Polku, a bot for your studies, appointments and your coach."
    )
    assert consent_of(polku, youth) == Consent.DECLINED


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_has_a_button_for_everything_and_no_commands(polku, language):
    youth = await polku.onboarded("Aino", language)
    _ = gettext_for(language).gettext
    replies = await youth.says(_("❓ Help"))
    assert len(replies) == 1 and phone_lines(replies[0]["text"]) <= 2
    assert "/" not in replies[0]["text"]
    assert buttons(replies[0]) == [
        _("📝 Self-assessment"),
        _("📅 My appointments"),
        _("💬 Talk to my coach"),
        _("🔒 What I save"),
        _("🌐 Language"),
    ]
    replies = await youth.taps(_("🌐 Language"))
    assert buttons(replies[-1]) == ["suomi", "svenska", "English"]
    replies = await youth.taps(_("🔒 What I save"))
    assert _("Stop keeping my answers") in buttons(replies[-1])
    replies = await youth.taps(_("📅 My appointments"))
    assert texts(replies) == [_("You have no appointments coming up.")]
    replies = await youth.taps(_("💬 Talk to my coach"))
    assert said(
        replies,
        _("What you write now goes to a coach. A coach usually answers {hours}.").split("{")[0],
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_right_is_a_button_under_what_polku_saves(polku, language):
    youth = await polku.onboarded("Aino", language)
    _ = gettext_for(language).gettext
    await youth.says(_("❓ Help"))
    replies = await youth.taps(_("🔒 What I save"))
    assert buttons(replies[-1]) == [
        _("📄 Send me my data"),
        _("Stop keeping my answers"),
        _("🗑 Erase everything"),
    ]
    await youth.taps(_("📄 Send me my data"))
    assert youth.documents and youth.documents[-1]["filename"] == "polku-my-data.json"
    replies = await youth.taps(_("🗑 Erase everything"))
    assert buttons(replies[-1]) == [_("Yes, erase everything"), _("Cancel")]
    await youth.taps(_("Yes, erase everything"))
    with Session(polku.engine) as session:
        assert session.exec(select(Youth)).all() == []
