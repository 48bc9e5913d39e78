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

from bot.appointment_text import KIND_LABELS, describe
from bot.replies import answer_tap, remove_buttons
from bot.runtime import settings_of
from bot.turn import take_turn, tap_data
from core.i18n import N_
from core.models import Appointment, AppointmentStatus, Youth, row_id, utcnow
from core.services.appointments import do_answer, upcoming

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
    """`ap:<id>:<version>:coming|cant|where`."""
    tap = AppointmentTap.of(update)

    def answer(session: Session, youth: Youth) -> Appointment | None:
        appointment = tap.current(session, youth)
        if appointment is not None and tap.action == "coming":
            do_answer(session, appointment=appointment, coming=True)
        return appointment

    turn = await take_turn(update, context, answer)
    appointment, _ = turn.result, turn._
    if appointment is None:
        await answer_tap(update, _(CHANGED))
        return
    if tap.action == "coming":
        await answer_tap(update, _("✅ Great, see you there!"))
        return
    if tap.action == "where":
        await answer_tap(update)
        if appointment.latitude is not None and appointment.longitude is not None:
            await context.bot.send_location(
                turn.chat_id, latitude=appointment.latitude, longitude=appointment.longitude
            )
        place = appointment.place
        await turn.say(
            f"📍 {appointment.title}: {place}" if place else _("Ask your coach where it is.")
        )
        return
    await answer_tap(update)
    prefix = f"apn:{appointment.id}:{appointment.version}"
    await turn.say(
        _("Thanks for telling me. Would you like a new time?"),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(_("Yes, a new time"), callback_data=f"{prefix}:yes"),
                    InlineKeyboardButton(_("No thanks"), callback_data=f"{prefix}:no"),
                ]
            ]
        ),
    )


async def on_new_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`apn:<id>:<version>:yes|no` after Can't come: the coach is told either way."""
    tap = AppointmentTap.of(update)
    wants_new_time = tap.action == "yes"

    def answer(session: Session, youth: Youth) -> bool:
        appointment = tap.current(session, youth)
        if appointment is None:
            return False
        do_answer(session, appointment=appointment, coming=False, wants_new_time=wants_new_time)
        return True

    turn = await take_turn(update, context, answer)
    _ = turn._
    if not turn.result:
        await answer_tap(update, _(CHANGED))
        return
    await answer_tap(update)
    try:
        await remove_buttons(update)
    except BadRequest:
        pass
    await turn.say(
        _("Okay, I saved it for your coach: you would like a new time.")
        if wants_new_time
        else _("Okay, I saved it for your coach: you can't come.")
    )


async def my_appointments(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """My appointments (menu) and /appointments: upcoming ones, soonest first."""
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
    lines = [
        f"• {_(KIND_LABELS[a.kind])}: {a.title}\n  {describe(t, a, turn.language, tz)}"
        for a in turn.result[:10]
    ]
    await turn.say(_("Your appointments:") + "\n" + "\n".join(lines))
