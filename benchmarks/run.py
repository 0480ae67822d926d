"""Run the benchmark suite at one scale factor; `make bench` calls this.

    python -m benchmarks.run [--sf 1] [--runs 5] [--only segments,build-all,...]

Steps (all by default): generate the raw input (once per scale factor and
seed), land it into a fresh workspace (timed against a plain COPY), compare
every seed segment across approaches, time `build --all` of 50 definitions,
run the builds again under a DuckDB memory limit in a separate process, and
time exports and reports where those modules exist, and time `refresh` against
`build --all` (benchmarks/refresh_bench.py). Writes
benchmarks/results/sf<SF>.json and regenerates the tables in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks import (
    audience_bench,
    experiments,
    generate,
    memory,
    output_bench,
    pattern_bench,
    refresh_bench,
    report,
    scale_bench,
    segment_bench,
    wide_bench,
)
from benchmarks.common import AS_OF, sf_dir, sf_label
from benchmarks.segments import SEED
from duckseg import Workspace

STEPS = (
    "landing",
    "segments",
    "shapes",
    "build-all",
    "memory",
    "outputs",
    "audience",
    "patterns",
    "wide",
    "refresh",
)
# The result keys each step writes (what --merge replaces).
STEP_KEYS = {
    "landing",
    "segments",
    "shapes",
    "build_all",
    "fact_passes",
    "memory",
    "outputs",
    "audience",
    "patterns",
    "wide",
    "refresh",
}


def log(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=1.0, help="scale factor: 0.1, 1, 10, ...")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds per measurement")
    parser.add_argument("--landing-runs", type=int, default=None, help="default: 3, 1 at SF>1")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument(
        "--only", default=",".join(STEPS), help="comma-separated: " + ", ".join(STEPS)
    )
    parser.add_argument(
        "--segments", default="", help="comma-separated seed segments (default all)"
    )
    parser.add_argument(
        "--pandas",
        choices=("auto", "yes", "no"),
        default="auto",
        help="pandas baseline; auto: at SF1 and below",
    )
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--no-write", action="store_true", help="do not write results files")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="update only the steps run in an existing results file, keep the others",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    steps = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(steps) - set(STEPS)
    if unknown:
        log(f"unknown step(s): {', '.join(sorted(unknown))}; choose from {', '.join(STEPS)}")
        return 2
    names = [s.strip() for s in args.segments.split(",") if s.strip()] or list(SEED)
    with_pandas = args.pandas == "yes" or (args.pandas == "auto" and args.sf <= 1)
    landing_runs = args.landing_runs or (3 if args.sf <= 1 else 1)

    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "suite": "duckseg benchmarks",
        "sf": sf_label(args.sf),
        "runs": args.runs,
        "started_at": started.strftime("%Y-%m-%d %H:%M UTC"),
        "as_of": AS_OF.isoformat(),
        "machine": report.machine(),
        "steps": steps,
    }

    log(f"SF{sf_label(args.sf)}: generating the raw input (cached under {sf_dir(args.sf)})")
    seconds_generate = time.perf_counter()
    raw = generate.generate(args.sf, args.seed)
    log(
        f"  {raw.meta['contacts']:,} contacts, {raw.meta['events']:,} events "
        f"({time.perf_counter() - seconds_generate:.1f}s)"
    )
    result["data"] = dict(raw.meta)

    root = scale_bench.workspace_root(args.sf)
    if "landing" in steps or not (root / "duckseg.toml").exists():
        log(f"landing ({landing_runs} runs, fresh workspace each) and COPY baselines")
        ws, result["landing"] = scale_bench.bench_landing(raw, landing_runs, log)
    else:
        ws = Workspace.open(root)
        log(f"reusing the landed workspace {root}")

    def guarded(step: str, fn: Callable[[], Any]) -> Any:
        """Run a step; a failure is recorded in the results instead of losing the run."""
        try:
            return fn()
        except Exception as exc:
            log(f"  {step} failed: {type(exc).__name__}: {exc}")
            return {"failed": f"{type(exc).__name__}: {exc}"}

    single_builds: dict[str, list[float]] = {}
    if "segments" in steps:
        log(
            f"segments: {len(names)} seeds x approaches, {args.runs} rounds"
            + (" (pandas included)" if with_pandas else "")
        )
        segs = segment_bench.bench_segments(ws, raw, names, args.runs, with_pandas, log=log)
        result["segments"] = segs
        single_builds = {n: s["timings"]["duckseg build"]["runs_s"] for n, s in segs.items()}

    if "shapes" in steps:
        log(f"rewrites of the compiled SQL, {args.runs} rounds")
        result["shapes"] = guarded(
            "shapes", lambda: experiments.bench_shapes(ws, names, args.runs, log)
        )

    if "build-all" in steps:
        if not single_builds:
            log("build --all needs the single builds: timing them")
            single_builds = _single_builds(ws, names, args.runs)
        log(f"build --all of 50 definitions, {args.runs} rounds")
        result["build_all"] = guarded(
            "build --all",
            lambda: scale_bench.bench_build_all(ws, args.runs, single_builds, log),
        )
        log(f"the DuckDB part of build --all three ways, {args.runs} rounds")
        result["fact_passes"] = guarded(
            "fact passes", lambda: experiments.bench_fact_passes(ws, args.runs, log)
        )

    if "memory" in steps:
        log(f"builds under a {args.memory_limit} DuckDB memory limit (separate process)")
        mem = memory.run_in_subprocess(args.sf, args.memory_limit)
        known = result.get("segments") or (
            (report.read_json(f"sf{sf_label(args.sf)}") or {}).get("segments")
            if args.merge
            else None
        )
        counts = {n: s["count"] for n, s in (known or {}).items()}
        if mem.get("ok") and counts:
            mem["counts_match"] = all(
                mem["segments"][n]["count"] == c for n, c in counts.items() if n in mem["segments"]
            )
        result["memory"] = mem
        log(f"  ok={mem.get('ok')} peak RSS={mem.get('peak_rss_mb')} MB wall={mem.get('wall_s')}s")

    if "outputs" in steps:
        log("exports and reports")
        biggest = "whatsapp_opted_in"
        result["outputs"] = guarded(
            "outputs",
            lambda: output_bench.bench_outputs(
                ws, biggest, list(SEED), sf_dir(args.sf) / "outputs", min(args.runs, 3), log
            ),
        )

    if "audience" in steps:
        log(f"an audience of five segments against building them together, {args.runs} rounds")
        result["audience"] = guarded(
            "audience", lambda: audience_bench.bench_audience(ws, args.runs, log)
        )

    if "patterns" in steps:
        log(f"sequences and lifecycle beside plain conditions, {args.runs} rounds")
        result["patterns"] = guarded(
            "patterns", lambda: pattern_bench.bench_patterns(ws, args.runs, log)
        )

    if "wide" in steps:
        # Independent of the scale factor: the two shapes at full size, then the same cells
        # at 100, 1,000 and 10,000 columns (see wide_bench).
        log("wide files: 10,000 x 200 and 1,000 x 100,000, then 2M cells at three widths")
        result["wide"] = guarded("wide", lambda: wide_bench.measure())

    if "refresh" in steps:
        log(f"refresh against build --all, {min(args.runs, 3)} rounds per case")
        result["refresh"] = guarded(
            "refresh", lambda: refresh_bench.bench_refresh(ws, min(args.runs, 3), log)
        )

    result["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.merge:
        previous = report.read_json(f"sf{sf_label(args.sf)}")
        if previous is not None:
            merged_steps = sorted(set(previous.get("steps", [])) | set(steps))
            result = {**previous, **{k: v for k, v in result.items() if k in STEP_KEYS}}
            result["steps"] = merged_steps
            result["merged_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["summary"] = report.summary(result)
    log(f"summary: {result['summary']}")
    if not args.no_write:
        path = report.write_json(result, f"sf{sf_label(args.sf)}")
        md = report.update_results_md()
        log(f"wrote {path} and {md}")
    verified = result["summary"].get("all_verified", True)
    return 0 if verified else 1


def _single_builds(ws: Workspace, names: list[str], runs: int) -> dict[str, list[float]]:
    from benchmarks.measure import timed

    out: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(runs):
        for name in names:
            seconds, _ = timed(lambda n=name: ws.build(n, as_of=AS_OF))
            out[name].append(seconds)
    return out


if __name__ == "__main__":
    sys.exit(main())
