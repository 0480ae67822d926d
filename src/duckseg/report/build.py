"""Building a report: choose snapshots, compute every table, write them all at once.

The output folder (default `reports/<name>/`, or `reports/<timestamp>/`) gets
one Parquet file per table of `duckseg.report.schemas.SCHEMAS`, `report.json` (what
was compared, the schemas, the SQL that ran) and `report.html`. Everything is
written into a temporary folder first and moved into place at the end, so a
failed report leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow.parquet as pq

from duckseg.engines.duckdb import TRAITS, bind_traits
from duckseg.errors import DefinitionError, InputError, Problem
from duckseg.lang.describe import describe
from duckseg.lang.outline import describe_definition
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext, iso, parse_duration
from duckseg.report import metrics as m
from duckseg.report.config import (
    ConfigLike,
    ReportConfig,
    check_breakdowns,
    load_report_config,
    resolve_metrics,
)
from duckseg.report.html import render_page
from duckseg.report.result import HTML_FILE, MANIFEST_FILE, Report
from duckseg.report.schemas import SCHEMAS, to_table
from duckseg.state.snapshots import SnapshotInfo
from duckseg.state.staging import sweep_hidden, write_folder
from duckseg.types import ValueType

if TYPE_CHECKING:
    from duckseg.context import WorkspaceContext

Progress = Callable[[str, int, int], None]
SegmentChoice = str | SnapshotInfo
DEFAULT_METRIC_EVENTS = 3
DEFAULT_METRIC_WINDOW = "30d"
# Identity fields are personal and nearly unique: never a default breakdown.
PERSONAL = ("email", "phone", "first_name", "last_name", "zip", "date_of_birth", "mobile_ad_id")


def choose_snapshots(ws: WorkspaceContext, segments: Sequence[SegmentChoice]) -> list[SnapshotInfo]:
    """`name` (latest snapshot), `name@SNAPSHOT_ID`, or Snapshot objects; none: every built segment."""
    if not segments:
        latest: dict[str, SnapshotInfo] = {}
        for snap in ws.snapshots.all():
            if snap.kind == "audience":  # arms are compared by report --audience
                continue
            latest[snap.segment] = snap  # all() is ordered by as_of: the last one wins
        if not latest:
            raise InputError.single(
                "report", "no snapshots yet", hint="build segments first with duckseg build --all"
            )
        return [latest[name] for name in sorted(latest)]
    chosen: list[SnapshotInfo] = []
    for item in segments:
        if isinstance(item, SnapshotInfo):
            info: SnapshotInfo | None = item
        else:
            name, _, snapshot_id = str(item).partition("@")
            if snapshot_id:
                info = ws.snapshots.require(name, snapshot_id, ws.segment_files())
            else:
                info = ws.snapshots.require(name, None, ws.segment_files())
        assert info is not None
        if any(c.segment == info.segment for c in chosen):
            raise InputError.single(
                info.segment, f"segment {info.segment} is listed twice", hint="list each once"
            )
        chosen.append(info)
    return chosen


def report_as_of(chosen: Sequence[SnapshotInfo]) -> datetime:
    """The latest as_of of the dynamic snapshots compared; static snapshots (whose as_of is
    the time of an upload) set it only when nothing else is compared."""
    dynamic = [info.as_of for info in chosen if info.kind == "dynamic"]
    return max(dynamic or [info.as_of for info in chosen])


def _definitions(
    ws: WorkspaceContext, con: duckdb.DuckDBPyConnection, chosen: Sequence[SnapshotInfo]
) -> dict[str, dict[str, Any]]:
    """Per segment: its definition in words, description, owner, and whether it changed."""
    out: dict[str, dict[str, Any]] = {}
    for info in chosen:
        row: dict[str, Any] = {
            "definition": None,
            "description": None,
            "owner": None,
            "definition_changed": False,
        }
        try:
            seg = ws.load(info.segment)
        except DefinitionError:
            out[info.segment] = row  # the definition was deleted (--keep-history)
            continue
        row.update(description=seg.description, owner=seg.owner)
        row["definition_changed"] = (
            info.kind == "dynamic" and ws.definition_hash(seg) != info.definition_hash
        )
        try:
            (resolved,) = ws.resolve([seg], con)
            row["definition"] = (
                describe(resolved.tree) if resolved.tree is not None else describe_definition(seg)
            )
        except DefinitionError:
            row["definition"] = describe_definition(seg)
        out[info.segment] = row
    return out


def _output_dir(
    ws: WorkspaceContext, out: str | Path | None, cfg: ReportConfig, now: datetime
) -> Path:
    if out is not None:
        return _replaceable(Path(out).resolve(), "--out")
    folder = ws.root / "reports"
    sweep_hidden(folder)
    if cfg.name:
        return _replaceable(folder / cfg.name, "name")
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = folder / stamp, 2
    while candidate.exists():
        candidate, n = folder / f"{stamp}-{n}", n + 1
    return candidate


def _trait_types(
    resolver: Resolver | None, names: Sequence[str], source: str
) -> dict[str, ValueType]:
    """The types of the traits among `names` (the breakdowns that are no attribute)."""
    if resolver is None:
        return {}
    types = {}
    problems: list[Problem] = []
    for name in names:
        if name in resolver.traits:
            try:
                types[name] = resolver.resolve_trait(name).type
            except DefinitionError as exc:
                problems.extend(exc.problems)
    if problems:
        raise DefinitionError(problems)
    return types


def build_report(
    ws: WorkspaceContext,
    segments: Sequence[SegmentChoice] = (),
    out: str | Path | None = None,
    config: ConfigLike = None,
    progress: Progress | None = None,
) -> Report:
    cfg, source = load_report_config(config)
    chosen = choose_snapshots(ws, segments)
    names = [info.segment for info in chosen]
    populations = [*names, m.BASE]
    now = ws.clock.now()
    as_of = report_as_of(chosen)
    # A static snapshot's as_of is when its list was uploaded, not a point in event time:
    # its metrics are taken at the report's as_of (docs/reports.md).
    target = _output_dir(ws, out, cfg, now)  # refused before any work when it is not ours
    at_of = {info.segment: info.as_of if info.kind == "dynamic" else as_of for info in chosen}
    tables: dict[str, list[dict[str, Any]]] = {}
    queries: dict[str, str] = {}

    con = ws.connect()
    try:
        catalog = ws.read_catalog(con)
        if cfg.metrics is not None:
            metric_defs = resolve_metrics(cfg.metrics, ws.resolver(catalog), catalog, source)
        else:
            window = parse_duration(DEFAULT_METRIC_WINDOW)
            since = TimeContext.create(as_of, ws.config.time.zone).back(window)
            frequent = m.frequent_events(con, since, as_of, DEFAULT_METRIC_EVENTS)
            defaults = [
                {
                    "name": f"{e}_{DEFAULT_METRIC_WINDOW}",
                    "kind": "reach",
                    "event": e,
                    "within": DEFAULT_METRIC_WINDOW,
                }
                for e in frequent
            ]
            metric_defs = resolve_metrics(
                load_report_config({"metrics": defaults})[0].metrics or [],
                ws.resolver(catalog),
                catalog,
                source,
            )
        trait_names: list[str] = []
        if cfg.breakdowns is not None:
            named = [n for n in cfg.breakdowns if n not in catalog.attributes]
            resolver = ws.resolver(catalog) if named else None
            types = _trait_types(resolver, named, source)
            attributes = check_breakdowns(cfg.breakdowns, catalog, source, types)
            trait_names = [n for n, _ in attributes if n in types]
            if resolver is not None and trait_names:
                # Traits are broken down at the report's as_of (its latest snapshot's).
                traits = [resolver.resolve_trait(n) for n in trait_names]
                bind_traits(con, traits, TimeContext.create(as_of, ws.config.time.zone))
        else:
            personal = {getattr(ws.config.identity, key) for key in PERSONAL}
            chosen_names = m.default_breakdowns(con, catalog, sorted(personal))
            attributes = [(a, catalog.attributes[a]) for a in chosen_names]
        definitions = _definitions(ws, con, chosen)

        steps = 4 + len(attributes) + len(metric_defs)
        done = 0

        def step(label: str) -> None:
            nonlocal done
            if progress:
                progress(label, done, steps)
            done += 1

        step("reading snapshots")
        m.bind_members(con, [(info.segment, ws.root / info.path) for info in chosen])
        size = {name: 0 for name in populations} | m.sizes(con)
        total = size.get(m.BASE, 0)
        queries["sizes"] = m.sizes_query().sql("duckdb", pretty=True)
        tables["segments"] = [
            {
                "population": info.segment,
                "is_base": False,
                "snapshot_id": info.snapshot_id,
                "as_of": info.as_of,
                "built_at": info.built_at,
                "members": size.get(info.segment, 0),
                "share_of_contacts": m.ratio(size.get(info.segment, 0), total),
                **definitions[info.segment],
            }
            for info in chosen
        ] + [
            {
                "population": m.BASE,
                "is_base": True,
                "snapshot_id": None,
                "as_of": as_of,
                "built_at": None,
                "members": total,
                "share_of_contacts": 1.0 if total else None,
                "definition": "every contact",
                "description": None,
                "owner": None,
                "definition_changed": False,
            }
        ]

        step("overlap")
        tables["overlap"] = m.overlap_rows(con, names, size)
        queries["overlap"] = m.overlap_query().sql("duckdb", pretty=True)

        tables["breakdowns"] = []
        for attribute, vtype in attributes:
            step(f"breakdown by {attribute}")
            table = TRAITS if attribute in trait_names else "contacts"
            tables["breakdowns"] += m.breakdown_rows(
                con, attribute, vtype, populations, size, cfg.top_values, table
            )
            queries[f"breakdown {attribute}"] = m.breakdown_query(attribute, vtype, table).sql(
                "duckdb", pretty=True
            )

        tables["metrics"] = []
        as_ofs = sorted(set(at_of.values()))
        for metric in metric_defs:
            step(f"metric {metric.name}")
            for at in as_ofs:
                ctx = TimeContext.create(at, ws.config.time.zone)
                at_names = [info.segment for info in chosen if at_of[info.segment] == at]
                tables["metrics"] += m.metric_rows(con, metric, ctx, at_names, now, queries)

        step("size over time")
        tables["size_over_time"] = []
        for info in chosen:
            history = ws.snapshots.history(info.segment)
            tables["size_over_time"] += m.size_over_time_rows(
                history, ws.snapshots.changes_along(history), info.snapshot_id
            )
    finally:
        con.close()

    step("writing")
    name = target.name
    arrow = {table: to_table(table, rows) for table, rows in tables.items()}
    report = Report(
        name=name,
        title=cfg.title or f"Segment report: {', '.join(names)}",
        path=target,
        created_at=now,
        as_of=as_of,
        tables=arrow,
        queries=queries,
        static=frozenset(info.segment for info in chosen if info.kind == "static"),
    )
    _write(report, cfg, chosen)
    if progress:
        progress("done", steps, steps)
    return report


def _replaceable(target: Path, option: str) -> Path:
    """A report folder is new, empty, or an earlier report and nothing else: the new report
    replaces the whole folder."""
    if target.exists() and not target.is_dir():
        raise InputError.single(option, f"{target} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()):
        ours = {MANIFEST_FILE, HTML_FILE, *(f"{name}.parquet" for name in SCHEMAS)}
        foreign = sorted(p.name for p in target.iterdir() if p.name not in ours)
        if not (target / MANIFEST_FILE).is_file() or foreign:
            raise InputError.single(
                option,
                f"{target} holds files that are not an earlier report: "
                + ", ".join(foreign[:5] or ["no report.json"]),
                hint="choose a new or empty folder (an earlier report's folder is replaced)",
            )
    return target


def _manifest(report: Report, cfg: ReportConfig, chosen: Sequence[SnapshotInfo]) -> dict[str, Any]:
    return {
        "name": report.name,
        "title": report.title,
        "created_at": iso(report.created_at),
        "as_of": iso(report.as_of),
        "snapshots": [
            {
                "segment": info.segment,
                "snapshot_id": info.snapshot_id,
                "as_of": iso(info.as_of),
            }
            for info in chosen
        ],
        "config": cfg.model_dump(mode="json", exclude_none=True),
        "files": report.files(),
        "rows": {name: table.num_rows for name, table in report.tables.items()},
        "schemas": {
            name: [
                {
                    "column": f.name,
                    "type": str(f.type),
                    "description": (f.metadata or {}).get(b"description", b"").decode(),
                }
                for f in schema
            ]
            for name, schema in SCHEMAS.items()
        },
        "queries": dict(report.queries),
    }


def _write(report: Report, cfg: ReportConfig, chosen: Sequence[SnapshotInfo]) -> None:
    def fill(folder: Path) -> None:
        for name, table in report.tables.items():
            pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
        (folder / MANIFEST_FILE).write_text(
            json.dumps(_manifest(report, cfg, chosen), indent=2) + "\n", encoding="utf-8"
        )
        (folder / HTML_FILE).write_text(render_page(report), encoding="utf-8")

    write_folder(report.path, fill)


__all__ = ["build_report", "choose_snapshots"]
