"""Charts as server-rendered inline SVG (no JavaScript, no CDN): the view computes the
geometry, `crisis/_line_chart.html` and `crisis/_bar_chart.html` draw it. Every chart also has
its numbers in a table for screen readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


@dataclass
class Series:
    label: str
    points: list[tuple[date, int]]
    css: str  # class of the line: actual | plan | fcfs
    polyline: str = ""


@dataclass
class LineChart:
    title: str
    series: list[Series]
    width: int = WIDTH
    height: int = HEIGHT
    y_ticks: list[tuple[float, int]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    markers: list[tuple[float, str]] = field(default_factory=list)  # vertical lines
    empty: bool = False


def _nice_max(value: int) -> int:
    """A round top for the y axis, divisible by 4 (five whole-number ticks)."""
    if value <= 4:
        return 4
    step = 10 ** (len(str(value)) - 1)
    top = ((value + step - 1) // step) * step
    return top + (-top) % 4


def line_chart(title: str, series: list[Series], markers: list[tuple[date, str]]) -> LineChart:
    """Lines of counts per day on a shared date axis."""
    chart = LineChart(title=title, series=series)
    days = [d for s in series for d, _v in s.points] + [d for d, _l in markers]
    if not days or not any(s.points for s in series):
        chart.empty = True
        return chart
    first, last = min(days), max(days)
    span = max(1, (last - first).days)
    top = _nice_max(max((v for s in series for _d, v in s.points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(d: date) -> float:
        return round(LEFT + plot_w * (d - first).days / span, 1)

    def y(v: int) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    for s in series:
        s.polyline = " ".join(f"{x(d)},{y(v)}" for d, v in s.points)
    chart.y_ticks = [(y(top * i // 4), top * i // 4) for i in range(5)]
    chart.x_ticks = [
        (x(d), d.strftime("%d/%m")) for d in (first + (last - first) * i / 4 for i in range(5))
    ]
    chart.markers = [(x(d), label) for d, label in markers]
    return chart


@dataclass
class Bar:
    label: str
    value: int
    css: str
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0


@dataclass
class BarChart:
    title: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    empty: bool = False


def bar_chart(title: str, bars: list[Bar]) -> BarChart:
    chart = BarChart(title=title, bars=bars)
    top = max((b.value for b in bars), default=0)
    if not bars or top == 0:
        chart.empty = True
        return chart
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(bars)
    for i, b in enumerate(bars):
        b.width = round(slot * 0.6, 1)
        b.x = round(LEFT + slot * i + slot * 0.2, 1)
        b.height = round(plot_h * b.value / top, 1)
        b.y = round(TOP + plot_h - b.height, 1)
    return chart
