"""`duckseg audience build|list|show|diff|export`: campaign audiences (docs/audiences.md).

A typer group that `duckseg.cli` mounts as `audience`; like the rest of the
command line it calls the Workspace only.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from duckseg.lang.time import iso

if TYPE_CHECKING:
    # The engines load only when a verb needs them, so `--help` starts fast.
    from duckseg.api.workspace import Workspace
    from duckseg.audiences.result import AudienceSnapshot

audience_app = typer.Typer(
    help="Campaign audiences: segments minus exclusions, split into arms and agents.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

WorkspaceOpt = Annotated[Path, typer.Option("-w", "--workspace", help="workspace folder")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]


def _json(value: Any) -> None:
    def plain(v: Any) -> Any:
        return iso(v) if isinstance(v, datetime) else str(v)

    sys.stdout.write(json.dumps(value, default=plain, indent=2) + "\n")


def _split_table(snap: AudienceSnapshot) -> Table:
    table = Table("arm", "members", "share", title=f"audience {escape(snap.audience)}: arms")
    for arm, n in snap.arms.items():
        share = f"{n / snap.count:.1%}" if snap.count else ""
        table.add_row(escape(arm), f"{n:,}", share)
    return table


def _open(path: Path) -> Workspace:
    from duckseg.api.workspace import Workspace

    return Workspace.open(path)


def _print_snapshot(snap: AudienceSnapshot) -> None:
    from duckseg.audiences.result import FUNNEL_WORDS

    out.print(
        f"{escape(snap.audience)}: {snap.count:,} members ({snap.entered:,} entered, "
        f"{snap.exited:,} exited), as of {iso(snap.as_of)}, snapshot {escape(snap.snapshot_id)}",
        highlight=False,
    )
    if snap.limit is not None:
        out.print(f"limit: {escape(snap.limit)}", highlight=False)
    if snap.funnel is not None:
        funnel = Table("step", "contacts")
        for key, words in FUNNEL_WORDS.items():
            if key in snap.funnel:
                funnel.add_row(escape(words), f"{snap.funnel[key]:,}")
        out.print(funnel)
    out.print(_split_table(snap))
    if snap.agents:
        agents = Table("agent", "members")
        for agent, n in snap.agents.items():
            agents.add_row(escape(agent), f"{n:,}")
        out.print(agents)
    for warning in snap.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)


@audience_app.command("build")
def build(
    names: Annotated[list[str] | None, typer.Argument(help="audiences (none: every one)")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="ISO date or timestamp (workspace zone if no offset)"),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Evaluate the audiences at send time and write their snapshots (contact_id, arm, agent)."""
    built = _open(workspace).audience_build(names or [], as_of=as_of)
    assert isinstance(built, list)
    if as_json:
        _json([s.to_dict() for s in built])
        return
    for snap in built:
        _print_snapshot(snap)


@audience_app.command("list")
def list_(workspace: WorkspaceOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Audiences with their latest count, change and build time."""
    rows = _open(workspace).list_audiences()
    if as_json:
        _json(rows)
        return
    table = Table("audience", "members", "delta", "as of", "built at", "description")
    for r in rows:
        table.add_row(
            escape(r["audience"]),
            "" if r["count"] is None else f"{r['count']:,}",
            "" if r["delta"] is None else f"{r['delta']:+,}",
            iso(r["as_of"]) if r["as_of"] else "",
            iso(r["built_at"]) if r["built_at"] else "never",
            escape(r.get("error") or r["description"] or ""),
        )
    out.print(table)


@audience_app.command("show")
def show(
    name: str,
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="snapshot id (default: the latest)")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="members to print")] = 10,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """An audience snapshot: its arms, agents and first members."""
    snap = _open(workspace).audience_snapshot(name, snapshot)
    frame = snap.to_polars().head(max(limit, 0))
    if as_json:
        _json({**snap.to_dict(), "sample": frame.to_dicts()})
        return
    _print_snapshot(snap)
    table = Table("contact_id", "arm", "agent")
    for row in frame.iter_rows():
        table.add_row(*(escape("" if v is None else str(v)) for v in row))
    out.print(table)


@audience_app.command("diff")
def diff(
    name: str,
    from_: Annotated[
        str | None, typer.Option("--from", help="snapshot id (default: the one before --to)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="snapshot id (default: latest)")] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Who entered, exited, or changed arm between two snapshots."""
    result = _open(workspace).audience_diff(name, from_, to)
    if as_json:
        _json(result.to_dict())
        return
    out.print(
        f"{escape(name)}: {len(result.entered):,} entered, {len(result.exited):,} exited, "
        f"{len(result.moved):,} changed arm ({escape(result.from_id or 'nothing')} -> "
        f"{escape(result.to_id)})",
        highlight=False,
    )
    for label, ids in (("entered", result.entered), ("exited", result.exited)):
        if ids:
            shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
            out.print(f"  {label}: {escape(shown)}", highlight=False)


@audience_app.command("export")
def export(
    name: str,
    fmt: Annotated[str, typer.Option("--format", help="csv|parquet|meta|google|tiktok|linkedin")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="output folder (default: exports/audience/<name>/<format>/<snapshot>/)"
        ),
    ] = None,
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="snapshot id (default: the latest)")
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="csv/parquet: attributes, comma-separated (default: all)"),
    ] = None,
    changes: Annotated[
        bool, typer.Option("--changes", help="only adds and removes since the last export")
    ] = False,
    include_opted_out: Annotated[
        bool,
        typer.Option(
            "--include-opted-out", help="do not apply [consent] exclude_when to ad-platform files"
        ),
    ] = False,
    include_holdout: Annotated[
        bool, typer.Option("--include-holdout", help="export the holdout arm too")
    ] = False,
    max_rows: Annotated[
        int | None, typer.Option("--max-rows", help="rows per ad-platform file")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Write an audience snapshot's exported arms, with manifest.json; recorded as a send."""
    result = _open(workspace).audience_export(
        name,
        fmt,
        out=out_dir,
        snapshot=snapshot,
        columns=columns,
        changes=changes,
        include_opted_out=include_opted_out,
        include_holdout=include_holdout,
        max_rows=max_rows,
    )
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    if as_json:
        _json(result.to_dict())
        return
    arms = ", ".join(result.manifest.get("arms", []))
    out.print(
        f"{escape(name)} -> {escape(result.format)}: {result.rows:,} rows (arms {escape(arms)}), "
        f"snapshot {escape(result.snapshot_id)}",
        highlight=False,
    )
    out.print(f"written to {escape(str(result.path))}", highlight=False)


def print_audience_report(report: Any, as_json: bool) -> None:
    """`duckseg report --audience`: per metric, each arm's value and its difference to holdout."""
    if as_json:
        _json(report.to_dict())
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
