"""A young person opens the bot: language, hello, consent, coach's name, menu — in fi, sv, en."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.db import transaction
from core.i18n import LANGUAGE_NAMES, gettext_for
from core.models import Assessment, AssessmentAnswer, Consent, Message, Youth
from core.services.invites import do_create_invite
from tests.bot.transcript import buttons, said

MENU = ["📝 Self-assessment", "📅 My appointments", "💬 Talk to my coach", "❓ Help"]


def stored_youth(polku, youth) -> Youth | None:
    with Session(polku.engine) as session:
        return session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).first()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_onboarding_in_each_language(polku, language):
    _ = gettext_for(language).gettext
    youth = polku.youth("Aino", language_code="de")

    replies = await youth.says("/start")
    assert said(replies, "Valitse kieli") and said(replies, "Välj språk")
    assert said(replies, "Choose your language")
    assert buttons(replies[-1]) == ["suomi", "svenska", "English"]

    replies = await youth.taps(LANGUAGE_NAMES[language])
    assert said(
        replies,
        _("Hi! I'm Polku, a bot, not an emergency service. I help with studies and next steps."),
    )
    assert said(replies, "112")
    assert buttons(replies[-1]) == [_("Yes, keep them"), _("No thanks")]

    replies = await youth.taps(_("Yes, keep them"))
    assert said(replies, _("Thank you! Only you and your coach see your answers."))
    assert youth.reply_keyboard == [[_(MENU[0]), _(MENU[1])], [_(MENU[2]), _(MENU[3])]]

    stored = stored_youth(polku, youth)
    assert stored.language == language
    assert stored.consent == Consent.GIVEN
    assert stored.first_name == "Aino"


def test_the_three_languages_really_differ():
    hello = "Hi! I'm Polku, a bot, not an emergency service. I help with studies and next steps."
    assert len({gettext_for(lang).gettext(hello) for lang in ("fi", "sv", "en")}) == 3


async def test_declining_consent_keeps_only_the_choice(polku):
    youth = polku.youth("Eetu")
    await youth.says("/start")
    await youth.taps("suomi")
    _ = gettext_for("fi").gettext
    replies = await youth.taps(_("No thanks"))
    assert said(replies, _("Okay, I save nothing. You can allow it later with a button."))
    assert youth.reply_keyboard is not None  # the menu still works

    await youth.says("Tämä ei tallennu")
    stored = stored_youth(polku, youth)
    assert stored.consent == Consent.DECLINED
    assert stored.first_name is None
    with Session(polku.engine) as session:
        assert session.exec(select(Message).where(Message.youth_id == stored.id)).all() == []


async def test_consent_can_be_given_later_in_privacy(polku):
    youth = polku.youth("Eetu")
    await youth.says("/start")
    await youth.taps("English")
    await youth.taps("No thanks")

    replies = await youth.says("/privacy")
    assert said(replies, "Only you and your coach see them")
    await youth.taps("Yes, keep them")
    assert stored_youth(polku, youth).consent == Consent.GIVEN

    await youth.says("📝 Self-assessment")
    await youth.taps("Study skills")
    await youth.taps("4")  # one answer kept, with consent

    await youth.says("/privacy")
    replies = await youth.taps("Stop keeping my answers")
    assert said(replies, "I erased your answers and messages")
    stored = stored_youth(polku, youth)
    assert stored.consent == Consent.DECLINED
    await youth.says("5")  # typing a number now answers nothing: the run is gone
    with Session(polku.engine) as session:
        assert session.exec(select(Message).where(Message.youth_id == stored.id)).all() == []
        assert session.exec(select(Assessment)).all() == []
        assert session.exec(select(AssessmentAnswer)).all() == []


async def test_an_old_consent_button_does_not_act_again(polku):
    youth = polku.youth("Aino")
    await youth.says("/start")
    await youth.taps("English")
    question = youth.last_reply
    await youth.taps("Yes, keep them")

    await youth.taps_on(question["message_id"], "No thanks")
    assert "You already answered this" in youth.callback_answers[-1]
    assert stored_youth(polku, youth).consent == Consent.GIVEN


async def test_invite_link_names_the_coach(polku):
    coach = polku.add_coach(login="maija", name="Maija Mentor")
    with transaction(polku.engine) as session:
        invite = do_create_invite(session, coach=coach)

    youth = polku.youth("Aino")
    await youth.says(f"/start {invite.code}")
    await youth.taps("suomi")
    replies = await youth.taps("Kyllä, tallenna")
    assert said(replies, "Valmentajasi on Maija Mentor.")
    assert stored_youth(polku, youth).coach_id == coach.id

    someone_else = polku.youth("Ville")
    replies = await someone_else.says(f"/start {invite.code}")
    assert said(replies, "linkki ei enää toimi")
    assert stored_youth(polku, someone_else).coach_id is None


async def test_unknown_invite_code_still_lets_them_start(polku):
    youth = polku.youth("Aino", language_code="en")
    replies = await youth.says("/start not-a-real-code")
    assert said(replies, "This invite link no longer works")
    assert said(replies, "Choose your language")


async def test_start_again_welcomes_back_with_the_menu(polku):
    youth = await polku.onboarded("Aino", "sv")
    replies = await youth.says("/start")
    assert said(replies, "Välkommen tillbaka!")
    assert youth.reply_keyboard[0][0] == "📝 Enkäter"


async def test_language_can_be_changed_any_time(polku):
    youth = await polku.onboarded("Aino", "fi")
    await youth.says("/language")
    replies = await youth.taps("English")
    assert said(replies, "Okay! I will now speak English.")
    assert youth.reply_keyboard[1][1] == "❓ What Polku does"
    assert stored_youth(polku, youth).language == "en"


async def test_every_menu_item_works_in_finnish(polku):
    fi = gettext_for("fi").gettext
    youth = await polku.onboarded("Aino", "fi")
    replies = await youth.says(fi(MENU[2]))
    assert said(
        replies,
        fi("What you write now goes to a coach. A coach usually answers {hours}.").split(".")[0],
    )
    assert youth.reply_keyboard == [[fi("↩️ Back to the bot")]]


async def test_texting_before_choosing_a_language_starts_onboarding(polku):
    youth = polku.youth("Aino")
    replies = await youth.says("moi")
    assert said(replies, "Choose your language")


async def test_texting_before_answering_consent_asks_again(polku):
    youth = polku.youth("Aino")
    await youth.says("/start")
    await youth.taps("svenska")
    replies = await youth.says("hej")
    sv = gettext_for("sv").gettext
    assert said(replies, sv("May I save your messages? Self-checks and your coach need it."))


async def test_messages_in_both_directions_are_kept_with_consent(polku):
    youth = await polku.onboarded("Aino", "fi")
    await youth.says("Hei, mitä kuuluu?")
    with Session(polku.engine) as session:
        stored = session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()
        rows = session.exec(select(Message).where(Message.youth_id == stored.id)).all()
    directions = [(m.direction, m.text) for m in rows]
    assert ("youth", "Hei, mitä kuuluu?") in directions
    assert any(d == "bot" and "En ihan ymmärtänyt" in (t or "") for d, t in directions)


async def test_commands_are_published_in_each_language(polku):
    calls = polku.standin.sent("setMyCommands")
    by_language = {c["params"].get("language_code"): c["params"]["commands"] for c in calls}
    assert set(by_language) >= {None, "fi", "sv", "en"}
    names = [c["command"] for c in by_language["sv"]]
    assert names == [
        "start",
        "help",
        "language",
        "privacy",
        "mydata",
        "delete",
        "appointments",
        "portfolio",
        "coach",
    ]
    assert by_language["sv"][1]["description"] == "Vad Polku kan göra"


async def test_a_double_tap_is_not_an_error(polku, caplog):
    youth = polku.youth("Aino", language_code="fi")
    await youth.says("/start")
    question = youth.last_reply
    await youth.taps("English")
    await youth.taps_on(question["message_id"], "English")
    assert not said(youth.inbox, "Sorry, something went wrong")
    assert not said(youth.inbox, "Anteeksi")
