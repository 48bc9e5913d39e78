"""The young person's side of appointments: Coming / Can't come / Where is it?, and the list.

Buttons carry the appointment's version: after a move or cancel, taps on older messages say
that the time changed instead of acting.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.appointment_text import (
    answered_message,
    appointment_message,
    attendance_keyboard,
    map_link,
)
from bot.replies import answer_tap, edit_tapped
from bot.runtime import settings_of
from bot.turn import Turn, take_turn, tap_data
from core.i18n import N_
from core.models import Appointment, AppointmentStatus, Youth, row_id, utcnow
from core.services.appointments import do_answer, do_want_new_time, upcoming

SHOWN = 5  # upcoming appointments listed, each its own message
CHANGED = N_("The time has changed. Please see the newest message 🙂")


@dataclass(frozen=True)
class AppointmentTap:
    """A tap on an appointment's button: `prefix:<appointment id>:<version>:<action>`."""

    appointment_id: str
    version: str
    action: str

    @classmethod
    def of(cls, update: Update) -> AppointmentTap:
        _prefix, appointment_id, version, action = tap_data(update).split(":", 3)
        return cls(appointment_id, version, action)

    def current(self, session: Session, youth: Youth) -> Appointment | None:
        """The appointment when it is this young person's and the button is not out of date."""
        if not self.appointment_id.isdecimal():
            return None
        appointment = session.get(Appointment, int(self.appointment_id))
        if appointment is None or appointment.youth_id != row_id(youth):
            return None
        if (
            str(appointment.version) != self.version
            or appointment.status == AppointmentStatus.CANCELLED
        ):
            return None
        return appointment


async def on_attendance(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`ap:<id>:<version>:coming|cant|where`. Coming and Can't come are recorded at once and
    the message changes in place to show the choice; Can't come then asks about a new time."""
    tap = AppointmentTap.of(update)
    tz = settings_of(context).tz

    def answer(session: Session, youth: Youth) -> Appointment | None:
        appointment = tap.current(session, youth)
        if appointment is not None and tap.action in ("coming", "cant"):
            do_answer(session, appointment=appointment, coming=tap.action == "coming")
        return appointment

    turn = await take_turn(update, context, answer)
    appointment, t, _ = turn.result, turn.translations, turn._
    if appointment is None:
        await answer_tap(update, _(CHANGED))
        return
    await answer_tap(update)
    if tap.action == "where":
        await _say_where(context, turn, appointment)
        return
    query = update.callback_query
    if query is not None:
        try:
            await query.edit_message_text(
                answered_message(t, appointment, turn.language, tz),
                reply_markup=attendance_keyboard(t, appointment),
            )
        except BadRequest as exc:  # the same answer tapped twice: the message already says it
            if "not modified" not in str(exc):
                raise
    if tap.action == "cant":
        prefix = f"apn:{appointment.id}:{appointment.version}"
        await turn.say(
            _("Would you like a new time?"),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(_("Yes, a new time"), callback_data=f"{prefix}:yes"),
                        InlineKeyboardButton(_("No thanks"), callback_data=f"{prefix}:no"),
                    ]
                ]
            ),
        )


async def _say_where(
    context: ContextTypes.DEFAULT_TYPE, turn: Turn[Appointment | None], appointment: Appointment
) -> None:
    """The place on a map: a location pin when it has coordinates, else a map link."""
    _ = turn._
    if appointment.latitude is not None and appointment.longitude is not None:
        await context.bot.send_location(
            turn.chat_id, latitude=appointment.latitude, longitude=appointment.longitude
        )
    if not appointment.place:
        await turn.say(_("Ask your coach where it is."))
        return
    await turn.say(
        f"📍 {appointment.place}",
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("🗺 Open the map"), url=map_link(appointment.place))]]
        ),
    )


async def on_new_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`apn:<id>:<version>:yes|no` after Can't come (already recorded): a Yes tells the coach
    a new time is wanted; the question changes in place to the answer."""
    tap = AppointmentTap.of(update)
    wants_new_time = tap.action == "yes"

    def answer(session: Session, youth: Youth) -> bool:
        appointment = tap.current(session, youth)
        if appointment is None:
            return False
        if wants_new_time:
            do_want_new_time(session, appointment=appointment)
        return True

    turn = await take_turn(update, context, answer)
    _ = turn._
    if not turn.result:
        await answer_tap(update, _(CHANGED))
        return
    await answer_tap(update)
    await edit_tapped(
        update,
        _("Okay, I told your coach you'd like a new time.")
        if wants_new_time
        else _("Okay. Your coach knows you can't come."),
    )


async def my_appointments(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """My appointments (menu) and /appointments: each upcoming one as its own short message
    with its buttons, soonest first."""
    tz = settings_of(context).tz
    turn = await take_turn(
        update,
        context,
        lambda session, youth: upcoming(session, youth_id=row_id(youth), now=utcnow()),
    )
    t, _ = turn.translations, turn._
    if not turn.result:
        await turn.say(_("You have no appointments coming up."))
        return
    for appointment in turn.result[:SHOWN]:
        await turn.say(
            appointment_message(t, "booked", appointment, turn.language, tz),
            reply_markup=attendance_keyboard(t, appointment),
        )
