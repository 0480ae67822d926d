"""Builds under a DuckDB memory limit, in a process of their own (so its peak RSS is theirs).

The limits come from the command line rather than the workspace's `[duckdb]`
table, so this module opens the workspace through a subclass whose `connect`
passes `memory_limit`, `threads` and a spill folder to
`duckseg.engines.duckdb.lake_connection`. Prints one JSON
document: seconds, member counts and the peak resident memory of the process.

    python -m benchmarks.memory --sf 10 --memory-limit 2GB
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.common import AS_OF, sf_dir
from benchmarks.scale_bench import workspace_root
from benchmarks.segments import SEED
from duckseg import Workspace
from duckseg.engines.duckdb import lake_connection


class LimitedWorkspace(Workspace):
    """A Workspace whose DuckDB connections run under a memory limit, spilling to a folder."""

    memory_limit = "2GB"
    threads: int | None = None
    spill: Path | None = None

    def connect(self) -> duckdb.DuckDBPyConnection:
        return lake_connection(
            self.store,
            self._static_files(),
            memory_limit=self.memory_limit,
            threads=self.threads,
            temp_directory=str(self.spill) if self.spill else None,
        )


def run_limited(sf: float, memory_limit: str, threads: int | None) -> dict[str, Any]:
    LimitedWorkspace.memory_limit = memory_limit
    LimitedWorkspace.threads = threads
    LimitedWorkspace.spill = sf_dir(sf) / "spill"
    ws = LimitedWorkspace.open(workspace_root(sf))
    out: dict[str, Any] = {
        "memory_limit": memory_limit,
        "threads": threads,
        "segments": {},
        "peak_rss_mb_at_start": _peak_rss_mb(),
    }
    try:
        for name in SEED:
            started = time.perf_counter()
            snap = ws.build(name, as_of=AS_OF)
            out["segments"][name] = {
                "count": snap.count,
                "seconds": round(time.perf_counter() - started, 3),
                "peak_rss_mb_after": _peak_rss_mb(),
            }
        started = time.perf_counter()
        snaps = ws.build_all(as_of=AS_OF)
        out["build_all"] = {
            "segments": len(snaps),
            "seconds": round(time.perf_counter() - started, 3),
            "peak_rss_mb_after": _peak_rss_mb(),
        }
        out["ok"] = True
    except Exception as exc:  # the point is to report what breaks under the limit
        out["ok"] = False
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def _peak_rss_mb() -> int:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux carries that
    over from the parent through fork and exec, so a child would report its parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_in_subprocess(sf: float, memory_limit: str, threads: int | None = None) -> dict[str, Any]:
    """Run `run_limited` in a fresh interpreter; its JSON result, or the failure."""
    cmd = [sys.executable, "-m", "benchmarks.memory", "--sf", f"{sf:g}"]
    cmd += ["--memory-limit", memory_limit]
    if threads:
        cmd += ["--threads", str(threads)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = round(time.perf_counter() - started, 2)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {
            "ok": False,
            "memory_limit": memory_limit,
            "returncode": proc.returncode,
            "stderr_tail": proc.stderr[-2000:],
            "wall_s": wall,
        }
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall_s"] = wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=10.0)
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(run_limited(args.sf, args.memory_limit, args.threads)))


if __name__ == "__main__":
    main()
