"""Reading the change feed: rows after a seq or after a named consumer's cursor, written to
stdout or a file; the consumer's cursor moves only once the output is complete
(docs/memberships.md)."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_never

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from duckseg.errors import InputError
from duckseg.lang.time import iso
from duckseg.state import feed
from duckseg.state.store import tmp_path_for

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace


class FeedFormat(enum.Enum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


@dataclass(frozen=True)
class FeedBatch:
    """Rows of the feed after `after`, oldest first."""

    after: int  # the seq the rows follow
    rows: pa.Table  # FEED_COLUMNS, contact_id typed as the lake types it
    consumer: str | None = None

    @property
    def last_seq(self) -> int:
        """The seq of the last row, or `after` when there are none."""
        if self.rows.num_rows == 0:
            return self.after
        return int(self.rows.column("seq")[-1].as_py())

    def records(self) -> list[dict[str, Any]]:
        out = []
        for row in self.rows.to_pylist():
            for key in ("as_of", "recorded_at"):
                row[key] = iso(row[key])
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "since": self.after,
            "last_seq": self.last_seq,
            "changes": self.records(),
        }

    def to_polars(self) -> pl.DataFrame:
        frame = pl.from_arrow(self.rows)
        assert isinstance(frame, pl.DataFrame)
        return frame


def check_consumer(name: str) -> str:
    if not name or len(name) > 200 or any(c.isspace() or not c.isprintable() for c in name):
        raise InputError.single(
            "--consumer", f"not a consumer name: {name!r}", hint="letters, digits, - _ . : only"
        )
    return name


def read(
    ws: Workspace,
    segments: Sequence[str] = (),
    since: int | None = None,
    consumer: str | None = None,
    limit: int | None = None,
) -> FeedBatch:
    """The rows after `since`, or after the consumer's cursor (a new consumer: from the start)."""
    if since is not None and consumer is not None:
        raise InputError.single(
            "--since", "give --since or --consumer, not both", hint="a consumer keeps its own place"
        )
    if since is not None and since < 0:
        raise InputError.single("--since", f"expected a seq of 0 or more, got {since}")
    if limit is not None and limit < 1:
        raise InputError.single("--limit", f"expected a positive number of rows, got {limit}")
    if consumer is not None:
        check_consumer(consumer)
    after = feed.consumer_position(ws.store, consumer) if consumer else (since or 0)
    rows = feed.read_changes(ws.store, segments, after, limit)
    return FeedBatch(after, typed_ids(ws, rows), consumer)


def typed_ids(ws: Workspace, rows: pa.Table) -> pa.Table:
    """contact_id as the lake types it (the feed stores it as text); times as UTC instants."""
    for name in ("as_of", "recorded_at"):
        index = rows.schema.get_field_index(name)
        rows = rows.set_column(index, name, pc.cast(rows.column(name), pa.timestamp("us", "UTC")))
    wanted = _id_type(ws) if rows.num_rows else pa.string()
    if pa.types.is_string(wanted) or pa.types.is_large_string(wanted):
        return rows
    index = rows.schema.get_field_index("contact_id")
    return rows.set_column(index, "contact_id", pc.cast(rows.column("contact_id"), wanted))


def _id_type(ws: Workspace) -> pa.DataType:
    """The key's type from a landed contacts file's schema (binding the lake costs more)."""
    files = ws.store.live_files("contacts")
    if not files:
        return pa.string()
    return pq.read_schema(files[0]).field("contact_id").type


def acknowledge(ws: Workspace, batch: FeedBatch) -> None:
    """Store the batch's last seq as its consumer's cursor (called once the rows are out)."""
    if batch.consumer is not None and batch.rows.num_rows:
        feed.advance_consumer(ws.store, batch.consumer, batch.last_seq, datetime.now(UTC))


def write(batch: FeedBatch, fmt: FeedFormat, out: Path) -> None:
    """Write the rows to `out` whole or not at all (a temporary file renamed into place)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_for(out)
    try:
        match fmt:
            case FeedFormat.JSONL:
                with tmp.open("w", encoding="utf-8") as fh:
                    for record in batch.records():
                        fh.write(json.dumps(record, default=str) + "\n")
            case FeedFormat.CSV:
                pacsv.write_csv(batch.rows, tmp)
            case FeedFormat.PARQUET:
                pq.write_table(batch.rows, tmp)
            case _:
                assert_never(fmt)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
