"""Memberships over time: per contact, the periods it was a member of a segment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import sqlglot

from duckseg import db as database
from duckseg.resources import read_sql_file
from duckseg.state.snapshots import SnapshotInfo


def intervals(root: Path, history: Sequence[SnapshotInfo]) -> pl.DataFrame:
    """(contact_id, entered_at, exited_at) for every run of consecutive snapshots a contact is in.

    entered_at is the as_of of the first snapshot of the run; exited_at the as_of
    of the first snapshot after it without the contact (null: still a member).
    """
    schema: dict[str, pl.DataType] = {
        "contact_id": pl.Utf8(),
        "entered_at": pl.Datetime("us", "UTC"),
        "exited_at": pl.Datetime("us", "UTC"),
    }
    if not history:
        return pl.DataFrame(schema=schema)
    paths = [str(root / info.path) for info in history]
    order = pa.table(
        {
            "path": paths,
            "position": list(range(len(history))),
            "as_of": pa.array([info.as_of for info in history], pa.timestamp("us", "UTC")),
        }
    )
    con = database.cursor()
    try:
        con.from_arrow(order).create_view("snapshot_order")
        con.read_parquet(paths, filename=True).create_view("snapshot_rows")
        query = sqlglot.parse_one(read_sql_file("intervals.sql"), read="duckdb")
        frame: pl.DataFrame = con.sql(query.sql("duckdb")).pl()
    finally:
        con.close()
    return frame


def members_at(frame: pl.DataFrame, when: datetime) -> pl.DataFrame:
    """Contacts whose interval covers `when` (entered_at <= when < exited_at)."""
    return frame.filter(
        (pl.col("entered_at") <= when)
        & (pl.col("exited_at").is_null() | (pl.col("exited_at") > when))
    ).select("contact_id")
