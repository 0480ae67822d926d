"""The member index: every segment's current members, each with the `as_of` since which it
has been one (docs/memberships.md).

`duckseg contact` and GET /contacts/{id} read one contact's rows here instead of scanning
every snapshot file. It is written by state/feed.py inside the transaction that registers
a snapshot, and `member_index_state` names the snapshot each segment's rows reflect, so a
reader can tell a segment whose rows are not current (a catalog that predates the index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from duckseg.db import parquet_scan
from duckseg.resources import read_sql_file


def _param() -> exp.Placeholder:
    return exp.Placeholder()


_STATE = (
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
_LOOKUP = (
    exp.select("segment", "since", "arm", "agent")
    .from_("member_index")
    .where(exp.column("contact_id").eq(_param()))
    .order_by("segment")
    .sql("duckdb")
)


INDEX_COLUMNS = ["segment", "contact_id", "since", "arm", "agent"]


@dataclass(frozen=True)
class Membership:
    segment: str  # audience:NAME for audiences
    since: datetime  # aware UTC
    arm: str | None = None
    agent: str | None = None


def file_columns(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    cursor = con.execute(parquet_scan([path]).limit(0).sql("duckdb"))
    return {str(d[0]) for d in cursor.description or []}


def reflects(con: duckdb.DuckDBPyConnection, segment: str, snapshot_id: str | None) -> bool:
    """Whether the segment's rows are those of `snapshot_id` (None: it has no rows yet)."""
    rows = con.execute(_STATE, [segment]).fetchall()
    return (rows[0][0] if rows else None) == snapshot_id


def mark(con: duckdb.DuckDBPyConnection, segment: str, snapshot_id: str) -> None:
    con.execute(_FORGET_STATE, [segment])
    con.execute(_SET_STATE, [segment, snapshot_id])


def forget(con: duckdb.DuckDBPyConnection, segment: str) -> None:
    """Drop a segment (its snapshots are being deleted)."""
    con.execute(_FORGET_INDEX, [segment])
    con.execute(_FORGET_STATE, [segment])


def _extra(con: duckdb.DuckDBPyConnection, path: Path) -> list[exp.Expr]:
    """arm and agent of an audience snapshot file, NULL for a segment's."""
    present = file_columns(con, path)
    return [
        exp.alias_(
            exp.cast(exp.column(name, "n"), "VARCHAR")
            if name in present
            else exp.cast(exp.null(), "VARCHAR"),
            name,
        )
        for name in ("arm", "agent")
    ]


def advance(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    segment: str,
    path: str,
    as_of: datetime,
    snapshot_id: str,
) -> None:
    """The new members, each keeping the `since` it had if it was a member already.

    A segment's rows change by the feed rows just appended for this snapshot: its exits
    go, its entries come in with `since` = as_of. An audience file also carries arm and
    agent, which may change for a contact who stays, so its rows are written again."""
    new = root / path
    if not {"arm", "agent"} & file_columns(con, new):
        changed = (
            exp.select("contact_id")
            .from_("changes")
            .where(exp.column("snapshot_id").eq(exp.Literal.string(snapshot_id)))
        )
        exited = changed.where(exp.column("change").eq(exp.Literal.string("exited")))
        entered = exp.select(
            exp.Literal.string(segment),
            exp.column("contact_id"),
            _param(),
            exp.cast(exp.null(), "VARCHAR"),
            exp.cast(exp.null(), "VARCHAR"),
        ).from_(changed.where(exp.column("change").eq(exp.Literal.string("entered"))).subquery("e"))
        gone = exp.delete(
            "member_index",
            exp.and_(
                exp.column("segment").eq(exp.Literal.string(segment)),
                exp.In(this=exp.column("contact_id"), query=exp.Subquery(this=exited)),
            ),
        )
        con.execute(gone.sql("duckdb"))
        con.execute(
            exp.insert(entered, "member_index", columns=INDEX_COLUMNS).sql("duckdb"), [as_of]
        )
        return
    key = exp.cast(exp.column("contact_id", "n"), "VARCHAR")
    old = (
        exp.select("contact_id", "since")
        .from_("member_index")
        .where(exp.column("segment").eq(exp.Literal.string(segment)))
    )
    rows = (
        exp.select(
            exp.Literal.string(segment),
            exp.alias_(key, "contact_id"),
            exp.func("COALESCE", exp.column("since", "o"), _param()),
            *_extra(con, new),
        )
        .from_(parquet_scan([new]).subquery("n"))
        .join(old.subquery("o"), on=exp.column("contact_id", "o").eq(key.copy()), join_type="LEFT")
    )
    table = con.sql(rows.sql("duckdb"), params=[as_of]).to_arrow_table()
    _replace(con, segment, table)


def rebuild(
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
        parsed = sqlglot.parse_one(read_sql_file("intervals.sql"), read="duckdb")
        assert isinstance(parsed, exp.Query)
        runs = parsed.with_("snapshot_rows", as_=scan)
        ctes = runs.find(exp.With)
        assert ctes is not None  # the rows come first: the other CTEs read them
        ctes.set("expressions", [ctes.expressions[-1], *ctes.expressions[:-1]])
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
        table = con.sql(rows.sql("duckdb")).to_arrow_table()
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
                columns=INDEX_COLUMNS,
            ).sql("duckdb")
        )
    finally:
        con.unregister("member_index_rows")


# -- reading ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Latest:
    """A segment's latest snapshot, and whether the index rows are that snapshot's."""

    snapshot_id: str
    as_of: datetime  # aware UTC
    indexed: bool


_LATEST = (
    exp.select(
        exp.column("segment", "s"),
        exp.column("snapshot_id", "s"),
        exp.column("as_of", "s"),
        exp.alias_(exp.column("snapshot_id", "st"), "indexed"),
    )
    .from_(exp.alias_(exp.to_table("snapshots"), "s"))
    .join(
        exp.alias_(exp.to_table("member_index_state"), "st"),
        on=exp.column("segment", "st").eq(exp.column("segment", "s")),
        join_type="LEFT",
    )
    .qualify(
        exp.Window(
            this=exp.func("ROW_NUMBER"),
            partition_by=[exp.column("segment", "s")],
            order=exp.Order(
                expressions=[
                    exp.Ordered(this=exp.column(c, "s"), desc=True)
                    for c in ("as_of", "built_at", "seq")
                ]
            ),
        ).eq(1)
    )
    .sql("duckdb")
)


def read(
    con: duckdb.DuckDBPyConnection, contact_id: str
) -> tuple[list[Membership], dict[str, Latest]]:
    """The contact's rows in the index, and every segment's latest snapshot, on a catalog
    connection that has the index."""
    rows = con.execute(_LOOKUP, [contact_id]).fetchall()
    found = [Membership(str(s), at.replace(tzinfo=UTC), arm, agent) for s, at, arm, agent in rows]
    return found, latest(con)


def latest(con: duckdb.DuckDBPyConnection) -> dict[str, Latest]:
    """Every segment's latest snapshot, on a catalog connection that has the index."""
    return {
        str(seg): Latest(str(sid), at.replace(tzinfo=UTC), indexed == sid)
        for seg, sid, at, indexed in con.execute(_LATEST).fetchall()
    }


def every_row(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The whole index (contact_id, segment, since, arm, agent), for a lookup kept in memory."""
    query = exp.select("contact_id", "segment", "since", "arm", "agent").from_("member_index")
    return con.sql(query.sql("duckdb")).to_arrow_table()
