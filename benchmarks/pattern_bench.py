"""Sequences and lifecycle conditions against the plain conditions they build on.

A sequence of three steps (each step its own scan of its event names, then a chain
test per step) is timed beside a segment with the same three `performed`
conditions (one shared fact pass), with and without a window; a lifecycle
condition beside `performed` over the same stretch of time. Each pair runs back to
back in every round, in alternating order, as the compiled SQL on one connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.common import AS_OF
from benchmarks.measure import Timings, paired_ratio, rotate, timed
from duckseg import Segment, Workspace

STEPS = ("product_view", "add_to_cart", "purchase")


def _sequence(within: str | None) -> dict[str, Any]:
    where: dict[str, Any] = {
        "sequence": [
            {"performed": STEPS[0]},
            {"performed": STEPS[1], "then_within": "1h"},
            {"performed": STEPS[2], "then_within": "1d"},
        ]
    }
    return {**where, "within": within} if within else where


def _all_performed(within: str | None) -> dict[str, Any]:
    window = {"within": within} if within else {}
    return {"all": [{"performed": name, **window} for name in STEPS]}


# (case, the definition measured, the one it is compared with)
PAIRS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("sequence of 3, all history", _sequence(None), _all_performed(None)),
    ("sequence of 3, within 30d", _sequence("30d"), _all_performed("30d")),
    (
        "performed_regularly 1mo x 3",
        {"performed_regularly": "purchase", "every": "1mo", "periods": 3},
        {"performed": "purchase", "within": "3mo"},
    ),
    (
        "stopped_performing 30d after 60d",
        {"stopped_performing": "purchase", "recent": "30d", "prior": "60d"},
        {"performed": "purchase", "within": "90d"},
    ),
]


def bench_patterns(ws: Workspace, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    con = ws.connect()
    out: dict[str, Any] = {}
    try:
        for case, measured, baseline in PAIRS:
            sqls = [
                ws.compile(Segment.from_dict({"name": "probe", "where": w}), as_of=AS_OF)
                for w in (measured, baseline)
            ]
            runners = [_runner(con, sql) for sql in sqls]
            counts = [len(run()) for run in runners]  # warm-up
            timings = [Timings(), Timings()]
            for round_ in range(runs):
                for index in rotate([0, 1], round_):
                    seconds, _ = timed(runners[index])
                    timings[index].add(seconds)
            ratio = paired_ratio(timings[0].seconds, timings[1].seconds)
            out[case] = {
                "members": counts[0],
                "baseline_members": counts[1],
                "timings": {"pattern": timings[0].as_dict(), "baseline": timings[1].as_dict()},
                "ratio": round(ratio, 3),
            }
            log(
                f"  {case}: {timings[0].median * 1000:.0f} ms vs {timings[1].median * 1000:.0f} ms"
                f" ({ratio:.2f}x), {counts[0]:,} vs {counts[1]:,} members"
            )
    finally:
        con.close()
    return out


def _runner(con: Any, sql: str) -> Callable[[], list[Any]]:
    def run() -> list[Any]:
        return list(con.execute(sql).fetchall())

    return run
