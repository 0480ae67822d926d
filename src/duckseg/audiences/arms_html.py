"""The arms report as one self-contained HTML page: values with interval bars, in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from duckseg.lang.time import iso
from duckseg.report.html import CSP, CSS
from duckseg.report.svg import color_for, esc, fmt_int

if TYPE_CHECKING:
    from duckseg.audiences.measure import ArmReport

Row = dict[str, Any]
WIDTH, ROW_H, LABEL_W = 760, 28, 120


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{value * 100:.2f}%"
    return f"{value:,.3f}"


def _fmt_diff(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{value * 100:+.2f} points"
    return f"{value:+,.3f}"


def interval_chart(items: Sequence[tuple[str, float | None, float | None, float | None]]) -> str:
    """One row per (label, value, low, high): a dot at the value, a bar over the interval,
    and a line at zero when the axis crosses it."""
    known = [x for _, v, lo, hi in items for x in (v, lo, hi) if x is not None]
    if not known:
        return ""
    lo_all, hi_all = min([*known, 0.0]), max([*known, 0.0])
    span = (hi_all - lo_all) or 1.0
    lo_all, hi_all = lo_all - span * 0.05, hi_all + span * 0.05
    plot = WIDTH - LABEL_W - 20
    height = ROW_H * len(items) + 24

    def x(value: float) -> float:
        return LABEL_W + (value - lo_all) / (hi_all - lo_all) * plot

    parts = [
        f'<line x1="{x(0):.1f}" y1="4" x2="{x(0):.1f}" y2="{height - 18}" '
        'stroke="#9aa5b1" stroke-dasharray="3 3"/>',
        f'<text x="{x(0):.1f}" y="{height - 4}" font-size="11" text-anchor="middle" '
        'fill="#6b7785">0</text>',
    ]
    for i, (label, value, low, high) in enumerate(items):
        y = 14 + i * ROW_H
        color = color_for(i)
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + 4}" font-size="12" text-anchor="end">{esc(label)}</text>'
        )
        if low is not None and high is not None:
            parts.append(
                f'<line x1="{x(low):.1f}" y1="{y}" x2="{x(high):.1f}" y2="{y}" stroke="{color}" '
                'stroke-width="6" stroke-linecap="round" opacity="0.45"/>'
            )
        if value is not None:
            parts.append(f'<circle cx="{x(value):.1f}" cy="{y}" r="5" fill="{color}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="values with 95% intervals">'
        + "".join(parts)
        + "</svg>"
    )


def _sentence(row: Row) -> str:
    unit = row["unit"]
    if row["is_holdout"] or row["difference"] is None:
        return ""
    words = (
        f"{esc(row['arm'])}: {_fmt_diff(row['difference'], unit)} against holdout "
        f"(95% interval {_fmt_diff(row['difference_low'], unit)} to "
        f"{_fmt_diff(row['difference_high'], unit)}): "
    )
    if row["distinguishable"] is None:
        return words + "too few members to tell."
    if row["distinguishable"]:
        return words + "<b>distinguishable from zero</b>: the interval excludes 0."
    return words + "<b>not distinguishable from zero</b>: the interval includes 0."


def _metric_block(rows: Sequence[Row]) -> str:
    first = rows[0]
    unit = first["unit"]
    body = "".join(
        f"<tr><td>{esc(r['arm'])}</td><td class='num'>{fmt_int(r['members'])}</td>"
        f"<td class='num'>{_fmt(r['value'], unit)}</td>"
        f"<td class='num'>{_fmt(r['low'], unit)} – {_fmt(r['high'], unit)}</td>"
        f"<td class='num'>{'' if r['is_holdout'] else _fmt_diff(r['difference'], unit)}</td>"
        f"<td class='num'>{'' if r['is_holdout'] or r['difference_low'] is None else _fmt_diff(r['difference_low'], unit) + ' to ' + _fmt_diff(r['difference_high'], unit)}</td></tr>"
        for r in rows
    )
    table = (
        "<table><thead><tr><th>arm</th><th class='num'>members</th><th class='num'>value</th>"
        "<th class='num'>95% interval</th><th class='num'>vs holdout</th>"
        f"<th class='num'>95% interval</th></tr></thead><tbody>{body}</tbody></table>"
    )
    open_note = ""
    if not first["complete"]:
        end = first["window_end"]
        open_note = (
            '<p><span class="open">incomplete</span> the window ends '
            f"{esc(iso(end) if end else '')}: values can still grow.</p>"
        )
    values = interval_chart([(r["arm"], r["value"], r["low"], r["high"]) for r in rows])
    diffs = [
        (r["arm"], r["difference"], r["difference_low"], r["difference_high"])
        for r in rows
        if not r["is_holdout"]
    ]
    sentences = "".join(f"<li>{s}</li>" for r in rows if (s := _sentence(r)))
    return (
        f'<div class="metric"><h3>{esc(first["label"])}</h3>'
        f"<p>{esc(first['description'])}</p>{open_note}{table}"
        f"<p class='small'>Each arm's value, with its 95% interval:</p>{values}"
        + (
            f"<p class='small'>Difference to holdout, with its 95% interval:</p>"
            f"{interval_chart(diffs)}<ul>{sentences}</ul>"
            if diffs and any(r["is_holdout"] for r in rows)
            else "<p class='small'>No holdout arm: nothing to compare against.</p>"
        )
        + "</div>"
    )


def arms_section(report: ArmReport) -> str:
    by_metric: dict[str, list[Row]] = {}
    for row in report.rows:
        by_metric.setdefault(row["metric"], []).append(row)
    blocks = "".join(_metric_block(rows) for rows in by_metric.values())
    return (
        '<section id="arms"><h2>Arms against the holdout</h2>'
        '<p class="lead">Shares use Wilson intervals and Newcombe\'s interval for a difference; '
        "means use t intervals and Welch's interval for a difference. A difference is "
        "distinguishable from zero when its 95% interval excludes 0.</p>"
        + (blocks or "<p>No metrics.</p>")
        + "</section>"
    )


def render_page(report: ArmReport) -> str:
    title = f"Audience report: {report.audience}"
    info = report.snapshot
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{esc(title)}</h1>"
        f'<p class="sub">snapshot {esc(info.snapshot_id)} · {fmt_int(info.count)} members · '
        f"as of {esc(iso(info.as_of))} · generated {esc(iso(report.created_at))}</p></header>"
        f"{arms_section(report)}"
        "<footer>Tables in this folder: <code>arms.parquet</code>, <code>report.json</code>."
        "</footer></main></body></html>\n"
    )
