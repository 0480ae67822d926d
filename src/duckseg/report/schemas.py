"""The report's tables: one Arrow schema each, every column described.

The descriptions travel in each Parquet file's field metadata (`description`)
and in `report.json`; the README's Reports section lists the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from duckseg.report.metrics import BASE, NOT_SET, OTHER


def _field(name: str, kind: pa.DataType, doc: str) -> pa.Field:
    return pa.field(name, kind, metadata={"description": doc})


_TS = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "segments": pa.schema(
        [
            _field("population", pa.string(), f"segment name, or '{BASE}' for the base"),
            _field("is_base", pa.bool_(), "true for the base row: all contacts"),
            _field("snapshot_id", pa.string(), "the snapshot the members come from (base: null)"),
            _field("as_of", _TS, "the snapshot's as_of (base: the report's as_of)"),
            _field("built_at", _TS, "when the snapshot was built (base: null)"),
            _field("members", pa.int64(), "number of members"),
            _field("share_of_contacts", pa.float64(), "members / all contacts"),
            _field("definition", pa.string(), "the definition in plain English"),
            _field("description", pa.string(), "the definition's own description"),
            _field("owner", pa.string(), "the definition's owner"),
            _field("definition_changed", pa.bool_(), "the definition changed since the snapshot"),
        ]
    ),
    "overlap": pa.schema(
        [
            _field("segment_a", pa.string(), "first segment"),
            _field("segment_b", pa.string(), "second segment"),
            _field("members_a", pa.int64(), "members of segment_a"),
            _field("members_b", pa.int64(), "members of segment_b"),
            _field("overlap", pa.int64(), "contacts in both"),
            _field("jaccard", pa.float64(), "overlap / contacts in either"),
            _field("share_of_a", pa.float64(), "overlap / members_a: share of a also in b"),
        ]
    ),
    "breakdowns": pa.schema(
        [
            _field("attribute", pa.string(), "contact attribute"),
            _field(
                "value",
                pa.string(),
                f"attribute value as text; '{NOT_SET}' for missing, '{OTHER}' for the rest",
            ),
            _field("population", pa.string(), f"segment name, or '{BASE}'"),
            _field("is_base", pa.bool_(), "true for the base rows"),
            _field("members", pa.int64(), "members with this value"),
            _field("share", pa.float64(), "members with this value / members"),
            _field("base_share", pa.float64(), "the same share among all contacts"),
            _field("lift", pa.float64(), "share / base_share (null when base_share is 0)"),
        ]
    ),
    "metrics": pa.schema(
        [
            _field("metric", pa.string(), "metric name from the report config"),
            _field("kind", pa.string(), "reach | events_per_member | sum | avg | conversion"),
            _field("label", pa.string(), "the metric's label (default: its description)"),
            _field("description", pa.string(), "what is measured, in plain English"),
            _field("unit", pa.string(), "share | count | amount"),
            _field("population", pa.string(), f"segment name, or '{BASE}'"),
            _field("is_base", pa.bool_(), "true for the base rows"),
            _field("as_of", _TS, "the population's as_of; windows are relative to it"),
            _field("window_start", _TS, "first instant counted (null: all history)"),
            _field("window_end", _TS, "last instant counted"),
            _field("members", pa.int64(), "members of the population"),
            _field("members_with_event", pa.int64(), "members with a qualifying event"),
            _field("events", pa.int64(), "qualifying events of the members"),
            _field("value", pa.float64(), "the metric (null when undefined)"),
            _field("base_value", pa.float64(), "the metric for all contacts at the same as_of"),
            _field("lift", pa.float64(), "value / base_value (null when base_value is 0)"),
            _field("complete", pa.bool_(), "false while the window is still open"),
        ]
    ),
    "size_over_time": pa.schema(
        [
            _field("segment", pa.string(), "segment name"),
            _field("snapshot_id", pa.string(), "snapshot"),
            _field("as_of", _TS, "the snapshot's as_of"),
            _field("built_at", _TS, "when it was built"),
            _field("members", pa.int64(), "members"),
            _field("entered", pa.int64(), "members not in the snapshot before"),
            _field("exited", pa.int64(), "members of the snapshot before that left"),
            _field("in_report", pa.bool_(), "this snapshot is the one the report compares"),
        ]
    ),
}


def to_table(name: str, rows: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=SCHEMAS[name])
