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

    A skipped answer (None) is a gap: the line breaks there and nothing is shaded towards it,
    so a skipped area never looks like the lowest value. The caller marks its label.
    """
    count = len(labels)
    angles = [2 * math.pi * i / count for i in range(count)]
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
    shapes = [] if first is None else [(first, FIRST_COLOUR, 2, "--", 0.15, first_label)]
    shapes.append((latest, LATEST_COLOUR, 3, "-", 0.25, latest_label))
    for values, colour, width, style, alpha, label in shapes:
        for stretch in _answered_stretches(values):
            closed = len(stretch) == count
            ids = [*stretch, stretch[0]] if closed else stretch
            xs, ys = [angles[i] for i in ids], [float(values[i] or 0) for i in ids]
            axes.plot(
                xs,
                ys,
                color=colour,
                linewidth=width,
                linestyle=style,
                marker="o",
                markersize=5,
                label=label,
            )
            label = "_"  # one legend entry per shape
            if closed:
                axes.fill(xs, ys, color=colour, alpha=alpha)
            elif len(stretch) > 1:  # a wedge from the centre: shaded only where answered
                axes.fill([xs[0], *xs, xs[-1]], [low, *ys, low], color=colour, alpha=alpha)
    figure.suptitle(title, fontsize=16, y=0.97)
    figure.legend(loc="lower center", ncol=2, fontsize=13, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _answered_stretches(values: Sequence[float | None]) -> list[list[int]]:
    """Indexes of answered values in unbroken stretches around the circle; all of them in one
    stretch when nothing was skipped."""
    count = len(values)
    if all(v is not None for v in values):
        return [list(range(count))]
    start = next(i for i, v in enumerate(values) if v is None)
    stretches: list[list[int]] = [[]]
    for step in range(1, count + 1):
        index = (start + step) % count
        if values[index] is None:
            stretches.append([])
        else:
            stretches[-1].append(index)
    return [s for s in stretches if s]


def history_png(
    *,
    title: str,
    points: Sequence[tuple[datetime, float]],
    low: float,
    high: float,
    tz: tzinfo,
    marks: Sequence[float] = (),
) -> bytes:
    """A line chart of a dialogue's score over time, one dot per finished run, dates in `tz`;
    `marks` are cut-offs drawn as dashed lines (the WHO-5's 28 and 50)."""
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
    for mark in marks:
        axes.axhline(mark, color=FIRST_COLOUR, linewidth=1.2, linestyle="--")
    axes.grid(color="#d0d7de")
    axes.tick_params(labelsize=11)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.suptitle(title, fontsize=14, y=0.96)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


IMPROVED_COLOUR = "#1a7f37"
WORSE_COLOUR = "#cf222e"


def change_bars_png(
    *,
    labels: Sequence[str],
    improved: Sequence[float],
    worse: Sequence[float],
    improved_label: str,
    worse_label: str,
) -> bytes:
    """For the impact report: one diverging bar per area, the share who improved to the right
    and the share who got worse to the left (percent), so the balance reads at a glance. No
    title: the page's heading above it names the self-assessment."""
    rows = max(len(labels), 1)
    top, bar, bottom = 0.45, 0.4, 0.4  # inches: the legend, one bar, the scale
    height = top + bar * rows + bottom
    figure = Figure(figsize=(4.6, height), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.4, bottom / height, 0.55, bar * rows / height))
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, [-100 * w for w in worse], color=WORSE_COLOUR, label=worse_label)
    axes.barh(positions, [100 * i for i in improved], color=IMPROVED_COLOUR, label=improved_label)
    axes.axvline(0, color="#57606a", linewidth=1)
    axes.set_xlim(-100, 100)
    axes.set_xticks([-100, -50, 0, 50, 100])
    axes.set_xticklabels(["100 %", "50 %", "0", "50 %", "100 %"])
    axes.set_yticks(positions)
    axes.set_yticklabels(labels, fontsize=12)
    axes.tick_params(axis="x", labelsize=10)
    axes.grid(axis="x", color="#d0d7de")
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize=12)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
