"""The audience verbs over a workspace: build, show, list, diff, export (docs/audiences.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from duckseg.audiences.build import build_audiences, definition_hash
from duckseg.audiences.plan import audience_files, describe_limit, load_audience, order_by
from duckseg.audiences.result import AudienceSnapshot, counts
from duckseg.audiences.spec import AUDIENCES_DIR, HOLDOUT, Audience, audience_key
from duckseg.errors import DefinitionError, InputError, did_you_mean
from duckseg.export.result import ExportResult
from duckseg.export.run import MemberFilter, run_export
from duckseg.lang.time import TimeContext
from duckseg.state.snapshots import SnapshotInfo, latest_counts

if TYPE_CHECKING:
    from duckseg.context import WorkspaceContext


def build(ws: WorkspaceContext, names: Sequence[str], ctx: TimeContext) -> list[AudienceSnapshot]:
    """Build the audiences named (every audience when none is) at ctx.as_of."""
    chosen = list(names) or list(audience_files(ws.root))
    if not chosen:
        raise InputError.single(AUDIENCES_DIR, "no audiences to build: audiences/ has no files")
    out = []
    for info, computed, (entered, exited) in build_audiences(ws, chosen, ctx):
        audience = computed.audience
        agents = audience.assign.names if audience.assign else []
        out.append(
            AudienceSnapshot(
                audience.name,
                info,
                entered,
                exited,
                counts(computed.members, "arm", audience.arms),
                counts(computed.members, "agent", agents),
                computed.funnel,
                computed.warnings,
                computed.limit,
                computed.members,
            )
        )
    return out


def _known(ws: WorkspaceContext, name: str) -> Audience | None:
    """The current definition, or None when the file is gone or invalid."""
    try:
        return load_audience(ws.root, name)
    except DefinitionError:
        return None


def _limit_words(ws: WorkspaceContext, audience: Audience | None, info: SnapshotInfo) -> str | None:
    """`limit` in words, when the snapshot was built from the definition as it is now."""
    if audience is None or audience.limit is None:
        return None
    if definition_hash(audience) != info.definition_hash:
        return None
    con = ws.connect()
    try:
        resolver = ws.resolver(ws.read_catalog(con))
        return describe_limit(audience, order_by(audience, resolver, resolver.catalog))
    except DefinitionError:
        return None  # the lake changed under it: `build` reports the problem
    finally:
        con.close()


def snapshot_info(ws: WorkspaceContext, name: str, snapshot_id: str | None = None) -> SnapshotInfo:
    key = audience_key(name)
    info = ws.snapshots.get(snapshot_id) if snapshot_id else ws.snapshots.latest(key)
    if info is None or info.segment != key:
        files = audience_files(ws.root)
        if name not in files and ws.snapshots.latest(key) is None:
            raise InputError.single(
                AUDIENCES_DIR, f"unknown audience {name}", hint=did_you_mean(name, files)
            )
        what = f"no snapshot {snapshot_id}" if snapshot_id else "no snapshot yet"
        raise InputError.single(
            name, f"{what} for audience {name}", hint=f"build it with duckseg audience build {name}"
        )
    return info


def snapshot(ws: WorkspaceContext, name: str, snapshot_id: str | None = None) -> AudienceSnapshot:
    info = snapshot_info(ws, name, snapshot_id)
    members = ws.snapshots.members(info)
    entered, exited = ws.snapshots.diff(ws.snapshots.previous(info), info)
    audience = _known(ws, name)
    arms = audience.arms if audience else []
    agents = audience.assign.names if audience and audience.assign else []
    return AudienceSnapshot(
        name,
        info,
        entered.num_rows,
        exited.num_rows,
        counts(members, "arm", arms),
        counts(members, "agent", agents),
        limit=_limit_words(ws, audience, info),
        _members=members,
    )


def members(ws: WorkspaceContext, name: str, snapshot_id: str | None = None) -> pl.DataFrame:
    """contact_id, arm, agent of a snapshot (the latest by default)."""
    frame = pl.from_arrow(ws.snapshots.members(snapshot_info(ws, name, snapshot_id)))
    assert isinstance(frame, pl.DataFrame)
    return frame


@dataclass(frozen=True)
class AudienceDiff:
    """Who entered and exited an audience between two snapshots, and who changed arm."""

    audience: str
    from_id: str | None
    to_id: str
    entered: list[Any]
    exited: list[Any]
    moved: list[Any]  # in both, in another arm (a changed salt or weights)

    def to_dict(self) -> dict[str, Any]:
        return {
            "audience": self.audience,
            "from": self.from_id,
            "to": self.to_id,
            "entered": self.entered,
            "exited": self.exited,
            "moved": self.moved,
        }


def diff(
    ws: WorkspaceContext, name: str, from_id: str | None = None, to_id: str | None = None
) -> AudienceDiff:
    to = snapshot_info(ws, name, to_id)
    before = snapshot_info(ws, name, from_id) if from_id else ws.snapshots.previous(to)
    entered, exited = ws.snapshots.diff(before, to)
    moved: list[Any] = []
    if before is not None:
        old = pl.from_arrow(ws.snapshots.members(before))
        new = pl.from_arrow(ws.snapshots.members(to))
        assert isinstance(old, pl.DataFrame) and isinstance(new, pl.DataFrame)
        both = new.join(old, on="contact_id", suffix="_before")
        moved = both.filter(pl.col("arm") != pl.col("arm_before"))["contact_id"].sort().to_list()
    return AudienceDiff(
        name,
        before.snapshot_id if before else None,
        to.snapshot_id,
        entered.column("contact_id").to_pylist(),
        exited.column("contact_id").to_pylist(),
        moved,
    )


def listing(ws: WorkspaceContext) -> list[dict[str, Any]]:
    """Every audience file: its description, latest count, delta and arms."""
    rows = []
    for name, path in audience_files(ws.root).items():
        row: dict[str, Any] = {"audience": name, "file": path.relative_to(ws.root).as_posix()}
        try:
            audience = load_audience(ws.root, name)
            row.update(description=audience.description, owner=audience.owner)
        except DefinitionError as exc:
            row.update(description=None, owner=None, error=str(exc.problems[0]))
        history = ws.snapshots.history(audience_key(name))
        row.update(latest_counts(history), snapshot_id=history[-1].snapshot_id if history else None)
        rows.append(row)
    return rows


def export(
    ws: WorkspaceContext,
    name: str,
    fmt: str,
    *,
    out: str | Path | None = None,
    snapshot_id: str | None = None,
    columns: str | Sequence[str] | None = None,
    changes: bool = False,
    include_opted_out: bool = False,
    include_holdout: bool = False,
    max_rows: int | None = None,
) -> ExportResult:
    """Export an audience snapshot; the export is its send (audiences/sends.py)."""
    info = snapshot_info(ws, name, snapshot_id)
    present = counts(ws.snapshots.members(info), "arm", [])
    arms = tuple(a for a in present if include_holdout or a != HOLDOUT)
    audience = _known(ws, name)
    words = audience.description if audience else None
    return run_export(
        ws,
        info.segment,
        fmt,
        out=out,
        snapshot=info.snapshot_id,
        columns=columns,
        changes=changes,
        include_opted_out=include_opted_out,
        max_rows=max_rows,
        member_filter=MemberFilter(arms, ("arm", "agent"), words),
    )
