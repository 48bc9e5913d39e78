"""The young person's side of appointments: Coming / Can't come / Where is it?, and the list.

Buttons carry the appointment's version: after a move or cancel, taps on older messages say
that the time changed instead of acting.
"""

from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.appointment_text import KIND_LABELS, describe
from bot.replies import answer_tap, remove_buttons, say
from bot.runtime import engine_of, language_of, settings_of, youth_of
from core.db import transaction
from core.i18n import gettext_for
from core.models import Appointment, AppointmentStatus, row_id, utcnow
from core.services.appointments import do_answer, upcoming


def _own_current(
    appointment: Appointment | None, youth_id: int, version: str
) -> Appointment | None:
    """The appointment when it is this young person's and the button is not out of date."""
    if appointment is None or appointment.youth_id != youth_id:
        return None
    if str(appointment.version) != version or appointment.status == AppointmentStatus.CANCELLED:
        return None
    return appointment


def tapped_appointment(
    session: Session, update: Update
) -> tuple[int, str, Appointment | None, str]:
    """(youth id, language, the appointment if the tap is theirs and current, the action) for
    callback data `prefix:<appointment id>:<version>:<action>`."""
    _prefix, appointment_id, version, action = update.callback_query.data.split(":", 3)
    youth = youth_of(session, update)
    youth_id = row_id(youth)
    appointment = _own_current(
        session.get(Appointment, int(appointment_id)) if appointment_id.isdecimal() else None,
        youth_id,
        version,
    )
    return youth_id, language_of(update, youth), appointment, action


async def on_attendance(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`ap:<id>:<version>:coming|cant|where`."""
    with transaction(engine_of(context)) as session:
        youth_id, language, appointment, action = tapped_appointment(session, update)
        if appointment is not None and action == "coming":
            do_answer(session, appointment=appointment, coming=True)
        place = appointment.place if appointment else None
        coords = (
            (appointment.latitude, appointment.longitude)
            if appointment
            and appointment.latitude is not None
            and appointment.longitude is not None
            else None
        )
        title = appointment.title if appointment else ""
    _ = gettext_for(language).gettext
    if appointment is None:
        await answer_tap(update, _("The time has changed. Please see the newest message 🙂"))
        return
    chat_id = update.effective_chat.id
    if action == "coming":
        await answer_tap(update, _("✅ Great, see you there!"))
        return
    if action == "where":
        await answer_tap(update)
        if coords is not None:
            await context.bot.send_location(chat_id, latitude=coords[0], longitude=coords[1])
        text = f"📍 {title}: {place}" if place else _("Ask your coach where it is.")
        await say(context, chat_id=chat_id, youth_id=youth_id, text=text)
        return
    await answer_tap(update)
    prefix = f"apn:{appointment.id}:{appointment.version}"
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=_("Thanks for telling me. Would you like a new time?"),
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
    with transaction(engine_of(context)) as session:
        youth_id, language, appointment, answer = tapped_appointment(session, update)
        if appointment is not None:
            do_answer(
                session, appointment=appointment, coming=False, wants_new_time=answer == "yes"
            )
    _ = gettext_for(language).gettext
    if appointment is None:
        await answer_tap(update, _("The time has changed. Please see the newest message 🙂"))
        return
    await answer_tap(update)
    try:
        await remove_buttons(update)
    except BadRequest:
        pass
    text = (
        _("Okay, I saved it for your coach: you would like a new time.")
        if answer == "yes"
        else _("Okay, I saved it for your coach: you can't come.")
    )
    await say(context, chat_id=update.effective_chat.id, youth_id=youth_id, text=text)


async def my_appointments(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """My appointments (menu) and /appointments: upcoming ones, soonest first."""
    settings = settings_of(context)
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
        ahead = upcoming(session, youth_id=youth_id, now=utcnow())
    t = gettext_for(language)
    _ = t.gettext
    if not ahead:
        await say(
            context,
            chat_id=update.effective_chat.id,
            youth_id=youth_id,
            text=_("You have no appointments coming up."),
        )
        return
    lines = [
        f"• {_(KIND_LABELS[a.kind])}: {a.title}\n  {describe(t, a, language, settings.tz)}"
        for a in ahead[:10]
    ]
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=_("Your appointments:") + "\n" + "\n".join(lines),
    )
