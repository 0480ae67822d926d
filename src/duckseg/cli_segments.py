"""The verbs of segment definitions and their builds: check, compile, preview, build,
refresh, list, delete, and the `static` group (docs/cli.md). `duckseg.cli` registers them
on its app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from duckseg.cli_common import (
    AsOfOpt,
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    cells,
    clean,
    err,
    keep_whole,
    open_workspace,
    out,
    print_json,
    progress,
    say,
    warn_if_stale,
)
from duckseg.errors import BadInputError, InputError
from duckseg.lang.time import iso
from duckseg.types import DIALECT_NAMES

EngineOpt = Annotated[str, typer.Option("--engine", help="duckdb|spark")]


def check(
    segments: Annotated[list[str] | None, typer.Argument()] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Validate definitions against the lake; every problem is listed."""
    names = open_workspace(workspace).check(segments or [])
    if as_json:
        print_json({"valid": names})
    else:
        say(out, f"{len(names)} definition(s) valid: {', '.join(names)}")


def compile_(
    segment: str,
    dialect: Annotated[str, typer.Option("--dialect", help="|".join(DIALECT_NAMES))] = "duckdb",
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Print the SQL for a segment."""
    if dialect not in DIALECT_NAMES:
        raise InputError.single(
            "--dialect",
            f"unknown dialect {dialect}",
            hint=f"choose one of {', '.join(DIALECT_NAMES)}",
        )
    ws = open_workspace(workspace)
    sql = ws.compile(segment, dialect=dialect, as_of=as_of)
    if as_json:
        print_json({"segment": segment, "dialect": dialect, "as_of": ws.as_of(as_of), "sql": sql})
        return
    sys.stdout.write(sql + "\n")


def preview(
    segment: Annotated[str, typer.Argument(help="segment name or a YAML file")],
    as_of: AsOfOpt = None,
    limit: Annotated[int, typer.Option("--limit")] = 10,
    against_latest: Annotated[
        bool, typer.Option("--against-latest", help="who would enter and leave")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Count and sample the members of a definition; writes nothing."""
    ws = open_workspace(workspace)
    pv = ws.preview(segment, as_of=as_of, limit=limit, against_latest=against_latest)
    warn_if_stale(ws, pv.as_of)
    if as_json:
        print_json(pv.to_dict())
        return
    say(out, (pv.segment, "bold"), f": {pv.count:,} contacts (as of {iso(pv.as_of)})")
    say(out, pv.description)
    if pv.entered is not None and pv.exited is not None:
        say(
            out,
            f"against the latest snapshot: {pv.entered.height:,} would enter, "
            f"{pv.exited.height:,} would leave",
        )
    if pv.sample.height:
        table = Table(*(escape(clean(c)) for c in pv.sample.columns[:8]))
        for row in pv.sample.select(pv.sample.columns[:8]).iter_rows():
            table.add_row(*cells(*row))
        out.print(table)


def build(
    segments: Annotated[list[str] | None, typer.Argument()] = None,
    all_: Annotated[bool, typer.Option("--all", help="every dynamic segment")] = False,
    as_of: AsOfOpt = None,
    engine: EngineOpt = "duckdb",
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going", help="with --all: build the valid ones, report the broken, exit 2"
        ),
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Materialise membership snapshots."""
    from duckseg.api.workspace import PartialBuildError

    ws = open_workspace(workspace, wait)
    broken: BadInputError | None = None
    with progress(not as_json) as update:
        if all_ or not segments:
            try:
                snaps = ws.build_all(
                    as_of=as_of, engine=engine, progress=update, keep_going=keep_going
                )
            except PartialBuildError as exc:
                snaps, broken = list(exc.snapshots), exc
        else:
            snaps = ws.build_many(segments, as_of=as_of, engine=engine, progress=update)
    if snaps:
        warn_if_stale(ws, snaps[0].as_of)
    if as_json:
        print_json([s.to_dict() for s in snaps])
    else:
        table = Table("segment", "members", "entered", "exited", "as of", "snapshot")
        keep_whole(table, 0, [s.segment for s in snaps])
        keep_whole(table, 5, [s.snapshot_id for s in snaps])
        for s in snaps:
            table.add_row(
                *cells(
                    s.segment,
                    f"{s.count:,}",
                    f"{s.entered:,}",
                    f"{s.exited:,}",
                    iso(s.as_of),
                    s.snapshot_id,
                )
            )
        out.print(table)
    if broken is not None:
        raise broken


def refresh(
    as_of: AsOfOpt = None,
    full: Annotated[
        bool, typer.Option("--full", help="forget what earlier refreshes kept; rebuild all")
    ] = False,
    engine: EngineOpt = "duckdb",
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Bring every segment and audience up to as_of, rebuilding only what changed."""
    ws = open_workspace(workspace)
    with progress(not as_json) as update:
        result = ws.refresh(as_of=as_of, full=full, engine=engine, progress=update)
    if as_json:
        print_json(result.to_dict())
        return
    table = Table("segment", "members", "entered", "exited", "action", "why", "snapshot")
    for r in result.segments:
        s = r.snapshot
        row = (s.segment, f"{s.count:,}", f"{s.entered:,}", f"{s.exited:,}", r.action.value)
        table.add_row(*(escape(v) for v in (*row, r.reason, s.snapshot_id)))
    out.print(table)
    counts = ", ".join(f"{n} {action}" for action, n in result.counts().items())
    if (again := result.reevaluated()) is not None:
        counts += f" ({again:,} contacts re-evaluated)"
    err.print(escape(f"as of {iso(result.as_of)}: {counts}"), highlight=False)


def list_(workspace: WorkspaceOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Segments with their latest count, change, build time and owner."""
    rows = open_workspace(workspace).list_segments()
    if as_json:
        print_json(rows)
        return
    table = Table("segment", "kind", "members", "delta", "as of", "built at", "owner", "note")
    keep_whole(table, 0, [r["segment"] for r in rows])
    for r in rows:
        delta = "" if r["delta"] is None else f"{r['delta']:+,}"
        table.add_row(
            *cells(
                r["segment"],
                r["kind"] or "broken",
                "" if r["count"] is None else f"{r['count']:,}",
                delta,
                iso(r["as_of"]) if r["as_of"] else "",
                iso(r["built_at"]) if r["built_at"] else "never",
                r["owner"] or "",
                _list_note(r),
            )
        )
    out.print(table)


def _list_note(row: dict[str, Any]) -> str:
    if row.get("error"):
        return str(row["error"])
    if row["file"] is None:
        return "no definition file (built from Python, or deleted with --keep-history)"
    if not row["definition_changed"]:
        return ""
    if row.get("references"):
        inputs = ", ".join(row["references"])
        return f"definition or an input ({inputs}) changed since build"
    return "definition changed since build"


def delete(
    segment: str,
    keep_history: Annotated[bool, typer.Option("--keep-history")] = False,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Remove a definition (and its snapshots unless --keep-history); contacts are untouched."""
    removed = open_workspace(workspace, wait).delete(segment, keep_history=keep_history)
    if as_json:
        print_json({"segment": segment, "snapshots_removed": removed})
    else:
        say(out, f"deleted {segment}" + (f" and {removed} snapshot(s)" if removed else ""))


static_app = typer.Typer(
    help="Static segments: member lists from a CSV file.", no_args_is_help=True
)

CsvOpt = Annotated[Path, typer.Option("--csv", help="CSV file with a header row")]
KeyOpt = Annotated[
    str, typer.Option("--key", help="contact_id|email|phone (matched after normalisation)")
]


def _static(
    change: str, name: str, csv: Path, key: str, workspace: Path, wait: float, as_json: bool
) -> None:
    result = open_workspace(workspace, wait).static_change(name, change, csv, key)
    if as_json:
        print_json(result.to_dict())
        return
    snap = result.snapshot
    say(
        out,
        f"{name}: {snap.count:,} members ({snap.entered:+,} entered, {snap.exited:,} exited); "
        f"{result.matched:,} contacts matched from {result.rows_read:,} rows",
    )
    if result.unmatched:
        say(out, (f"{len(result.unmatched):,} rows matched no contact", "yellow"), ":")
        for u in result.unmatched[:50]:
            say(out, f"  row {u.row}: {u.value!r}: {u.reason}")
        if len(result.unmatched) > 50:
            say(out, f"  ... and {len(result.unmatched) - 50:,} more (use --json for all)")


def _static_verb(change: str, summary: str) -> None:
    """Register `duckseg static CHANGE`: the three verbs differ only in what they do to the list."""

    def verb(
        name: str,
        csv: CsvOpt,
        key: KeyOpt = "contact_id",
        workspace: WorkspaceOpt = Path("."),
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        _static(change, name, csv, key, workspace, wait, as_json)

    verb.__doc__ = summary
    static_app.command(change)(verb)


_static_verb("create", "Create a static segment whose members are the contacts the CSV names.")
_static_verb("add", "Add the contacts the CSV names.")
_static_verb("remove", "Remove the contacts the CSV names.")
