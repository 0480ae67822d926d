"""The member index: every segment's current members, each with the `as_of` since which it
has been one (docs/memberships.md).

`duckseg contact` and GET /contacts/{id} read one contact's rows here instead of scanning
every snapshot file. It is written by state/feed.py inside the transaction that registers
a snapshot, and `member_index_state` names the snapshot each segment's rows reflect, so a
reader can tell a segment whose rows are not current (a catalog that predates the index).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from duckseg.db import parquet_scan, union_all
from duckseg.resources import read_sql_file


def _param() -> exp.Placeholder:
    return exp.Placeholder()


def _strings(values: Sequence[str]) -> list[exp.Expr]:
    return [exp.Literal.string(v) for v in values]


def literal_time(at: datetime) -> exp.Expr:
    """A naive UTC timestamp as a TIMESTAMP literal, to the microsecond."""
    return exp.cast(exp.Literal.string(at.isoformat(sep=" ")), "TIMESTAMP")


_FORGET_INDEX = exp.delete("member_index", exp.column("segment").eq(_param())).sql("duckdb")
_FORGET_STATE = exp.delete("member_index_state", exp.column("segment").eq(_param())).sql("duckdb")
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


class Row(NamedTuple):
    """A snapshot in a segment's history, as the catalog has it."""

    snapshot_id: str
    as_of: datetime  # naive UTC
    path: str  # relative to the workspace root


@dataclass
class FileSchemas:
    """The columns of snapshot files (relative paths), each file's footer read once."""

    root: Path
    _seen: dict[str, pa.Schema] = field(default_factory=dict)

    def _schema(self, path: str) -> pa.Schema:
        if path not in self._seen:
            self._seen[path] = pq.read_schema(self.root / path)
        return self._seen[path]

    def columns(self, path: str) -> set[str]:
        return set(self._schema(path).names)

    def contact_type(self, path: str) -> str:
        return str(self._schema(path).field("contact_id").type)


def states(con: duckdb.DuckDBPyConnection, segments: Sequence[str]) -> dict[str, str]:
    """Per segment, the snapshot its rows are those of (absent: it has no rows yet)."""
    query = (
        exp.select("segment", "snapshot_id")
        .from_("member_index_state", copy=False)
        .where(exp.In(this=exp.column("segment"), expressions=_strings(segments)), copy=False)
    )
    return {str(seg): str(sid) for seg, sid in con.execute(query.sql("duckdb")).fetchall()}


def mark(con: duckdb.DuckDBPyConnection, reflected: Mapping[str, str]) -> None:
    """Record, per segment, the snapshot its rows now reflect."""
    if not reflected:
        return
    segments = exp.In(this=exp.column("segment"), expressions=_strings(list(reflected)))
    con.execute(exp.delete("member_index_state", segments).sql("duckdb"))
    rows = exp.values(
        [(exp.Literal.string(seg), exp.Literal.string(sid)) for seg, sid in reflected.items()]
    )
    con.execute(
        exp.insert(rows, "member_index_state", columns=["segment", "snapshot_id"]).sql("duckdb")
    )


def forget(con: duckdb.DuckDBPyConnection, segment: str) -> None:
    """Drop a segment (its snapshots are being deleted)."""
    con.execute(_FORGET_INDEX, [segment])
    con.execute(_FORGET_STATE, [segment])


def _extra(columns: set[str]) -> list[exp.Expr]:
    """arm and agent of an audience snapshot file, NULL for a segment's."""
    return [
        exp.alias_(
            exp.cast(exp.column(name, "n"), "VARCHAR")
            if name in columns
            else exp.cast(exp.null(), "VARCHAR"),
            name,
        )
        for name in ("arm", "agent")
    ]


def _changed(change: str, snapshot_ids: Sequence[str], after: int) -> exp.Select:
    """The feed rows of one kind just appended (seq > `after`) for these snapshots."""
    return (
        exp.select("segment", "contact_id", "as_of")
        .from_("changes", copy=False)
        .where(exp.column("seq") > exp.Literal.number(after), copy=False)
        .where(exp.column("change").eq(exp.Literal.string(change)), copy=False)
        .where(
            exp.In(this=exp.column("snapshot_id"), expressions=_strings(snapshot_ids)), copy=False
        )
    )


