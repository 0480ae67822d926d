"""Traits and percentiles: what they add to a build, measured on the benchmark lake.

    .venv/bin/python -m benchmarks.traits_bench --sf 1 --runs 5

Pairs of definitions, timed back to back in each round (rotated order), each
pair differing only in what is measured:

- a segment whose tests are event conditions (a sum over all history, a count
  in 365 days), then the same tests as traits: traits are aggregates of the
  one events pass, so the second must not scan the events again (checked in
  the SQL: one `FROM events`) and gives the same members;
- `last_value` of a property against `max` of it, the nearest event condition;
- the same segment with a `top_percent` condition on a trait: one more pass
  over the contacts (checked in the SQL: one ranking table);
- an attribute comparison, then `top_percent` on the same attribute;
- `ws.traits()` of four traits for every contact, in seconds.

Members of each query are counted; the percentile segment is checked against
a hand-written count (fewer than P% of contacts spent more). Results go to
benchmarks/results/traits_sf<SF>.json; RESULTS.md quotes them.
"""

from __future__ import annotations

import argparse
import json
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import generate, scale_bench
from benchmarks.common import AS_OF, RESULTS_DIR, sf_label
from benchmarks.measure import Timings, paired_ratio, rotate, timed
from benchmarks.report import machine
from duckseg import Segment, Workspace

TRAITS = {
    "lifetime_spend": "of: purchase\nvalue: {fn: sum, prop: amount}\n",
    "order_count": "of: purchase\nwithin: 365d\nvalue: {fn: count}\n",
    "last_order_amount": "of: purchase\nvalue: {fn: last_value, prop: amount}\n",
    "first_seen": "of: [session_start, page_view, purchase]\nvalue: {fn: first_time}\n",
}
BUYERS = {"performed": "purchase", "within": "365d", "count": {"op": "gte", "value": 2}}
SPEND_OVER_1000 = {
    "performed": "purchase",
    "count": {"op": "gte", "value": 0},
    "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 1000},
}
AT_MOST_20_ORDERS = {"performed": "purchase", "within": "365d", "count": {"op": "lte", "value": 20}}
PAIRS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # the same tests (the same members), as event conditions and as traits
    "two traits vs the same event conditions": (
        {"all": [BUYERS, SPEND_OVER_1000, AT_MOST_20_ORDERS]},
        {
            "all": [
                BUYERS,
                {"trait": "lifetime_spend", "op": "gt", "value": 1000},
                {"trait": "order_count", "op": "lte", "value": 20},
            ]
        },
    ),
    # the value of the latest purchase against the largest one: the pairs it takes the max of
    "last_value vs max": (
        {
            "all": [
                BUYERS,
                {
                    "performed": "purchase",
                    "aggregate": {"fn": "max", "prop": "amount", "op": "gt", "value": 50},
                },
            ]
        },
        {"all": [BUYERS, {"trait": "last_order_amount", "op": "gt", "value": 50}]},
    ),
    "top_percent of a trait": (
        {"all": [BUYERS, {"trait": "lifetime_spend", "op": "gt", "value": 1000}]},
        {"all": [BUYERS, {"trait": "lifetime_spend", "op": "top_percent", "value": 10}]},
    ),
    "top_percent of an attribute": (
        {"attr": "total_spent", "op": "gt", "value": 10000},
        {"attr": "total_spent", "op": "top_percent", "value": 10},
    ),
}


def _segment(where: dict[str, Any]) -> Segment:
    return Segment.from_dict({"name": "bench", "where": where})


def _count_query(ws: Workspace, where: dict[str, Any]) -> tuple[str, Callable[[], int]]:
    sql = ws.compile(_segment(where), as_of=AS_OF)

    def run() -> int:
        con = ws.connect()
        try:
            return len(con.sql(sql).fetchall())
        finally:
            con.close()

    return sql, run


def bench(ws: Workspace, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, (base, measured) in PAIRS.items():
        base_sql, run_base = _count_query(ws, base)
        sql, run = _count_query(ws, measured)
        checks = {
            "events_scans": (base_sql.count("FROM events"), sql.count("FROM events")),
            "contact_ranks_passes": sql.count("contact_ranks AS ("),
            "members": (run_base(), run()),  # warm-up, and the counts
        }
        timings = {"base": Timings(), "measured": Timings()}
        for i in range(runs):
            for which in rotate(["base", "measured"], i):
                seconds, _ = timed(run_base if which == "base" else run)
                timings[which].add(seconds)
        ratio = paired_ratio(timings["measured"].seconds, timings["base"].seconds)
        out[label] = {
            "checks": checks,
            "timings": {k: t.as_dict() for k, t in timings.items()},
            "ratio": round(ratio, 3),
        }
        log(f"  {label}: {ratio:.2f}x {checks}")
    # the four traits for every contact, as `duckseg traits` computes them
    traits = Timings()
    for _ in range(runs):
        seconds, _ = timed(lambda: ws.traits(as_of=AS_OF).height)
        traits.add(seconds)
    out["four traits per contact"] = {"timings": {"ws.traits()": traits.as_dict()}}
    log(f"  four traits per contact: {traits.median:.2f}s")
    out["percentile_check"] = _check_percentile(ws)
    return out


def _check_percentile(ws: Workspace) -> bool:
    """The top 10% by lifetime spend, counted by hand: fewer than 10% of contacts spent more."""
    values = ws.traits(as_of=AS_OF, names=["lifetime_spend"])["lifetime_spend"].to_list()
    present = sorted(v for v in values if v is not None and v == v)
    n = len(present)
    # values greater than v: those after its last copy in sorted order
    expected = sum(1 for v in present if 100 * (n - bisect_right(present, v)) < 10 * n)
    where = {"trait": "lifetime_spend", "op": "top_percent", "value": 10}
    return ws.preview(_segment(where), as_of=AS_OF, limit=0).count == expected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    raw = generate.generate(args.sf)
    root = scale_bench.workspace_root(args.sf)
    if not (root / "duckseg.toml").exists():
        scale_bench.land_once(raw, root)
    ws = Workspace.open(root)
    (root / "traits").mkdir(exist_ok=True)
    for name, text in TRAITS.items():
        (root / "traits" / f"{name}.yaml").write_text(text, encoding="utf-8")
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"SF{sf_label(args.sf)}: traits and percentiles, {args.runs} rounds", flush=True)
    result = {
        "sf": sf_label(args.sf),
        "runs": args.runs,
        "started_at": started,
        "machine": machine(),
        "results": bench(ws, args.runs, lambda line: print(line, flush=True)),
    }
    path = Path(RESULTS_DIR) / f"traits_sf{sf_label(args.sf)}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0 if result["results"]["percentile_check"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
