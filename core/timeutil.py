"""Local time rules: quiet hours are in the young person's local time (Europe/Helsinki)."""

from __future__ import annotations

import gettext
from datetime import datetime, time
from zoneinfo import ZoneInfo

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)


def in_quiet_hours(moment: datetime, tz: ZoneInfo) -> bool:
    """True between 21:00 and 08:00 local time, when Polku sends nothing unasked."""
    local = moment.astimezone(tz).time()
    return local >= QUIET_START or local < QUIET_END


def waited(since: datetime, now: datetime, t: gettext.NullTranslations) -> str:
    """How long someone has waited, as a coach glances at it: "12 min", "2 h", "3 d"."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return t.gettext("{n} min").format(n=minutes)
    if minutes < 48 * 60:
        return t.gettext("{n} h").format(n=minutes // 60)
    return t.gettext("{n} d").format(n=minutes // (24 * 60))
