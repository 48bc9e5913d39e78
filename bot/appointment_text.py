"""How appointments read in the chat: short, two lines, dates in the young person's language."""

from __future__ import annotations

import gettext
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.i18n import N_
from core.models import Appointment

KIND_LABELS = {
    "meeting": N_("Meeting with your coach"),
    "trial_day": N_("Trial day"),
    "introduction": N_("Introduction"),
    "other": N_("Appointment"),
}
WHEN_PATTERNS = {
    "fi": "EEEE d.M. 'klo' H.mm",
    "sv": "EEEE d.M. 'kl.' H.mm",
    "en": "EEEE d MMMM 'at' H:mm",
}


def when_text(moment: datetime, language: str, tz: ZoneInfo) -> str:
    """'tiistai 10.11. klo 14.00' — the weekday helps more than the date alone."""
    return format_datetime(
        moment.astimezone(tz), WHEN_PATTERNS.get(language, WHEN_PATTERNS["fi"]), locale=language
    )


def describe(
    t: gettext.NullTranslations, appointment: Appointment, language: str, tz: ZoneInfo
) -> str:
    """Second line: when and where."""
    when = when_text(appointment.starts_at, language, tz)
    return f"{when}, {appointment.place}" if appointment.place else when


def appointment_message(
    t: gettext.NullTranslations,
    kind: str,
    appointment: Appointment,
    language: str,
    tz: ZoneInfo,
) -> str:
    """The text of a booked / reminder / moved / cancelled message."""
    _ = t.gettext
    what = f"{_(KIND_LABELS[appointment.kind])}: {appointment.title}"
    headline = {
        "booked": _("📅 New: {what}"),
        "reminder": _("⏰ Reminder: {what}"),
        "moved": _("🔁 New time: {what}"),
        "cancelled": _("❌ Cancelled: {what}"),
    }[kind].format(what=what)
    text = f"{headline}\n{describe(t, appointment, language, tz)}"
    if appointment.bring and kind in ("booked", "reminder"):
        text += "\n" + _("🎒 Bring: {things}").format(things=appointment.bring)
    return text


def attendance_keyboard(
    t: gettext.NullTranslations, appointment: Appointment
) -> InlineKeyboardMarkup:
    """Coming / Can't come / Where is it? — tied to this version of the appointment."""
    _ = t.gettext
    prefix = f"ap:{appointment.id}:{appointment.version}"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("✅ Coming"), callback_data=f"{prefix}:coming"),
                InlineKeyboardButton(_("❌ Can't come"), callback_data=f"{prefix}:cant"),
            ],
            [InlineKeyboardButton(_("📍 Where is it?"), callback_data=f"{prefix}:where")],
        ]
    )


RATING_FACES = ("😞", "🙁", "😐", "🙂", "😄")
ACTIVITY_LABELS = {
    "watched": N_("👀 Watched the work"),
    "tried": N_("🛠 Tried tasks myself"),
    "talked": N_("💬 Talked with staff or students"),
    "learned": N_("📚 Learned something new"),
}
CONTINUE_LABELS = {"yes": N_("Yes"), "maybe": N_("Maybe"), "no": N_("No")}


def followup_message(t: gettext.NullTranslations, appointment: Appointment) -> str:
    _ = t.gettext
    return _("🌟 How did it go today: {title}?").format(title=appointment.title)


def rating_keyboard(appointment: Appointment) -> InlineKeyboardMarkup:
    """Five faces, 1–5, tied to this version of the appointment."""
    prefix = f"fu:{appointment.id}:{appointment.version}"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(face, callback_data=f"{prefix}:{value}")
                for value, face in enumerate(RATING_FACES, start=1)
            ]
        ]
    )
