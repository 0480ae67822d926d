"""Result objects of the Python API; each renders usefully in a notebook."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from duckseg.lang.time import iso
from duckseg.state.snapshots import SnapshotInfo, SnapshotMembers, sql_description

if TYPE_CHECKING:
    import pandas as pd


def _sql_block(sql: str) -> str:
    return f"<details><summary>SQL</summary><pre>{html.escape(sql)}</pre></details>"


def _table_html(frame: pl.DataFrame, limit: int = 10) -> str:
    return frame.head(limit)._repr_html_()


@dataclass(frozen=True)
class Preview:
    """Who a definition matches right now; nothing is written."""

    segment: str
    count: int
    as_of: datetime
    description: str
    sample: pl.DataFrame
    sql: str
    entered: pl.DataFrame | None = None  # with --against-latest: would enter
    exited: pl.DataFrame | None = None  # would leave
    latest_snapshot_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "segment": self.segment,
            "count": self.count,
            "as_of": iso(self.as_of),
            "description": self.description,
            "sample": self.sample.to_dicts(),
        }
        if self.entered is not None and self.exited is not None:
            out["against_latest"] = {
                "snapshot_id": self.latest_snapshot_id,
                "entered": self.entered.height,
                "exited": self.exited.height,
                "entered_ids": self.entered["contact_id"].to_list(),
                "exited_ids": self.exited["contact_id"].to_list(),
            }
        return out

    def to_polars(self) -> pl.DataFrame:
        """The sample rows (members with their attributes)."""
        return self.sample

    def to_arrow(self) -> pa.Table:
        return self.sample.to_arrow()

    def to_pandas(self) -> pd.DataFrame:
        frame: pd.DataFrame = self.sample.to_arrow().to_pandas()
        return frame

    def _repr_html_(self) -> str:
        head = (
            f"<h4>{html.escape(self.segment)}: {self.count:,} contacts</h4>"
            f"<p>{html.escape(self.description)}</p><p>as of {html.escape(iso(self.as_of))}</p>"
        )
        if self.entered is not None and self.exited is not None:
            head += (
                f"<p>against the latest snapshot: {self.entered.height:,} would enter, "
                f"{self.exited.height:,} would leave</p>"
            )
        return head + _table_html(self.sample) + _sql_block(self.sql)


@dataclass(frozen=True)
class Snapshot(SnapshotMembers):
    """One build's members of a segment, with what changed since the snapshot before it."""

    info: SnapshotInfo
    entered: int
    exited: int
    _members: pa.Table = field(repr=False)

    @property
    def segment(self) -> str:
        return self.info.segment

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "snapshot_id": self.snapshot_id,
            "count": self.count,
            "entered": self.entered,
            "exited": self.exited,
            "as_of": iso(self.as_of),
        }

    @property
    def description(self) -> str | None:
        """The definition in plain English, as the build wrote it into the snapshot's SQL."""
        return sql_description(self.info)

    def _repr_html_(self) -> str:
        words = self.description
        return (
            f"<h4>{html.escape(self.segment)}: {self.count:,} members</h4>"
            + (f"<p>{html.escape(words)}</p>" if words else "")
            + f"<p>snapshot {html.escape(self.snapshot_id)}, as of {html.escape(iso(self.as_of))}; "
            f"{self.entered:,} entered, {self.exited:,} exited</p>"
            + _table_html(self.to_polars())
            + _sql_block(self.info.compiled_sql)
        )


@dataclass(frozen=True)
class Diff:
    """Who entered and who exited a segment between two snapshots."""

    segment: str
    from_id: str | None
    to_id: str
    entered: list[Any]
    exited: list[Any]
    from_as_of: datetime | None = None  # the as_of of each side: a backtest slots in by as_of
    to_as_of: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "from": self.from_id,
            "to": self.to_id,
            "from_as_of": iso(self.from_as_of) if self.from_as_of else None,
            "to_as_of": iso(self.to_as_of) if self.to_as_of else None,
            "entered": self.entered,
            "exited": self.exited,
        }

    def to_polars(self) -> pl.DataFrame:
        ids = [*self.entered, *self.exited]
        change = ["entered"] * len(self.entered) + ["exited"] * len(self.exited)
        return pl.DataFrame({"contact_id": ids, "change": change})

    def write_csv(self, path: Any) -> None:
        self.to_polars().write_csv(path)


@dataclass(frozen=True)
class StaticResult:
    """A change to a static segment: the new snapshot and how the CSV rows matched."""

    snapshot: Snapshot
    rows_read: int
    matched: int
    unmatched: tuple[Any, ...]  # static.Unmatched rows, each with its reason

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.snapshot.to_dict(),
            "rows_read": self.rows_read,
            "matched_contacts": self.matched,
            "unmatched": [
                {"row": u.row, "value": u.value, "reason": u.reason} for u in self.unmatched
            ],
        }
