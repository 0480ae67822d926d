"""The change feed and the member index (docs/memberships.md).

Both are written inside the transaction that registers a snapshot (`record_commit`),
so a crash leaves snapshot, feed and index all before or all after the build:

- the feed: one row per contact that entered or exited a segment, with a `seq` that
  increases over the whole workspace. A build at or after the segment's latest `as_of`
  appends; a backtest (earlier `as_of`) appends nothing.
- the member index: the current members of every segment with the `as_of` since which
  each has been one, so that a contact's segments are one lookup, not a scan of every
  snapshot file.

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
from duckseg.resources import read_sql_file
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
_INDEX_STATE = (
    exp.select("snapshot_id")
    .from_("member_index_state")
    .where(exp.column("segment").eq(_param()))
    .sql("duckdb")
)
_FORGET_INDEX = exp.delete("member_index", exp.column("segment").eq(_param())).sql("duckdb")
_FORGET_STATE = exp.delete("member_index_state", exp.column("segment").eq(_param())).sql("duckdb")
_SET_STATE = exp.insert(
    exp.values([(_param(), _param())]), "member_index_state", columns=["segment", "snapshot_id"]
).sql("duckdb")


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
        (state,) = con.execute(_INDEX_STATE, [snap.segment]).fetchall() or [(None,)]
        prior_id = prior[0] if prior else None
        if forward and state == prior_id:
            _index_forward(con, root, snap)
        else:
            # A backtest can join or split a contact's run of snapshots; an index that
            # predates the feed never saw this segment. Both are rebuilt from the history.
            _index_rebuild(con, root, snap.segment, [(r[2], r[1]) for r in history])
        con.execute(_FORGET_STATE, [snap.segment])
        con.execute(_SET_STATE, [snap.segment, latest[0]])


def forget(con: duckdb.DuckDBPyConnection, segment: str) -> None:
    """Drop a segment from the member index (its snapshots are being deleted); the feed,
    which consumers read as an append-only log, keeps its rows."""
    con.execute(_FORGET_INDEX, [segment])
    con.execute(_FORGET_STATE, [segment])


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    cursor = con.execute(parquet_scan([path]).limit(0).sql("duckdb"))
    return {str(d[0]) for d in cursor.description or []}


def _keys(con: duckdb.DuckDBPyConnection, new: Path, old: Path | None) -> list[str]:
    armed = "arm" in _columns(con, new) and (old is None or "arm" in _columns(con, old))
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


def _extra(con: duckdb.DuckDBPyConnection, path: Path) -> list[exp.Expr]:
    """arm and agent of an audience snapshot file, NULL for a segment's."""
    present = _columns(con, path)
    return [
        exp.alias_(
            exp.cast(exp.column(name, "n"), "VARCHAR")
            if name in present
            else exp.cast(exp.null(), "VARCHAR"),
            name,
        )
        for name in ("arm", "agent")
    ]


def _index_forward(con: duckdb.DuckDBPyConnection, root: Path, snap: Committed) -> None:
    """The new members, each keeping the `since` it had if it was a member already."""
    new = root / snap.path
    key = exp.cast(exp.column("contact_id", "n"), "VARCHAR")
    old = (
        exp.select("contact_id", "since")
        .from_("member_index")
        .where(exp.column("segment").eq(exp.Literal.string(snap.segment)))
    )
    rows = (
        exp.select(
            exp.Literal.string(snap.segment),
            exp.alias_(key, "contact_id"),
            exp.func("COALESCE", exp.column("since", "o"), _param()),
            *_extra(con, new),
        )
        .from_(parquet_scan([new]).subquery("n"))
        .join(old.subquery("o"), on=exp.column("contact_id", "o").eq(key.copy()), join_type="LEFT")
    )
    table = con.execute(rows.sql("duckdb"), [_naive(snap.as_of)]).fetch_arrow_table()
    _replace(con, snap.segment, table)


def _index_rebuild(
    con: duckdb.DuckDBPyConnection, root: Path, segment: str, history: list[tuple[str, datetime]]
) -> None:
    """Every current member with the first as_of of its unbroken run of snapshots."""
    paths = [str(root / path) for path, _ in history]
    order = pa.table(
        {
            "path": paths,
            "position": list(range(len(history))),
            "as_of": pa.array([at for _, at in history], pa.timestamp("us")),
        }
    )
    con.register("snapshot_order", order)
    try:
        scan = exp.select("contact_id", "filename").from_(
            exp.Table(
                this=exp.ReadParquet(
                    expressions=[
                        exp.Array(expressions=[exp.Literal.string(p) for p in paths]),
                        exp.EQ(this=exp.column("filename"), expression=exp.true()),
                    ]
                )
            )
        )
        runs = exp.maybe_parse(read_sql_file("intervals.sql"), dialect="duckdb")
        assert isinstance(runs, exp.Query)
        runs = runs.with_("snapshot_rows", as_=scan)
        latest = root / history[-1][0]
        key = exp.cast(exp.column("contact_id", "n"), "VARCHAR")
        rows = (
            exp.select(
                exp.Literal.string(segment),
                exp.alias_(key, "contact_id"),
                exp.column("entered_at", "r"),
                *_extra(con, latest),
            )
            .from_(parquet_scan([latest]).subquery("n"))
            .join(
                runs.subquery("r"),
                on=exp.and_(
                    exp.column("contact_id", "r").eq(exp.column("contact_id", "n")),
                    exp.column("exited_at", "r").is_(exp.null()),
                ),
            )
        )
        table = con.execute(rows.sql("duckdb")).fetch_arrow_table()
    finally:
        con.unregister("snapshot_order")
    _replace(con, segment, table)


def _replace(con: duckdb.DuckDBPyConnection, segment: str, table: pa.Table) -> None:
    con.execute(_FORGET_INDEX, [segment])
    con.register("member_index_rows", table)
    try:
        con.execute(
            exp.insert(
                exp.select(exp.Star()).from_("member_index_rows"),
                "member_index",
                columns=["segment", "contact_id", "since", "arm", "agent"],
            ).sql("duckdb")
        )
    finally:
        con.unregister("member_index_rows")


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
            exp.In(this=exp.column("segment"), expressions=[exp.Literal.string(s) for s in segments])
        )
    query = query.order_by("seq")
    if limit is not None:
        query = query.limit(max(int(limit), 0))
    if not (store.root / CATALOG_FILE).exists():
        return _empty()
    with store.connect(read_only=True) as con:
        if not store.has_table(con, "changes"):
            return _empty()
        table = con.execute(query.sql("duckdb")).fetch_arrow_table()
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
