"""The report's charts: matplotlib figures saved as SVG, returned as ``data:`` URIs.

No pyplot and no display: each chart is its own :class:`matplotlib.figure.Figure`, saved
with the SVG backend, so nothing global changes and any thread may draw. A ``data:`` URI in
an ``<img>`` keeps the page one file that works opened from disk, and keeps each SVG's
internal ids (clip paths, markers) from clashing with another chart's on the same page.

Output is reproducible: no date in the metadata, and a fixed salt for SVG ids. Text stays
text (``svg.fonttype: none``), so it is sharp at any size and light.

Every chart is drawn only from figures that are not all zero: a month with nothing to show
gets "no data yet" in words (``sections``), never an empty chart.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.typing import RcKeyType

WIDTH = 5.0  # inches; the page scales the image to its column (a phone's too)
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "newsletter-report",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
}


@dataclass(frozen=True)
class Colors:
    """The report's colours: the brand's, and plain ones for good and bad news."""

    primary: str
    accent: str
    text: str
    muted: str
    good: str = "#2e7d4f"
    bad: str = "#b3261e"
    light: str = "#c9d3de"


def whole(value: float) -> str:
    return f"{value:,.0f}"


@dataclass(frozen=True)
class Bars:
    """What a bar chart shows: one bar per label."""

    labels: Sequence[str]
    values: Sequence[float]
    colors: Sequence[str]
    horizontal: bool = False  # horizontal bars read top to bottom in the order given
    shown: Callable[[float], str] = whole  # a value, at its bar's end and on the axis
    notes: Sequence[str] | None = None  # written at each bar's end instead of the value
    gaps_after: frozenset[int] = frozenset()  # horizontal: space after these bars (groups)
    line_after: int | None = None  # a dashed line between this bar and the next
    line_label: str = ""
    axis_label: str = ""  # under the labels


def bar_chart(bars: Bars, palette: Colors) -> str:
    """``bars`` drawn, as a ``data:`` URI."""
    count = len(bars.labels)
    height = max(2.0, 0.36 * (count + len(bars.gaps_after) / 2) + 0.8) if bars.horizontal else 3.0
    inches = {"bottom": 0.6 if bars.axis_label or not bars.horizontal else 0.35, "top": 0.2}
    margins = {side: size / height for side, size in inches.items()}
    margins["bottom"], margins["top"] = margins["bottom"], 1 - margins["top"]
    with _chart(height, left=0.42 if bars.horizontal else 0.13, right=0.97, **margins) as (
        ax,
        uri,
    ):
        _draw_bars(ax, bars, palette)
    return uri[0]


def _draw_bars(ax: Axes, bars: Bars, palette: Colors) -> None:
    places, at = [], 0.0
    for index in range(len(bars.labels)):
        places.append(at)
        at += 1.5 if index in bars.gaps_after else 1.0
    notes = bars.notes or [bars.shown(v) if v else "0" for v in bars.values]
    top = max(bars.values, default=0) or 1
    if bars.horizontal:
        drawn = ax.barh(places, bars.values, color=bars.colors, height=0.7)
        ax.set_yticks(places, [_short(label) for label in bars.labels])
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        _value_axis(ax.xaxis, bars.shown)
        ax.set_xlim(0, top * (1.9 if bars.notes else 1.2))  # room for the notes
    else:
        drawn = ax.bar(places, bars.values, color=bars.colors, width=0.7)
        ax.set_xticks(places, bars.labels)
        ax.tick_params(axis="x", length=0)
        _value_axis(ax.yaxis, bars.shown)
        ax.set_ylim(0, top * 1.18)
    ax.bar_label(drawn, labels=notes, padding=3, fontsize=9)
    if bars.axis_label:
        (ax.set_ylabel if bars.horizontal else ax.set_xlabel)(bars.axis_label, fontsize=10)
    if bars.line_after is not None:
        where = (places[bars.line_after] + places[bars.line_after + 1]) / 2
        ax.axvline(where, color=palette.bad, linestyle="--")
        ax.text(where, ax.get_ylim()[1], f" {bars.line_label}", color=palette.bad, va="top")


def _short(label: str, limit: int = 26) -> str:
    """A label that leaves the bars room (the table has it whole)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def stacked_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    palette: Colors,
) -> str:
    """Vertical bars of ``labels`` stacked from ``series`` (name, values, colour), with a
    legend; series that are zero everywhere are left out of the legend."""
    with _chart(3.2, left=0.13, right=0.97, bottom=0.1, top=0.84) as (ax, uri):
        _draw_stacks(ax, labels, series)
    return uri[0]


def _draw_stacks(
    ax: Axes, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]]
) -> None:
    places = list(range(len(labels)))
    bottoms = [0.0] * len(labels)
    for name, values, color in series:
        ax.bar(
            places,
            values,
            bottom=bottoms,
            color=color,
            width=0.6,
            label=name if any(values) else "_nolegend_",
        )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.set_xticks(places, labels)
    ax.tick_params(axis="x", length=0)
    _value_axis(ax.yaxis, lambda v: f"{v:,.0f}")
    ax.set_ylim(0, max(bottoms) * 1.15 or 1)
    if len(labels) == 1:
        ax.set_xlim(-1.5, 1.5)  # one issue: a bar, not a wall
    # Above the plot, never over a bar; compact, so four names fit the width.
    ax.legend(
        frameon=False,
        loc="lower left",
        bbox_to_anchor=(0, 1),
        ncols=len(series),
        fontsize=10,
        handlelength=1.0,
        handletextpad=0.4,
        columnspacing=1.0,
    )


@contextmanager
def _chart(height: float, **margins: float) -> Iterator[tuple[Axes, list[str]]]:
    """Axes to draw on, under the report's style; the SVG's ``data:`` URI is appended to
    the list when the block ends (styles apply both as artists are made and as drawn)."""
    with rc_context(STYLE):
        # Fixed margins, not a layout engine: labels are bounded (see _short), and a
        # layout pass would cost as much as drawing the chart again.
        figure = Figure(figsize=(WIDTH, height))
        figure.subplots_adjust(**margins)
        result: list[str] = []
        yield figure.add_subplot(), result
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None}, transparent=True)
    result.append("data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode())


def _value_axis(axis: Axis, shown: Callable[[float], str]) -> None:
    axis.set_major_locator(MaxNLocator(nbins=4, integer=True, min_n_ticks=2))
    axis.set_major_formatter(FuncFormatter(lambda v, _: shown(v)))
