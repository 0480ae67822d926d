"""The report as one self-contained HTML page (and a shorter notebook rendering).

No scripts, fonts, images or styles are fetched: the CSS is inline, charts are
inline SVG, and a Content-Security-Policy forbids the page any request at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from duckseg.report.metrics import BASE
from duckseg.report.svg import (
    BASE_COLOR,
    Bar,
    Cell,
    Series,
    bar_chart,
    color_for,
    esc,
    fmt_int,
    fmt_lift,
    fmt_pct,
    fmt_value,
    heatmap,
    lift_class,
    line_chart,
)

if TYPE_CHECKING:
    from duckseg.report.result import Report

Row = dict[str, Any]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root { --ink: #1f2933; --muted: #6b7785; --line: #e3e7ec; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 32px 24px 48px; }
header h1 { font-size: 28px; margin: 0 0 4px; letter-spacing: -0.01em; }
.sub, .muted { color: var(--muted); }
.sub { margin: 0; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 20px 24px; margin-top: 22px; }
section > h2 { font-size: 18px; margin: 0 0 4px; }
section > p.lead { margin: 0 0 14px; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-top: 4px solid var(--c); border-radius: 8px;
  padding: 12px 14px; }
.card h3 { margin: 0; font-size: 15px; overflow-wrap: anywhere; }
.card .big { font-size: 30px; font-weight: 700; line-height: 1.2; margin-top: 6px; }
.card p { margin: 6px 0 0; font-size: 13px; }
.card .definition { color: var(--ink); }
.card .meta { color: var(--muted); font-size: 12px; }
.sharebar { height: 6px; background: #eef1f4; border-radius: 3px; margin-top: 6px; }
.sharebar span { display: block; height: 6px; border-radius: 3px; background: var(--c); }
.highlights { margin: 16px 0 0; padding-left: 20px; }
.highlights li { margin: 3px 0; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 0 0 8px; font-size: 13px; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px;
  border-radius: 3px; background: var(--c); margin-right: 6px; vertical-align: -1px; }
.metric { border-top: 1px solid var(--line); padding-top: 14px; margin-top: 14px; }
.metric:first-of-type { border-top: 0; margin-top: 0; padding-top: 0; }
.metric h3 { margin: 0; font-size: 15px; }
.metric p { margin: 2px 0 6px; font-size: 13px; }
.open { display: inline-block; background: #fff4e0; color: #8a5300; border-radius: 4px;
  padding: 0 6px; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 18px; }
table.breakdown { table-layout: fixed; min-width: 640px; }
table.breakdown th:first-child { width: 18%; }
table.breakdown th { overflow-wrap: anywhere; vertical-align: bottom; }
table.breakdown td.num { white-space: nowrap; }
.scroll { overflow-x: auto; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.cellbar { display: inline-block; height: 8px; border-radius: 2px; background: var(--c);
  vertical-align: middle; margin-right: 6px; opacity: 0.85; }
.lift-up { color: #2f7d4a; font-weight: 600; }
.lift-down { color: #b23a48; font-weight: 600; }
.lift-flat, .lift-none { color: var(--muted); }
.small { font-size: 12px; }
h3.attr { font-size: 15px; margin: 12px 0 0; }
details { margin-top: 10px; }
summary { cursor: pointer; color: var(--muted); font-size: 13px; }
pre { white-space: pre-wrap; font-size: 12px; background: #f3f5f7; padding: 10px;
  border-radius: 6px; }
footer { color: var(--muted); font-size: 12px; margin-top: 22px; }
footer code { font-size: 12px; }
@media print { body { background: #fff; } section { break-inside: avoid; } }
"""


def _rows(report: Report, table: str) -> list[Row]:
    rows: list[Row] = report.tables[table].to_pylist()
    return rows


def _date(at: datetime | None) -> str:
    return "–" if at is None else at.strftime("%d %b %Y, %H:%M UTC")


