"""Inline SVG charts: size over time, the overlap heat-map, metric bars.

Plain strings, no scripts and no external references, so a report page opens
offline and prints. Every label passes through `html.escape`; hovering a mark
shows its exact numbers (an SVG `<title>`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PALETTE = (
    "#3b6fb6",
    "#e07b39",
    "#3f9a5b",
    "#c8475a",
    "#7a5cb8",
    "#2e9fa6",
    "#b8860b",
    "#d16ba5",
)
BASE_COLOR = "#9aa3ad"
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#e3e7ec"
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- number formatting ---------------------------------------------------------------


def fmt_int(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def fmt_compact(n: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            text = f"{n / size:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.2f}"


def fmt_pct(share: float | None) -> str:
    if share is None:
        return "–"
    pct = share * 100
    if pct == 0:
        return "0%"
    if pct < 0.1:
        return "<0.1%"
    return f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%"


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return fmt_pct(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def fmt_lift(lift: float | None) -> str:
    return "–" if lift is None else f"{lift:.2f}×"


def lift_class(lift: float | None) -> str:
    if lift is None:
        return "lift-none"
    if lift >= 1.1:
        return "lift-up"
    if lift <= 0.9:
        return "lift-down"
    return "lift-flat"


def color_for(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_max(value: float) -> float:
    """A round axis maximum at or above value (1, 2, 2.5, 5 x 10^k)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10.0 ** (exponent + 1))


def nice_ticks(value: float, count: int = 4) -> list[float]:
    """Whole round tick values (counts) from 0 to at least value, about `count` steps."""
    step = float(math.ceil(max(1.0, nice_max(value / count))))
    top = step * math.ceil(value / step) if value > 0 else step
    return [step * i for i in range(round(top / step) + 1)]


def _svg(width: int, height: int, body: str, label: str, css_class: str) -> str:
    return (
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" style="max-width: 100%; height: auto" role="img" '
        f'aria-label="{esc(label)}" {FONT}>{body}</svg>'
    )


# -- size over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    points: Sequence[tuple[datetime, int]]


def _date_label(at: datetime, span: timedelta) -> str:
    if span > timedelta(days=300):
        return at.strftime("%b %Y")
    if span < timedelta(days=2):
        return at.strftime("%d %b %H:%M")
    return at.strftime("%d %b")


LABEL_CHAR_PX = 7.0  # a generous width per character of an 11px axis label
LABEL_GAP_PX = 8.0


def _spaced(
    ticks: Sequence[datetime], x: Callable[[datetime], float], label: Callable[[datetime], str]
) -> list[datetime]:
    """The ticks whose labels do not overlap, left to right, always keeping the last one
    (the latest as_of) and dropping what comes too close before it."""

    def half(at: datetime) -> float:
        return len(label(at)) * LABEL_CHAR_PX / 2

    kept: list[datetime] = []
    for at in reversed(sorted(ticks)):
        if not kept or x(kept[-1]) - half(kept[-1]) - LABEL_GAP_PX >= x(at) + half(at):
            kept.append(at)
    return kept[::-1]


def line_chart(series: Sequence[Series], width: int = 760, height: int = 280) -> str:
    """Members over time, one line per segment."""
    points = [p for s in series for p in s.points]
    if not points:
        return ""
    left, right, top, bottom = 64, 24, 16, 40
    times = [t for t, _ in points]
    lo, hi = min(times), max(times)
    if lo == hi:
        lo, hi = lo - timedelta(days=1), hi + timedelta(days=1)
    span = hi - lo
    yticks = nice_ticks(max(n for _, n in points) * 1.05)
    ymax = yticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(at: datetime) -> float:
        return left + plot_w * ((at - lo) / span)

    def y(n: float) -> float:
        return top + plot_h * (1 - n / ymax)

    parts = []
    for value in yticks:
        yy = y(value)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 8}" y="{yy + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{MUTED}">{esc(fmt_compact(value))}</text>'
        )
    ticks = sorted(set(times)) if len(set(times)) <= 6 else [lo + span * (i / 4) for i in range(5)]
    for at in _spaced(ticks, x, lambda at: _date_label(at, span)):
        xx = x(at)
        parts.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 5}" '
            f'stroke="{MUTED}"/><text x="{xx:.1f}" y="{top + plot_h + 19}" text-anchor="middle" '
            f'font-size="11" fill="{MUTED}">{esc(_date_label(at, span))}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{MUTED}"/>'
    )
    for s in series:
        coords = [(x(t), y(n), t, n) for t, n in sorted(s.points)]
        if len(coords) > 1:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy, _, _ in coords)
            parts.append(
                f'<polyline class="chart-line" data-segment="{esc(s.name)}" points="{path}" '
                f'fill="none" stroke="{s.color}" stroke-width="2.5" stroke-linejoin="round"/>'
            )
        for cx, cy, t, n in coords:
            parts.append(
                f'<circle class="chart-point" cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" '
                f'fill="#fff" stroke="{s.color}" stroke-width="2"><title>{esc(s.name)}: '
                f"{n:,} members as of {esc(t.strftime('%Y-%m-%d %H:%M'))} UTC</title></circle>"
            )
    return _svg(width, height, "".join(parts), "segment size over time", "chart size-chart")


# -- overlap heat-map ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    overlap: int
    share_of_a: float | None
    jaccard: float | None


