"""`refresh` against `build --all` of the 50 definitions, at the same as_of, round by round.

Two cases, each on its own pair of workspace copies (one refreshed, one fully built):

- time moves on by one hour and nothing lands: refresh reuses what cannot change;
- 1% more events land (copies of sampled events, dated in the hour before the new
  as_of, with new event ids), then both bring every segment to the new as_of.

Every round checks that refresh and build --all give the same member counts.
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


def _counts(snaps: Any) -> dict[str, int]:
    return {s.segment: s.count for s in snaps}


def bench_refresh(ws: Workspace, runs: int, log: Log = print) -> dict[str, Any]:
    """Median seconds of refresh and of build --all per case, and their paired ratio."""
    out: dict[str, Any] = {"segments": len(ws.dependency_order())}
    with tempfile.TemporaryDirectory(prefix="duckseg-refresh-bench-") as tmp:
        for case, share in (("as_of moved 1h, nothing landed", 0.0), ("1% more events", 0.01)):
            out[case] = _case(ws, case, share, Path(tmp), runs, log)
    return out


def _case(ws: Workspace, case: str, share: float, tmp: Path, runs: int, log: Log) -> dict[str, Any]:
    full_root, ref_root = tmp / "full", tmp / "refresh"
    for root in (full_root, ref_root):
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(ws.root, root)
    full_ws, ref_ws = Workspace.open(full_root), Workspace.open(ref_root)
    ref_ws.refresh(AS_OF, full=True)  # what later refreshes start from
    full_t, ref_t = Timings(), Timings()
    same = True
    actions: dict[str, int] = {}
    for round_no in range(1, runs + 1):
        as_of = AS_OF + round_no * HOUR
        if share:
            more = tmp / f"more-{round_no}.parquet"
            _more_events(full_ws, share, as_of - HOUR, more, round_no)
            full_ws.ingest("events", [more])
            ref_ws.ingest("events", [more])
        seconds, built = timed(lambda a=as_of: full_ws.build_all(as_of=a))
        full_t.add(seconds)
        seconds, result = timed(lambda a=as_of: ref_ws.refresh(a))
        ref_t.add(seconds)
        same = same and _counts(built) == _counts(r.snapshot for r in result.segments)
        actions = result.counts()
        log(
            f"  {case}, round {round_no}/{runs}: build --all {full_t.seconds[-1]:.2f}s, "
            f"refresh {ref_t.seconds[-1]:.2f}s ({actions}; same counts: {same})"
        )
    return {
        "build --all": full_t.as_dict(),
        "refresh": ref_t.as_dict(),
        "refresh_vs_build_all": round(paired_ratio(ref_t.seconds, full_t.seconds), 3),
        "last_round_actions": actions,
        "same_counts": same,
    }
