"""Landing against a plain COPY, `build --all` against one segment, exports and reports."""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from benchmarks import segments
from benchmarks.common import AS_OF, sf_dir
from benchmarks.generate import RawData
from benchmarks.measure import Timings, paired_ratio, rotate, timed
from duckseg import Workspace
from duckseg.compiler import compile_build
from duckseg.db import create_temp

Log = Callable[[str], None]
SORTED_COPY = "COPY events ORDER BY event, ts"
PARTITIONED_COPY = "COPY events PARTITION_BY (event)"


def fresh_workspace(root: Path) -> Workspace:
    if root.exists():
        shutil.rmtree(root)
    ws = Workspace.init(root)
    segments.write_segments(ws.root / "segments", segments.all_definitions())
    return ws


def workspace_root(sf: float) -> Path:
    return sf_dir(sf) / "workspace"


def land_once(raw: RawData, root: Path) -> tuple[Workspace, float, float]:
    """A fresh workspace with the raw input landed: (workspace, contacts seconds, events seconds)."""
    ws = fresh_workspace(root)
    contacts_s, _ = timed(lambda: ws.ingest("contacts", [raw.contacts]))
    events_s, report = timed(lambda: ws.ingest("events", raw.events))
    if report.rows_landed != raw.meta["events"]:
        raise RuntimeError(f"landed {report.rows_landed} events of {raw.meta['events']}")
    return ws, contacts_s, events_s


def _copy(raw: RawData, target: Path, how: str) -> None:
    """COPY the raw events to Parquet with DuckDB's defaults: as they are, sorted like
    the lake, or one folder per event name (rows keep their input order)."""
    if target.is_dir():
        shutil.rmtree(target)
    target.unlink(missing_ok=True)
    con = duckdb.connect(config={"temp_directory": str(target.parent / "spill")})
    con.execute("SET enable_progress_bar = false")
    files = [str(p) for p in raw.events]
    try:
        if how == "partitioned":
            con.execute(
                "COPY (SELECT * FROM read_parquet(?)) TO ? (FORMAT parquet, PARTITION_BY (event))",
                [files, str(target)],
            )
        elif how == "sorted":
            con.execute(
                "COPY (SELECT * FROM read_parquet(?) ORDER BY event, ts) "
                "TO ? (FORMAT parquet, ROW_GROUP_SIZE 100000)",
                [files, str(target)],
            )
        else:
            con.execute(
                "COPY (SELECT * FROM read_parquet(?)) TO ? (FORMAT parquet)", [files, str(target)]
            )
    finally:
        con.close()


def bench_landing(raw: RawData, runs: int, log: Log = print) -> tuple[Workspace, dict[str, Any]]:
    """Land the raw input `runs` times (fresh workspace each time) beside two COPY baselines.

    Returns the last landed workspace, which the other benchmarks then use.
    """
    root = workspace_root(raw.sf)
    copy_dir = sf_dir(raw.sf) / "copy"
    copy_dir.mkdir(parents=True, exist_ok=True)
    copies = {
        "plain": ("COPY events", copy_dir / "events.parquet"),
        "sorted": (SORTED_COPY, copy_dir / "events-sorted.parquet"),
        "partitioned": (PARTITIONED_COPY, copy_dir / "events-by-name"),
    }
    times: dict[str, Timings] = {"land contacts": Timings(), "land events": Timings()}
    times.update({label: Timings() for label, _ in copies.values()})
    ws: Workspace | None = None
    for round_no in range(runs):
        for step in rotate(["land", *copies], round_no):
            if step == "land":
                ws, contacts_s, events_s = land_once(raw, root)
                times["land contacts"].add(contacts_s)
                times["land events"].add(events_s)
            else:
                label, target = copies[step]
                seconds, _ = timed(lambda s=step, t=target: _copy(raw, t, s))
                times[label].add(seconds)
        log(f"  landing round {round_no + 1}/{runs}: {times['land events'].seconds[-1]:.1f}s")
    shutil.rmtree(copy_dir, ignore_errors=True)
    assert ws is not None
    events = int(str(raw.meta["events"]))
    land = times["land events"]
    return ws, {
        "events": events,
        "timings": {k: v.as_dict() for k, v in times.items()},
        "land_vs_copy": round(paired_ratio(land.seconds, times["COPY events"].seconds), 3),
        "land_vs_sorted_copy": round(paired_ratio(land.seconds, times[SORTED_COPY].seconds), 3),
        "land_vs_partitioned_copy": round(
            paired_ratio(land.seconds, times[PARTITIONED_COPY].seconds), 3
        ),
        "sorted_copy_vs_copy": round(
            paired_ratio(times[SORTED_COPY].seconds, times["COPY events"].seconds), 3
        ),
        "events_per_s": round(events / land.median),
        "lake_bytes": sum(p.stat().st_size for p in ws.store.live_files("events")),
        "raw_bytes": sum(p.stat().st_size for p in raw.events),
    }


