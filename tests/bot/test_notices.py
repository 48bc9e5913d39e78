"""A coach hears in their own Telegram when a young person needs them: they link their chat
from the panel, then get urgent alerts at once and a waiting young person once in a while —
never what the young person wrote."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from bot.notices import DIGEST, LINKED, NOT_LINKED, NOTICE_TEXTS, PANEL_ONLY, SENT_TO
from core.db import transaction
from core.i18n import gettext_for
from core.models import Coach, CoachNotice, NoticeKind, TelegramLinkCode, Youth, utcnow
from core.services.notices import do_notify
from tests.bot.conftest import assign, coach_with_hours
from tests.bot.transcript import said

ALWAYS = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}


def coach_text(polku, msgid: str, **values: str) -> str:
    """A notice as the coach reads it, in the panel's language."""
    return gettext_for(polku.settings.panel_language).gettext(msgid).format(**values)


LINK = re.compile(r'href="(https://t\.me/[^"?]+\?start=(coach_[A-Za-z0-9_-]+))"')


async def linked_coach(polku, panel_client, hours=ALWAYS):
    """Maija links her own Telegram from the panel, as she would on her phone."""
    coach = coach_with_hours(polku, hours)
    maija = await panel_client("maija")
    page = await maija.post("/notifications/telegram", {})
    found = LINK.search(page.text)
    assert found is not None, "the page offers a t.me link"
    phone = polku.standin.user("Maija", language_code="fi")
    replies = await phone.says(f"/start {found.group(2)}")
    assert said(replies, coach_text(polku, LINKED, name="Maija"))
    return coach, maija, phone


async def test_a_coach_links_telegram_from_the_panel_and_is_not_taken_for_a_young_person(
    polku, panel_client
):
    coach, maija, phone = await linked_coach(polku, panel_client)
    with transaction(polku.engine) as session:
        assert session.get(Coach, coach.id).telegram_chat_id == phone.id
        assert session.exec(select(Youth)).all() == []  # no young person was registered
        assert session.exec(select(TelegramLinkCode)).all() == []  # the code is used up
    page = await maija.get("/notifications")
    assert "Your Telegram is linked." in page.text


async def test_a_used_or_unknown_link_links_nothing(polku, panel_client):
    coach = coach_with_hours(polku, ALWAYS)
    maija = await panel_client("maija")
    code = LINK.search((await maija.post("/notifications/telegram", {})).text).group(2)
    await polku.standin.user("Maija").says(f"/start {code}")
    stranger = polku.standin.user("Mallory")
    replies = await stranger.says(f"/start {code}")  # the same link again
    assert said(replies, coach_text(polku, NOT_LINKED))
    replies = await stranger.says("/start coach_madeup")
    assert said(replies, coach_text(polku, NOT_LINKED))
    with transaction(polku.engine) as session:
        assert session.get(Coach, coach.id).telegram_chat_id != stranger.id


async def test_crisis_words_reach_the_coachs_phone_at_once_without_the_words(polku, panel_client):
    coach, _maija, phone = await linked_coach(polku, panel_client)
    youth = await polku.onboarded("Aino", "en")
    assign(polku, youth, coach)
    await youth.says("i want to kill myself")
    urgent = coach_text(polku, NOTICE_TEXTS[NoticeKind.URGENT], name="Aino")
    await polku.standin.wait_until(lambda: said(phone.inbox, urgent), timeout=10)
    assert not said(phone.inbox, "kill")  # the young person's words stay in the panel


async def test_a_waiting_young_person_is_told_to_their_coach_once_in_half_an_hour(
    polku, panel_client
):
    coach, _maija, phone = await linked_coach(polku, panel_client)
    youth = await polku.onboarded("Aino", "en")
    assign(polku, youth, coach)
    await youth.says("💬 Talk to my coach")
    await youth.says("hi, are you there?")
    waiting = coach_text(polku, NOTICE_TEXTS[NoticeKind.WAITING], name="Aino")
    await polku.standin.wait_until(lambda: said(phone.inbox, waiting), timeout=10)
    await youth.says("hello??")
    await youth.says("anyone")
    with transaction(polku.engine) as session:
        notices = session.exec(select(CoachNotice)).all()
        assert [n.kind for n in notices] == ["waiting"]
        # half an hour later the next message tells her again
        notices[0].created_at -= timedelta(minutes=31)
        session.add(notices[0])
    await youth.says("still here")
    await polku.standin.wait_until(
        lambda: len([m for m in phone.inbox if waiting in (m.get("text") or "")]) == 2,
        timeout=10,
    )


async def test_an_unlinked_coach_gets_nothing_more(polku, panel_client):
    coach, maija, phone = await linked_coach(polku, panel_client)
    await maija.post("/notifications/telegram/unlink", {})
    youth = await polku.onboarded("Aino", "en")
    assign(polku, youth, coach)
    before = len(phone.inbox)
    await youth.says("i want to kill myself")
    with transaction(polku.engine) as session:
        assert session.exec(select(CoachNotice)).all() == []
        assert session.get(Coach, coach.id).telegram_chat_id is None
    assert len(phone.inbox) == before


