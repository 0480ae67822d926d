"""Landing wide files: cost must grow with cells, not with columns squared.

    python -m benchmarks.wide_bench [--fraction 0.1] [--runs 1] [--no-sweep]

Two shapes, as (columns, rows): 10,000 x 200 and 1,000 x 100,000. `--fraction`
scales both the columns and the rows (0.1: 1,000 x 20 and 100 x 10,000), so the
suite can run them small; at 1 they are full size. Each run lands a fresh CSV
of text values into a fresh workspace and reports seconds and cells per
second, plus the peak memory of the process.

The sweep then lands the same number of cells (2,000,000 x fraction, the
first shape's) as 100, 1,000 and 10,000 columns and reports seconds per
million cells: flat when landing costs grow with cells, rising with the width
when some step costs columns squared. Results go to benchmarks/results/wide.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from duckseg import Workspace

SHAPES = ((10_000, 200), (1_000, 100_000))
SWEEP_WIDTHS = (100, 1_000, 10_000)
SWEEP_CELLS = 2_000_000
RESULTS = Path(__file__).parent / "results" / "wide.json"


def write_csv(path: Path, columns: int, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["contact_id", *(f"attr_{j}" for j in range(columns - 1))])
        for i in range(rows):
            out.writerow([f"c{i}", *(f"v{(i * 31 + j) % 97}" for j in range(columns - 1))])


def land_once(columns: int, rows: int) -> float:
    with tempfile.TemporaryDirectory(prefix="duckseg-wide-") as tmp:
        src = Path(tmp) / "wide.csv"
        write_csv(src, columns, rows)
        ws = Workspace.init(Path(tmp) / "ws")
        started = time.perf_counter()
        report = ws.ingest("contacts", [src])
        elapsed = time.perf_counter() - started
        assert report.rows_landed == rows, report
    return elapsed


def run(fraction: float, runs: int) -> list[dict[str, Any]]:
    results = []
    for full_columns, full_rows in SHAPES:
        columns = max(2, int(full_columns * fraction))
        rows = max(1, int(full_rows * fraction))
        times = [land_once(columns, rows) for _ in range(runs)]
        best = min(times)
        results.append(
            {
                "shape": f"{full_columns:,} x {full_rows:,}",
                "columns": columns,
                "rows": rows,
                "seconds": round(best, 3),
                "cells_per_second": round(columns * rows / best),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    return results


def sweep(fraction: float, runs: int) -> list[dict[str, Any]]:
    """The same cells at every width of SWEEP_WIDTHS: seconds per million cells."""
    cells = int(SWEEP_CELLS * fraction)
    results = []
    for columns in SWEEP_WIDTHS:
        rows = max(1, cells // columns)
        best = min(land_once(columns, rows) for _ in range(runs))
        results.append(
            {
                "columns": columns,
                "rows": rows,
                "seconds": round(best, 3),
                "seconds_per_million_cells": round(best / (columns * rows) * 1e6, 2),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-sweep", action="store_true", help="only the two shapes")
    args = parser.parse_args(argv)
    found: dict[str, Any] = {"fraction": args.fraction, "results": run(args.fraction, args.runs)}
    if not args.no_sweep:
        found["sweep"] = sweep(args.fraction, args.runs)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
