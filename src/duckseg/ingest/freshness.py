"""How far the events reach: a build long after the newest event is usually a mistake
(an as_of of "now" over an old export), so the command line says so (docs/cli.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

STALE_AFTER = timedelta(days=30)


def newest_event(files: Sequence[Path]) -> datetime | None:
    """The greatest `ts` (aware UTC) in the events files, from their row-group statistics
    (every landed file has them), or None without events."""
    newest: datetime | None = None
    for path in files:
        meta = pq.ParquetFile(path).metadata
        index = meta.schema.to_arrow_schema().get_field_index("ts")
        for group in range(meta.num_row_groups):
            stats = meta.row_group(group).column(index).statistics
            if stats is None or not stats.has_min_max:
                continue
            top = stats.max
            if isinstance(top, datetime):
                top = top.replace(tzinfo=UTC) if top.tzinfo is None else top.astimezone(UTC)
                newest = top if newest is None or top > newest else newest
    return newest


def stale_warning(as_of: datetime, files: Sequence[Path]) -> str | None:
    """A warning when `as_of` is more than 30 days after the newest event."""
    newest = newest_event(files)
    if newest is None or as_of - newest <= STALE_AFTER:
        return None
    days = (as_of - newest).days
    return (
        f"as_of {as_of:%Y-%m-%d} is {days:,} days after the newest event ({newest:%Y-%m-%d}); "
        "windows such as within: 90d may find nothing (pass --as-of to build at another time)"
    )