def engine_only(ws: Workspace, names: Sequence[str]) -> None:
    """What `build_many` runs on DuckDB, without snapshots: one fact pass, then each segment."""
    segs = [ws.load(n) for n in names]
    con = ws.connect()
    try:
        trees = {}
        for r in ws.resolve(segs, con):
            assert r.tree is not None
            trees[r.segment.name] = r.tree
        build = compile_build(trees, ws.time_context(AS_OF))
        for table, query in build.shared():
            create_temp(con, table, query, kind="TABLE")
        for name in names:
            con.sql(build.members[name].sql("duckdb")).to_arrow_table()
    finally:
        con.close()


def bench_build_all(
    ws: Workspace, runs: int, one_segment: dict[str, list[float]], log: Log = print
) -> dict[str, Any]:
    """`build --all` (50 definitions) against single builds, pair by pair per round.

    `one_segment` holds each seed segment's single-build timings from the segment
    benchmark; "one" is their median over segments, per round.
    """
    names = ws.dependency_order()
    all_t, engine_t, one_t, one_engine_t = Timings(), Timings(), Timings(), Timings()
    reference = "abandoned_cart_48h"
    steps = ["all", "engine", "one", "one_engine"]
    for round_no in range(runs + 1):
        for step in rotate(steps, round_no):
            if step == "all":
                seconds, snaps = timed(lambda: ws.build_all(as_of=AS_OF))
                assert len(snaps) == len(names)
                target = all_t
            elif step == "engine":
                seconds, _ = timed(lambda: engine_only(ws, names))
                target = engine_t
            elif step == "one":
                seconds, _ = timed(lambda: ws.build(reference, as_of=AS_OF))
                target = one_t
            else:
                seconds, _ = timed(lambda: engine_only(ws, [reference]))
                target = one_engine_t
            if round_no:
                target.add(seconds)
        if round_no:
            log(f"  build --all round {round_no}/{runs}: {all_t.seconds[-1]:.2f}s")
    per_round = [statistics.median(col) for col in zip(*one_segment.values(), strict=True)]
    # Once more: every segment built on its own, to compare members and the total time.
    together = {s.info.segment: s.count for s in ws.build_all(as_of=AS_OF)}
    alone: dict[str, int] = {}
    started = time.perf_counter()
    for name in names:
        alone[name] = ws.build(name, as_of=AS_OF).count
    separately_s = time.perf_counter() - started
    differ = {
        n: {"build --all": together[n], "alone": alone[n]} for n in names if together[n] != alone[n]
    }
    log(f"  50 single builds: {separately_s:.1f}s; counts that differ from build --all: {differ}")
    return {
        "same_members_as_single_builds": not differ,
        "counts_that_differ": differ,
        "fifty_single_builds_s": round(separately_s, 3),
        "segments": len(names),
        "reference_segment": reference,
        "timings": {
            "build --all": all_t.as_dict(),
            "engine only, all": engine_t.as_dict(),
            f"build {reference}": one_t.as_dict(),
            f"engine only, {reference}": one_engine_t.as_dict(),
        },
        "median_single_build_s": round(statistics.median(per_round), 4),
        "all_vs_one": round(paired_ratio(all_t.seconds, one_t.seconds), 3),
        "all_vs_median_single": round(
            statistics.median(all_t.seconds) / statistics.median(per_round), 3
        ),
        "engine_all_vs_one": round(paired_ratio(engine_t.seconds, one_engine_t.seconds), 3),
        "build_overhead_share": round(
            1 - statistics.median(engine_t.seconds) / statistics.median(all_t.seconds), 3
        ),
    }
