"""How long someone has waited, in the words a coach glances at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.i18n import gettext_for
from core.timeutil import waited

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_wait_reads_as_a_coach_glances_at_it():
    fi = gettext_for("fi")
    assert waited(NOW - timedelta(minutes=12), NOW, fi) == "12 min"
    assert waited(NOW - timedelta(hours=2, minutes=5), NOW, fi) == "2 h"
    assert waited(NOW - timedelta(days=3, hours=1), NOW, fi) == "3 pv"
