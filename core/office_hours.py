"""A coach's office hours: whether they are in now, when they are next, and how to say it.

Stored on the coach as {"days": [0..6 Monday first], "start": "HH:MM", "end": "HH:MM"} in local
time. The shared queue uses the default hours.
"""

from __future__ import annotations

import gettext
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.i18n import N_

DEFAULT_HOURS: dict[str, Any] = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "16:00"}
WEEKDAYS = (0, 1, 2, 3, 4)
DAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


class OfficeHoursError(ValueError):
    """Office hours given in a form that cannot be used; the message says why."""


def check_hours(*, days: list[int], start: str, end: str) -> dict[str, Any]:
    """Validate and return office hours in their stored form."""
    if not days or any(d not in range(7) for d in days):
        raise OfficeHoursError("days: choose at least one day")
    try:
        opens, closes = time.fromisoformat(start), time.fromisoformat(end)
    except ValueError as exc:
        raise OfficeHoursError("times: use HH:MM, for example 09:00") from exc
    if opens >= closes:
        raise OfficeHoursError("the end must be after the start")
    return {
        "days": sorted(set(days)),
        "start": opens.strftime("%H:%M"),
        "end": closes.strftime("%H:%M"),
    }


def _parts(hours: dict[str, Any] | None) -> tuple[list[int], time, time]:
    hours = hours or DEFAULT_HOURS
    return list(hours["days"]), time.fromisoformat(hours["start"]), time.fromisoformat(hours["end"])


def is_in(hours: dict[str, Any] | None, *, now: datetime, tz: ZoneInfo) -> bool:
    """True while the coach is at work."""
    days, opens, closes = _parts(hours)
    local = now.astimezone(tz)
    return local.weekday() in days and opens <= local.time() < closes


def next_opening(hours: dict[str, Any] | None, *, now: datetime, tz: ZoneInfo) -> datetime:
    """The next moment the coach is at work (now, if they are)."""
    if is_in(hours, now=now, tz=tz):
        return now
    days, opens, _closes = _parts(hours)
    local = now.astimezone(tz)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        candidate = datetime.combine(day, opens, tzinfo=tz)
        if day.weekday() in days and candidate > local:
            return candidate
    raise AssertionError("office hours have at least one day")  # pragma: no cover


def _clock(value: time) -> str:
    return f"{value.hour}" if value.minute == 0 else f"{value.hour}.{value.minute:02d}"


def describe(hours: dict[str, Any] | None, t: gettext.NullTranslations) -> str:
    """'on weekdays 9–16', or 'on Mon, Wed 10–14', in the reader's language."""
    _ = t.gettext
    days, opens, closes = _parts(hours)
    span = f"{_clock(opens)}–{_clock(closes)}"
    if tuple(days) == WEEKDAYS:
        return _("on weekdays {span}").format(span=span)
    names = ", ".join(_(DAY_NAMES[d]) for d in days)
    return _("on {days} {span}").format(days=names, span=span)
