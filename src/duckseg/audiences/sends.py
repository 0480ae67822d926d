"""Sends: the audience snapshots that left the workspace, and to whom.

A send is an export of an audience snapshot (docs/audiences.md). The export
records, in one catalog transaction, its snapshot and a Parquet file of the
contacts it wrote (export/history.py), so the sends are read from the export
tables rather than kept twice. `frequency_cap: {max: M, within: D}` removes
the contacts written in sends of at least M distinct audience snapshots whose
as_of lies in `[as_of - D, as_of)`: exporting the same snapshot again (a retry,
another format) is not another send.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlglot import exp

from duckseg.compiler.sqlbuild import KEY, timestamp_literal
from duckseg.state.store import CATALOG_FILE, Store

AUDIENCE_PREFIX = "audience:"
SNAPSHOT = "snapshot_id"


def sends_between(store: Store, low: datetime, high: datetime) -> list[tuple[str, Path]]:
    """(snapshot_id, file of the contacts written) of every audience send whose snapshot's
    as_of is in [low, high)."""
    if not (store.root / CATALOG_FILE).exists():
        return []
    e, s, n = "e", "s", "n"
    query = (
        exp.select(exp.column(SNAPSHOT, table=e), exp.column("path", table=s))
        .from_(exp.to_table("exports").as_(e))
        .join(
            exp.to_table("export_state").as_(s),
            on=exp.column("export_id", table=s).eq(exp.column("export_id", table=e)),
        )
        .join(
            exp.to_table("snapshots").as_(n),
            on=exp.column(SNAPSHOT, table=n).eq(exp.column(SNAPSHOT, table=e)),
        )
        .where(
            exp.func(
                "starts_with",
                exp.column("segment", table=e),
                exp.Literal.string(AUDIENCE_PREFIX),
            ),
            exp.column("as_of", table=n) >= timestamp_literal(low),
            exp.column("as_of", table=n) < timestamp_literal(high),
        )
        .order_by(exp.column("path", table=s))
    )
    with store.connect(read_only=True) as con:
        if not store.has_table(con, "export_state"):
            return []
        rows = con.execute(query.sql("duckdb")).fetchall()
    return [(str(sid), store.root / str(path)) for sid, path in rows]


def capped_query(sends: list[tuple[str, Path]], most: int) -> exp.Select:
    """contact_id of everyone written in sends of at least `most` distinct snapshots
    (`sends` is not empty)."""
    f, sent = "f", "sent_files"
    # The files differ in columns (ad-platform files keep their upload columns): by name.
    scan = exp.ReadParquet(
        expressions=[
            exp.Array(expressions=[exp.Literal.string(str(path)) for _, path in sends]),
            exp.EQ(this=exp.column("union_by_name"), expression=exp.true()),
            exp.EQ(this=exp.column("filename"), expression=exp.true()),
        ]
    )
    files = exp.values(
        [(exp.Literal.string(str(path)), exp.Literal.string(sid)) for sid, path in sends],
        alias=sent,
        columns=["filename", SNAPSHOT],
    )
    rows = (
        exp.select(exp.column(KEY, table=f, quoted=True), exp.column(SNAPSHOT, table=sent))
        .from_(exp.Table(this=scan, alias=exp.TableAlias(this=exp.to_identifier(f))))
        .join(files, on=exp.column("filename", table=sent).eq(exp.column("filename", table=f)))
    )
    distinct = exp.Count(this=exp.Distinct(expressions=[exp.column(SNAPSHOT)]))
    return (
        exp.select(exp.column(KEY, quoted=True))
        .from_(rows.subquery("sent"))
        .group_by(exp.column(KEY, quoted=True))
        .having(distinct >= exp.Literal.number(most))
    )
