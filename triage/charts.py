"""The geometry of the round page's bar charts, drawn as inline SVG by triage/templates/round.html.

No charting library is installed (pygal is not a dependency), and the page's Content-Security-Policy
allows no script and no inline style, so the charts are plain rectangles and text whose colours come
from the stylesheet by class.  Here only the arithmetic: where each bar goes in the chart's viewBox."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
MAX_LABELS = 16  # a long round labels every n-th day, so the dates do not run into each other


@dataclass(frozen=True)
class Column:
    """One upright bar: `key` names it for the page's data attributes (an ISO day, a bucket)."""

    key: str
    label: str  # under the bar; "" where a long axis leaves it out
    value: int
    x: float
    y: float
    width: float
    height: float
    css: str

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    baseline: float
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Segment:
    """One part of a lying bar (a stacked bar has one per kind: missing, to review)."""

    name: str
    value: int
    x: float
    width: float
    css: str


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    total: int
    y: float
    height: float
    segments: tuple[Segment, ...]

    @property
    def end(self) -> float:
        """Where the bar stops: its number is written just after it."""
        return self.segments[-1].x + self.segments[-1].width if self.segments else 0.0

    @property
    def middle(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class RowChart:
    width: int
    height: int
    label_width: int
    rows: tuple[Row, ...]


def columns(values: Sequence[tuple[str, str, int, str]], height: int = 200, width: int = WIDTH) -> ColumnChart:
    """Upright bars of (key, label, value, css class), scaled to the largest value; room above each bar
    for its number and below for its label."""
    top, bottom, gap = 18.0, 22.0, 0.2
    plot = height - top - bottom
    most = max((v for _, _, v, _ in values), default=0) or 1
    step = width / max(len(values), 1)
    every = max(1, math.ceil(len(values) / MAX_LABELS))
    bars = []
    for n, (key, label, value, css) in enumerate(values):
        tall = plot * value / most
        bars.append(Column(key, label if n % every == 0 else "", value, n * step + step * gap / 2, top + plot - tall,
                           step * (1 - gap), tall, css))
    return ColumnChart(width, height, top + plot, tuple(bars))


def rows(values: Sequence[tuple[str, str, Sequence[tuple[str, int, str]]]], width: int = WIDTH, label_width: int = 230,
         row_height: int = 28) -> RowChart:
    """Lying bars of (key, label, [(segment name, value, css class), …]), stacked, scaled to the largest total."""
    room = width - label_width - 40  # the number after the longest bar
    most = max((sum(v for _, v, _ in parts) for _, _, parts in values), default=0) or 1
    found = []
    for n, (key, label, parts) in enumerate(values):
        x = float(label_width)
        segments = []
        for name, value, css in parts:
            wide = room * value / most
            segments.append(Segment(name, value, x, wide, css))
            x += wide
        found.append(Row(key, label, sum(v for _, v, _ in parts), n * row_height + 4.0, row_height - 8.0, tuple(segments)))
    return RowChart(width, len(values) * row_height, label_width, tuple(found))
