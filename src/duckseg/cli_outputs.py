"""The verbs that read built snapshots out: diff, report, export (docs/cli.md).
`duckseg.cli` registers them on its app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from duckseg.cli_common import (
    ChangesOpt,
    ColumnsOpt,
    FormatOpt,
    FromOpt,
    IncludeOptedOutOpt,
    JsonOpt,
    MaxRowsOpt,
    SnapshotOpt,
    ToOpt,
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
from duckseg.errors import InputError
from duckseg.lang.time import iso


def diff(
    segment: str,
    from_: FromOpt = None,
    to: ToOpt = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="write entered/exited rows to this CSV file")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Who entered and who exited between two snapshots."""
    result = open_workspace(workspace).diff(segment, from_, to)
    if csv is not None:
        result.write_csv(csv)
    if as_json:
        print_json(result.to_dict())
        return
    before = (
        f"{result.from_id} (as of {iso(result.from_as_of)})"
        if result.from_id and result.from_as_of
        else "nothing"
    )
    after = f"{result.to_id} (as of {iso(result.to_as_of)})" if result.to_as_of else result.to_id
    backwards = bool(result.from_as_of and result.to_as_of and result.from_as_of > result.to_as_of)
    say(
        out,
        f"{segment}: {len(result.entered):,} entered, {len(result.exited):,} exited\n"
        f"  from {before}\n  to   {after}"
        + (
            "\n  note: --from is later than --to, so this runs backwards in time"
            if backwards
            else ""
        ),
    )
    for label, ids in (("entered", result.entered), ("exited", result.exited)):
        if ids:
            shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
            say(out, f"  {label}: {shown}")


def report(
    segments: Annotated[
        list[str] | None,
        typer.Argument(
            help="segments (latest snapshot) or NAME@SNAPSHOT_ID; none: every built one"
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="output folder (default: reports/<name or timestamp>/)"),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="report YAML: breakdowns and event metrics")
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option("--audience", help="compare this audience's arms with its holdout instead"),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Compare segments: size, overlap, breakdowns, event metrics with lift; Parquet + HTML."""
    ws = open_workspace(workspace)
    if audience is not None:
        if segments:
            raise InputError.single("--audience", "give segments or --audience, not both")
        _print_audience_report(ws.audience_report(audience, out=out_dir, config=config), as_json)
        return
    with progress(not as_json) as update:
        result = ws.report(segments or [], out=out_dir, config=config, progress=update)
    if as_json:
        print_json(result.to_dict())
        return
    table = Table("population", "members", "share", "as of", "definition")
    for row in result.to_dict()["segments"]:
        share = row["share_of_contacts"]
        table.add_row(
            *cells(
                row["population"],
                f"{row['members']:,}",
                "" if share is None else f"{share:.1%}",
                row["as_of"] or "",
                row["definition"] or "",
            )
        )
    out.print(table)
    say(out, f"report written to {result.path} (open {result.html_path})")


def _print_audience_report(report: Any, as_json: bool) -> None:
    """`duckseg report --audience`: per metric, each arm's value and its difference to holdout."""
    if as_json:
        print_json(report.to_dict())
        return
    table = Table("metric", "arm", "members", "value", "95% interval", "vs holdout", "95% interval")
    for r in report.rows:
        share = r["unit"] == "share"

        def show(v: float | None, signed: bool = False, share: bool = share) -> str:
            if v is None:
                return ""
            return (
                f"{v * 100:{'+' if signed else ''}.2f}%"
                if share
                else f"{v:{'+' if signed else ''},.3f}"
            )

        note = "" if r["complete"] else " (incomplete)"
        table.add_row(
            escape(r["metric"] + note),
            escape(r["arm"]),
            f"{r['members']:,}",
            show(r["value"]),
            f"{show(r['low'])} – {show(r['high'])}",
            "" if r["is_holdout"] else show(r["difference"], True),
            ""
            if r["is_holdout"] or r["difference_low"] is None
            else f"{show(r['difference_low'], True)} to {show(r['difference_high'], True)}"
            + (" *" if r["distinguishable"] else ""),
        )
    out.print(table)
    out.print("* the difference is distinguishable from zero (its interval excludes 0)")
    out.print(
        f"report written to {escape(str(report.path))} (open {escape(str(report.html_path))})"
    )


def export(
    segment: str,
    fmt: FormatOpt,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="output folder (default: exports/<segment>/<format>/<snapshot_id>/)"
        ),
    ] = None,
    snapshot: SnapshotOpt = None,
    columns: ColumnsOpt = None,
    changes: ChangesOpt = False,
    include_opted_out: IncludeOptedOutOpt = False,
    max_rows: MaxRowsOpt = None,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Write a snapshot's members as csv/parquet or an ad-platform upload, with manifest.json."""
    result = open_workspace(workspace, wait).export(
        segment,
        fmt,
        out=out_dir,
        snapshot=snapshot,
        columns=columns,
        changes=changes,
        include_opted_out=include_opted_out,
        max_rows=max_rows,
    )
    for warning in result.warnings:
        say(err, ("warning:", "yellow"), f" {warning}")
    if as_json:
        print_json(result.to_dict())
        return
    manifest = result.manifest
    what = (
        f"{manifest['adds']:,} adds and {manifest['removes']:,} removes"
        if changes
        else f"{result.rows:,} rows"
    )
    say(
        out,
        f"{segment} -> {result.format}: {what} in {len(manifest['files'])} file(s), "
        f"snapshot {result.snapshot_id}",
    )
    skipped = ", ".join(f"{n:,} {reason}" for reason, n in result.skipped.items() if n)
    if skipped:
        say(out, f"skipped: {skipped}")
    say(out, f"written to {result.path}")
