"""The chat log keeps each message a young person sends once, however often it is handled."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import col, select

from core.db import transaction
from core.models import Consent, MediaKind, Message, Youth, utcnow
from core.services.messages import do_record_incoming

HELSINKI = ZoneInfo("Europe/Helsinki")


def _consenting_youth(engine) -> int:
    with transaction(engine) as session:
        youth = Youth(telegram_user_id=501, chat_id=501, consent=Consent.GIVEN, language="fi")
        session.add(youth)
        session.flush()
        return youth.id


def _receive(engine, youth_id: int, text: str | None, **media) -> None:
    with transaction(engine) as session:
        youth = session.get(Youth, youth_id)
        do_record_incoming(
            session, youth=youth, telegram_message_id=42, text=text, tz=HELSINKI, **media
        )


def _kept(engine, youth_id: int) -> list[tuple[str | None, str]]:
    with transaction(engine) as session:
        rows = session.exec(
            select(Message).where(Message.youth_id == youth_id).order_by(col(Message.id))
        ).all()
        return [(row.text, row.media_kind) for row in rows]


def test_a_message_handled_twice_is_kept_once(engine):
    youth_id = _consenting_youth(engine)
    with transaction(engine) as session:
        youth = session.get(Youth, youth_id)
        youth.talk_opened_at = utcnow()  # talking to the coach: each message is unread
        session.add(youth)
    _receive(engine, youth_id, "hei")
    _receive(engine, youth_id, "hei")  # the same update again, after a crash
    assert _kept(engine, youth_id) == [("hei", "text")]
    with transaction(engine) as session:
        assert session.get(Youth, youth_id).unread == 1


def test_an_edit_and_other_media_of_the_same_message_are_kept(engine):
    youth_id = _consenting_youth(engine)
    _receive(engine, youth_id, "hei")
    _receive(engine, youth_id, "hei hei")  # edited: both versions stay
    _receive(engine, youth_id, "hei hei")  # the edit handled again
    _receive(engine, youth_id, "hei")  # edited back: a new version too
    _receive(engine, youth_id, None, media_kind=MediaKind.PHOTO, file_id="AgAD")
    assert _kept(engine, youth_id) == [
        ("hei", "text"),
        ("hei hei", "text"),
        ("hei", "text"),
        (None, "photo"),
    ]
