"""When reminders go out: offsets in local wall-clock time, never in quiet hours, never late.

"24 hours before" a Monday 10:00 meeting means Sunday 10:00 on the young person's clock, also
across a daylight-saving change, so offsets are subtracted in local time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.timeutil import QUIET_END, QUIET_START, in_quiet_hours

# A reminder that would fall in quiet hours goes out this long before they begin.
BEFORE_QUIET = timedelta(minutes=15)


def local_minus(moment: datetime, hours: int, tz: ZoneInfo) -> datetime:
    """`moment` minus `hours` on the local wall clock, as an aware UTC time."""
    wall = moment.astimezone(tz).replace(tzinfo=None) - timedelta(hours=hours)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def out_of_quiet_hours_earlier(moment: datetime, tz: ZoneInfo) -> datetime:
    """Move a moment inside quiet hours back to just before they began (never later)."""
    if not in_quiet_hours(moment, tz):
        return moment
    local = moment.astimezone(tz)
    evening = local.date() if local.time() >= QUIET_START else local.date() - timedelta(days=1)
    quiet_began = datetime.combine(evening, QUIET_START, tzinfo=tz)
    return (quiet_began - BEFORE_QUIET).astimezone(UTC)


def next_allowed(moment: datetime, tz: ZoneInfo) -> datetime:
    """The moment itself, or the end of the quiet hours it falls in (for messages that must
    go out but can wait for the morning)."""
    if not in_quiet_hours(moment, tz):
        return moment
    local = moment.astimezone(tz)
    morning = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(morning, QUIET_END, tzinfo=tz).astimezone(UTC)


def reminder_times(
    *, starts_at: datetime, hours_before: list[int], now: datetime, tz: ZoneInfo
) -> list[tuple[int, datetime]]:
    """(hours before, when to send) for each reminder still ahead; earlier ones are dropped."""
    times = []
    for hours in hours_before:
        when = out_of_quiet_hours_earlier(local_minus(starts_at, hours, tz), tz)
        if now < when < starts_at:
            times.append((hours, when))
    return times
