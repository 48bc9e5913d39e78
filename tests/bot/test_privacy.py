"""/mydata sends everything stored; /delete erases every row about the young person."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from core.db import transaction
from core.models import AuditEvent, InviteCode, Youth
from core.services.invites import do_create_invite
from tests.bot.transcript import said


def youth_row(polku, youth) -> Youth | None:
    with Session(polku.engine) as session:
        return session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).first()


async def test_mydata_sends_everything_as_a_json_file(polku):
    coach = polku.add_coach(name="Maija")
    with transaction(polku.engine) as session:
        code = do_create_invite(session, coach=coach).code
    youth = polku.youth("Aino", language_code="en")
    await youth.says(f"/start {code}")
    await youth.taps("English")
    await youth.taps("Yes, keep them")
    await youth.says("I like cooking")

    replies = await youth.says("/mydata")
    assert said(replies, "Here is everything I have stored about you.")
    document = youth.documents[-1]
    assert document["filename"].endswith(".json")
    data = json.loads(document["data"])
    assert data["you"]["first_name"] == "Aino"
    assert data["you"]["language"] == "en"
    assert data["coach"] == {"display_name": "Maija"}
    assert "I like cooking" in [m["text"] for m in data["messages"]]
    assert "password_hash" not in document["data"].decode()
    with Session(polku.engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "youth.export" in actions


async def test_mydata_for_a_stranger_says_nothing_is_stored(polku):
    youth = polku.youth("Aino", language_code="en")
    replies = await youth.says("/mydata")
    assert said(replies, "I have nothing stored about you.")
    assert youth.documents == []


async def test_delete_asks_first_and_cancel_erases_nothing(polku):
    youth = await polku.onboarded("Aino", "fi")
    replies = await youth.says("/delete")
    assert said(replies, "Sitä ei voi perua")
    replies = await youth.taps("Peruuta")
    assert said(replies, "mitään ei poistettu")
    assert youth_row(polku, youth) is not None


async def test_delete_erases_every_row_about_them(polku):
    coach = polku.add_coach(name="Maija")
    with transaction(polku.engine) as session:
        code = do_create_invite(session, coach=coach).code
    youth = polku.youth("Aino")
    await youth.says(f"/start {code}")
    await youth.taps("suomi")
    await youth.taps("Kyllä, tallenna")
    await youth.says("Minulla on asiaa")
    await youth.sends_photo()
    await youth.says("📝 Kyselyt")
    await youth.taps("Hyvinvointi")
    await youth.taps("3")
    await youth.says("haluun kuolla")
    await youth.says("/mydata")
    stored = youth_row(polku, youth)
    before = polku.rows_about(stored.id, youth.id)
    assert before["message"] > 0 and before["auditevent"] > 0 and before["invitecode"] == 1
    assert before["assessment"] == 1 and before["assessmentanswer"] == 1 and before["alert"] == 1
    export = json.loads(youth.documents[-1]["data"])
    assert export["alerts"][0]["text"] == "haluun kuolla"
    assert export["answers"][0]["value"] == 3
    assert export["self_assessments"][0]["dialogue_id"] == "who5"

    await youth.says("/delete")
    replies = await youth.taps("Kyllä, poista kaikki")
    assert said(replies, "Poistin kaikki tietosi")

    after = polku.rows_about(stored.id, youth.id)
    assert after and all(count == 0 for count in after.values()), after
    assert youth.reply_keyboard is None  # the menu is taken away too
    with Session(polku.engine) as session:
        assert session.exec(select(InviteCode)).one().coach_id == coach.id

    replies = await youth.says("moi")
    assert said(replies, "Valitse kieli")  # they start anew


async def test_an_old_erase_button_erases_nothing(polku):
    youth = await polku.onboarded("Aino", "en")
    await youth.says("/delete")
    question = youth.last_reply
    old = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"].rsplit(":", 1)[0]
    await youth.taps_data(question["message_id"], f"{old}:1000")
    assert "That question is old" in youth.callback_answers[-1]
    assert youth_row(polku, youth) is not None
