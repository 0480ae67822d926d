"""Results: the JSON file per scale factor and the generated tables of RESULTS.md.

RESULTS.md keeps its hand-written analysis; only the part between the
`<!-- results:begin -->` and `<!-- results:end -->` markers is regenerated,
from every benchmarks/results/sf*.json present.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.common import BENCH_DIR, RESULTS_DIR

RESULTS_MD = BENCH_DIR / "RESULTS.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"

TARGETS = {
    "build_vs_lake": ("build / hand-written DuckDB over the lake, worst segment", "<=", 1.3),
    "polars_vs_build": ("polars lazy over raw / build, worst segment (speed-up)", ">=", 3.0),
    "build_all_vs_one": ("build --all of 50 / build of one segment", "<=", 10.0),
    "land_vs_copy": ("landing events / plain DuckDB COPY of the same rows", "<=", 2.0),
    "audience_vs_segments": ("audience of 5 segments / build of those 5 together", "<=", 1.5),
}


def machine() -> dict[str, Any]:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    cpu = ""
    meminfo = ""
    try:
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
        meminfo = Path("/proc/meminfo").read_text().splitlines()[0]
    except OSError:
        pass
    ram_gb = round(int(meminfo.split()[1]) / 1024 / 1024, 1) if meminfo else None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=BENCH_DIR,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "polars": version("polars"),
        "pyarrow": version("pyarrow"),
        "pandas": version("pandas"),
        "sqlglot": version("sqlglot"),
        "duckseg": version("duckseg"),
        "commit": commit,
    }


def summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """The targets: measured value, where it was measured, met or not."""
    out: dict[str, Any] = {}
    segs: Mapping[str, Any] = result.get("segments") or {}
    if segs:
        worst = max(segs, key=lambda n: segs[n]["ratios"]["build_vs_lake"])
        out["build_vs_lake"] = {"value": segs[worst]["ratios"]["build_vs_lake"], "at": worst}
        worst_sql = max(segs, key=lambda n: segs[n]["ratios"]["sql_vs_lake"])
        out["sql_vs_lake"] = {"value": segs[worst_sql]["ratios"]["sql_vs_lake"], "at": worst_sql}
        slowest = min(segs, key=lambda n: segs[n]["ratios"]["polars_vs_build"])
        out["polars_vs_build"] = {
            "value": segs[slowest]["ratios"]["polars_vs_build"],
            "at": slowest,
        }
        out["all_verified"] = all(s["verified"] for s in segs.values())
    if result.get("build_all") and "failed" not in result["build_all"]:
        out["build_all_vs_one"] = {"value": result["build_all"]["all_vs_one"]}
    if result.get("landing"):
        out["land_vs_copy"] = {"value": result["landing"]["land_vs_copy"]}
    audience = result.get("audience")
    if audience and "failed" not in audience:
        out["audience_vs_segments"] = {"value": audience["audience_vs_segments"]}
        out["all_verified"] = out.get("all_verified", True) and audience["verified"]
    for key, (_, op, limit) in TARGETS.items():
        if key in out:
            value = out[key]["value"]
            out[key]["target"] = f"{op} {limit}"
            out[key]["met"] = value <= limit if op == "<=" else value >= limit
    if result.get("memory"):
        out["memory_limited_build_ok"] = bool(result["memory"].get("ok"))
    return out


def write_json(result: Mapping[str, Any], name: str) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def read_json(name: str) -> dict[str, Any] | None:
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_results() -> list[dict[str, Any]]:
    found = []
    for path in sorted(RESULTS_DIR.glob("sf*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found.append(data)
    return sorted(found, key=lambda r: float(r["sf"]))


# -- Markdown ---------------------------------------------------------------------------


def _s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _median(section: Mapping[str, Any], label: str) -> float | None:
    timing = section["timings"].get(label)
    return None if timing is None else float(timing["median_s"])


def render_result(r: Mapping[str, Any]) -> list[str]:
    sf = r["sf"]
    data = r["data"]
    lines = [
        f"### SF{sf}: {data['contacts']:,} contacts, {data['events']:,} events",
        "",
        f"Run {r['started_at']} with {r['runs']} timed rounds after a warm-up "
        f"(medians; ratios are medians of per-round ratios). duckseg commit {r['machine']['commit']}.",
        "",
    ]
    s = r.get("summary", {})
    rows = []
    for key, (words, _, _) in TARGETS.items():
        if key in s:
            at = f" ({s[key]['at']})" if "at" in s[key] else ""
            met = "met" if s[key]["met"] else "**missed**"
            rows.append([words, s[key]["target"], _x(s[key]["value"]) + at, met])
    if "sql_vs_lake" in s:
        v = s["sql_vs_lake"]
        rows.append(
            [
                "compiled SQL alone / hand-written over the lake, worst",
                "-",
                _x(v["value"]) + f" ({v['at']})",
                "-",
            ]
        )
    if "memory_limited_build_ok" in s:
        ok = "completed" if s["memory_limited_build_ok"] else "**failed**"
        rows.append(
            [
                f"builds under a {r['memory']['memory_limit']} DuckDB memory limit",
                "completes",
                ok,
                "met" if s["memory_limited_build_ok"] else "**missed**",
            ]
        )
    if "all_verified" in s:
        rows.append(
            [
                "every approach returns the same members",
                "yes",
                "yes" if s["all_verified"] else "**no**",
                "-",
            ]
        )
    lines += ["#### Targets", "", *_table(["measure", "target", "measured", ""], rows), ""]

    segs = r.get("segments") or {}
    if segs:
        header = [
            "segment",
            "members",
            "duckseg build",
            "duckseg SQL",
            "hand-written lake (best)",
            "hand-written raw (best)",
            "polars raw",
            "pandas raw",
            "build / lake",
            "SQL / lake",
            "polars / build",
            "pandas / build",
        ]
        rows = []
        for name, seg in segs.items():
            ratios = seg["ratios"]
            lake = "DuckDB lake: " + seg["best_lake_variant"]
            raw = "DuckDB raw: " + seg["best_raw_variant"]
            rows.append(
                [
                    name + ("" if seg["verified"] else " **(members differ)**"),
                    f"{seg['count']:,}",
                    _s(_median(seg, "duckseg build")),
                    _s(_median(seg, "duckseg SQL")),
                    f"{_s(_median(seg, lake))} ({seg['best_lake_variant']})",
                    f"{_s(_median(seg, raw))} ({seg['best_raw_variant']})",
                    _s(_median(seg, "polars raw")),
                    _s(_median(seg, "pandas raw")),
                    _x(ratios["build_vs_lake"]),
                    _x(ratios["sql_vs_lake"]),
                    _x(ratios["polars_vs_build"]),
                    _x(ratios.get("pandas_vs_build")),
                ]
            )
        lines += ["#### Segments (median wall time)", "", *_table(header, rows), ""]
        shapes = sorted({v for seg in segs.values() for v in seg["lake_variants_median_s"]})
        rows = []
        for name, seg in segs.items():
            if len(seg["lake_variants_median_s"]) < 2:
                continue
            cells = [name]
            for shape in shapes:
                median = seg["lake_variants_median_s"].get(shape)
                vs = seg["lake_variants_vs_agg"].get(shape)
                cells.append("-" if median is None else f"{_s(median)} ({_x(vs)})")
            rows.append(cells)
        if rows:
            lines += [
                "#### Hand-written SQL shapes over the lake (median; ratio to `agg` pair by pair)",
                "",
                *_table(["segment", *shapes], rows),
                "",
            ]
    for key in ("shapes", "build_all", "fact_passes", "outputs", "audience"):
        if isinstance(r.get(key), Mapping) and "failed" in r[key]:
            lines += [f"#### {key}: failed: `{r[key]['failed']}`", ""]
    shapes = r.get("shapes")
    if shapes and "failed" not in shapes:
        labels = [
            "tight_scan",
            "lean_filters",
            "inner_join",
            "plain_sum",
            "fsum",
            "ordered_fsum",
            "decimal_sum",
        ]
        rows = []
        for name, shape in shapes.items():
            cells = [name, _s(shape["compiled_median_s"])]
            for label in labels:
                if label in shape["vs_compiled"]:
                    cells.append(_x(shape["vs_compiled"][label]))
                elif label in shape["changes_members"]:
                    cells.append("changes members")
                else:
                    cells.append("-")
            rows.append(cells)
        lines += [
            "#### Rewrites of the compiled SQL (time relative to the compiled query, pair by pair)",
            "",
            *_table(["segment", "compiled", *labels], rows),
            "",
        ]
    land = r.get("landing")
    if land:
        t = land["timings"]
        rows = [[k, _s(v["median_s"])] for k, v in t.items()]
        rows += [
            ["landing / COPY", _x(land["land_vs_copy"])],
            ["landing / COPY ORDER BY event, ts", _x(land["land_vs_sorted_copy"])],
            ["landing / COPY PARTITION_BY (event)", _x(land.get("land_vs_partitioned_copy"))],
            ["COPY ORDER BY event, ts / plain COPY", _x(land.get("sorted_copy_vs_copy"))],
            ["events landed per second", f"{land['events_per_s']:,}"],
            ["lake events bytes / raw bytes", f"{land['lake_bytes'] / land['raw_bytes']:.2f}"],
        ]
        lines += [
            f"#### Landing {land['events']:,} events",
            "",
            *_table(["step", "median"], rows),
            "",
        ]
    ba = r.get("build_all")
    if ba and "failed" not in ba:
        rows = [[k, _s(v["median_s"])] for k, v in ba["timings"].items()]
        rows += [
            [f"build --all / build {ba['reference_segment']}", _x(ba["all_vs_one"])],
            ["build --all / median single build of the 11 seeds", _x(ba["all_vs_median_single"])],
            ["engine only: all / one", _x(ba["engine_all_vs_one"])],
            ["share of build --all outside DuckDB queries", f"{ba['build_overhead_share']:.0%}"],
        ]
        if "fifty_single_builds_s" in ba:
            rows.append(
                ["the 50 segments built one by one (one run)", _s(ba["fifty_single_builds_s"])]
            )
            same = (
                "yes"
                if ba["same_members_as_single_builds"]
                else f"**no**: {ba['counts_that_differ']}"
            )
            rows.append(["build --all members = single-build members", same])
        lines += [
            f"#### build --all ({ba['segments']} segments)",
            "",
            *_table(["what", "median"], rows),
            "",
        ]
    fp = r.get("fact_passes")
    if fp and "failed" not in fp:
        base = "vs_compiled" if "vs_compiled" in fp else "vs_shared"
        rows = [
            [
                label,
                str(fp["detail"].get(label, {}).get("passes", "-")),
                _s(t["median_s"]),
                _x(fp[base][label]),
            ]
            for label, t in fp["timings"].items()
        ]
        lines += [
            f"#### The DuckDB part of build --all ({fp['segments']} segments), several ways",
            "",
            *_table(["how", "passes over events", "median", "vs the first row"], rows),
            "",
            "Member counts that differ between the ways: "
            + (
                json.dumps(fp["member_counts_that_differ"])
                if fp["member_counts_that_differ"]
                else "none"
            ),
            "",
        ]
    mem = r.get("memory")
    if mem:
        if mem.get("ok"):
            rows = [
                [n, f"{v['count']:,}", _s(v["seconds"]), _mb(v.get("peak_rss_mb_after"))]
                for n, v in mem["segments"].items()
            ]
            rows.append(
                [
                    "build --all",
                    str(mem["build_all"]["segments"]),
                    _s(mem["build_all"]["seconds"]),
                    _mb(mem["build_all"].get("peak_rss_mb_after")),
                ]
            )
            lines += [
                f"#### Builds under memory_limit = {mem['memory_limit']} "
                f"(peak RSS of the process {mem['peak_rss_mb']:,} MB; counts match: {mem.get('counts_match')})",
                "",
                *_table(["segment", "members", "seconds (one run)", "peak RSS so far, MB"], rows),
                "",
            ]
        else:
            lines += [
                f"#### Builds under memory_limit = {mem.get('memory_limit')}: failed",
                "",
                "```",
                str(mem.get("error") or mem.get("stderr_tail")),
                "```",
                "",
            ]
    audience = r.get("audience")
    if audience and "failed" not in audience:
        t = audience["timings"]
        lines += [
            f"#### Audience of five segments ({', '.join(audience['include'])})",
            "",
            *_table(
                ["build", "median", "ratio"],
                [
                    ["five segments together (`build_many`)", _s(t["segments"]["median_s"]), "1x"],
                    [
                        "the audience (`audience_build`)",
                        _s(t["audience"]["median_s"]),
                        _x(audience["audience_vs_segments"]),
                    ],
                    *(
                        [
                            [
                                "the audience, `limit` by a trait (ratio to the audience)",
                                _s(t["limit_by_trait"]["median_s"]),
                                _x(audience["limit_by_trait_vs_audience"]),
                            ]
                        ]
                        if "limit_by_trait" in t
                        else []
                    ),
                ],
            ),
            "",
            f"{audience['members']:,} members of a union of {audience['union']:,}; "
            f"arms {json.dumps(audience['arms'])}; verified: {audience['verified']}.",
            "",
        ]
    outputs = r.get("outputs")
    if outputs and "failed" not in outputs:
        lines += [f"#### Exports and reports (segment {outputs['segment']})", ""]
        for key in ("workspace_export", "platform_writer", "report"):
            if key not in outputs:
                continue
            value = outputs[key]
            if "skipped" in value:
                lines.append(f"- {key}: skipped: {value['skipped']}")
            else:
                lines.append(f"- {key}: `{json.dumps(value)}`")
        lines.append("")
    return lines


def render(results: list[dict[str, Any]]) -> str:
    if not results:
        return "No results yet: run `make bench`."
    m = results[-1]["machine"]
    lines = [
        "## Machine",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}, "
        f"DuckDB {m['duckdb']}, polars {m['polars']}, pyarrow {m['pyarrow']}, pandas {m['pandas']}, "
        f"sqlglot {m['sqlglot']}. Shared with other work while measuring: compare ratios, not "
        "absolute times.",
        "",
    ]
    for r in results:
        lines += render_result(r)
    return "\n".join(lines).rstrip() + "\n"


def update_results_md() -> Path:
    generated = render(load_results())
    text = (
        RESULTS_MD.read_text(encoding="utf-8")
        if RESULTS_MD.exists()
        else f"# Benchmark results\n\n{BEGIN}\n{END}\n"
    )
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    RESULTS_MD.write_text(f"{head}{BEGIN}\n{generated}{END}{tail}", encoding="utf-8")
    return RESULTS_MD
