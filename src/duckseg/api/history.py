"""Reading a segment's snapshots: one snapshot, its members, a diff of two, the history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from duckseg.api.results import Diff, Snapshot
from duckseg.db import create_temp, parquet_scan
from duckseg.state.snapshots import SnapshotInfo

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace

HISTORY_SCHEMA = {
    "segment": pl.Utf8(),
    "snapshot_id": pl.Utf8(),
    "as_of": pl.Datetime("us", "UTC"),
    "built_at": pl.Datetime("us", "UTC"),
    "count": pl.Int64(),
    "entered": pl.Int64(),
    "exited": pl.Int64(),
    "engine": pl.Utf8(),
    "definition_hash": pl.Utf8(),
    "definition_changed": pl.Boolean(),
}


def snapshot_of(ws: Workspace, info: SnapshotInfo, members: pa.Table | None = None) -> Snapshot:
    """The Snapshot result of a stored snapshot, with who entered and exited since the one
    before it."""
    before = ws.snapshots.previous(info)
    entered, exited = ws.snapshots.changes_along([*([before] if before else []), info])[-1]
    if members is None:
        members = ws.snapshots.members(info)
    return Snapshot(info, entered, exited, members)


def members(ws: Workspace, name: str, snapshot: str | None = None) -> pl.DataFrame:
    """Members of a snapshot (the latest by default) with their current attributes."""
    snap = ws.snapshot(name, snapshot)
    con = ws.connect()
    try:
        create_temp(con, "snapshot_members", parquet_scan([ws.snapshots.file(snap.info)]))
        frame: pl.DataFrame = con.sql(
            "SELECT c.* FROM snapshot_members m JOIN contacts c USING (contact_id) ORDER BY c.contact_id"
        ).pl()
    finally:
        con.close()
    return frame


def diff(ws: Workspace, name: str, from_id: str | None = None, to_id: str | None = None) -> Diff:
    """Entered and exited contacts between two snapshots (default: the latest and the one
    before it)."""
    to = ws.snapshot(name, to_id).info
    if from_id is not None:
        before: SnapshotInfo | None = ws.snapshot(name, from_id).info
    else:
        before = ws.snapshots.previous(to)
    entered, exited = ws.snapshots.diff(before, to)
    return Diff(
        name,
        before.snapshot_id if before else None,
        to.snapshot_id,
        entered.column("contact_id").to_pylist(),
        exited.column("contact_id").to_pylist(),
        before.as_of if before else None,
        to.as_of,
    )


def history(ws: Workspace, name: str) -> pl.DataFrame:
    """One row per snapshot in as_of order: count, entered, exited, and whether the
    definition changed."""
    rows: list[dict[str, Any]] = []
    before: SnapshotInfo | None = None
    infos = ws.snapshots.history(name)
    for info, (entered, exited) in zip(infos, ws.snapshots.changes_along(infos), strict=True):
        rows.append(
            {
                "segment": info.segment,
                "snapshot_id": info.snapshot_id,
                "as_of": info.as_of,
                "built_at": info.built_at,
                "count": info.count,
                "entered": entered,
                "exited": exited,
                "engine": info.engine,
                "definition_hash": info.definition_hash,
                "definition_changed": before is not None
                and before.definition_hash != info.definition_hash,
            }
        )
        before = info
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA)
