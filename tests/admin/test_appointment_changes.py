"""Moving and cancelling appointments from the young person's page: the young person is told
(outbox rows), the page says what was done, stale forms are answered kindly, another coach's
appointment stays out of reach and a post without the form's token changes nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from sqlmodel import select

from core.db import transaction
from core.models import Appointment, AppointmentStatus, OutboxMessage, Youth, YouthStatus
from core.services.appointments import do_book
from core.settings import Settings

TZ = Settings(_env_file=None).tz
# The panel's clock stands at Mon 23 Nov 2026 10:00 in Helsinki; the meeting is on Thursday.
THURSDAY = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 10:00 in Helsinki


def booked(panel, coach, youth, title: str = "Talk about the CV", **fields) -> Appointment:
    with transaction(panel.engine) as session:
        return do_book(
            session,
            youth=session.get(Youth, youth.id),
            coach=coach,
            kind=fields.pop("kind", "meeting"),
            title=title,
            starts_at=fields.pop("starts_at", THURSDAY),
            duration_minutes=fields.pop("duration_minutes", 90),
            tz=TZ,
            now=panel.clock(),
        )


def outbox(panel, appointment: Appointment) -> list[tuple[str, str]]:
    with transaction(panel.engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.appointment_id == appointment.id)
            .order_by(OutboxMessage.id)
        ).all()
        return [(r.kind, r.status) for r in rows]


def appointment_of(panel, appointment: Appointment) -> Appointment:
    with transaction(panel.engine) as session:
        return session.get(Appointment, appointment.id)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_upcoming_appointment_reads_as_a_time_span_with_move_and_cancel(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    meeting = booked(panel, anna, aino)
    page = (await (await panel.signed_in("anna")).get(f"/youth/{aino.id}")).text
    assert "Thu 26 Nov 10:00–11:30" in page and "90 min" not in page
    item = page.split(f'id="appointment-{meeting.id}"', 1)[1].split("</li>", 1)[0]
    assert f'action="/youth/{aino.id}/appointments/{meeting.id}/move"' in item
    assert 'name="day" type="date" required value="2026-11-26"' in item
    assert 'name="clock" type="time" required value="10:00"' in item
    assert 'name="ends" type="time" required value="11:30"' in item
    assert f'action="/youth/{aino.id}/appointments/{meeting.id}/cancel"' in item
    assert 'type="checkbox" name="confirm" value="yes" required' in item


async def test_moving_tells_the_young_person_and_the_page_says_so(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    meeting = booked(panel, anna, aino)
    coach = await panel.signed_in("anna")
    moved = await coach.post(
        f"/youth/{aino.id}/appointments/{meeting.id}/move",
        {"day": "27.11.2026", "clock": "12.00", "ends": "14:00"},
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == (
        f"/youth/{aino.id}?done=moved&appointment={meeting.id}#appointments"
    )
    after = appointment_of(panel, meeting)
    assert after.starts_at == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert after.duration_minutes == 120 and after.version == 2
    assert outbox(panel, meeting) == [
        ("booked", "cancelled"),
        ("reminder", "cancelled"),
        ("reminder", "cancelled"),
        ("moved", "pending"),
        ("reminder", "pending"),
        ("reminder", "pending"),
    ]
    page = text_of((await coach.get(moved.headers["location"])).text)
    assert (
        "✓ Moved: Fri 27 Nov 12:00–14:00 · Talk about the CV. "
        "The young person gets a message about it in Telegram."
    ) in page
    assert [(e.coach_id, e.youth_id, e.detail) for e in panel.audit("appointment.move")] == [
        (anna.id, aino.id, str(meeting.id))
    ]


async def test_a_move_that_would_not_do_keeps_what_was_typed(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    meeting = booked(panel, anna, aino)
    coach = await panel.signed_in("anna")
    cases = {
        "The end time must be after the start time": ("2026-11-27", "12:00", "11:00"),
        "That time has already passed": ("2026-11-20", "12:00", "13:00"),
        "Check the date and the time": ("2026-02-30", "12:00", "13:00"),
    }
    for message, (day, clock, ends) in cases.items():
        refused = await coach.post(
            f"/youth/{aino.id}/appointments/{meeting.id}/move",
            {"day": day, "clock": clock, "ends": ends},
        )
        assert refused.status_code == 422, message
        item = refused.text.split(f'id="appointment-{meeting.id}"', 1)[1].split("</li>", 1)[0]
        assert "<details open>" in item and message in item
        assert f'value="{day}"' in item and f'value="{ends}"' in item
    assert appointment_of(panel, meeting).version == 1
    assert panel.audit("appointment.move") == []


async def test_cancelling_needs_the_tick_then_tells_the_young_person(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    meeting = booked(panel, anna, aino)
    coach = await panel.signed_in("anna")
    url = f"/youth/{aino.id}/appointments/{meeting.id}/cancel"
    unticked = await coach.post(url)
    assert unticked.status_code == 422
    assert "Tick the box to confirm, then cancel. Nothing was changed yet." in unticked.text
    assert appointment_of(panel, meeting).status == AppointmentStatus.SCHEDULED
    cancelled = await coach.post(url, {"confirm": "yes"})
    assert cancelled.status_code == 303
    assert appointment_of(panel, meeting).status == AppointmentStatus.CANCELLED
    assert outbox(panel, meeting)[-1] == ("cancelled", "pending")
    page = (await coach.get(cancelled.headers["location"])).text
    assert (
        "✓ Cancelled: Thu 26 Nov 10:00–11:30 · Talk about the CV. "
        "The young person gets a message about it in Telegram."
    ) in text_of(page)
    assert "Nothing booked." in page
    earlier = page.split("Earlier or cancelled")[1].split("Book a meeting")[0]
    assert "Talk about the CV" in earlier and "cancelled" in earlier
    assert [(e.coach_id, e.detail) for e in panel.audit("appointment.cancel")] == [
        (anna.id, str(meeting.id))
    ]


async def test_a_stale_form_is_answered_kindly_and_changes_nothing(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    meeting, day = booked(panel, anna, aino), booked(panel, anna, aino, title="Trial day")
    coach = await panel.signed_in("anna")
    base = f"/youth/{aino.id}/appointments/{meeting.id}"
    assert (await coach.post(f"{base}/cancel", {"confirm": "yes"})).status_code == 303
    rows = outbox(panel, meeting)
    again = await coach.post(f"{base}/cancel", {"confirm": "yes"})
    move = await coach.post(
        f"{base}/move", {"day": "2026-11-30", "clock": "10:00", "ends": "11:00"}
    )
    for refused in (again, move):
        assert refused.status_code == 409
        assert "This appointment was already cancelled. Nothing was changed." in refused.text
    assert outbox(panel, meeting) == rows  # the young person hears of it once
    panel.clock.advance(days=3, hours=1)  # Thursday 11:00: the trial day has begun
    coach = await panel.signed_in("anna")  # (the earlier session has timed out)
    late = await coach.post(
        f"/youth/{aino.id}/appointments/{day.id}/move",
        {"day": "2026-11-30", "clock": "10:00", "ends": "11:00"},
    )
    assert late.status_code == 409
    assert "This appointment has already begun, so it can't be moved or cancelled here." in (
        html.unescape(late.text)
    )
    assert appointment_of(panel, day).version == 1
    assert len(panel.audit("appointment.cancel")) == 1 and panel.audit("appointment.move") == []


async def test_another_coachs_appointment_is_out_of_reach(panel) -> None:
    anna, ben = panel.add_coach("anna"), panel.add_coach("ben")
    aino, bertta = panel.add_youth(anna, "Aino"), panel.add_youth(ben, "Bertta")
    mine = booked(panel, anna, aino)
    theirs = booked(panel, ben, bertta, title="Bertta's meeting")
    coach = await panel.signed_in("anna")
    move = {"day": "2026-11-30", "clock": "10:00", "ends": "11:00"}
    attempts = [
        await coach.post(f"/youth/{aino.id}/appointments/{theirs.id}/move", move),
        await coach.post(f"/youth/{aino.id}/appointments/{theirs.id}/cancel", {"confirm": "yes"}),
        await coach.post(f"/youth/{bertta.id}/appointments/{theirs.id}/cancel", {"confirm": "yes"}),
        await coach.post(f"/youth/{bertta.id}/appointments/{mine.id}/move", move),
        await coach.post(f"/youth/{aino.id}/appointments/999/cancel", {"confirm": "yes"}),
    ]
    assert [r.status_code for r in attempts] == [404] * 5
    assert all("Bertta" not in r.text for r in attempts)
    assert appointment_of(panel, theirs).version == 1 and appointment_of(panel, mine).version == 1
    denied = panel.audit("access.denied")
    assert len(denied) == 5 and {e.coach_id for e in denied} == {anna.id}


async def test_move_and_cancel_without_the_forms_token_change_nothing(panel) -> None:
    anna = panel.add_coach("anna")
    aino = panel.add_youth(anna, "Aino")
    meeting = booked(panel, anna, aino)
    coach = await panel.signed_in("anna")
    base = f"/youth/{aino.id}/appointments/{meeting.id}"
    posts = [
        (f"{base}/move", {"day": "2026-11-30", "clock": "10:00", "ends": "11:00"}),
        (f"{base}/cancel", {"confirm": "yes"}),
    ]
    for url, form in posts:
        missing = await coach.http.post(url, data=form)
        forged = await coach.http.post(url, data={**form, "csrf_token": "x" * 43})
        assert (missing.status_code, forged.status_code) == (403, 403), url
    after = appointment_of(panel, meeting)
    assert after.version == 1 and after.status == AppointmentStatus.SCHEDULED
    assert [kind for kind, _ in outbox(panel, meeting)] == ["booked", "reminder", "reminder"]


async def test_the_notice_says_when_no_message_can_go_out_and_escapes_the_title(panel) -> None:
    anna = panel.add_coach("anna")
    eetu = panel.add_youth(anna, "Eetu", status=YouthStatus.UNREACHABLE)
    meeting = booked(panel, anna, eetu, title="<b>CV</b>")
    page = await (await panel.signed_in("anna")).get(
        f"/youth/{eetu.id}?done=booked&appointment={meeting.id}"
    )
    assert "Booked:" in page.text and "&lt;b&gt;CV&lt;/b&gt;" in page.text
    assert "<b>CV</b>" not in page.text
    notice = page.text.split('class="notice"', 1)[1].split("</p>", 1)[0]
    assert "They cannot be reached on Telegram now, so no message goes out." in notice
    other = await (await panel.signed_in("anna")).get(
        f"/youth/{eetu.id}?done=booked&appointment={meeting.id + 1}"
    )
    assert "Booked:" not in other.text  # a flag about another appointment says nothing
