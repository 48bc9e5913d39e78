"""Self-assessment transcripts: all five dialogues in fi, sv and en, and every way through."""

from __future__ import annotations

import struct

import pytest
from sqlmodel import Session, col, select

from core.dialogs.loader import load_dialogues
from core.dialogs.scales import NUMERIC_SCALES
from core.i18n import gettext_for
from core.models import Alert, Assessment, AssessmentAnswer, AuditEvent, Message, Youth
from core.phone_lines import phone_lines
from core.services.assessments import history
from tests.bot.transcript import buttons, said

DIALOGUES = load_dialogues()
MENU_ITEM = "📝 Self-assessment"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def youth_row(polku, youth) -> Youth:
    with Session(polku.engine) as session:
        return session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()


async def begin(polku, youth, language: str, dialogue_id: str) -> list[dict]:
    _ = gettext_for(language).gettext
    await youth.says(_(MENU_ITEM))
    return await youth.taps(_(DIALOGUES[dialogue_id].title))


async def answer_everything(youth, dialogue, language: str, value: int = 7) -> list[dict]:
    """Tap an answer to every question (the first option on choice questions)."""
    _ = gettext_for(language).gettext
    replies: list[dict] = []
    for question in dialogue.questions:
        scale = dialogue.scale_of(question)
        if scale in NUMERIC_SCALES:
            numeric = NUMERIC_SCALES[scale]
            replies = await youth.taps(str(min(max(value, numeric.low), numeric.high)))
        elif scale == "choice":
            replies = await youth.taps(_(question.options[0].label))
        else:
            await youth.taps(_(question.options[0].label))
            replies = await youth.taps(_("Done ✔"))
    return replies


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("dialogue_id", sorted(DIALOGUES))
async def test_each_dialogue_can_be_completed_in_each_language(polku, dialogue_id, language):
    dialogue = DIALOGUES[dialogue_id]
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)

    replies = await begin(polku, youth, language, dialogue_id)
    assert said(replies, _(dialogue.intro))
    first = dialogue.questions[0]
    assert said(replies, f"1/{len(dialogue.questions)} · {_(first.area)}")
    assert said(replies, _(first.text))
    labels = buttons(replies[-1])
    assert {_("◀ Back"), _("Skip ⏭"), _("Pause ⏸")} <= set(labels)
    assert all(len(row) <= 5 for row in replies[-1]["reply_markup"]["inline_keyboard"])

    await answer_everything(youth, dialogue, language)
    assert said(youth.inbox, _("✅ {title}: done. Thank you!").format(title=_(dialogue.title)))

    with Session(polku.engine) as session:
        run = session.exec(select(Assessment)).one()
        stored = session.exec(select(AssessmentAnswer)).all()
    assert run.status == "finished" and run.dialogue_version == dialogue.version
    assert {a.question_id for a in stored} == {q.id for q in dialogue.questions}
    photos = [call for call in polku.standin.sent("sendPhoto")]
    if dialogue.chart == "radar":
        assert len(photos) == 1
        assert photos[0]["params"]["caption"] == _(dialogue.title)
    else:
        assert photos == []


async def test_the_chart_is_a_phone_sized_png_in_the_youths_language(polku):
    youth = await polku.onboarded("Aino", "sv")
    await begin(polku, youth, "sv", "life_areas")
    await answer_everything(youth, DIALOGUES["life_areas"], "sv", value=6)
    photo = next(m for m in youth.inbox if m.get("photo"))
    file_id = photo["photo"][-1]["file_id"]
    data = polku.standin.state.files.get(file_id).data
    width, height = png_size(data)
    assert 500 <= width <= 1200 and 500 <= height <= 1200
    assert 20_000 < len(data) < 400_000
    assert photo["caption"] == "Livet just nu"  # the title, in Swedish
    with Session(polku.engine) as session:
        kinds = session.exec(select(Message.media_kind).where(Message.direction == "bot")).all()
    assert "photo" in kinds  # the chart is part of the chat the coach sees


async def test_an_old_start_button_offers_to_continue_instead_of_starting_over(polku):
    youth = await polku.onboarded("Aino", "en")
    await youth.says(MENU_ITEM)
    listing = youth.last_reply
    await youth.taps("Life right now")
    await youth.taps("6")
    replies = await youth.taps_on(listing["message_id"], "Life right now")  # a double tap
    assert said(replies, "Continue where you left off?")
    replies = await youth.taps("▶ Continue")
    assert said(replies, "2/10")
    with Session(polku.engine) as session:
        assert len(session.exec(select(Assessment)).all()) == 1


