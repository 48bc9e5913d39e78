"""Asking for a person in one's own words opens a talk with a coach, as the button would."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.safety import CRISIS_TEXT
from core.asking import asks_for_a_person
from core.db import transaction
from core.i18n import gettext_for
from core.models import Youth
from tests.bot.conftest import assign, coach_with_hours
from tests.bot.test_safety import ALWAYS, off_today
from tests.bot.transcript import said

ASKS = {
    "fi": ["apua", "haluun puhua jollekin", "voinko puhua jonkun kanssa", "tarvin apua"],
    "sv": ["kan jag prata med någon", "hjälp", "jag behöver prata"],
    "en": ["can I talk to someone", "i need help", "can i speak w my coach?"],
}
NOT_ASKING = ["tapaamiset", "apuraha", "puhelin", "hello", "I helped my friend", "nej"]


def waiting(polku) -> bool:
    with transaction(polku.engine) as session:
        youth = session.exec(select(Youth)).one()
        return youth.talk_opened_at is not None and youth.waiting_since is not None


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_asking_for_a_person_in_words_opens_a_talk_that_waits_in_the_inbox(
    polku, panel_client, language
):
    for words in ASKS[language]:
        assert asks_for_a_person(words), words
    coach = coach_with_hours(polku, ALWAYS)
    youth = await polku.onboarded("Aino", language)
    assign(polku, youth, coach)
    replies = await youth.says(ASKS[language][0])
    assert said(replies, "Maija"), replies
    assert waiting(polku)
    maija = await panel_client("maija")
    rows = (await maija.get("/inbox/rows")).text
    assert "Aino" in rows and ASKS[language][0] in rows  # her own words, waiting for Maija


async def test_outside_office_hours_the_crisis_line_comes_with_it(polku):
    coach = coach_with_hours(polku, off_today())
    youth = await polku.onboarded("Aino", "fi")
    assign(polku, youth, coach)
    replies = await youth.says("haluun puhua jollekin")
    assert said(replies, gettext_for("fi").gettext(CRISIS_TEXT))


async def test_ordinary_words_are_not_taken_for_asking(polku):
    for words in NOT_ASKING:
        assert not asks_for_a_person(words), words
    youth = await polku.onboarded("Aino", "fi")
    await youth.says("hello")
    with transaction(polku.engine) as session:
        assert session.exec(select(Youth)).one().talk_opened_at is None
