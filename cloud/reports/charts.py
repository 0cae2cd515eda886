"""Charts drawn as SVG on the server, pure: a line over periods, bars, stacked bars.

Each chart is a picture of a table the page also shows (the chart is ``aria-hidden`` beside its
``<table>``), so the numbers stay readable without it. Labels are escaped; values are plain numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 56, 28, 12
COLOURS = ("#1f6feb", "#d97706", "#059669", "#9333ea", "#dc2626")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]


def _scale(series: Sequence[Series]) -> float:
    top = max((v for s in series for v in s.values if v is not None), default=0.0)
    return float(top) if top > 0 else 1.0


def _frame(labels: Sequence[str], top: float, unit: str) -> list[str]:
    plot_h = HEIGHT - BOTTOM - TOP
    parts = [f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH}" y2="{TOP + plot_h}" stroke="#888"/>']
    for tick in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - tick)
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                     f"{escape(_number(top * tick))}{escape(unit)}</text>")
    step = max(1, len(labels) // 12)
    slot = (WIDTH - LEFT) / max(len(labels), 1)
    for n, label in enumerate(labels):
        if n % step == 0:
            x = LEFT + slot * (n + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11">'
                         f"{escape(label)}</text>")
    return parts


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(parts: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'aria-hidden="true" focusable="false" class="chart"><title>{escape(title)}</title>'
            f'{"".join(parts)}</svg>')


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "") -> str:
    top, plot_h = _scale(series), HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(labels), 1)
    parts = _frame(labels, top, unit)
    for colour, one in zip(COLOURS, series, strict=False):
        points = [f"{LEFT + slot * (n + 0.5):.1f},{TOP + plot_h * (1 - v / top):.1f}"
                  for n, v in enumerate(one.values) if v is not None]
        if points:
            joined = " ".join(points)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{joined}"/>')
    return _svg(parts, title)


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "",
              stacked: bool = False) -> str:
    """Grouped bars, or stacked ones (then the scale is the largest total)."""
    if stacked:
        totals = [sum(s.values[n] or 0 for s in series) for n in range(len(labels))]
        top = _scale([Series("total", totals)])
    else:
        top = _scale(series)
    plot_h, slot = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT) / max(len(labels), 1)
    parts = _frame(labels, top, unit)
    width = slot * 0.8 / (1 if stacked else max(len(series), 1))
    for n in range(len(labels)):
        base = 0.0
        for k, (colour, one) in enumerate(zip(COLOURS, series, strict=False)):
            value = float(one.values[n] or 0)
            if value <= 0:
                continue
            height = plot_h * value / top
            x = LEFT + slot * n + slot * 0.1 + (0 if stacked else k * width)
            y = TOP + plot_h - height - (plot_h * base / top if stacked else 0)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                         f'fill="{colour}"/>')
            base += value if stacked else 0
    return _svg(parts, title)


def legend(series: Sequence[Series]) -> list[tuple[str, str]]:
    """(colour, name) of each series, for the page to print under its chart."""
    return [(colour, one.name) for colour, one in zip(COLOURS, series, strict=False)]
