"""Per segment: duckseg against hand-written DuckDB, polars and pandas, same members required.

Approaches, each timed from start to members in hand:

- `duckseg build`: `Workspace.build` (resolve, compile, run, write the snapshot,
  compute entered / exited), what a user runs.
- `duckseg SQL`: the SQL `Workspace.compile` prints, run on `Workspace.connect()`;
  separates the query from the build's bookkeeping.
- `DuckDB lake: V`: hand-written variant V (benchmarks/queries/) over duckseg's lake files.
- `DuckDB raw: V`: the same text over the raw input files.
- `polars raw`: polars lazy (`scan_parquet`) over the raw input.
- `pandas raw`: pandas `read_parquet` over the raw input (SF1 and below).

A warm-up round runs every approach once and compares member sets; then
`runs` timed rounds follow, each running the approaches in a rotated order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa

from benchmarks import baselines, handwritten
from benchmarks.common import AS_OF
from benchmarks.generate import RawData
from benchmarks.measure import Timings, paired_ratio, rotate, timed
from duckseg import Snapshot, Workspace

ID = "contact_id"
BUILD = "duckseg build"
SQL = "duckseg SQL"
POLARS = "polars raw"
PANDAS = "pandas raw"
LAKE = "DuckDB lake: "
RAW = "DuckDB raw: "


@dataclass(frozen=True)
class Approach:
    label: str
    run: Callable[[], Any]


def member_ids(result: Any) -> list[Any]:
    """The contact_ids an approach returned, as a Python list."""
    if isinstance(result, Snapshot):
        return list(result.to_arrow().column(ID).to_pylist())
    if isinstance(result, pa.Table):
        return list(result.column(ID).to_pylist())
    if isinstance(result, pl.DataFrame):
        return list(result[ID].to_list())
    if isinstance(result, pd.Index):
        return list(result)
    raise TypeError(f"no member rule for {type(result).__name__}")


def _approaches(
    ws: Workspace,
    raw: RawData,
    name: str,
    cons: dict[str, Any],
    with_pandas: bool,
) -> list[Approach]:
    sql = ws.compile(name, as_of=AS_OF)
    found = [
        Approach(BUILD, lambda: ws.build(name, as_of=AS_OF)),
        Approach(SQL, lambda: cons["duckseg"].sql(sql).to_arrow_table()),
    ]
    for variant, text in handwritten.variants(name).items():
        found.append(Approach(LAKE + variant, _query(cons["lake"], text)))
        found.append(Approach(RAW + variant, _query(cons["raw"], text)))
    if name in baselines.POLARS:
        fn = baselines.POLARS[name]
        found.append(Approach(POLARS, lambda: fn(*cons["polars"]).collect()))
    if with_pandas and name in baselines.PANDAS:
        pfn = baselines.PANDAS[name]
        events_dir = raw.events[0].parent
        found.append(Approach(PANDAS, lambda: pfn(raw.contacts, events_dir)))
    return found


def _query(con: Any, text: str) -> Callable[[], pa.Table]:
    return lambda: con.sql(text).to_arrow_table()


def compare_members(reference: Sequence[Any], other: Sequence[Any]) -> dict[str, int] | None:
    """None when `other` is exactly the reference set without repeats; else what differs."""
    ref, got = set(reference), set(other)
    if ref == got and len(got) == len(other):
        return None
    return {
        "count": len(other),
        "missing": len(ref - got),
        "extra": len(got - ref),
        "repeated": len(other) - len(got),
    }


def bench_segments(
    ws: Workspace,
    raw: RawData,
    names: Sequence[str],
    runs: int,
    with_pandas: bool,
    warmup: int = 1,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    live_contacts = ws.store.live_files("contacts")
    live_events = ws.store.live_files("events")
    cons: dict[str, Any] = {
        "duckseg": ws.connect(),
        "lake": handwritten.connect_views(live_contacts, live_events),
        "raw": handwritten.connect_views([raw.contacts], raw.events),
        "polars": baselines.scan_polars(raw.contacts, raw.events),
    }
    approaches = {n: _approaches(ws, raw, n, cons, with_pandas) for n in names}
    timings: dict[str, dict[str, Timings]] = {n: {} for n in names}
    counts: dict[str, int] = {}
    mismatches: dict[str, dict[str, Any]] = {n: {} for n in names}
    try:
        for round_no in range(warmup + runs):
            for name in names:
                reference: list[Any] | None = None
                results: dict[str, list[Any]] = {}
                for approach in rotate(approaches[name], round_no):
                    seconds, result = timed(approach.run)
                    if round_no >= warmup:
                        timings[name].setdefault(approach.label, Timings()).add(seconds)
                    if round_no == 0:
                        results[approach.label] = member_ids(result)
                if round_no == 0:
                    reference = results[BUILD]
                    counts[name] = len(reference)
                    for label, ids in results.items():
                        diff = compare_members(reference, ids)
                        if diff is not None:
                            mismatches[name][label] = diff
                    status = "ok" if not mismatches[name] else f"MISMATCH {mismatches[name]}"
                    log(f"  {name}: {counts[name]:,} members, {len(results)} approaches {status}")
            if round_no >= warmup:
                log(f"  round {round_no - warmup + 1}/{runs} done")
    finally:
        cons["duckseg"].close()
        cons["lake"].close()
        cons["raw"].close()
    return {
        name: summarise(timings[name], counts[name], mismatches[name], with_pandas)
        for name in names
    }


def _best(timings: dict[str, Timings], prefix: str) -> str:
    labels = [label for label in timings if label.startswith(prefix)]
    return min(labels, key=lambda label: timings[label].median)


def summarise(
    timings: dict[str, Timings], count: int, mismatches: dict[str, Any], with_pandas: bool
) -> dict[str, Any]:
    """Timings, the best hand-written variants and the ratios, each taken pair by pair."""
    lake, raw = _best(timings, LAKE), _best(timings, RAW)

    def ratio(a: str, b: str) -> float:
        return round(paired_ratio(timings[a].seconds, timings[b].seconds), 3)

    ratios = {
        "build_vs_lake": ratio(BUILD, lake),
        "sql_vs_lake": ratio(SQL, lake),
        "build_vs_sql": ratio(BUILD, SQL),
        "raw_vs_lake": ratio(raw, lake),
        "polars_vs_build": ratio(POLARS, BUILD),
        "polars_vs_sql": ratio(POLARS, SQL),
        "raw_vs_build": ratio(raw, BUILD),
    }
    if with_pandas and PANDAS in timings:
        ratios["pandas_vs_build"] = ratio(PANDAS, BUILD)
    agg = LAKE + "agg"
    variants = {
        label.removeprefix(LAKE): round(timings[label].median, 4)
        for label in timings
        if label.startswith(LAKE)
    }
    return {
        "count": count,
        "verified": not mismatches,
        "mismatches": mismatches,
        "best_lake_variant": lake.removeprefix(LAKE),
        "best_raw_variant": raw.removeprefix(RAW),
        "lake_variants_median_s": variants,
        "lake_variants_vs_agg": (
            {
                label.removeprefix(LAKE): ratio(label, agg)
                for label in timings
                if label.startswith(LAKE)
            }
            if agg in timings
            else {}
        ),
        "ratios": ratios,
        "timings": {label: t.as_dict() for label, t in timings.items()},
    }
