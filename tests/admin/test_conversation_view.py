"""The conversation as a coach reads it: cards in words, the bot's chatter folded, notes about
the young person (in /mydata, gone with /delete), saved replies, confirmations."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core.db import transaction
from core.models import (
    Assessment,
    AssessmentStatus,
    CoachNote,
    Delivery,
    Direction,
    Role,
    SavedReply,
    Youth,
)
from core.services.export import export_youth_data
from core.services.messages import do_record_message
from core.services.youth import do_erase_youth


def _say(panel, youth, direction: Direction, text: str) -> None:
    with transaction(panel.engine) as session:
        do_record_message(
            session,
            youth=session.get(Youth, youth.id),
            direction=direction,
            text=text,
            delivery_status=Delivery.RECEIVED if direction == Direction.YOUTH else Delivery.SENT,
        )
    panel.clock.advance(minutes=1)


def _finished(panel, youth, dialogue_id: str, score: float) -> None:
    with transaction(panel.engine) as session:
        session.add(
            Assessment(
                youth_id=youth.id,
                dialogue_id=dialogue_id,
                dialogue_version=1,
                status=AssessmentStatus.FINISHED,
                score=score,
                finished_at=panel.clock(),
            )
        )
    panel.clock.advance(minutes=1)


async def test_a_finished_self_assessment_reads_as_words_with_the_change(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna)
    _finished(panel, aino, "life_areas", 4.7)
    _say(panel, aino, Direction.YOUTH, "tein sen uudestaan")
    _finished(panel, aino, "life_areas", 4.1)
    _finished(panel, aino, "who5", 40)
    coach = await panel.signed_in("anna")
    page = (await coach.get(f"/youth/{aino.id}/chat")).text
    assert "Life right now · mean 4.7/10" in page
    assert "Life right now · mean 4.1/10 · ↓ 0.6 since last time" in page
    assert "Well-being · 40/100" in page
    assert "life_areas" not in page and "score 4" not in page


async def test_the_bots_chatter_and_tapped_buttons_fold_away_the_young_persons_words_do_not(
    panel,
) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna)
    _say(panel, aino, Direction.YOUTH, "/mydata")
    _say(panel, aino, Direction.BOT, "Tässä tietosi.")
    _say(panel, aino, Direction.YOUTH, "mulla on huono päivä")
    _say(panel, aino, Direction.BOT, "Kerron valmentajalle.")
    coach = await panel.signed_in("anna")
    page = (await coach.get(f"/youth/{aino.id}/chat")).text
    folds = [part.split("</details>")[0] for part in page.split('<details class="fold"')[1:]]
    assert len(folds) == 2  # two runs of chatter, split by the young person's words
    assert "From the bot or the menu: 2" in folds[0] and "/mydata" in folds[0]
    assert "From the bot or the menu: 1" in folds[1] and "Kerron" in folds[1]
    assert "mulla on huono päivä" not in "".join(folds)
    assert "mulla on huono päivä" in page


async def test_notes_are_for_coaches_and_go_with_mydata_and_delete(panel) -> None:
    anna, ben = panel.add_coach("anna", name="Anna Coach"), panel.add_coach("ben")
    aino = panel.add_youth(anna)
    coach = await panel.signed_in("anna")
    saved = await coach.post(f"/youth/{aino.id}/notes", {"text": "Pelkää puhelimessa <b>"})
    assert saved.status_code == 303
    page = (await coach.get(f"/youth/{aino.id}/chat")).text
    assert "Pelkää puhelimessa &lt;b&gt;" in page and "Anna Coach" in page
    assert "Notes (1)" in page
    assert (await coach.post(f"/youth/{aino.id}/notes", {"text": "  "})).status_code == 422
    long = await coach.post(f"/youth/{aino.id}/notes", {"text": "x" * 2001})
    assert long.status_code == 422 and "at most 2000 characters" in long.text
    assert len(panel.audit("note.add")) == 1

    intruder = await panel.signed_in("ben")
    assert (await intruder.post(f"/youth/{aino.id}/notes", {"text": "hi"})).status_code == 404
    with transaction(panel.engine) as session:
        note_id = session.exec(select(CoachNote.id)).one()
        data = export_youth_data(session, youth=session.get(Youth, aino.id))
    assert [n["text"] for n in data["coach_notes"]] == ["Pelkää puhelimessa <b>"]
    forged = await coach.http.post(f"/youth/{aino.id}/notes", data={"text": "no token"})
    assert forged.status_code == 403
    # Only the writer deletes a note; a colleague who may see the young person cannot.
    bob = panel.add_coach("bob", role=Role.ADMIN)
    admin = await panel.signed_in("bob")
    assert (await admin.post(f"/youth/{aino.id}/notes/{note_id}/delete")).status_code == 404
    assert bob.id != ben.id
    with transaction(panel.engine) as session:
        do_erase_youth(session, youth=session.get(Youth, aino.id))
    with transaction(panel.engine) as session:
        assert session.exec(select(CoachNote)).all() == []


async def test_a_note_is_deleted_by_its_writer_after_a_confirmation(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna)
    coach = await panel.signed_in("anna")
    await coach.post(f"/youth/{aino.id}/notes", {"text": "soita äidille"})
    page = (await coach.get(f"/youth/{aino.id}/chat")).text
    assert "Yes, delete the note" in page  # behind a confirmation, not one tap
    with transaction(panel.engine) as session:
        note_id = session.exec(select(CoachNote.id)).one()
    assert (await coach.post(f"/youth/{aino.id}/notes/{note_id}/delete")).status_code == 303
    assert "soita äidille" not in (await coach.get(f"/youth/{aino.id}/chat")).text


async def test_saved_replies_own_and_shared_filled_with_the_name(panel) -> None:
    panel.add_coach("anna")
    panel.add_coach("ben")
    aino = panel.add_youth(None, "Aino")
    anna = await panel.signed_in("anna")
    ben = await panel.signed_in("ben")
    for who, title, shared in ((anna, "Tervehdys", "1"), (anna, "Oma", ""), (ben, "Benin", "")):
        added = await who.post(
            "/replies", {"title": title, "text": "Hei {name}! 🙂", "shared": shared}
        )
        assert added.status_code == 303
    assert (await anna.post("/replies", {"title": "", "text": "x"})).status_code == 422
    page = (await anna.get(f"/youth/{aino.id}/chat")).text
    assert "Tervehdys · shared" in page and "Oma" in page and "Benin" not in page
    assert 'data-text="Hei Aino! 🙂"' in page
    with transaction(panel.engine) as session:
        ids = {r.title: r.id for r in session.exec(select(SavedReply)).all()}
    # Without JavaScript the choice fills the answer box through the page itself.
    prefilled = (await anna.get(f"/youth/{aino.id}/chat?saved={ids['Oma']}")).text
    assert ">Hei Aino! 🙂</textarea>" in prefilled
    other = (await anna.get(f"/youth/{aino.id}/chat?saved={ids['Benin']}")).text
    assert "Hei Aino! 🙂</textarea>" not in other
    # Ben sees the shared one but may not delete it, nor Anna's own.
    assert "Tervehdys" in (await ben.get("/replies")).text
    assert (await ben.post(f"/replies/{ids['Tervehdys']}/delete")).status_code == 404
    assert (await ben.post(f"/replies/{ids['Oma']}/delete")).status_code == 404
    assert (await anna.post(f"/replies/{ids['Tervehdys']}/delete")).status_code == 303
    assert "Tervehdys" not in (await ben.get("/replies")).text


async def test_hand_back_and_handled_ask_before_they_act(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, talk_opened_at=panel.clock() - timedelta(minutes=5))
    _say(panel, aino, Direction.YOUTH, "kiitos")
    coach = await panel.signed_in("anna")
    page = (await coach.get(f"/youth/{aino.id}/chat")).text
    for summary, button in (
        ("Hand back to the bot", "Yes, hand back"),
        ("Mark handled", "Yes, mark handled"),
    ):
        confirm = page.split(f"<summary>{summary}</summary>")[1].split("</details>")[0]
        assert f">{button}</button>" in confirm