async def test_talk_to_my_coach_after_a_result_opens_the_handover(polku):
    youth = await polku.onboarded("Aino", "en")
    await begin(polku, youth, "en", "who5")
    await answer_everything(youth, DIALOGUES["who5"], "en", value=2)
    replies = await youth.taps("💬 Talk to my coach")
    assert said(replies, "A coach reads your messages")
    with Session(polku.engine) as session:
        assert "talk.open" in session.exec(select(AuditEvent.action)).all()


async def test_skip_back_pause_and_resume_after_a_restart(polku):
    life = DIALOGUES["life_areas"]
    youth = await polku.onboarded("Aino", "en")
    await begin(polku, youth, "en", "life_areas")
    await youth.taps("7")
    await youth.taps("Skip ⏭")
    replies = await youth.taps("◀ Back")
    assert said(replies, f"2/10 · {life.questions[1].area}")
    await youth.taps("4")
    replies = await youth.taps("Pause ⏸")
    assert said(replies, "⏸ Paused.")

    await polku.restart()

    replies = await youth.says(MENU_ITEM)
    assert said(replies, f"Continue where you left off? ({life.title})")
    replies = await youth.taps("▶ Continue")
    assert said(replies, f"3/10 · {life.questions[2].area}")
    with Session(polku.engine) as session:
        values = {a.question_id: a.value for a in session.exec(select(AssessmentAnswer)).all()}
    assert values == {life.questions[0].id: 7, life.questions[1].id: 4}


async def test_typed_numbers_answer_and_other_text_gets_a_hint(polku):
    life = DIALOGUES["life_areas"]
    youth = await polku.onboarded("Aino", "fi")
    await begin(polku, youth, "fi", "life_areas")
    replies = await youth.says("7")
    assert said(replies, "2/10")
    replies = await youth.says("aika hyvin")
    assert said(replies, "Paina nappia tai kirjoita numero 0–10 🙂")
    replies = await youth.says("12")
    assert said(replies, "Paina nappia tai kirjoita numero 0–10 🙂")
    with Session(polku.engine) as session:
        answers = session.exec(select(AssessmentAnswer)).all()
    assert [(a.question_id, a.value) for a in answers] == [(life.questions[0].id, 7)]


