"""Landing wide files: cost must grow with cells, not more per cell as columns grow.

    python -m benchmarks.wide_bench [--quick | --fraction F] [--format csv|parquet]
                                    [--values text|mixed] [--runs 1] [--no-sweep]

Two shapes, as (columns, rows): 10,000 x 200 and 1,000 x 100,000, at full size
by default. `--fraction` scales both the columns and the rows (`--quick` is
0.1: 1,000 x 20 and 100 x 10,000). Each run lands a fresh file into a fresh
workspace (`duckseg ingest contacts`) and reports seconds, cells per second
and microseconds per cell, plus the peak memory of the process so far.

The sweep then lands the same number of cells (2,000,000 x fraction, the
first shape's) as 100, 1,000 and 10,000 columns: microseconds per cell stay
flat when landing costs grow with cells, and rise with the width when some
step costs more per column. `--values mixed` cycles the attribute columns
through text, integers, dates, timestamps and lists of text (as JSON arrays
in a CSV), so every conversion and check of a landing is measured; `text`
(the default) makes every attribute text. Results go to
benchmarks/results/wide.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from duckseg import Workspace

SHAPES = ((10_000, 200), (1_000, 100_000))
SWEEP_WIDTHS = (100, 1_000, 10_000)
SWEEP_CELLS = 2_000_000
QUICK = 0.1
CYCLE = 97  # values repeat every CYCLE rows, so a row is built once and written many times
RESULTS = Path(__file__).parent / "results" / "wide.json"
BATCH_ROWS = 10_000  # rows per Parquet write


def _value(kind: int, k: int) -> Any:
    """The attribute value of residue `k` for a column of kind `kind` (mixed values)."""
    if kind == 0:
        return f"v{k}"
    if kind == 1:
        return k * 13 - 400
    if kind == 2:
        return date(2024, 1 + k % 12, 1 + k % 28)
    if kind == 3:
        return datetime(2024, 1 + k % 12, 1 + k % 28, k % 24, k % 60)
    return [f"t{k % 5}", f"u{k % 3}"]


def _kinds(columns: int, values: str) -> list[int]:
    return [j % 5 if values == "mixed" else 0 for j in range(columns - 1)]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def write_csv(path: Path, columns: int, rows: int, values: str = "text") -> None:
    kinds = _kinds(columns, values)
    cycle = [
        [_text(_value(kind, (r + j) % CYCLE)) for j, kind in enumerate(kinds)] for r in range(CYCLE)
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["contact_id", *(f"attr_{j}" for j in range(columns - 1))])
        for i in range(rows):
            out.writerow([f"c{i}", *cycle[(i * 31) % CYCLE]])


def write_parquet(path: Path, columns: int, rows: int, values: str = "text") -> None:
    kinds = _kinds(columns, values)
    types = [pa.string(), pa.int64(), pa.date32(), pa.timestamp("us"), pa.list_(pa.string())]
    schema = pa.schema(
        [("contact_id", pa.string())] + [(f"attr_{j}", types[kind]) for j, kind in enumerate(kinds)]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, BATCH_ROWS):
            ids = range(start, min(rows, start + BATCH_ROWS))
            arrays = [pa.array([f"c{i}" for i in ids])]
            for j, kind in enumerate(kinds):
                column = [_value(kind, ((i * 31) % CYCLE + j) % CYCLE) for i in ids]
                arrays.append(pa.array(column, types[kind]))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))


WRITERS: dict[str, Callable[[Path, int, int, str], None]] = {
    "csv": write_csv,
    "parquet": write_parquet,
}


def land_once(columns: int, rows: int, fmt: str, values: str) -> float:
    with tempfile.TemporaryDirectory(prefix="duckseg-wide-") as tmp:
        src = Path(tmp) / f"wide.{fmt}"
        WRITERS[fmt](src, columns, rows, values)
        ws = Workspace.init(Path(tmp) / "ws")
        started = time.perf_counter()
        report = ws.ingest("contacts", [src])
        elapsed = time.perf_counter() - started
        assert report.rows_landed == rows and report.rows_rejected == 0, report
    return elapsed


def _measure(columns: int, rows: int, fmt: str, values: str, runs: int) -> dict[str, Any]:
    best = min(land_once(columns, rows, fmt, values) for _ in range(runs))
    cells = columns * rows
    found = {
        "columns": columns,
        "rows": rows,
        "format": fmt,
        "values": values,
        "seconds": round(best, 3),
        "cells_per_second": round(cells / best),
        "us_per_cell": round(best / cells * 1e6, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(found), flush=True)
    return found


def run(fraction: float, runs: int, fmt: str = "csv", values: str = "text") -> list[dict[str, Any]]:
    """The two shapes, scaled by `fraction`."""
    results = []
    for full_columns, full_rows in SHAPES:
        columns = max(2, int(full_columns * fraction))
        rows = max(1, int(full_rows * fraction))
        found = _measure(columns, rows, fmt, values, runs)
        results.append({"shape": f"{full_columns:,} x {full_rows:,}", **found})
    return results


def sweep(
    fraction: float, runs: int, fmt: str = "csv", values: str = "text"
) -> list[dict[str, Any]]:
    """The same cells at every width of SWEEP_WIDTHS: microseconds per cell."""
    cells = int(SWEEP_CELLS * fraction)
    return [
        _measure(columns, max(1, cells // columns), fmt, values, runs) for columns in SWEEP_WIDTHS
    ]


def measure(
    fraction: float = 1.0,
    runs: int = 1,
    fmt: str = "csv",
    values: str = "text",
    widths: bool = True,
) -> dict[str, Any]:
    """The shapes and (with `widths`) the sweep, as benchmarks.run records them."""
    found: dict[str, Any] = {
        "fraction": fraction,
        "format": fmt,
        "values": values,
        "results": run(fraction, runs, fmt, values),
    }
    if widths:
        found["sweep"] = sweep(fraction, runs, fmt, values)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--fraction", type=float, default=1.0, help="scale of both shapes")
    size.add_argument("--quick", action="store_true", help=f"--fraction {QUICK}")
    parser.add_argument("--format", choices=sorted(WRITERS), default="csv")
    parser.add_argument("--values", choices=("text", "mixed"), default="text")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-sweep", action="store_true", help="only the two shapes")
    args = parser.parse_args(argv)
    fraction = QUICK if args.quick else args.fraction
    found = measure(fraction, args.runs, args.format, args.values, not args.no_sweep)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
