"""Appointments reach the young person on time, once, within Telegram's limits (controlled time).

The test clock runs 60 days ahead of the real one, so the application's own dispatcher job
(real clock) never finds these rows due; each test drives a Dispatcher with its own clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from bot.dispatch import Dispatcher
from core.db import transaction
from core.i18n import gettext_for
from core.models import Appointment, AuditEvent, OutboxMessage, Youth, utcnow
from core.phone_lines import phone_lines
from core.services.appointments import do_book, do_cancel, do_move
from tests.bot.transcript import buttons, said

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


def dispatcher(polku, clock, **rates) -> Dispatcher:
    return Dispatcher(
        polku.application.bot,
        polku.engine,
        polku.settings,
        clock=clock,
        chat_rate=rates.get("chat_rate", 100),
    )


def youth_row(polku, youth) -> Youth:
    with Session(polku.engine) as session:
        return session.exec(select(Youth).where(Youth.telegram_user_id == youth.id)).one()


def book(polku, youth, clock, *, days=8, hour=14, **extra) -> Appointment:
    starts = (clock.now + timedelta(days=days)).replace(hour=hour, minute=0)
    with transaction(polku.engine) as session:
        return do_book(
            session,
            youth=youth_row(polku, youth),
            coach=None,
            kind=extra.pop("kind", "trial_day"),
            title=extra.pop("title", "Kokki-linja"),
            starts_at=starts,
            place=extra.pop("place", "Stadin AO, Hattulantie 2"),
            tz=HELSINKI,
            now=clock.now,
            **extra,
        )


def outbox(polku) -> list[OutboxMessage]:
    with Session(polku.engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


async def test_booking_then_both_reminders_at_the_right_local_times(polku, clock):
    youth = await polku.onboarded("Aino", "fi")
    appointment = book(polku, youth, clock)
    send = dispatcher(polku, clock)

    assert await send.run() == 1
    booked = youth.inbox[-1]
    fi = gettext_for("fi").gettext
    assert booked["text"].split("\n")[0] == f"📅 {fi('Trial day')}: Kokki-linja"
    assert "klo 14.00–15.00" in booked["text"]  # start and end
    assert phone_lines(booked["text"]) <= 2
    assert buttons(booked) == [fi("✅ Coming"), fi("❌ Can't come"), fi("📍 Where is it?")]

    clock.now = appointment.starts_at - timedelta(hours=24, minutes=1)
    assert await send.run() == 0  # not yet
    clock.now += timedelta(minutes=1)
    assert await send.run() == 1
    assert youth.inbox[-1]["text"].startswith(fi("⏰ Reminder: {title}").format(title="Kokki"))
    assert phone_lines(youth.inbox[-1]["text"]) <= 2
    clock.now = appointment.starts_at - timedelta(hours=2)
    assert await send.run() == 1
    assert [(r.kind, r.status) for r in outbox(polku)] == [
        ("booked", "sent"),
        ("followup", "pending"),
        ("reminder", "sent"),
        ("reminder", "sent"),
    ]
    assert await send.run() == 0  # nothing is sent twice


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_coming_is_recorded_at_once_and_shown_in_place(polku, clock, language):
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)
    book(polku, youth, clock, latitude=60.2, longitude=24.9)
    await dispatcher(polku, clock).run()
    booked = youth.inbox[-1]
    replies = await youth.taps(_("✅ Coming"))
    assert {r["message_id"] for r in replies} == {booked["message_id"]}  # edited, nothing new
    with Session(polku.engine) as session:
        assert session.exec(select(Appointment.status)).one() == "confirmed"
    answered = next(m for m in youth.inbox if m["message_id"] == booked["message_id"])
    assert answered["text"].startswith(_("✅ You're coming: {title}").format(title="Kokki-linja"))
    assert phone_lines(answered["text"]) <= 2
    assert buttons(answered) == [_("❌ Can't come"), _("📍 Where is it?")]  # a change of mind

    await youth.taps(_("📍 Where is it?"))
    location = polku.standin.sent("sendLocation")[-1]["params"]
    assert (float(location["latitude"]), float(location["longitude"])) == (60.2, 24.9)


async def test_where_is_it_without_coordinates_gives_a_map_link(polku, clock):
    youth = await polku.onboarded("Aino", "en")
    book(polku, youth, clock)
    await dispatcher(polku, clock).run()
    replies = await youth.taps("📍 Where is it?")
    assert [r["text"] for r in replies] == ["📍 Stadin AO, Hattulantie 2"]
    button = replies[0]["reply_markup"]["inline_keyboard"][0][0]
    assert button["text"] == "🗺 Open the map"
    assert button["url"].endswith("query=Stadin+AO%2C+Hattulantie+2")
    assert polku.standin.sent("sendLocation") == []


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_cant_come_is_recorded_at_once_and_a_new_time_is_a_follow_up(polku, clock, language):
    _ = gettext_for(language).gettext
    youth = await polku.onboarded("Aino", language)
    book(polku, youth, clock)
    await dispatcher(polku, clock).run()
    booked = youth.inbox[-1]
    replies = await youth.taps(_("❌ Can't come"))
    with Session(polku.engine) as session:  # recorded before any second answer
        assert session.exec(select(Appointment.status)).one() == "declined"
    answered = next(m for m in youth.inbox if m["message_id"] == booked["message_id"])
    assert answered["text"].startswith(_("❌ You can't come: {title}").format(title="Kokki"))
    assert [r["text"] for r in replies if r["message_id"] != booked["message_id"]] == [
        _("Would you like a new time?")
    ]
    replies = [r for r in replies if r["message_id"] != booked["message_id"]]
    await youth.taps(_("Yes, a new time"))
    question = next(m for m in youth.inbox if m["message_id"] == replies[0]["message_id"])
    assert question["text"] == _("Okay, I told your coach you'd like a new time.")
    with Session(polku.engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "appointment.cannot_come" in actions and "appointment.new_time_wanted" in actions


async def test_moved_appointment_makes_old_buttons_say_the_time_changed(polku, clock):
    youth = await polku.onboarded("Aino", "en")
    appointment = book(polku, youth, clock)
    send = dispatcher(polku, clock)
    await send.run()
    first = youth.inbox[-1]
    with transaction(polku.engine) as session:
        do_move(
            session,
            appointment=session.get(Appointment, appointment.id),
            starts_at=appointment.starts_at + timedelta(days=2),
            tz=HELSINKI,
            now=clock.now,
        )
    await send.run()
    assert youth.inbox[-1]["text"].startswith("🔁 New time: Kokki-linja")

    coming = first["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await youth.taps_data(first["message_id"], coming)
    assert youth.callback_answers[-1] == "The time has changed. Please see the newest message 🙂"
    with Session(polku.engine) as session:
        assert session.exec(select(Appointment.status)).one() == "scheduled"


async def test_cancelled_appointment_is_said_clearly_and_reminders_stop(polku, clock):
    youth = await polku.onboarded("Aino", "fi")
    appointment = book(polku, youth, clock)
    send = dispatcher(polku, clock)
    await send.run()
    with transaction(polku.engine) as session:
        do_cancel(
            session,
            appointment=session.get(Appointment, appointment.id),
            tz=HELSINKI,
            now=clock.now,
        )
    await send.run()
    fi = gettext_for("fi").gettext
    assert youth.inbox[-1]["text"].startswith(fi("❌ Cancelled: {title}").format(title="Kokki"))
    assert "reply_markup" not in youth.inbox[-1] or not youth.inbox[-1]["reply_markup"]
    clock.now = appointment.starts_at - timedelta(hours=1)
    assert await send.run() == 0


async def test_429_is_honoured_for_every_chat(polku, clock):
    youth = await polku.onboarded("Aino", "en")
    other = await polku.onboarded("Ville", "en")
    book(polku, youth, clock)
    book(polku, other, clock)
    polku.standin.fail("sendMessage", status=429, retry_after=7)
    send = dispatcher(polku, clock)
    assert await send.run() == 1  # one got through before the 429, the other waits
    clock.now += timedelta(seconds=6)
    assert await send.run() == 0  # still inside Telegram's retry_after
    clock.now += timedelta(seconds=1)
    assert await send.run() == 1
    assert all(r.status == "sent" and r.attempts == 1 for r in outbox(polku) if r.kind == "booked")


async def test_5xx_is_retried_with_backoff(polku, clock):
    youth = await polku.onboarded("Aino", "en")
    book(polku, youth, clock)
    polku.standin.fail("sendMessage", status=502, times=2)
    send = dispatcher(polku, clock)
    assert await send.run() == 0
    row = outbox(polku)[0]
    assert row.status == "pending" and row.attempts == 1 and row.due_at > clock.now
    clock.now = row.due_at
    assert await send.run() == 0
    clock.now = outbox(polku)[0].due_at
    assert await send.run() == 1
    assert outbox(polku)[0].attempts == 3


async def test_403_marks_unreachable_stops_rows_and_tells_the_coach(polku, clock):
    youth = await polku.onboarded("Aino", "en")
    book(polku, youth, clock)
    polku.standin.fail("sendMessage", status=403, chat_id=youth.id)
    assert await dispatcher(polku, clock).run() == 0
    rows = outbox(polku)
    assert [(r.kind, r.status) for r in rows] == [
        ("booked", "failed"),
        ("followup", "cancelled"),
        ("reminder", "cancelled"),
        ("reminder", "cancelled"),
    ]
    with Session(polku.engine) as session:
        assert youth_row(polku, youth).status == "unreachable"
        assert "coach.told_unreachable" in session.exec(select(AuditEvent.action)).all()


async def test_after_downtime_each_due_row_goes_once_and_past_ones_are_skipped(polku, clock):
    youth = await polku.onboarded("Aino", "en")
    soon = book(polku, youth, clock, days=1, hour=15)  # reminders: today 15:00 - 24h is past
    later = book(polku, youth, clock, days=3, hour=15, title="Autoala")
    # Polku was down until after `soon` began: its rows are stale, `later`'s are due.
    clock.now = soon.starts_at + timedelta(hours=1)
    first, second = dispatcher(polku, clock), dispatcher(polku, clock)  # a restart, twice
    assert await first.run() + await second.run() == 1
    statuses = {(r.appointment_id, r.kind, r.status) for r in outbox(polku)}
    assert (soon.id, "booked", "skipped") in statuses
    assert (later.id, "booked", "sent") in statuses
    sends = [c for c in polku.standin.sent("sendMessage") if "Autoala" in c["params"]["text"]]
    assert len(sends) == 1  # sent once though two dispatchers ran
    assert not any("Kokki-linja" in c["params"]["text"] for c in polku.standin.sent("sendMessage"))


async def test_my_appointments_lists_what_is_ahead(polku, clock):
    youth = await polku.onboarded("Aino", "fi")
    book(polku, youth, clock, days=3, title="Autoala")
    book(polku, youth, clock, days=1, title="Kokki-linja")
    fi = gettext_for("fi").gettext
    replies = await youth.says(fi("📅 My appointments"))
    assert ["Kokki-linja" in r["text"] for r in replies] == [True, False]  # soonest first
    assert all(phone_lines(r["text"]) <= 2 for r in replies)
    assert buttons(replies[0]) == [fi("✅ Coming"), fi("❌ Can't come"), fi("📍 Where is it?")]
    someone_else = await polku.onboarded("Ville", "en")
    replies = await someone_else.says("/appointments")
    assert said(replies, "You have no appointments coming up.")


def test_the_follow_up_comes_the_same_evening_never_in_quiet_hours():
    from core.services.appointments import followup_time

    def ending(hour, minute=0, duration=60):
        start = datetime(2031, 5, 6, hour, minute, tzinfo=HELSINKI) - timedelta(minutes=duration)
        return Appointment(
            youth_id=1, kind="trial_day", title="x", starts_at=start, duration_minutes=duration
        )

    assert followup_time(ending(11), HELSINKI) == datetime(2031, 5, 6, 18, 0, tzinfo=HELSINKI)
    assert followup_time(ending(19, 30), HELSINKI) == datetime(2031, 5, 6, 19, 30, tzinfo=HELSINKI)
    assert followup_time(ending(21, 30), HELSINKI) == datetime(2031, 5, 7, 8, 0, tzinfo=HELSINKI)


async def test_follow_up_builds_a_portfolio_entry(polku, clock):
    from core.models import PortfolioEntry

    youth = await polku.onboarded("Aino", "fi")
    appointment = book(polku, youth, clock, days=2, hour=10)
    send = dispatcher(polku, clock)
    clock.now = appointment.starts_at.astimezone(HELSINKI).replace(hour=18)
    await send.run()  # the booking notice, the reminders are past, and the follow-up
    assert youth.inbox[-1]["text"] == "🌟 Miten tänään meni: Kokki-linja?"

    replies = await youth.taps("🙂")
    assert said(replies, "Mitä teit siellä?")
    await youth.taps("🛠 Kokeilin itse")
    await youth.taps("📚 Opin jotain uutta")
    replies = await youth.says("Tein lettuja ja se oli kivaa")
    assert said(replies, "tallensin sanasi kansioosi")
    await youth.taps("Valmis ✔")
    replies = await youth.taps("Kyllä")
    assert said(replies, "Tallensin sen kansioosi 📒")

    with Session(polku.engine) as session:
        entry = session.exec(select(PortfolioEntry)).one()
        status = session.exec(select(Appointment.status)).one()
    assert (entry.rating, entry.activities, entry.words, entry.wants_to_continue, entry.saved) == (
        4,
        ["tried", "learned"],
        "Tein lettuja ja se oli kivaa",
        "yes",
        True,
    )
    assert entry.field == "Kokki-linja" and entry.place == "Stadin AO, Hattulantie 2"
    assert status == "attended"

    replies = await youth.says("/portfolio")
    assert said(replies, "Oma kansiosi:")
    assert said(replies, "Kokki-linja, Stadin AO, Hattulantie 2 🙂")
    await youth.taps_data(replies[-1]["message_id"], f"fp:{entry.id}:cno")
    assert youth.callback_answers[-1] == "Tämä on jo kansiossasi 🙂"


async def test_a_meeting_has_no_follow_up_and_a_cancelled_day_loses_it(polku, clock):
    youth = await polku.onboarded("Aino", "fi")
    book(polku, youth, clock, kind="meeting")
    day = book(polku, youth, clock, days=4)
    with transaction(polku.engine) as session:
        do_cancel(session, appointment=session.get(Appointment, day.id), tz=HELSINKI, now=clock.now)
    followups = [r for r in outbox(polku) if r.kind == "followup"]
    assert [r.status for r in followups] == ["cancelled"]


def coach_reply(polku, youth, clock, text: str = "Hei Aino, katsotaan yhdessä.") -> int:
    """Maija answers from the panel; returns the chat-log row of her message."""
    from core.models import Coach
    from core.services.talk import do_coach_reply

    maija, youth_id = polku.add_coach("maija", "Maija"), youth_row(polku, youth).id
    with transaction(polku.engine) as session:
        message = do_coach_reply(
            session,
            coach=session.get(Coach, maija.id),
            youth=session.get(Youth, youth_id),
            text=text,
            now=clock.now,
        )
        session.flush()
        return message.id


def delivery_of(polku, message_id: int) -> str:
    from core.models import Message

    with Session(polku.engine) as session:
        return session.get(Message, message_id).delivery_status


async def test_a_coach_reply_outlives_two_minutes_of_5xx_and_arrives_soon_after(polku, clock):
    youth = await polku.onboarded("Aino", "fi")
    message_id = coach_reply(polku, youth, clock)
    send = dispatcher(polku, clock)
    outage_ends = clock.now + timedelta(minutes=2)
    while clock.now < outage_ends:  # every try in these two minutes gets a 502
        polku.standin.fail("sendMessage", status=502, chat_id=youth.id)
        assert await send.run() == 0
        assert delivery_of(polku, message_id) == "pending"  # the coach sees "sending…"
        clock.now = outbox(polku)[0].due_at
    assert clock.now - outage_ends <= timedelta(minutes=1)  # tried again within a minute
    assert await send.run() == 1
    assert youth.inbox[-1]["text"] == "Maija: Hei Aino, katsotaan yhdessä."
    assert delivery_of(polku, message_id) == "sent"
    sends = [c for c in polku.standin.sent("sendMessage") if "katsotaan" in c["params"]["text"]]
    assert len(sends) == outbox(polku)[0].attempts == 7  # six 502s, then delivered once


async def test_a_coach_reply_that_fails_for_a_day_shows_failed(polku, clock):
    youth = await polku.onboarded("Aino", "fi")
    message_id = coach_reply(polku, youth, clock)
    send = dispatcher(polku, clock)
    polku.standin.fail("sendMessage", status=503, chat_id=youth.id, times=2)
    assert await send.run() == 0
    clock.now += timedelta(hours=23, minutes=59)
    assert await send.run() == 0
    assert delivery_of(polku, message_id) == "pending"  # still trying, a minute from now
    clock.now += timedelta(minutes=1)
    assert await send.run() == 1
    assert delivery_of(polku, message_id) == "sent"


async def test_a_bad_request_fails_at_once_and_a_reminder_retries_until_its_moment(polku, clock):
    youth = await polku.onboarded("Aino", "en")
    message_id = coach_reply(polku, youth, clock)
    polku.standin.fail("sendMessage", status=400, description="Bad Request: chat not found")
    send = dispatcher(polku, clock)
    assert await send.run() == 0
    reply = outbox(polku)[0]
    assert (reply.status, reply.attempts, delivery_of(polku, message_id)) == ("failed", 1, "failed")

    soon = book(polku, youth, clock, days=1, hour=15)
    clock.now = soon.starts_at - timedelta(hours=2)  # the 2 h reminder is due, Telegram is down
    polku.standin.fail("sendMessage", status=502, times=1000)
    for _ in range(3):
        await send.run()
        clock.now = min(r.due_at for r in outbox(polku) if r.status == "pending")
    clock.now = soon.starts_at
    await send.run()
    rows = [r for r in outbox(polku) if r.appointment_id and r.kind != "followup"]
    assert [(r.kind, r.status) for r in rows] == [
        ("booked", "skipped"),
        ("reminder", "skipped"),
        ("reminder", "skipped"),
    ]
    assert all(r.attempts >= 3 for r in rows)  # tried all along, never given up as failed
    assert not any("Kokki-linja" in (m.get("text") or "") for m in youth.inbox)