def advance(
    con: duckdb.DuckDBPyConnection,
    schemas: FileSchemas,
    snapshots: Sequence[tuple[str, str, datetime, str]],
    after: int,
) -> None:
    """Move segments' rows to their new snapshots (segment, path, naive as_of, snapshot_id),
    each member keeping the `since` it had if it was a member already: one DELETE and one
    INSERT for all of them.

    A segment's rows change by the feed rows just appended (seq > `after`) for its
    snapshot: its exits go, its entries come in with `since` = as_of. An audience file
    also carries arm and agent, which may change for a contact who stays, so its rows
    are written again."""
    if not snapshots:
        return
    plain = [s for s in snapshots if not {"arm", "agent"} & schemas.columns(s[1])]
    rewritten = [s for s in snapshots if s not in plain]
    written: pa.Table | None = None
    if rewritten:
        parts = []
        for segment, path, as_of, _ in rewritten:
            key = exp.cast(exp.column("contact_id", "n"), "VARCHAR")
            old = (
                exp.select("contact_id", "since")
                .from_("member_index")
                .where(exp.column("segment").eq(exp.Literal.string(segment)))
            )
            parts.append(
                exp.select(
                    exp.alias_(exp.Literal.string(segment), "segment"),
                    exp.alias_(key, "contact_id"),
                    exp.alias_(
                        exp.func("COALESCE", exp.column("since", "o"), literal_time(as_of)),
                        "since",
                    ),
                    *_extra(schemas.columns(path)),
                )
                .from_(parquet_scan([schemas.root / path]).subquery("n"))
                .join(
                    old.subquery("o"),
                    on=exp.column("contact_id", "o").eq(key.copy()),
                    join_type="LEFT",
                )
            )
        written = con.sql(union_all(parts).sql("duckdb")).to_arrow_table()
    plain_ids = [sid for *_, sid in plain]
    exited = _changed("exited", plain_ids, after).select("segment", "contact_id", append=False)
    gone = exp.or_(
        exp.In(this=exp.column("segment"), expressions=_strings([s[0] for s in rewritten]))
        if rewritten
        else exp.false(),
        exp.In(
            this=exp.Tuple(expressions=[exp.column("segment"), exp.column("contact_id")]),
            query=exp.Subquery(this=exited),
        )
        if plain
        else exp.false(),
    )
    con.execute(exp.delete("member_index", gone).sql("duckdb"))
    parts = []
    if plain:
        parts.append(
            exp.select(
                "segment",
                "contact_id",
                exp.alias_(exp.column("as_of"), "since"),
                exp.alias_(exp.cast(exp.null(), "VARCHAR"), "arm"),
                exp.alias_(exp.cast(exp.null(), "VARCHAR"), "agent"),
            ).from_(_changed("entered", plain_ids, after).subquery("e"))
        )
    if written is not None:
        con.register("member_index_rows", written)
        parts.append(exp.select(*INDEX_COLUMNS).from_("member_index_rows"))
    try:
        con.execute(
            exp.insert(union_all(parts), "member_index", columns=INDEX_COLUMNS).sql("duckdb")
        )
    finally:
        if written is not None:
            con.unregister("member_index_rows")


def rebuild(
    con: duckdb.DuckDBPyConnection, schemas: FileSchemas, segment: str, history: Sequence[Row]
) -> None:
    """Every current member with the first as_of of its unbroken run of snapshots."""
    root = schemas.root
    paths = [str(root / row.path) for row in history]
    order = pa.table(
        {
            "path": paths,
            "position": list(range(len(history))),
            "as_of": pa.array([row.as_of for row in history], pa.timestamp("us")),
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
        latest = history[-1].path
        key = exp.cast(exp.column("contact_id", "n"), "VARCHAR")
        rows = (
            exp.select(
                exp.Literal.string(segment),
                exp.alias_(key, "contact_id"),
                exp.column("entered_at", "r"),
                *_extra(schemas.columns(latest)),
            )
            .from_(parquet_scan([root / latest]).subquery("n"))
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
