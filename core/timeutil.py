"""Local time rules: quiet hours are in the young person's local time (Europe/Helsinki)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)


def in_quiet_hours(moment: datetime, tz: ZoneInfo) -> bool:
    """True between 21:00 and 08:00 local time, when Polku sends nothing unasked."""
    local = moment.astimezone(tz).time()
    return local >= QUIET_START or local < QUIET_END
