"""How appointments read in the chat: two phone lines (what; when and where), start–end, dates
in the young person's language."""

from __future__ import annotations

import gettext
from datetime import datetime, timedelta
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.i18n import N_, translator
from core.models import Appointment, AppointmentStatus, utcnow
from core.phone_lines import phone_lines

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
# Within the coming week the weekday is enough ("maanantaina klo 9.00").
THIS_WEEK_PATTERNS = {"fi": "EEEE 'klo' H.mm", "sv": "EEEE 'kl.' H.mm", "en": "EEEE 'at' H:mm"}
TIME_PATTERNS = {"fi": "H.mm", "sv": "H.mm", "en": "H:mm"}
TODAY = N_("today at {time}")
TOMORROW = N_("tomorrow at {time}")


def when_text(moment: datetime, language: str, tz: ZoneInfo, *, now: datetime | None = None) -> str:
    """When someone will answer, as people say it: "huomenna klo 9.00", "maanantaina klo
    9.00", and the date only when it is more than a week away."""
    local = moment.astimezone(tz)
    days = (local.date() - (now or utcnow()).astimezone(tz).date()).days
    code = language if language in WHEN_PATTERNS else "fi"
    if days in (0, 1):
        time = format_datetime(local, TIME_PATTERNS[code], locale=code)
        return translator(code).gettext(TODAY if days == 0 else TOMORROW).format(time=time)
    pattern = THIS_WEEK_PATTERNS[code] if 1 < days < 7 else WHEN_PATTERNS[code]
    return format_datetime(local, pattern, locale=code)


SPAN_PATTERNS = {  # a short weekday, the date, and the start; the end follows after a dash
    "fi": ("EEE d.M. 'klo' H.mm", "H.mm"),
    "sv": ("EEE d.M. 'kl.' H.mm", "H.mm"),
    "en": ("EEE d MMM, H:mm", "H:mm"),
}


def span_text(appointment: Appointment, language: str, tz: ZoneInfo) -> str:
    """'ti 12.1. klo 10.00–14.00': when it starts and when it ends, in a few characters."""
    start_pattern, end_pattern = SPAN_PATTERNS.get(language, SPAN_PATTERNS["fi"])
    starts = appointment.starts_at.astimezone(tz)
    ends = starts + timedelta(minutes=appointment.duration_minutes)
    start = format_datetime(starts, start_pattern, locale=language)
    return f"{start}–{format_datetime(ends, end_pattern, locale=language)}"


def appointment_message(
    t: gettext.NullTranslations,
    kind: str,
    appointment: Appointment,
    language: str,
    tz: ZoneInfo,
) -> str:
    """A booked / reminder / moved / cancelled message: what on the first line, when (and
    where, if it fits) on the second; what to bring on a short line of its own, if anything.
    The 📍 button under it tells where, with a map."""
    _ = t.gettext
    headline = {
        "booked": _("📅 {kind}: {title}"),
        "reminder": _("⏰ Reminder: {title}"),
        "moved": _("🔁 New time: {title}"),
        "cancelled": _("❌ Cancelled: {title}"),
    }[kind].format(kind=_(KIND_LABELS[appointment.kind]), title=appointment.title)
    when = span_text(appointment, language, tz)
    text = f"{headline}\n{when}"
    if appointment.place and kind != "cancelled":
        with_place = f"{headline}\n{when}, {appointment.place}"
        if phone_lines(with_place) <= 2:
            text = with_place
    if appointment.bring and kind in ("booked", "reminder"):
        text += "\n" + _("🎒 Bring: {things}").format(things=appointment.bring)
    return text


def answered_message(
    t: gettext.NullTranslations, appointment: Appointment, language: str, tz: ZoneInfo
) -> str:
    """The appointment's message after Coming / Can't come: the choice on the first line."""
    _ = t.gettext
    choice = (
        _("✅ You're coming: {title}")
        if appointment.status == AppointmentStatus.CONFIRMED
        else _("❌ You can't come: {title}")
    )
    return f"{choice.format(title=appointment.title)}\n{span_text(appointment, language, tz)}"


def attendance_keyboard(
    t: gettext.NullTranslations, appointment: Appointment
) -> InlineKeyboardMarkup:
    """Coming / Can't come / Where is it? — tied to this version of the appointment. After an
    answer, only the other choice (to change one's mind) and Where is it? stay."""
    _ = t.gettext
    prefix = f"ap:{appointment.id}:{appointment.version}"
    coming = InlineKeyboardButton(_("✅ Coming"), callback_data=f"{prefix}:coming")
    cant = InlineKeyboardButton(_("❌ Can't come"), callback_data=f"{prefix}:cant")
    where = InlineKeyboardButton(_("📍 Where is it?"), callback_data=f"{prefix}:where")
    if appointment.status == AppointmentStatus.CONFIRMED:
        return InlineKeyboardMarkup([[cant, where]])
    if appointment.status == AppointmentStatus.DECLINED:
        return InlineKeyboardMarkup([[coming, where]])
    return InlineKeyboardMarkup([[coming, cant], [where]])


def map_link(place: str) -> str:
    """A map search for the address that opens the phone's map app (Google Maps URLs)."""
    return "https://www.google.com/maps/search/?api=1&query=" + quote_plus(place)


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
