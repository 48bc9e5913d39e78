"""The pictures of progress: a skipped area on the radar is a gap, never drawn as the lowest
value."""

from __future__ import annotations

from core.charts import radar_png

AREAS = ["Housing", "Money", "Health", "Sleep", "Mood"]


def radar(latest, first=None) -> bytes:
    return radar_png(
        labels=AREAS,
        latest=latest,
        first=first,
        low=0,
        high=10,
        title="Life right now",
        latest_label="Latest",
        first_label="First",
    )


def test_a_skipped_area_is_not_drawn_as_zero():
    skipped = radar([6, None, 7, 5, 8], first=[4, 4, None, 4, 4])
    zero = radar([6, 0, 7, 5, 8], first=[4, 4, 0, 4, 4])
    assert skipped.startswith(b"\x89PNG") and zero.startswith(b"\x89PNG")
    assert skipped != zero


def test_a_radar_with_everything_or_nothing_answered_is_still_drawn():
    assert radar([1, 2, 3, 4, 5]).startswith(b"\x89PNG")
    assert radar([None] * 5, first=[None, 3, None, None, None]).startswith(b"\x89PNG")
