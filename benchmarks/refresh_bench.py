"""`refresh` against `build --all` of the 50 definitions, at the same as_of, round by round.

Two cases, each on its own pair of workspace copies (one refreshed, one fully built):

- time moves on by one hour and nothing lands: refresh reuses what cannot change;
- 1% more events land (copies of sampled events, dated in the hour before the new
  as_of, with new event ids), then both bring every segment to the new as_of.

Every round checks that refresh and build --all give the same members. The step also
times one DuckDB scan of the events columns that build --all reads, the yardstick of its
target (at most 4x that scan).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.common import AS_OF
from benchmarks.measure import Timings, paired_ratio, timed
from duckseg import Workspace

Log = Callable[[str], None]
HOUR = timedelta(hours=1)


def _more_events(ws: Workspace, share: float, start: Any, out: Path, salt: int) -> int:
    """Write `share` of the lake's events again, dated in (start, start + 1h]; how many."""
    con = duckdb.connect()
    try:
        files = [str(p) for p in ws.store.live_files("events")]
        seconds = int(HOUR.total_seconds())
        rel = con.sql(
            "SELECT * REPLACE ("
            "  ($start::TIMESTAMP + to_microseconds((1 + hash(event_id, $salt) % ($us - 1))::BIGINT))"
            "  AS ts, 'more-' || $salt || '-' || event_id AS event_id)"
            " FROM read_parquet($files) WHERE hash(event_id, $salt) % $every = 0",
            params={
                "start": start.replace(tzinfo=None),
                "salt": salt,
                "us": seconds * 1_000_000,
                "files": files,
                "every": round(1 / share),
            },
        )
        rel.write_parquet(str(out))
        return _count(con, [str(out)])
    finally:
        con.close()


def _count(con: duckdb.DuckDBPyConnection, files: list[str]) -> int:
    row = con.execute("SELECT count(*) FROM read_parquet($f)", {"f": files}).fetchone()
    assert row is not None
    return int(row[0])


def _members(snaps: Any) -> dict[str, Any]:
    """Each segment's members, sorted as its snapshot file holds them."""
    return {s.segment: s.to_arrow() for s in snaps}


def _same(left: dict[str, Any], right: dict[str, Any]) -> bool:
    return left.keys() == right.keys() and all(left[k].equals(right[k]) for k in left)


def events_columns_read(ws: Workspace) -> list[str]:
    """The events columns that the compiled build --all reads: those named by a SELECT
    whose FROM is the events relation."""
    from sqlglot import exp

    from duckseg.api import build as builds
    from duckseg.compiler import compile_build

    con = ws.connect()
    try:
        schema = [r[0] for r in con.execute("DESCRIBE events").fetchall()]
        segs = [ws.load(n) for n in ws.dependency_order()]
        trees = {r.segment.name: builds.tree_of(r) for r in ws.resolve(segs, con)}
    finally:
        con.close()
    build = compile_build(trees, ws.time_context(AS_OF))
    queries = [q for _, q in build.shared()] + list(build.members.values())
    found: set[str] = set()
    for query in queries:
        for select in query.find_all(exp.Select):
            source = select.args.get("from_") or select.args.get("from")
            table = source.this if source is not None else None
            if isinstance(table, exp.Table) and table.name == "events":
                found |= {c.name for c in select.find_all(exp.Column)}
    return [c for c in schema if c in found]


def scan_events(ws: Workspace, columns: list[str]) -> float:
    """Seconds of one DuckDB scan that reads every value of these events columns (a hash of
    each row, folded), over the live lake files."""
    from sqlglot import exp

    con = ws.connect()
    try:
        digest = exp.func("bit_xor", exp.func("hash", *(exp.column(c) for c in columns)))
        query = exp.select(digest).from_("events").sql("duckdb")
        seconds, _ = timed(lambda: con.execute(query).fetchall())
        return seconds
    finally:
        con.close()


def bench_refresh(ws: Workspace, runs: int, log: Log = print) -> dict[str, Any]:
    """Median seconds of refresh and of build --all per case, and their paired ratio."""
    out: dict[str, Any] = {"segments": len(ws.dependency_order())}
    columns = events_columns_read(ws)
    out["events columns build --all reads"] = columns
    with tempfile.TemporaryDirectory(prefix="duckseg-refresh-bench-") as tmp:
        for case, share in (("as_of moved 1h, nothing landed", 0.0), ("1% more events", 0.01)):
            out[case] = _case(ws, case, share, Path(tmp), runs, log, columns)
    return out


def _case(
    ws: Workspace, case: str, share: float, tmp: Path, runs: int, log: Log, columns: list[str]
) -> dict[str, Any]:
    full_root, ref_root = tmp / "full", tmp / "refresh"
    for root in (full_root, ref_root):
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(ws.root, root)
        # The 50 definitions alone on both sides: build --all builds no audience.
        shutil.rmtree(root / "audiences", ignore_errors=True)
    full_ws, ref_ws = Workspace.open(full_root), Workspace.open(ref_root)
    ref_ws.refresh(AS_OF, full=True)  # what later refreshes start from
    full_t, ref_t, scan_t = Timings(), Timings(), Timings()
    same = True
    actions: dict[str, int] = {}
    reevaluated: int | None = None
    for round_no in range(1, runs + 1):
        as_of = AS_OF + round_no * HOUR
        if share:
            more = tmp / f"more-{round_no}.parquet"
            _more_events(full_ws, share, as_of - HOUR, more, round_no)
            full_ws.ingest("events", [more])
            ref_ws.ingest("events", [more])
        # The yardstick of build --all's target (at most 4x), timed next to it.
        scan_t.add(scan_events(full_ws, columns))
        seconds, built = timed(lambda a=as_of: full_ws.build_all(as_of=a))
        full_t.add(seconds)
        seconds, result = timed(lambda a=as_of: ref_ws.refresh(a))
        ref_t.add(seconds)
        same = same and _same(_members(built), _members(r.snapshot for r in result.segments))
        actions, reevaluated = result.counts(), result.reevaluated()
        log(
            f"  {case}, round {round_no}/{runs}: scan {scan_t.seconds[-1]:.2f}s, "
            f"build --all {full_t.seconds[-1]:.2f}s, "
            f"refresh {ref_t.seconds[-1]:.2f}s ({actions}, {reevaluated} contacts "
            f"re-evaluated; same members: {same})"
        )
    return {
        "build --all": full_t.as_dict(),
        "refresh": ref_t.as_dict(),
        "refresh_vs_build_all": round(paired_ratio(ref_t.seconds, full_t.seconds), 3),
        "one scan of the columns build --all reads": scan_t.as_dict(),
        "build_all_vs_scan": round(paired_ratio(full_t.seconds, scan_t.seconds), 3),
        "last_round_actions": actions,
        "last_round_reevaluated": reevaluated,
        "same_members": same,
    }
