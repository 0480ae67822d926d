"""The verbs of the workspace and its lake: init, ingest, attributes, traits, watch, demo,
doctor (docs/cli.md). `duckseg.cli` registers them on its app."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from duckseg.cli_common import (
    AsOfOpt,
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    cells,
    err,
    open_workspace,
    out,
    print_json,
    progress,
    say,
)
from duckseg.lang.time import iso


def init(
    directory: Annotated[Path, typer.Argument()] = Path("."),
    demo: Annotated[
        bool, typer.Option("--demo", help="land the bundled sample and its example segments")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a workspace: duckseg.toml, segments/, traits/, lake/, state/."""
    from duckseg.api.workspace import Workspace

    ws = Workspace.init(directory, demo=demo)
    if as_json:
        print_json(
            {"workspace": str(ws.root), "segments": sorted(ws.segment_files()), "demo": demo}
        )
        return
    say(err, f"workspace ready at {ws.root}" + (" with the sample landed" if demo else ""))


def ingest(
    kind: Annotated[str, typer.Argument(help="contacts or events")],
    paths: Annotated[list[Path], typer.Argument(help="CSV, Parquet or JSON-lines files")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv|parquet|json (default: from the extension)")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="any bad row lands nothing (exit 2)")
    ] = False,
    allow_repeat: Annotated[
        bool, typer.Option("--allow-repeat", help="land files whose content has landed before")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Land contacts (upsert by contact_id) or events (append, dedupe by event_id)."""
    ws = open_workspace(workspace, wait)
    with progress(not as_json) as update:
        report = ws.ingest(
            kind,
            paths,
            fmt,
            strict=strict,
            allow_repeat=allow_repeat,
            progress=lambda done, total: update(f"landing {kind}", done, total),
        )
    data = {
        "landing_id": report.landing_id,
        "kind": report.kind,
        "rows_read": report.rows_read,
        "rows_landed": report.rows_landed,
        "rows_rejected": report.rows_rejected,
        "duplicates": report.duplicates,
        "contacts_created": report.contacts_created,
        "new_attributes": list(report.new_attributes),
        "rejects_path": str(report.rejects_path) if report.rejects_path else None,
        "reject_reasons": dict(report.reject_reasons),
    }
    if as_json:
        print_json(data)
        return
    say(out, f"landed {report.rows_landed:,} of {report.rows_read:,} {kind} rows")
    if report.duplicates:
        say(out, f"skipped {report.duplicates:,} duplicate events (event_id already landed)")
    if report.contacts_created:
        say(out, f"created {report.contacts_created:,} contacts seen only in events")
    if report.rows_rejected:
        say(
            out,
            (f"rejected {report.rows_rejected:,} rows", "yellow"),
            f", kept with their reasons in {report.rejects_path}",
        )
        for reason, n in report.reject_reasons.items():
            say(out, f"  {n:,} x {reason}")


def attributes(
    events: Annotated[
        bool, typer.Option("--events", help="event names and properties instead")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Attributes and traits (or event properties): type, fill rate, top values."""
    rows = open_workspace(workspace).attributes(events=events)
    if as_json:
        print_json(rows)
        return
    table = Table("name", "type", "filled", "top values")
    for row in rows:
        top = ", ".join(f"{t['value']} ({t['count']:,})" for t in row["top_values"])
        kind = " (trait)" if row.get("kind") == "trait" else ""
        table.add_row(*cells(row["name"] + kind, row["type"], f"{row['fill_rate']:.0%}", top))
    out.print(table)


def traits(
    as_of: AsOfOpt = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="write a Parquet file: contact_id and one column per trait"),
    ] = None,
    names: Annotated[
        str | None, typer.Option("--traits", help="trait names, comma-separated (default: all)")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="contacts to print")] = 10,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Computed attributes per contact at --as-of (events after it never count)."""
    ws = open_workspace(workspace)
    chosen = [n.strip() for n in names.split(",") if n.strip()] if names else None
    when = ws.as_of(as_of)
    values = ws.traits(as_of=when, names=chosen)
    listed = [t for t in ws.trait_list() if chosen is None or t["name"] in chosen]
    if out_file is not None:
        ws.write_traits(values, out_file)
    sample = values.head(max(limit, 0))
    if as_json:
        print_json(
            {
                "as_of": when,
                "traits": listed,
                "contacts": values.height,
                "out": str(out_file) if out_file is not None else None,
                "sample": sample.to_dicts(),
            }
        )
        return
    for trait in listed:
        words = f"{trait['name']} ({trait['type']}): {trait['computes']}"
        out.print(escape(words), highlight=False)
    out.print(f"{values.height:,} contacts, as of {iso(when)}", highlight=False)
    if out_file is not None:
        out.print(f"written to {escape(str(out_file))}", highlight=False)
    if sample.height and sample.width:
        table = Table(*(escape(c) for c in sample.columns))
        for row in sample.iter_rows():
            table.add_row(*("" if v is None else escape(str(v)) for v in row))
        out.print(table)


def watch(
    inbox: Annotated[Path, typer.Argument(help="folder with contacts/ and events/ inside")],
    every: Annotated[str, typer.Option("--every", help="time between passes, e.g. 60s")] = "60s",
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Land new inbox files exactly once, in arrival order, then refresh; one log line a step."""
    from duckseg.api.watch import Step, Watcher, every_seconds, stop_on_signals

    seconds = every_seconds(every)
    ws = open_workspace(workspace)

    def log(step: Step) -> None:
        line = json.dumps(step.to_dict()) if as_json else step.line()
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    with stop_on_signals() as stop:
        code = Watcher(ws, inbox.resolve(), log, stop).run(seconds, once=once)
    raise typer.Exit(code)


def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="where to create the demo workspace")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The main job on the bundled sample: land, build every example segment, report, export."""
    from duckseg.api.demo import run_demo

    result = run_demo(directory, out if not as_json else None)
    if as_json:
        print_json(result)


def doctor(
    repair: Annotated[
        bool, typer.Option("--repair", help="mark lost snapshots so that builds go on")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Verify the lake, the catalog and the snapshot files; report what is missing."""
    result = open_workspace(workspace, wait).doctor(repair=repair)
    if as_json:
        print_json(result.to_dict())
    else:
        for finding in result.findings:
            state = "repaired" if finding.repaired else "found"
            say(out, (f"{state}: ", "yellow"), str(finding))
        say(out, result.summary())
    if not result.healthy:
        raise typer.Exit(1)
