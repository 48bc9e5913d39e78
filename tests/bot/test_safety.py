"""Transcripts of the safety net: crisis wording at any moment gets help within the same
update, raises an urgent alert on top of the panel's inbox, and reaches a human."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import select

from bot.safety import TOLD_COACH, TOLD_COACHES
from core.db import transaction
from core.i18n import gettext_for
from core.models import Alert, AlertRecipient, AuditEvent, Coach, Youth
from tests.bot.conftest import assign, coach_with_hours
from tests.bot.transcript import buttons, said

ALWAYS = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}
TOLD_MAIJA = "Thanks! I'm a bot, so I told Maija right away."


def off_today() -> dict:
    """Office hours on every day but today: the coach is off now."""
    today = datetime.now().astimezone().weekday()
    return {"days": [d for d in range(7) if d != today], "start": "00:00", "end": "23:59"}


def actions(polku) -> list[str]:
    with transaction(polku.engine) as session:
        return list(session.exec(select(AuditEvent.action)).all())


def alerts(polku) -> list[Alert]:
    with transaction(polku.engine) as session:
        return list(session.exec(select(Alert)).all())


def urgent_part(page: str) -> str:
    """The urgent list at the top of the inbox (empty when there is none)."""
    if 'id="urgent"' not in page:
        return ""
    return page.split('id="urgent"', 1)[1].split("</ul>", 1)[0]


async def test_crisis_words_in_a_dialogue_get_help_at_once_and_reach_the_coach(polku, panel_client):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", "en")
    youth_id = assign(polku, youth, coach)
    await youth.says("📝 Self-assessment")
    await youth.taps("Life right now")
    question = youth.last_reply

    replies = await youth.says("i just want to die")  # answered within this update
    assert said(replies, TOLD_MAIJA)
    told = next(r for r in replies if TOLD_MAIJA in r["text"])
    assert buttons(told) == [
        "📞 112 · Emergency number",
        "📞 09 2525 0111 · MIELI Crisis Helpline",
        "💬 Sekasin chat (ages 12–29)",
    ]
    assert buttons(replies[-1]) == ["I'm safe right now", "I'm not safe"]
    unchanged = youth.chat.find(question["message_id"]).message["text"]
    assert unchanged == question["text"]  # the crisis words were not taken as an answer

    maija = await panel_client("maija")
    inbox = (await maija.get("/inbox/rows")).text
    assert "URGENT" in urgent_part(inbox) and "i just want to die" in urgent_part(inbox)
    assert inbox.index('id="urgent"') < inbox.index('id="inbox"')
    assert "safety.alert" in actions(polku)

    number = await youth.taps("📞 112 · Emergency number")
    assert number[-1]["text"].startswith("📞 112")
    unsafe = await youth.taps("I'm not safe")
    assert said(unsafe, "Please call 112 now.")
    assert "said they are NOT safe" in urgent_part((await maija.get("/inbox/rows")).text)

    waiting = await youth.says("is anyone there")  # never silent while waiting for a person
    assert said(waiting, "Maija knows and will answer here. In danger? Call 112.")

    await maija.post(f"/youth/{youth_id}/reply", {"text": "I'm here, Aino. Can I call you?"})
    await polku.standin.wait_until(lambda: said([youth.last_reply], "Maija: I'm here, Aino."))
    assert await youth.says("yes please") == []  # a person answers now; the bot stands aside
    chat = (await maija.get(f"/youth/{youth_id}/chat")).text
    assert "Mark handled" in chat and "URGENT" in chat

    await maija.post(f"/youth/{youth_id}/handled", {})
    assert urgent_part((await maija.get("/inbox/rows")).text) == ""
    assert "safety.alert_handled" in actions(polku)


async def test_crisis_words_during_a_talk_reach_the_coach_as_urgent(polku, panel_client):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", "fi")
    assign(polku, youth, coach)
    await youth.says("💬 Kirjoita valmentajalle")
    replies = await youth.says("mä en jaksa elää enää")
    assert said(replies, "Maija")
    assert said(replies, "Oletko juuri nyt turvassa?")
    maija = await panel_client("maija")
    assert "mä en jaksa elää enää" in urgent_part((await maija.get("/inbox/rows")).text)


async def test_right_after_start_and_without_consent_the_alert_carries_the_words(
    polku, panel_client
):
    coach_with_hours(polku, ALWAYS)
    youth = polku.youth("Aino", language_code="fi")
    await youth.says("/start")
    replies = await youth.says("haluun kuolla")  # before choosing a language or consenting
    assert said(replies, "Kiitos, että kerroit.")
    assert any("112" in label for label in buttons(replies[0]))
    maija = await panel_client("maija")  # no coach of their own: the coach on duty sees it
    assert "haluun kuolla" in urgent_part((await maija.get("/inbox/rows")).text)


async def test_words_split_over_two_messages_are_caught(polku):
    coach_with_hours(polku, ALWAYS)  # at work, not Aino's own coach
    youth = await polku.onboarded("Aino", "en")
    first = await youth.says("sometimes i want to")
    assert not said(first, "I'm a bot, so I told")
    second = await youth.says("die")
    assert said(second, "I'm a bot, so I told the coaches right away.")
    assert [a.text for a in alerts(polku)] == ["die"]


async def test_an_edited_message_with_crisis_words_raises_the_alert(polku):
    coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", "en")
    await youth.says("hello there")
    replies = await youth.edits(youth.last_sent_message_id, "i want to kill myself")
    assert said(replies, "I'm a bot, so I told")
    assert len(alerts(polku)) == 1


async def test_without_a_coach_every_coach_on_duty_is_alerted(polku, panel_client):
    coach_with_hours(polku, ALWAYS, "anna", "Anna")
    coach_with_hours(polku, ALWAYS, "eero", "Eero")
    coach_with_hours(polku, off_today(), "olli", "Olli")
    youth = await polku.onboarded("Aino", "en")
    await youth.says("i want to end my life")
    for login in ("anna", "eero"):
        page = (await (await panel_client(login)).get("/inbox/rows")).text
        assert "i want to end my life" in urgent_part(page), login
    off_duty = (await (await panel_client("olli")).get("/inbox/rows")).text
    assert urgent_part(off_duty) == ""


async def test_a_coach_off_duty_is_covered_by_the_coaches_on_duty(polku, panel_client):
    own = coach_with_hours(polku, off_today(), "maija", "Maija")
    coach_with_hours(polku, ALWAYS, "anna", "Anna")
    youth = await polku.onboarded("Aino", "en")
    youth_id = assign(polku, youth, own)
    await youth.says("i want to die")
    anna = await panel_client("anna")
    assert "i want to die" in urgent_part((await anna.get("/inbox/rows")).text)
    assert (await anna.get(f"/youth/{youth_id}/chat")).status_code == 200  # opened by the alert
    maija = await panel_client("maija")  # their own coach sees it too, when back
    assert "i want to die" in urgent_part((await maija.get("/inbox/rows")).text)
    await anna.post(f"/youth/{youth_id}/handled", {})
    assert (await anna.get(f"/youth/{youth_id}/chat")).status_code == 404  # and closed again


async def test_the_alert_stands_even_when_telegram_refuses_to_send(polku, panel_client):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", "en")
    assign(polku, youth, coach)
    polku.standin.fail("sendMessage", status=502, times=50, chat_id=youth.id)
    await youth.says("i want to kill myself")
    maija = await panel_client("maija")
    assert "i want to kill myself" in urgent_part((await maija.get("/inbox/rows")).text)
    with transaction(polku.engine) as session:
        row = session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()
        assert row.talk_opened_at is not None  # the handover opened: the next words reach Maija


async def test_ordinary_talk_raises_nothing(polku):
    youth = await polku.onboarded("Aino", "fi")
    for text in ("tapan tän läksyn", "kuolen nauruun 😂", "en halua kuolla, oon vaan väsyny"):
        assert not said(await youth.says(text), "Kiitos, että kerroit.")
    assert alerts(polku) == []


async def test_new_crisis_words_after_the_coachs_answer_bring_the_bot_back(polku, panel_client):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", "en")
    youth_id = assign(polku, youth, coach)
    await youth.says("i want to die")
    maija = await panel_client("maija")
    await maija.post(f"/youth/{youth_id}/reply", {"text": "I'm here."})
    await polku.standin.wait_until(lambda: said([youth.last_reply], "Maija: I'm here."))
    again = await youth.says("i still want to kill myself")
    assert said(again, "Are you safe right now?")  # asked again: no one is answering now
    assert said(await youth.says("hello?"), "Maija knows and will answer here")
    assert [a.text for a in alerts(polku)] == ["i still want to kill myself"]  # one alert


CRISIS_WORDS = {
    "fi": "haluun tappaa itteni",
    "sv": "jag vill ta livet av mig",
    "en": "i want to kill myself",
}
NOBODY_AT_WORK = {
    "fi": "Maija vastaa vasta",
    "sv": "Maija läser det först",
    "en": "Maija is back",
}
MAIJA_READS = {"fi": "Maija vastaa", "sv": "Maija läser det", "en": "Maija reads this"}
NEVER_SOON = {"fi": "pian", "sv": "snart", "en": "soon"}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_at_night_the_crisis_flow_says_nobody_is_at_work_and_when_maija_reads_it(
    polku, language
):
    coach = coach_with_hours(polku, off_today())  # nobody is at work today
    youth = await polku.onboarded("Aino", language)
    assign(polku, youth, coach)
    replies = await youth.says(CRISIS_WORDS[language])
    told = next(r for r in replies if NOBODY_AT_WORK[language] in r["text"])
    assert any("112" in label for label in buttons(told))  # help now, on the same message
    await youth.taps(buttons(replies[-1])[0])  # "I'm safe right now"
    assert NEVER_SOON[language] not in youth.inbox[-1]["text"]  # never "soon" at night
    more = await youth.says("...")
    assert len(more) == 1  # one answer, no contradicting "away" note beside it
    assert MAIJA_READS[language] in more[0]["text"]


async def test_own_coach_off_and_a_colleague_at_work_the_colleague_is_told(polku):
    maija = coach_with_hours(polku, off_today())
    coach_with_hours(polku, ALWAYS, login="pekka", name="Pekka")
    youth = await polku.onboarded("Aino", "en")
    assign(polku, youth, maija)
    replies = await youth.says("i want to kill myself")
    assert said(replies, "I'm a bot, so I told the coaches right away.")
    assert not said(replies, "Maija")  # Maija is off: she is not promised


ABUSE_WORDS = {"fi": "isäpuoli löi mua taas", "sv": "han slog mig igen", "en": "i got hit again"}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_an_abuse_disclosure_gets_help_for_violence_not_the_suicide_line(polku, language):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", language)
    assign(polku, youth, coach)
    replies = await youth.says(ABUSE_WORDS[language])
    offered = [label for reply in replies for label in buttons(reply)]
    assert any("080 005 005" in label for label in offered)  # Nollalinja
    assert not any("MIELI" in label for label in offered)  # not answered as a suicide risk
    assert [a.kind for a in alerts(polku)] == ["abuse"]


async def test_for_a_minor_the_coach_is_reminded_of_the_child_welfare_notification(
    polku, panel_client
):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", "fi")
    youth_id = assign(polku, youth, coach)
    await youth.says("isäpuoli löi mua taas")
    maija = await panel_client("maija")
    reminder = "consider a child-welfare notification"
    assert reminder not in urgent_part((await maija.get("/inbox/rows")).text)  # age not known
    await maija.post(f"/youth/{youth_id}/under_18", {"under_18": "yes"})
    assert reminder in urgent_part((await maija.get("/inbox/rows")).text)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_own_coach_at_work_is_named_and_told(polku, language):
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", language)
    assign(polku, youth, coach)
    replies = await youth.says(CRISIS_WORDS[language])
    told = gettext_for(language).gettext(TOLD_COACH).format(name="Maija")
    assert said(replies, told)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_own_coach_off_and_a_coach_on_call_the_coach_on_call_is_told(polku, language):
    maija = coach_with_hours(polku, off_today())
    pekka = coach_with_hours(polku, off_today(), login="pekka", name="Pekka")
    with transaction(polku.engine) as session:
        row = session.get(Coach, pekka.id)
        row.on_call = True
        session.add(row)
    youth = await polku.onboarded("Aino", language)
    assign(polku, youth, maija)
    replies = await youth.says(CRISIS_WORDS[language])
    assert said(replies, gettext_for(language).gettext(TOLD_COACHES))  # someone answers now
    assert not said(replies, "Maija")  # off duty: not promised
    with transaction(polku.engine) as session:
        reached = session.exec(select(AlertRecipient.coach_id)).all()
    assert reached == [pekka.id]


async def test_two_menu_taps_in_a_row_raise_nothing(polku):
    youth = await polku.onboarded("Aino", "fi")
    await youth.says("📅 Omat tapaamiset")
    replies = await youth.says("📝 Kyselyt")
    assert not said(replies, "Kiitos, että kerroit")
    assert alerts(polku) == []


class _Unsure:
    """A stand-in model that reads one sentence as maybe self-harm (tier 2), nothing else."""

    def __init__(self, sentence: str) -> None:
        self.sentence = sentence

    def read(self, text: str):
        from core.crisis_model import Reading

        return Reading("self_harm", 0.6 if text == self.sentence else 0.01)


UNSURE = {
    "fi": "kaikki on vaan niin raskasta",
    "sv": "allt känns bara så tungt",
    "en": "everything is just so heavy",
}
CHECK_IN_ANSWERS = {
    "fi": ("Ihan ok", "Ei oikein", "Tarvitsen apua nyt"),
    "sv": ("Jag är okej", "Inte riktigt", "Jag behöver hjälp nu"),
    "en": ("I'm OK", "Not really", "I need help now"),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("answer", [0, 1, 2], ids=["ok", "not_really", "help_now"])
async def test_uncertain_words_get_one_gentle_check_in_and_its_answers(polku, language, answer):
    from bot.runtime import DETECTOR_KEY
    from bot.safety import CHECK_IN, CHECK_IN_HELP, CHECK_IN_LOW, CHECK_IN_OK, CHECK_IN_OK_REPLY

    polku.application.bot_data[DETECTOR_KEY].model = _Unsure(UNSURE[language])
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", language)
    assign(polku, youth, coach)
    _ = gettext_for(language).gettext
    replies = await youth.says(UNSURE[language])
    assert said(replies, _(CHECK_IN))
    labels = buttons(replies[-1])
    answers = [_(CHECK_IN_OK), _(CHECK_IN_LOW), _(CHECK_IN_HELP)]
    assert labels[:3] == answers
    assert any("112" in label for label in labels[3:])  # the resources, quietly below
    assert alerts(polku) == []  # not an alert yet
    tapped = await youth.taps(answers[answer])
    if answer == 0:
        assert alerts(polku) == []
        assert said(tapped, _(CHECK_IN_OK_REPLY))
    else:  # "Not really" and "I need help now" become the crisis flow and an urgent alert
        assert [a.kind for a in alerts(polku)] == ["crisis_words"]
        assert said(tapped, _(TOLD_COACH).format(name="Maija"))
    again = await youth.says(UNSURE[language])  # at most one check-in in a few hours
    assert not said(again, _(CHECK_IN))


class _Mild:
    """A stand-in model that reads every text as a weak self-harm signal."""

    def read(self, text: str):
        from core.crisis_model import Reading

        return Reading("self_harm", 0.35)


async def test_three_weak_signals_in_a_row_get_a_check_in(polku):
    from bot.runtime import DETECTOR_KEY
    from bot.safety import CHECK_IN

    polku.application.bot_data[DETECTOR_KEY].model = _Mild()
    youth = await polku.onboarded("Aino", "en")
    first = await youth.says("meh today")
    second = await youth.says("whatever then")
    assert not said(first + second, CHECK_IN)  # one weak signal is nothing on its own
    assert said(await youth.says("idk anymore"), CHECK_IN)
    assert alerts(polku) == []


async def test_a_weak_signal_after_a_low_wellbeing_score_gets_a_check_in(polku):
    from bot.runtime import DETECTOR_KEY
    from bot.safety import CHECK_IN
    from core.models import Assessment, AssessmentStatus, utcnow

    polku.application.bot_data[DETECTOR_KEY].model = _Mild()
    youth = await polku.onboarded("Aino", "en")
    with transaction(polku.engine) as session:
        row = session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()
        session.add(
            Assessment(
                youth_id=row.id,
                dialogue_id="who5",
                dialogue_version=1,
                state={},
                status=AssessmentStatus.FINISHED,
                finished_at=utcnow(),
                score=36,
            )
        )
    assert said(await youth.says("meh today"), CHECK_IN)