def _heat(share: float) -> str:
    """White to deep blue."""
    share = max(0.0, min(1.0, share))
    low, high = (247, 250, 253), (31, 84, 160)
    rgb = tuple(round(a + (b - a) * share**0.8) for a, b in zip(low, high, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def heatmap(names: Sequence[str], cells: Mapping[tuple[str, str], Cell], cell: int = 96) -> str:
    """Row a, column b: the share of a's members also in b."""
    if not names:
        return ""
    longest = max(len(_short(n, 26)) for n in names)
    label_w = max(100, min(230, 8 * longest + 20))
    top = 24 + round(7 * longest * 0.64)  # room for column labels at 40 degrees
    width = label_w + cell * len(names) + round(7 * longest * 0.77) + 8
    height = top + cell * len(names) + 8
    parts = []
    for j, b in enumerate(names):
        cx = label_w + cell * j + cell / 2
        parts.append(
            f'<text transform="translate({cx:.1f},{top - 10}) rotate(-40)" font-size="13" '
            f'fill="{INK}">{esc(_short(b, 26))}</text>'
        )
    for i, a in enumerate(names):
        cy = top + cell * i
        parts.append(
            f'<text x="{label_w - 10}" y="{cy + cell / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="13" fill="{INK}">{esc(_short(a, 26))}</text>'
        )
        for j, b in enumerate(names):
            c = cells[(a, b)]
            share = c.share_of_a or 0.0
            fill = "#e9ecef" if a == b else _heat(share)
            ink = "#ffffff" if a != b and share > 0.55 else INK
            x0 = label_w + cell * j
            tip = (
                f"{a}: {c.overlap:,} members"
                if a == b
                else f"{fmt_pct(c.share_of_a)} of {a} ({c.overlap:,} contacts) are also in {b}; "
                f"Jaccard {c.jaccard or 0:.2f}"
            )
            parts.append(
                f'<g class="heat-cell" data-a="{esc(a)}" data-b="{esc(b)}">'
                f'<rect x="{x0 + 1}" y="{cy + 1}" width="{cell - 2}" height="{cell - 2}" rx="4" '
                f'fill="{fill}"><title>{esc(tip)}</title></rect>'
                f'<text x="{x0 + cell / 2:.1f}" y="{cy + cell / 2:.1f}" text-anchor="middle" '
                f'font-size="17" font-weight="600" fill="{ink}">{esc(fmt_pct(c.share_of_a))}</text>'
                f'<text x="{x0 + cell / 2:.1f}" y="{cy + cell / 2 + 18:.1f}" text-anchor="middle" '
                f'font-size="11" fill="{ink}">{esc(fmt_compact(c.overlap))} contacts</text></g>'
            )
    return _svg(width, height, "".join(parts), "segment overlap", "chart heatmap")


def _short(name: str, limit: int = 14) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


# -- metric bars ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    color: str
    lift: float | None
    is_base: bool = False


def bar_chart(bars: Sequence[Bar], unit: str, width: int = 760, row: int = 30) -> str:
    """One horizontal bar per population; the base is grey; lift on the right."""
    if not bars:
        return ""
    label_w, value_w, lift_w = 170, 70, 78
    plot_w = width - label_w - value_w - lift_w - 12
    top = 22
    height = top + row * len(bars) + 6
    largest = max((b.value or 0.0) for b in bars)
    scale = nice_max(largest)
    if unit == "share":
        scale = min(1.0, scale)
    parts = [
        f'<text x="{label_w + plot_w + 8}" y="14" font-size="11" fill="{MUTED}">value</text>'
        f'<text x="{width - 6}" y="14" text-anchor="end" font-size="11" fill="{MUTED}">'
        "lift vs all</text>"
    ]
    for i, b in enumerate(bars):
        y0 = top + row * i
        w = 0.0 if b.value is None else plot_w * max(0.0, b.value) / scale
        parts.append(
            f'<text x="{label_w - 10}" y="{y0 + row / 2 + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{esc(_short(b.label, 24))}</text>'
            f'<rect x="{label_w}" y="{y0 + 5}" width="{plot_w}" height="{row - 10}" rx="3" '
            f'fill="#f3f5f7"/>'
            f'<rect class="metric-bar{" metric-base" if b.is_base else ""}" '
            f'data-population="{esc(b.label)}" x="{label_w}" y="{y0 + 5}" width="{w:.1f}" '
            f'height="{row - 10}" rx="3" fill="{b.color}">'
            f"<title>{esc(b.label)}: {esc(fmt_value(b.value, unit))}</title></rect>"
            f'<text x="{label_w + plot_w + 8}" y="{y0 + row / 2 + 4:.1f}" font-size="12" '
            f'font-weight="600" fill="{INK}">{esc(fmt_value(b.value, unit))}</text>'
        )
        if not b.is_base:
            tone = {"lift-up": "#2f7d4a", "lift-down": "#b23a48"}.get(lift_class(b.lift), MUTED)
            parts.append(
                f'<text class="lift" x="{width - 6}" y="{y0 + row / 2 + 4:.1f}" text-anchor="end" '
                f'font-size="12" font-weight="600" fill="{tone}">{esc(fmt_lift(b.lift))}</text>'
            )
    return _svg(width, height, "".join(parts), "metric by segment", "chart metric-chart")
