"""What refresh keeps between runs: the lake version and definition behind each snapshot.

The lake version is the number of committed landings; landings are never removed, so
it grows with every landing and a snapshot computed at the current version has seen
all the data (docs/refresh.md). The tables are in sql/refresh.sql.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
from sqlglot import exp

from duckseg.resources import read_sql_file
from duckseg.state.store import Store


@dataclass(frozen=True)
class Basis:
    """The inputs a snapshot was computed from."""

    lake_version: int
    fingerprint: str


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(read_sql_file("refresh.sql"))


def lake_version(store: Store) -> int:
    with store.connect() as con:
        row = con.execute(exp.select("count(*)").from_("landings").sql("duckdb")).fetchone()
    assert row is not None
    return int(row[0])


def read_basis(store: Store, snapshot_ids: Sequence[str]) -> dict[str, Basis]:
    """The recorded basis of each of these snapshots that refresh wrote."""
    if not snapshot_ids:
        return {}
    query = (
        exp.select("snapshot_id", "lake_version", "fingerprint")
        .from_("refresh_basis")
        .where(exp.func("list_contains", exp.Placeholder(), exp.column("snapshot_id")))
    )
    with store.connect() as con:
        ensure_tables(con)
        rows = con.execute(query.sql("duckdb"), [list(snapshot_ids)]).fetchall()
    return {str(sid): Basis(int(version), str(fp)) for sid, version, fp in rows}


def record_basis(store: Store, bases: Mapping[str, Basis]) -> None:
    """Remember the basis of new snapshots (one transaction). A snapshot without a row is
    simply never reused, so a crash before this commit costs a rebuild, nothing else."""
    if not bases:
        return
    insert = exp.insert(
        exp.values([tuple(exp.Placeholder() for _ in range(3))]),
        "refresh_basis",
        columns=["snapshot_id", "lake_version", "fingerprint"],
    ).sql("duckdb")
    with store.connect() as con:
        ensure_tables(con)
        con.execute("BEGIN TRANSACTION")
        try:
            for sid, basis in bases.items():
                con.execute(insert, [sid, basis.lake_version, basis.fingerprint])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def drop_basis(store: Store) -> int:
    """Forget every recorded basis (`refresh --full`); how many rows there were."""
    with store.connect() as con:
        ensure_tables(con)
        row = con.execute("SELECT count(*) FROM refresh_basis").fetchone()
        con.execute(exp.delete("refresh_basis").sql("duckdb"))
    assert row is not None
    return int(row[0])


def prune_basis(store: Store) -> None:
    """Drop rows whose snapshot is gone (a segment deleted with its history)."""
    live = exp.select("snapshot_id").from_("snapshots")
    with store.connect() as con:
        ensure_tables(con)
        con.execute(
            exp.delete("refresh_basis")
            .where(exp.not_(exp.column("snapshot_id").isin(query=live)))
            .sql("duckdb")
        )