class Mailbox:
    """A local SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[email.message.Message] = []
        self.arrived = asyncio.Event()
        self.loop = asyncio.get_running_loop()

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.loop.call_soon_threadsafe(self.arrived.set)
        return "250 OK"


@pytest.fixture
async def mailbox():
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


async def test_a_coach_without_telegram_gets_the_urgent_notice_by_e_mail(polku, mailbox):
    box, port = mailbox
    polku.settings = polku.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_from": "polku@example.org",
            "smtp_starttls": False,
        }
    )
    await polku.restart()
    coach = coach_with_hours(polku, ALWAYS)
    with transaction(polku.engine) as session:
        row = session.get(Coach, coach.id)
        row.email = "maija@example.org"
        session.add(row)
    youth = await polku.onboarded("Aino", "en")
    assign(polku, youth, coach)
    await youth.says("i want to kill myself")
    await asyncio.wait_for(box.arrived.wait(), timeout=10)
    [mail] = box.received
    assert mail["To"] == "maija@example.org"
    assert mail["Subject"] == coach_text(polku, NOTICE_TEXTS[NoticeKind.URGENT], name="Aino")
    assert "kill" not in mail.as_string()  # the words stay in the panel


async def _waiting_notice(polku, panel_client):
    """Maija linked; Aino, her young person, waits in a talk; the notice is on Maija's phone."""
    coach, maija, phone = await linked_coach(polku, panel_client)
    youth = await polku.onboarded("Aino", "en")
    assign(polku, youth, coach)
    await youth.says("💬 Talk to my coach")
    await youth.says("can we talk about the trial day?")
    waiting = coach_text(polku, NOTICE_TEXTS[NoticeKind.WAITING], name="Aino")
    await polku.standin.wait_until(lambda: said(phone.inbox, waiting), timeout=10)
    notice = next(m for m in phone.inbox if waiting in (m.get("text") or ""))
    return maija, phone, youth, notice


async def test_a_coach_answers_from_telegram_by_replying_to_the_notice(polku, panel_client):
    polku.settings = polku.settings.model_copy(update={"coach_replies_in_telegram": True})
    await polku.restart()
    maija, phone, youth, notice = await _waiting_notice(polku, panel_client)
    confirmed = await phone.replies_to(notice, "Sure! Tomorrow at 10?")
    assert said(confirmed, coach_text(polku, SENT_TO, name="Aino"))
    await polku.standin.wait_until(lambda: said(youth.inbox, "Maija: Sure! Tomorrow at 10?"))
    chat = await maija.get("/youth/" + str(_youth_id(polku)) + "/chat")
    assert "Sure! Tomorrow at 10?" in chat.text  # in the panel, as any reply
    with transaction(polku.engine) as session:
        assert session.exec(select(Youth)).one().waiting_since is None  # answered


async def test_replying_to_a_notice_does_nothing_when_it_is_not_switched_on(polku, panel_client):
    _maija, phone, youth, notice = await _waiting_notice(polku, panel_client)
    before = len(youth.inbox)
    pointed = await phone.replies_to(notice, "Sure! Tomorrow at 10?")
    assert said(pointed, coach_text(polku, PANEL_ONLY))
    assert len(youth.inbox) == before


async def test_a_coach_writing_in_the_notices_chat_is_never_taken_for_a_young_person(
    polku, panel_client
):
    _coach, _maija, phone = await linked_coach(polku, panel_client)
    for words in ("thanks!", "/start", "/mydata"):
        assert said(await phone.says(words), coach_text(polku, PANEL_ONLY))
    with transaction(polku.engine) as session:
        assert session.exec(select(Youth)).all() == []


def _youth_id(polku) -> int:
    with transaction(polku.engine) as session:
        return session.exec(select(Youth.id)).one()


async def test_many_young_people_waiting_at_once_come_as_one_digest(polku, panel_client):
    coach, _maija, phone = await linked_coach(polku, panel_client)
    names = ["Aino", "Ben", "Cai", "Dana"]
    for name in names:
        assign(polku, await polku.onboarded(name, "en"), coach)
    before = len(phone.inbox)
    with transaction(polku.engine) as session:  # four wait for Maija in the same moment
        maija = session.get(Coach, coach.id)
        for youth in session.exec(select(Youth)).all():
            do_notify(session, coach=maija, youth=youth, kind=NoticeKind.WAITING, now=utcnow())
    digest = coach_text(polku, DIGEST, count="4")
    await polku.standin.wait_until(lambda: said(phone.inbox, digest), timeout=10)
    assert len(phone.inbox) == before + 1  # one message, not four
