"""The change feed and the member index (docs/memberships.md).

Both are written inside the transaction that registers a snapshot (`record_commit`),
so a crash leaves snapshot, feed and index all before or all after the build:

- the feed: one row per contact that entered or exited a segment, with a `seq` that
  increases over the whole workspace. A build at or after the segment's latest `as_of`
  appends; a backtest (earlier `as_of`) appends nothing.
- the member index (state/member_index.py).

Snapshot files that carry an `arm` column (audiences) make (contact_id, arm) the unit of
change: a contact moved from one arm to another exits the first and enters the second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from duckseg.db import parquet_scan, union_all
from duckseg.state import member_index
from duckseg.state.store import CATALOG_FILE, Store

FEED_COLUMNS = (
    "seq",
    "segment",
    "contact_id",
    "change",
    "as_of",
    "snapshot_id",
    "recorded_at",
    "arm",
)
ENTERED = "entered"
EXITED = "exited"
ORDER = ("as_of", "built_at", "seq")  # a segment's history order, as state/snapshots.py


@dataclass(frozen=True)
class Committed:
    """What the feed needs of a snapshot being committed."""

    snapshot_id: str
    segment: str
    as_of: datetime  # aware UTC
    path: str  # relative to the workspace root


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _param() -> exp.Placeholder:
    return exp.Placeholder()


_HISTORY = (
    exp.select("snapshot_id", "as_of", "path")
    .from_("snapshots")
    .where(exp.column("segment").eq(_param()))
    .order_by(*ORDER)
    .sql("duckdb")
)
_NEXT_SEQ = (
    exp.select(exp.func("COALESCE", exp.func("MAX", exp.column("seq")), exp.Literal.number(0)))
    .from_("changes")
    .sql("duckdb")
)


def record_commit(
    con: duckdb.DuckDBPyConnection, root: Path, committed: Sequence[Committed], at: datetime
) -> None:
    """Append the feed rows and bring the member index up to date for snapshots whose rows
    were just inserted on `con`, inside its open transaction (the caller commits)."""
    for snap in committed:
        history = con.execute(_HISTORY, [snap.segment]).fetchall()
        earlier = [row for row in history if row[0] != snap.snapshot_id]
        prior = earlier[-1] if earlier else None
        latest = history[-1]
        forward = prior is None or _naive(snap.as_of) >= prior[1]
        if forward:
            _append_changes(con, root, snap, prior[2] if prior else None, at)
        if forward and member_index.reflects(con, snap.segment, prior[0] if prior else None):
            member_index.advance(
                con, root, snap.segment, snap.path, _naive(snap.as_of), snap.snapshot_id
            )
        else:
            # A backtest can join or split a contact's run of snapshots; an index that
            # predates the feed never saw this segment. Both are rebuilt from the history.
            member_index.rebuild(con, root, snap.segment, [(r[2], r[1]) for r in history])
        member_index.mark(con, snap.segment, latest[0])


def _keys(con: duckdb.DuckDBPyConnection, new: Path, old: Path | None) -> list[str]:
    columns = member_index.file_columns
    armed = "arm" in columns(con, new) and (old is None or "arm" in columns(con, old))
    return ["contact_id", "arm"] if armed else ["contact_id"]


def _append_changes(
    con: duckdb.DuckDBPyConnection, root: Path, snap: Committed, old_path: str | None, at: datetime
) -> None:
    new = root / snap.path
    old = root / old_path if old_path else None
    keys = _keys(con, new, old)

    def side(path: Path) -> exp.Select:
        return exp.select(*keys).from_(parquet_scan([path]).subquery("s"))

    def change(label: str, query: exp.Query) -> exp.Select:
        arm = exp.column("arm") if "arm" in keys else exp.cast(exp.null(), "VARCHAR")
        return exp.select(
            exp.column("contact_id"),
            exp.alias_(exp.Literal.string(label), "change"),
            exp.alias_(arm, "arm"),
        ).from_(query.subquery("d"))

    parts = [change(ENTERED, side(new) if old is None else side(new).except_(side(old)))]
    if old is not None:
        parts.append(change(EXITED, side(old).except_(side(new))))
    (next_seq,) = con.execute(_NEXT_SEQ).fetchall()[0]
    rank = exp.Window(
        this=exp.func("ROW_NUMBER"),
        order=exp.Order(expressions=[exp.column("change"), exp.column("contact_id")]),
    )
    rows = exp.select(
        exp.Add(this=exp.Literal.number(int(next_seq)), expression=rank),
        exp.Literal.string(snap.segment),
        exp.cast(exp.column("contact_id"), "VARCHAR"),
        exp.column("change"),
        _param(),
        exp.Literal.string(snap.snapshot_id),
        _param(),
        exp.column("arm"),
    ).from_(union_all(parts).subquery("c"))
    insert = exp.insert(rows, "changes", columns=list(FEED_COLUMNS))
    con.execute(insert.sql("duckdb"), [_naive(snap.as_of), _naive(at)])


# -- reading ----------------------------------------------------------------------------
_FEED = exp.select(*FEED_COLUMNS).from_("changes")
_CONSUMER = (
    exp.select("last_seq").from_("feed_consumers").where(exp.column("consumer").eq(_param()))
).sql("duckdb")
_ADVANCE = sqlglot.parse_one(
    "INSERT INTO feed_consumers (consumer, last_seq, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (consumer) DO UPDATE SET "
    "last_seq = greatest(feed_consumers.last_seq, excluded.last_seq), "
    "updated_at = excluded.updated_at",
    read="duckdb",
).sql("duckdb")


def read_changes(
    store: Store, segments: Sequence[str] = (), after: int = 0, limit: int | None = None
) -> pa.Table:
    """Feed rows with seq > `after`, oldest first, of the given segments (all if none)."""
    query = _FEED.where(exp.column("seq") > exp.Literal.number(int(after)))
    if segments:
        query = query.where(
            exp.In(
                this=exp.column("segment"), expressions=[exp.Literal.string(s) for s in segments]
            )
        )
    query = query.order_by("seq")
    if limit is not None:
        query = query.limit(max(int(limit), 0))
    if not (store.root / CATALOG_FILE).exists():
        return _empty()
    with store.connect(read_only=True) as con:
        if not store.has_table(con, "changes"):
            return _empty()
        table = con.sql(query.sql("duckdb")).to_arrow_table()
    return table


def _empty() -> pa.Table:
    return pa.table(
        {
            "seq": pa.array([], pa.int64()),
            "segment": pa.array([], pa.string()),
            "contact_id": pa.array([], pa.string()),
            "change": pa.array([], pa.string()),
            "as_of": pa.array([], pa.timestamp("us")),
            "snapshot_id": pa.array([], pa.string()),
            "recorded_at": pa.array([], pa.timestamp("us")),
            "arm": pa.array([], pa.string()),
        }
    )


def consumer_position(store: Store, consumer: str) -> int:
    """The last seq a consumer has fully received (0: a new consumer starts at the beginning)."""
    if not (store.root / CATALOG_FILE).exists():
        return 0
    with store.connect(read_only=True) as con:
        if not store.has_table(con, "feed_consumers"):
            return 0
        rows = con.execute(_CONSUMER, [consumer]).fetchall()
    return int(rows[0][0]) if rows else 0


def advance_consumer(store: Store, consumer: str, last_seq: int, at: datetime) -> None:
    """Store a consumer's cursor; it never moves back (two runs racing keep the furthest)."""
    with store.connect() as con:
        con.execute(_ADVANCE, [consumer, int(last_seq), _naive(at)])
