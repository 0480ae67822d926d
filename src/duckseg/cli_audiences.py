"""`duckseg audience build|list|show|diff|export`: campaign audiences (docs/audiences.md).

A typer group that `duckseg.cli` mounts as `audience`; like the rest of the
command line it calls the Workspace only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from duckseg.cli_common import (
    AsOfOpt,
    ChangesOpt,
    ColumnsOpt,
    FormatOpt,
    FromOpt,
    IncludeOptedOutOpt,
    JsonOpt,
    MaxRowsOpt,
    SnapshotOpt,
    ToOpt,
    WorkspaceOpt,
    open_workspace,
    out,
    print_json,
    warn,
)
from duckseg.lang.time import iso

if TYPE_CHECKING:
    from duckseg.audiences.result import AudienceSnapshot

audience_app = typer.Typer(
    help="Campaign audiences: segments minus exclusions, split into arms and agents.",
    no_args_is_help=True,
)


def _split_table(snap: AudienceSnapshot) -> Table:
    table = Table("arm", "members", "share", title=f"audience {escape(snap.audience)}: arms")
    for arm, n in snap.arms.items():
        share = f"{n / snap.count:.1%}" if snap.count else ""
        table.add_row(escape(arm), f"{n:,}", share)
    return table


def _print_snapshot(snap: AudienceSnapshot) -> None:
    from duckseg.audiences.result import FUNNEL_WORDS

    out.print(
        f"{escape(snap.audience)}: {snap.count:,} members ({snap.entered:,} entered, "
        f"{snap.exited:,} exited), as of {iso(snap.as_of)}, snapshot {escape(snap.snapshot_id)}",
        highlight=False,
    )
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
        warn(warning)


@audience_app.command("build")
def build(
    names: Annotated[list[str] | None, typer.Argument(help="audiences (none: every one)")] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Evaluate the audiences at send time and write their snapshots (contact_id, arm, agent)."""
    built = open_workspace(workspace).audience_build(names or [], as_of=as_of)
    assert isinstance(built, list)
    if as_json:
        print_json([s.to_dict() for s in built])
        return
    for snap in built:
        _print_snapshot(snap)


@audience_app.command("list")
def list_(workspace: WorkspaceOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Audiences with their latest count, change and build time."""
    rows = open_workspace(workspace).list_audiences()
    if as_json:
        print_json(rows)
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
    snapshot: SnapshotOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="members to print")] = 10,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """An audience snapshot: its arms, agents and first members."""
    snap = open_workspace(workspace).audience_snapshot(name, snapshot)
    frame = snap.to_polars().head(max(limit, 0))
    if as_json:
        print_json({**snap.to_dict(), "sample": frame.to_dicts()})
        return
    _print_snapshot(snap)
    table = Table("contact_id", "arm", "agent")
    for row in frame.iter_rows():
        table.add_row(*(escape("" if v is None else str(v)) for v in row))
    out.print(table)


@audience_app.command("diff")
def diff(
    name: str,
    from_: FromOpt = None,
    to: ToOpt = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Who entered, exited, or changed arm between two snapshots."""
    result = open_workspace(workspace).audience_diff(name, from_, to)
    if as_json:
        print_json(result.to_dict())
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
    fmt: FormatOpt,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="output folder (default: exports/audience/<name>/<format>/<snapshot>/)"
        ),
    ] = None,
    snapshot: SnapshotOpt = None,
    columns: ColumnsOpt = None,
    changes: ChangesOpt = False,
    include_opted_out: IncludeOptedOutOpt = False,
    include_holdout: Annotated[
        bool, typer.Option("--include-holdout", help="export the holdout arm too")
    ] = False,
    max_rows: MaxRowsOpt = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Write an audience snapshot's exported arms, with manifest.json; recorded as a send."""
    result = open_workspace(workspace).audience_export(
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
        warn(warning)
    if as_json:
        print_json(result.to_dict())
        return
    arms = ", ".join(result.manifest.get("arms", []))
    out.print(
        f"{escape(name)} -> {escape(result.format)}: {result.rows:,} rows (arms {escape(arms)}), "
        f"snapshot {escape(result.snapshot_id)}",
        highlight=False,
    )
    out.print(f"written to {escape(str(result.path))}", highlight=False)
