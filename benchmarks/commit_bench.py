"""What the change feed and the member index cost a build: `build --all` of the 50 definitions
a day after the workspace's latest, with them and with them switched off.

    python -m benchmarks.commit_bench [--sf 1] [--rounds 3]

Lands the generated input into a fresh workspace once and builds it at AS_OF (every
member enters the feed and the index). Each round then copies that workspace twice and
times the build a day later on each copy, one with the feed and the index, one with
`state/feed.record_commit` replaced by a no-op (snapshots still commit), in alternating
order. The time spent in `SnapshotStore.commit` (files, catalog rows, feed and index) is
timed apart. Writes benchmarks/results/commit_sf<SF>.json; the numbers are copied into
RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import generate, report, scale_bench
from benchmarks.common import AS_OF, sf_dir, sf_label
from benchmarks.measure import Timings, paired_ratio, rotate, timed
from duckseg import Workspace
from duckseg.state import feed, snapshots

WAYS = ("feed and index", "switched off")


def _build(root: Path, way: str) -> tuple[float, float, int]:
    """build --all a day after AS_OF: (seconds, seconds in the commit, feed rows added)."""
    record = feed.record_commit
    commit = snapshots.SnapshotStore.commit
    spent: list[float] = []

    def timed_commit(
        store: snapshots.SnapshotStore,
        pending: Sequence[snapshots.PendingSnapshot],
        built_at: datetime,
    ) -> list[snapshots.SnapshotInfo]:
        started = time.perf_counter()
        try:
            return commit(store, pending, built_at)
        finally:
            spent.append(time.perf_counter() - started)

    off: Callable[..., None] = lambda *args, **kwargs: None  # noqa: E731
    snapshots.SnapshotStore.commit = timed_commit  # type: ignore[method-assign,assignment]
    feed.record_commit = off if way == WAYS[1] else record
    try:
        ws = Workspace.open(root)
        before = ws.changes(advance=False).rows.num_rows
        seconds, _ = timed(lambda: ws.build_all(as_of=AS_OF + timedelta(days=1)))
        added = ws.changes(advance=False).rows.num_rows - before
    finally:
        snapshots.SnapshotStore.commit = commit  # type: ignore[method-assign]
        feed.record_commit = record
    return seconds, sum(spent), added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    base = sf_dir(args.sf) / "commit-workspace"
    ws, _, _ = scale_bench.land_once(generate.generate(args.sf), base)
    first_s, first = timed(lambda: ws.build_all(as_of=AS_OF))
    builds = {way: Timings() for way in WAYS}
    commits = {way: Timings() for way in WAYS}
    added: dict[str, int] = {}
    for round_no in range(args.rounds):
        for way in rotate(WAYS, round_no):
            copy = sf_dir(args.sf) / "commit-copy"
            if copy.exists():
                shutil.rmtree(copy)
            shutil.copytree(base, copy)
            seconds, commit_s, rows = _build(copy, way)
            builds[way].add(seconds)
            commits[way].add(commit_s)
            added[way] = rows
            print(f"round {round_no + 1} {way}: {seconds:.2f} s, commit {commit_s:.2f} s")
    shutil.rmtree(sf_dir(args.sf) / "commit-copy", ignore_errors=True)

    result: dict[str, Any] = {
        "sf": sf_label(args.sf),
        "machine": report.machine(),
        "segments": len(first),
        "first_build_s": round(first_s, 2),
        "feed_rows_added_a_day_later": added[WAYS[0]],
        "build_all_a_day_later": {way: builds[way].as_dict() for way in WAYS},
        "commit_a_day_later": {way: commits[way].as_dict() for way in WAYS},
        "with_over_without": round(
            paired_ratio(builds[WAYS[0]].seconds, builds[WAYS[1]].seconds), 3
        ),
    }
    path = report.write_json(result, f"commit_sf{sf_label(args.sf)}")
    print(json.dumps(result, indent=2, default=str))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
