"""Pictures of progress: a radar chart for the young person and a score-over-time line chart
for the coach, PNGs that read well on a phone (matplotlib, no display).

Uses matplotlib's object API with the Agg canvas, not pyplot: no global state and no display,
so a chart can be drawn in a worker thread while the bot goes on answering others.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import cast

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.projections.polar import PolarAxes

FIRST_COLOUR = "#9aa5b1"
LATEST_COLOUR = "#1f6feb"


def radar_png(
    *,
    labels: Sequence[str],
    latest: Sequence[float | None],
    first: Sequence[float | None] | None,
    low: float,
    high: float,
    title: str,
    latest_label: str,
    first_label: str,
) -> bytes:
    """A radar chart of the latest answers, with the first ones underneath when there are any.

    Skipped answers (None) are drawn at the centre so the shape stays closed; the caller marks
    their labels.
    """
    count = len(labels)
    angles = [2 * math.pi * i / count for i in range(count)]
    closed = [*angles, angles[0]]

    def points(values: Sequence[float | None]) -> list[float]:
        drawn = [low if v is None else v for v in values]
        return [*drawn, drawn[0]]

    figure = Figure(figsize=(6, 6.6), dpi=110)
    FigureCanvasAgg(figure)
    axes = cast(PolarAxes, figure.add_axes((0.17, 0.15, 0.66, 0.66), projection="polar"))
    axes.set_theta_offset(math.pi / 2)
    axes.set_theta_direction(-1)
    axes.set_ylim(low, high)
    axes.set_xticks(angles)
    axes.set_xticklabels(labels, fontsize=13)
    axes.tick_params(axis="x", pad=12)
    axes.set_yticks([low + (high - low) * f for f in (0.25, 0.5, 0.75, 1.0)])
    axes.set_yticklabels([])
    axes.grid(color="#d0d7de")
    if first is not None:
        axes.plot(
            closed,
            points(first),
            color=FIRST_COLOUR,
            linewidth=2,
            linestyle="--",
            label=first_label,
        )
        axes.fill(closed, points(first), color=FIRST_COLOUR, alpha=0.15)
    axes.plot(closed, points(latest), color=LATEST_COLOUR, linewidth=3, label=latest_label)
    axes.fill(closed, points(latest), color=LATEST_COLOUR, alpha=0.25)
    figure.suptitle(title, fontsize=16, y=0.97)
    figure.legend(loc="lower center", ncol=2, fontsize=13, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def history_png(
    *,
    title: str,
    points: Sequence[tuple[datetime, float]],
    low: float,
    high: float,
    tz: tzinfo,
) -> bytes:
    """A line chart of a dialogue's score over time, one dot per finished run, dates in `tz`."""
    # matplotlib.dates has no type hints: its calls below are marked for mypy.
    local = [when.astimezone(tz).replace(tzinfo=None) for when, _ in points]
    days = [float(d) for d in date2num(local)]  # type: ignore[no-untyped-call]
    figure = Figure(figsize=(6, 3.4), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.1, 0.16, 0.86, 0.68))
    if days:
        axes.plot(
            days,
            [value for _, value in points],
            color=LATEST_COLOUR,
            linewidth=2.5,
            marker="o",
            markersize=7,
            clip_on=False,
        )
        margin = max((days[-1] - days[0]) * 0.06, 2.0)
        axes.set_xlim(days[0] - margin, days[-1] + margin)
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=2, maxticks=6))  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(DateFormatter("%d.%m.%y"))  # type: ignore[no-untyped-call]
    axes.set_ylim(low, high)
    axes.grid(color="#d0d7de")
    axes.tick_params(labelsize=11)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.suptitle(title, fontsize=14, y=0.96)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
