"""The check-in after a transition, as the young person lives it (controlled time).

The test clock runs 60 days ahead of the real one, so the application's own jobs (real clock)
never find these check-ins due; each test queues and dispatches with its own clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.checkin_text import FACES
from bot.dispatch import Dispatcher
from bot.jobs import queue_due_checkins
from bot.notices import NOTICE_TEXTS
from core.db import transaction
from core.i18n import gettext_for
from core.models import CheckIn, Coach, NoticeKind, Role, Youth, utcnow
from core.phone_lines import phone_lines
from core.services.checkins import checkins_of
from core.services.path import do_record_status
from tests.bot.test_notices import coach_text, linked_coach
from tests.bot.transcript import buttons, said, texts

HELSINKI = ZoneInfo("Europe/Helsinki")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    noon = (
        (utcnow() + timedelta(days=60))
        .astimezone(HELSINKI)
        .replace(hour=12, minute=0, second=0, microsecond=0)
    )
    return Clock(noon)


def started_studies(polku, youth, *, since: datetime) -> int:
    """A coach records that the young person started vocational studies on `since`."""
    with transaction(polku.engine) as session:
        row = session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()
        coach = session.exec(select(Coach).where(Coach.role == Role.COACH)).first()
        if coach is None:
            coach = Coach(login="maija", display_name="Maija", password_hash="x", office_hours={})
            session.add(coach)
            session.flush()
        row.coach_id = coach.id
        session.add(row)
        do_record_status(
            session,
            coach=coach,
            youth=row,
            situation="vocational",
            field="restaurant",
            place="Stadin AO",
            since=since,
            now=since,
            schedule=polku.settings.checkin_offsets,
            tz=HELSINKI,
        )
        return row.id


async def ask_due(polku, clock) -> int:
    """The check-in job, then the dispatcher, both at the test clock's time."""
    queue_due_checkins(engine=polku.engine, settings=polku.settings, now=clock.now)
    send = Dispatcher(polku.application.bot, polku.engine, polku.settings, clock=clock)
    return await send.run()


def the_checkin(polku, youth_id: int) -> CheckIn:
    with Session(polku.engine) as session:
        return checkins_of(session, youth_id)[0]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_whole_check_in_in_each_language(polku, clock, language):
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)
    youth_id = started_studies(polku, youth, since=clock.now - timedelta(days=14))
    assert await ask_due(polku, clock) == 1
    asked = youth.inbox[-1]
    assert asked["text"] == _("Hi! How are your studies or work going?")
    assert buttons(asked) == list(FACES)

    there = await youth.taps("🙂")
    assert texts(there) == [f"{asked['text']} 🙂", _("Are you still there?")]
    assert buttons(there[-1]) == [_("Yes"), _("No, I left")]
    need = await youth.taps(_("Yes"))
    assert texts(need)[-1] == _("Is there something you need? Tap, or write it in your own words.")
    assert _("Nothing now") in buttons(need[-1])
    typed = await youth.says("bussikortti")
    assert texts(typed) == [
        _("Thanks, I saved that for your coach."),
        _("Would you like to talk to your coach?"),
    ]
    done = await youth.taps(_("No thanks"))
    assert texts(done) == [
        f"{_('Would you like to talk to your coach?')} {_('No thanks')}",
        _("Thanks for answering! Your coach sees it."),
    ]
    for text in [asked["text"], *texts(there + need + typed + done)]:
        assert phone_lines(text) <= 2

    row = the_checkin(polku, youth_id)
    assert (row.status, row.mood, row.still_there, row.needs, row.wants_coach) == (
        "answered",
        4,
        True,
        "bussikortti",
        False,
    )


async def test_yes_to_talking_opens_the_talk_with_the_coach(polku, clock):
    _ = gettext_for("en").gettext
    youth = await polku.onboarded("Aino", "en")
    started_studies(polku, youth, since=clock.now - timedelta(days=14))
    await ask_due(polku, clock)
    await youth.taps("😞")
    await youth.taps(_("No, I left"))
    await youth.taps(_("Nothing now"))
    talk = await youth.taps(_("Yes"))
    said = texts(talk)
    assert said[0] == f"{_('Would you like to talk to your coach?')} {_('Yes')}"
    assert said[-1].startswith("Maija reads this")  # the talk opened: who answers, when
    with Session(polku.engine) as session:
        row = session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()
        assert row.talk_opened_at is not None


async def test_a_check_in_due_at_night_waits_for_the_morning(polku, clock):
    youth = await polku.onboarded("Aino", "fi")
    night = clock.now.astimezone(HELSINKI).replace(hour=23, minute=30)
    started_studies(polku, youth, since=night - timedelta(days=14))
    clock.now = night
    assert await ask_due(polku, clock) == 0
    clock.now = night.replace(hour=7, minute=59) + timedelta(days=1)
    assert await ask_due(polku, clock) == 0
    clock.now += timedelta(minutes=1)
    assert await ask_due(polku, clock) == 1
    assert youth.inbox[-1]["text"] == gettext_for("fi").gettext(
        "Hi! How are your studies or work going?"
    )


async def test_an_old_button_answers_kindly_and_keeps_nothing(polku, clock):
    _ = gettext_for("sv").gettext
    youth = await polku.onboarded("Aino", "sv")
    youth_id = started_studies(polku, youth, since=clock.now - timedelta(days=14))
    await ask_due(polku, clock)
    with transaction(polku.engine) as session:
        row = checkins_of(session, youth_id)[0]
        row.status = "stopped"
        session.add(row)
    await youth.taps("😄")
    assert youth.callback_answers[-1] == _("This question has closed. Thanks anyway 🙂")
    assert the_checkin(polku, youth_id).mood is None


async def test_not_going_well_reaches_the_coachs_phone(polku, panel_client, clock):
    coach, _maija, phone = await linked_coach(polku, panel_client)
    youth = await polku.onboarded("Aino", "en")
    started_studies(polku, youth, since=clock.now - timedelta(days=14))
    await ask_due(polku, clock)
    await youth.taps("😞")
    told = coach_text(polku, NOTICE_TEXTS[NoticeKind.CHECKIN_LOW], name="Aino")
    await polku.standin.wait_until(lambda: said(phone.inbox, told), timeout=10)
    assert said(phone.inbox, "Aino")
