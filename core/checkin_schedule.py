"""When the check-ins after a transition fall due: offsets of days or calendar months from the
transition's date, on the local wall clock, never in the quiet hours (POLKU_CHECKIN_SCHEDULE)."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.scheduling import next_allowed

# (amount, unit): "d" days or "m" calendar months after the transition's date.
Offset = tuple[int, str]
DEFAULT_SCHEDULE: tuple[Offset, ...] = (
    (14, "d"),
    (1, "m"),
    (2, "m"),
    (3, "m"),
    (6, "m"),
    (12, "m"),
)
OFFSET = re.compile(r"^\s*(\d{1,3})\s*([dm])\s*$")


def parse_schedule(text: str) -> tuple[Offset, ...]:
    """ "14d,1m,2m" → ((14, "d"), (1, "m"), (2, "m")); a ValueError names a broken part."""
    offsets = []
    for part in text.split(","):
        found = OFFSET.match(part)
        if found is None or int(found.group(1)) == 0:
            raise ValueError(f"a check-in offset is a number and d or m, like 14d or 1m: {part!r}")
        offsets.append((int(found.group(1)), found.group(2)))
    return tuple(sorted(offsets, key=lambda o: o[0] * (30 if o[1] == "m" else 1)))


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day when it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_time(since: datetime, offset: Offset, tz: ZoneInfo) -> datetime:
    """When a check-in `offset` after `since` is due: the same local clock time that many days
    or calendar months later, moved out of the quiet hours to the morning."""
    local = since.astimezone(tz)
    amount, unit = offset
    day = local.date() + timedelta(days=amount) if unit == "d" else add_months(local.date(), amount)
    moment = datetime.combine(day, local.time(), tzinfo=tz)
    return next_allowed(moment.astimezone(UTC), tz)
