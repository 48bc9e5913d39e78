"""How the panel writes an appointment's time: "ti 12.1. 10:00–11:30", in the panel's language.

The weekday helps a coach more than the date alone; the year is added only when it is not this
year; an end on another day (rare) gets its own date.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from babel.dates import format_datetime

DAY_PATTERNS = {
    "fi": ("EEE d.M.", "EEE d.M.y"),
    "sv": ("EEE d/M", "EEE d/M y"),
    "en": ("EEE d MMM", "EEE d MMM y"),
}


def span(
    starts_at: datetime, duration_minutes: int, *, language: str, tz: tzinfo, now: datetime
) -> str:
    """'ti 12.1. 10:00–11:30' (local time in `tz`)."""
    start = starts_at.astimezone(tz)
    end = start + timedelta(minutes=duration_minutes)
    this_year, other_year = DAY_PATTERNS.get(language, DAY_PATTERNS["fi"])

    def day(moment: datetime) -> str:
        pattern = this_year if moment.year == now.astimezone(tz).year else other_year
        return format_datetime(moment, pattern, locale=language)

    if end.date() == start.date():
        return f"{day(start)} {start:%H:%M}–{end:%H:%M}"
    return f"{day(start)} {start:%H:%M} – {day(end)} {end:%H:%M}"


def form_times(starts_at: datetime, duration_minutes: int, *, tz: tzinfo) -> dict[str, str]:
    """The date, start and end as the move form's fields hold them (2026-01-12, 10:00, 11:30)."""
    start = starts_at.astimezone(tz)
    end = start + timedelta(minutes=duration_minutes)
    return {"day": f"{start:%Y-%m-%d}", "clock": f"{start:%H:%M}", "ends": f"{end:%H:%M}"}