def _colors(names: Sequence[str]) -> dict[str, str]:
    out = {name: color_for(i) for i, name in enumerate(names)}
    out[BASE] = BASE_COLOR
    return out


# -- sections ---------------------------------------------------------------------------


def _cards(report: Report, colors: dict[str, str]) -> str:
    history = defaultdict(list)
    for row in _rows(report, "size_over_time"):
        history[row["segment"]].append(row)
    cards = []
    for row in _rows(report, "segments"):
        if row["is_base"]:
            continue
        name = row["population"]
        chosen = next((h for h in history[name] if h["in_report"]), None)
        change = ""
        if chosen is not None and len(history[name]) > 1 and history[name][0] is not chosen:
            change = (
                f" · {fmt_int(chosen['entered'])} entered, {fmt_int(chosen['exited'])} exited "
                "since the snapshot before"
            )
        changed = (
            '<p class="meta">The definition has changed since this snapshot was built.</p>'
            if row["definition_changed"]
            else ""
        )
        owner = f" · owner {esc(row['owner'])}" if row["owner"] else ""
        description = f"<p>{esc(row['description'])}</p>" if row["description"] else ""
        definition = (
            f'<p class="definition">Members: {esc(row["definition"])}.</p>'
            if row["definition"]
            else ""
        )
        share = row["share_of_contacts"] or 0.0
        cards.append(
            f'<article class="card" style="--c: {colors[name]}"><h3>{esc(name)}</h3>'
            f'<div class="big">{fmt_int(row["members"])}</div>'
            f'<div class="muted small">{fmt_pct(row["share_of_contacts"])} of all contacts</div>'
            f'<div class="sharebar"><span style="width: {min(100.0, share * 100):.1f}%"></span></div>'
            f"{description}{definition}"
            f'<p class="meta">as of {esc(_date(row["as_of"]))}{owner}{change}</p>{changed}</article>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _highlights(report: Report) -> str:
    """Per segment: the metric and the attribute value it over-indexes on most."""
    items = []
    metrics = [r for r in _rows(report, "metrics") if not r["is_base"] and r["lift"] is not None]
    values = [
        r
        for r in _rows(report, "breakdowns")
        if not r["is_base"]
        and r["lift"] is not None
        and 0.05 <= (r["share"] or 0) < 0.999  # everyone having it is the definition, not news
        and r["value"] not in ("(other)", "(not set)")
    ]
    for name in report.segment_names:
        best = max(
            (r for r in metrics if r["population"] == name), key=lambda r: r["lift"], default=None
        )
        if best is not None and best["lift"] >= 1.1:
            items.append(
                f"<li><b>{esc(name)}</b>: {esc(best['label'])} is "
                f'<span class="lift-up">{fmt_lift(best["lift"])}</span> all contacts '
                f"({esc(fmt_value(best['value'], best['unit']))} vs "
                f"{esc(fmt_value(best['base_value'], best['unit']))}).</li>"
            )
        top = max(
            (r for r in values if r["population"] == name), key=lambda r: r["lift"], default=None
        )
        if top is not None and top["lift"] >= 1.2:
            items.append(
                f"<li><b>{esc(name)}</b>: {fmt_pct(top['share'])} have {esc(top['attribute'])} "
                f"{esc(top['value'])}, against {fmt_pct(top['base_share'])} of all contacts.</li>"
            )
    return f'<ul class="highlights">{"".join(items)}</ul>' if items else ""


def _legend(names: Sequence[str], colors: dict[str, str]) -> str:
    spans = "".join(f'<span style="--c: {colors[n]}">{esc(n)}</span>' for n in names)
    return f'<div class="legend">{spans}</div>'


def _size_section(report: Report, colors: dict[str, str]) -> str:
    by_segment: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for row in _rows(report, "size_over_time"):
        by_segment[row["segment"]].append((row["as_of"], row["members"]))
    names = [n for n in report.segment_names if by_segment.get(n)]
    # Static snapshots are dated by upload, not by as_of: beside dynamic ones they would
    # stretch the time axis from the events' era to today.
    left_out = [n for n in names if n in report.static] if len(report.static) < len(names) else []
    names = [n for n in names if n not in left_out]
    series = [Series(n, colors[n], by_segment[n]) for n in names]
    single = all(len(by_segment[n]) == 1 for n in names)
    note = (
        '<p class="muted small">Each segment has one snapshot so far: build again '
        "(or backtest with --as-of) to see a trend.</p>"
        if single
        else ""
    )
    if left_out:
        note += (
            f'<p class="muted small">Not drawn: {esc(", ".join(left_out))} (static: '
            "its snapshots are dated by upload, not by as_of).</p>"
        )
    return (
        '<section id="size"><h2>Size over time</h2>'
        '<p class="lead">Members at each snapshot, by its as_of.</p>'
        f"{_legend(names, colors)}{line_chart(series)}{note}</section>"
    )


def _overlap_section(report: Report) -> str:
    names = report.segment_names
    cells = {
        (r["segment_a"], r["segment_b"]): Cell(r["overlap"], r["share_of_a"], r["jaccard"])
        for r in _rows(report, "overlap")
    }
    if len(names) < 2:
        body = '<p class="muted">Overlap needs at least two segments.</p>'
    else:
        body = heatmap(names, cells)
    return (
        '<section id="overlap"><h2>Overlap</h2>'
        '<p class="lead">Each row: the share of that segment\'s members who are also in the '
        "column's segment (contacts in both below it). Hover a cell for the Jaccard index.</p>"
        f"{body}</section>"
    )


def _metrics_section(report: Report, colors: dict[str, str]) -> str:
    rows = _rows(report, "metrics")
    if not rows:
        return (
            '<section id="metrics"><h2>Event metrics</h2><p class="muted">No metrics: add them '
            "to a report config (--config report.yaml).</p></section>"
        )
    order = list(dict.fromkeys(r["metric"] for r in rows))
    report_as_of = report.as_of
    blocks = []
    for metric in order:
        mrows = [r for r in rows if r["metric"] == metric]
        segs = [r for r in mrows if not r["is_base"]]
        bases = [r for r in mrows if r["is_base"]]
        bars = [Bar(r["population"], r["value"], colors[r["population"]], r["lift"]) for r in segs]
        # Each lift is against all contacts at that segment's own as_of: one base bar each.
        used = sorted({r["as_of"] for r in segs}) or [report_as_of]
        for base in (b for b in bases if b["as_of"] in used):
            label = BASE if len(used) == 1 else f"{BASE} {base['as_of']:%Y-%m-%d}"
            bars.append(Bar(label, base["value"], BASE_COLOR, None, is_base=True))
        first = mrows[0]
        open_windows = [r for r in mrows if not r["complete"]]
        note = (
            f' <span class="open">window still open: ends {esc(_date(open_windows[0]["window_end"]))}'
            "</span>"
            if open_windows
            else ""
        )
        window = (
            f"from {_date(first['window_start'])} to {_date(first['window_end'])}"
            if first["window_start"] is not None
            else f"up to {_date(first['window_end'])}"
        )
        description = (
            f"{esc(first['description'])}" if first["label"] != first["description"] else ""
        )
        blocks.append(
            f'<div class="metric" data-metric="{esc(metric)}"><h3>{esc(first["label"])}</h3>'
            f'<p class="muted">{description}{" · " if description else ""}'
            f"{esc(window)}{note}</p>"
            f"{bar_chart(bars, first['unit'])}</div>"
        )
    return (
        '<section id="metrics"><h2>Event metrics</h2>'
        '<p class="lead">Per member, at each snapshot\'s as_of; the figure on the right is the '
        "lift: the segment's value divided by the value for all contacts.</p>"
        f"{''.join(blocks)}</section>"
    )


def _breakdowns_section(report: Report, colors: dict[str, str]) -> str:
    rows = _rows(report, "breakdowns")
    if not rows:
        return ""
    pops = [*report.segment_names, BASE]
    tables = []
    for attribute in dict.fromkeys(r["attribute"] for r in rows):
        arows = [r for r in rows if r["attribute"] == attribute]
        by = {(r["value"], r["population"]): r for r in arows}
        head = "".join(f'<th class="num">{esc(p)}</th>' for p in pops)
        body = []
        for value in dict.fromkeys(r["value"] for r in arows):
            cells = []
            for p in pops:
                r = by.get((value, p))
                if r is None:
                    cells.append('<td class="num">–</td>')
                    continue
                width = 36 * (r["share"] or 0.0)
                lift = (
                    ""
                    if r["is_base"] or not r["members"]
                    else f' <span class="{lift_class(r["lift"])} small">{fmt_lift(r["lift"])}</span>'
                )
                cells.append(
                    f'<td class="num"><span class="cellbar" style="--c: {colors[p]}; '
                    f'width: {width:.0f}px"></span>{fmt_pct(r["share"])}{lift}</td>'
                )
            body.append(f"<tr><td>{esc(value)}</td>{''.join(cells)}</tr>")
        tables.append(
            f'<h3 class="attr">{esc(attribute)}</h3><div class="scroll"><table class="breakdown" '
            f'data-attribute="{esc(attribute)}"><thead><tr><th>value</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
    return (
        '<section id="breakdowns"><h2>Breakdowns</h2>'
        '<p class="lead">Share of each population with each value; the small figure is the '
        "lift against all contacts.</p>"
        f"{''.join(tables)}</section>"
    )


def render_page(report: Report) -> str:
    """The whole report page."""
    names = report.segment_names
    colors = _colors(names)
    base = next(r for r in _rows(report, "segments") if r["is_base"])
    files = ", ".join(f"<code>{esc(f)}</code>" for f in report.files().values())
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(report.title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{esc(report.title)}</h1>"
        f'<p class="sub">{len(names)} segment{"s" if len(names) != 1 else ""} compared with all '
        f"{fmt_int(base['members'])} contacts · as of {esc(_date(report.as_of))} · "
        f"generated {esc(_date(report.created_at))}</p></header>"
        '<section id="summary"><h2>Summary</h2>'
        f"{_cards(report, colors)}{_highlights(report)}</section>"
        f"{_size_section(report, colors)}{_overlap_section(report)}"
        f"{_metrics_section(report, colors)}{_breakdowns_section(report, colors)}"
        f"<footer>Tables in this folder: {files}. Column meanings are in each Parquet "
        "file's schema metadata and in report.json.</footer>"
        "</main></body></html>\n"
    )


def notebook_html(report: Report) -> str:
    """A compact rendering for Jupyter: summary, metric bars, overlap folded away."""
    names = report.segment_names
    colors = _colors(names)
    rows = []
    for r in _rows(report, "segments"):
        rows.append(
            f'<tr><td>{esc(r["population"])}</td><td class="num">{fmt_int(r["members"])}</td>'
            f'<td class="num">{fmt_pct(r["share_of_contacts"])}</td>'
            f"<td>{esc(r['definition'] or '')}</td></tr>"
        )
    table = (
        '<table><thead><tr><th>population</th><th class="num">members</th><th class="num">share</th>'
        f"<th>definition</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return (
        '<div class="duckseg-report"><style>.duckseg-report td.num, .duckseg-report th.num '
        "{ text-align: right; } .duckseg-report .lift-up { color: #2f7d4a; font-weight: 600; }"
        "</style>"
        f"<h4>{esc(report.title)}</h4>"
        f"<p>as of {esc(_date(report.as_of))}; written to <code>{esc(report.path)}</code> "
        f"(open <code>{esc(report.html_path.name)}</code> for the full page)</p>"
        f"{table}{_highlights(report)}"
        f"<details><summary>Event metrics</summary>{_metrics_section(report, colors)}</details>"
        f"<details><summary>Overlap</summary>{_overlap_section(report)}</details>"
        "</div>"
    )