async def test_a_tap_on_an_older_question_is_answered_kindly(polku):
    youth = await polku.onboarded("Aino", "en")
    replies = await begin(polku, youth, "en", "life_areas")
    first_question = replies[-1]
    old_three = next(
        b["callback_data"]
        for row in first_question["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "3"
    )
    await youth.taps("7")  # the message now asks question 2
    await youth.taps_data(first_question["message_id"], old_three)  # a phone showing question 1
    assert youth.callback_answers[-1] == "That question is already behind us 🙂"
    with Session(polku.engine) as session:
        assert len(session.exec(select(AssessmentAnswer)).all()) == 1


async def test_buttons_of_an_abandoned_run_do_nothing(polku):
    youth = await polku.onboarded("Aino", "en")
    old = (await begin(polku, youth, "en", "life_areas"))[-1]
    await youth.says(MENU_ITEM)
    await youth.taps("Choose another")
    await youth.taps("Study skills")
    await youth.taps_data(
        old["message_id"], old["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    assert youth.callback_answers[-1] == "That question is already behind us 🙂"


async def test_tell_me_more_shows_the_explanation(polku):
    life = DIALOGUES["life_areas"]
    youth = await polku.onboarded("Aino", "en")
    await begin(polku, youth, "en", "life_areas")
    await youth.taps("ℹ️ More info")
    assert youth.callback_answers[-1] == gettext_for("en").gettext(life.questions[0].more)


async def test_a_low_who5_enters_the_safety_flow_softly(polku):
    youth = await polku.onboarded("Aino", "en")
    await begin(polku, youth, "en", "who5")
    await answer_everything(youth, DIALOGUES["who5"], "en", value=1)
    assert said(youth.inbox, "Life has felt heavy lately.")
    assert not said(youth.inbox, "20/100") and not said(youth.inbox, "score")  # no number
    safety = next(r for r in DIALOGUES["who5"].rules if r.offer == "safety")
    assert said(youth.inbox, gettext_for("en").gettext(safety.message))
    told = next(m for m in youth.inbox if "I let the coaches know too" in (m.get("text") or ""))
    assert "📞 09 2525 0111 · MIELI Crisis Helpline" in buttons(told)
    assert "💬 Sekasin chat (ages 12–29)" in buttons(told)
    with Session(polku.engine) as session:
        assert session.exec(select(Alert.kind)).all() == ["low_wellbeing"]
        assert "safety.alert" in session.exec(select(AuditEvent.action)).all()


async def test_a_middling_who5_offers_a_talk_with_the_coach(polku):
    youth = await polku.onboarded("Aino", "en")
    await begin(polku, youth, "en", "who5")
    await answer_everything(youth, DIALOGUES["who5"], "en", value=2)  # 10 × 4 = 40
    assert said(youth.inbox, "Life has felt heavy at times lately.")
    assert not said(youth.inbox, "40")  # the coach sees the score, the young person words
    coach = next(r for r in DIALOGUES["who5"].rules if r.offer == "coach")
    en = gettext_for("en").gettext
    offer = next(m for m in youth.inbox if en(coach.message) in (m.get("text") or ""))
    assert buttons(offer) == ["💬 Talk to my coach"]
    assert not said(youth.inbox, "MIELI")


async def test_low_areas_offer_matching_services_and_repeat_shows_change(polku):
    life = DIALOGUES["life_areas"]
    youth = await polku.onboarded("Aino", "en")
    await begin(polku, youth, "en", "life_areas")
    await answer_everything(youth, life, "en", value=2)
    assert said(youth.inbox, "🌱 Could use support:")
    service_messages = [
        m
        for m in youth.inbox
        if m.get("reply_markup", {}).get("inline_keyboard")
        and m["reply_markup"]["inline_keyboard"][0][0].get("url")
    ]
    assert len(service_messages) <= 1  # one offer (a service, a tip or the coach), not a list

    await begin(polku, youth, "en", "life_areas")
    await answer_everything(youth, life, "en", value=8)
    assert said(youth.inbox, "📈 Better than last time:")
    assert said(youth.inbox, "💪 Going well:")
    assert len(polku.standin.sent("sendPhoto")) == 2  # the second chart has both runs

    with Session(polku.engine) as session:
        runs = history(session, youth_id=youth_row(polku, youth).id, dialogue_id="life_areas")
    assert [run.score for run in runs] == [2.0, 8.0]
    assert runs[0].answers[0].area == life.questions[0].area


async def test_without_consent_there_is_no_self_assessment(polku):
    youth = polku.youth("Eetu", language_code="en")
    await youth.says("/start")
    await youth.taps("English")
    await youth.taps("No thanks")
    replies = await youth.says(MENU_ITEM)
    assert said(replies, "For self-checks, I need to save your answers.")
    with Session(polku.engine) as session:
        assert session.exec(select(Assessment)).all() == []


async def test_initial_mapping_answers_are_kept_for_the_coach(polku):
    mapping = DIALOGUES["initial_mapping"]
    youth = await polku.onboarded("Aino", "fi")
    await begin(polku, youth, "fi", "initial_mapping")
    await answer_everything(youth, mapping, "fi")
    with Session(polku.engine) as session:
        rows = session.exec(select(AssessmentAnswer).order_by(col(AssessmentAnswer.id))).all()
    multi = [q for q in mapping.questions if q.scale == "multi"]
    by_id = {r.question_id: r for r in rows}
    assert by_id[mapping.questions[0].id].choices == [mapping.questions[0].options[0].value]
    assert by_id[multi[0].id].choices == [multi[0].options[0].value]
    assert by_id["age"].choices == ["under_18"]  # the first button, "15–17"
    with Session(polku.engine) as session:
        assert session.exec(select(Youth.under_18)).one() is True  # known to be a minor


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_whole_result_is_three_short_messages_strengths_first(polku, language):
    _ = gettext_for(language).gettext
    life = DIALOGUES["life_areas"]
    youth = await polku.onboarded("Aino", language)
    await begin(polku, youth, language, "life_areas")
    # Mixed answers: some areas go well, some could use support, one is skipped.
    for n, _question in enumerate(life.questions):
        last_question = max(m["message_id"] for m in youth.inbox)
        await youth.taps(_("Skip ⏭") if n == 3 else str([9, 2, 8, 3, 7, 6, 5, 6, 7, 5][n]))
    result = [m for m in youth.inbox if m["message_id"] > last_question]
    texts = [m.get("text") or m.get("caption") or "" for m in result]
    assert len(result) <= 3, texts
    assert all(phone_lines(text) <= 2 for text in texts), texts
    summary = texts[0]
    assert summary.startswith("💪")  # strengths come first
    assert summary.count(",") <= 2  # at most two areas a line
    assert any("photo" in m for m in result)
