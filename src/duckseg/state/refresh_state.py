"""What refresh keeps between runs: the lake version and definition behind each snapshot.

The lake version is the number of committed landings; landings are never removed, so
it grows with every landing and a snapshot computed at the current version has seen
all the data (docs/refresh.md). The tables are in sql/refresh.sql.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from duckseg.resources import read_sql_file
from duckseg.state.store import Store


@dataclass(frozen=True)
class Basis:
    """The inputs a snapshot was computed from."""

    lake_version: int
    fingerprint: str
    last_landing: str | None = None  # the newest landing then (None: no landing, or unknown)


@dataclass(frozen=True)
class Landed:
    """A landing committed after a snapshot's basis."""

    landing_id: str
    kind: str  # contacts | events


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(read_sql_file("refresh.sql"))


def lake_version(store: Store) -> tuple[int, str | None]:
    """How many landings are committed, and the newest one's id."""
    query = exp.select("count(*)", "max(landing_id)").from_("landings")
    with store.connect() as con:
        row = con.execute(query.sql("duckdb")).fetchone()
    assert row is not None
    return int(row[0]), None if row[1] is None else str(row[1])


def landed_since(store: Store, basis: Basis) -> list[Landed] | None:
    """The landings committed after `basis`, oldest first; None when the catalog cannot
    tell (a basis kept before its newest landing was, or landings that do not sort in the
    order they were counted: a clock set back)."""
    if basis.last_landing is None and basis.lake_version:
        return None
    after = exp.column("landing_id") > exp.Literal.string(basis.last_landing or "")
    query = (
        exp.select("landing_id", "kind", exp.alias_(after, "later"))
        .from_("landings")
        .order_by("landing_id")
    )
    with store.connect() as con:
        rows = con.execute(query.sql("duckdb")).fetchall()
    if sum(1 for *_, later in rows if not later) != basis.lake_version:
        return None
    return [Landed(str(lid), str(kind)) for lid, kind, later in rows if later]


def event_files_of(store: Store, landings: Sequence[Landed]) -> list[Path]:
    """The event files those landings added, absolute."""
    ids = [landed.landing_id for landed in landings if landed.kind == "events"]
    if not ids:
        return []
    query = (
        exp.select("path")
        .from_("lake_files")
        .where(exp.column("kind").eq(exp.Literal.string("events")))
        .where(exp.column("landing_id").isin(*(exp.Literal.string(i) for i in ids)))
        .order_by("path")
    )
    with store.connect() as con:
        rows = con.execute(query.sql("duckdb")).fetchall()
    return [store.root / str(r[0]) for r in rows]


def read_basis(store: Store, snapshot_ids: Sequence[str]) -> dict[str, Basis]:
    """The recorded basis of each of these snapshots that refresh wrote."""
    if not snapshot_ids:
        return {}
    query = (
        exp.select("snapshot_id", "lake_version", "fingerprint", "last_landing")
        .from_("refresh_basis")
        .where(exp.func("list_contains", exp.Placeholder(), exp.column("snapshot_id")))
    )
    with store.connect() as con:
        ensure_tables(con)
        rows = con.execute(query.sql("duckdb"), [list(snapshot_ids)]).fetchall()
    return {
        str(sid): Basis(int(version), str(fp), None if last is None else str(last))
        for sid, version, fp, last in rows
    }


def record_basis(store: Store, bases: Mapping[str, Basis]) -> None:
    """Remember the basis of new snapshots (one transaction). A snapshot without a row is
    simply never reused, so a crash before this commit costs a rebuild, nothing else."""
    if not bases:
        return
    insert = exp.insert(
        exp.values([tuple(exp.Placeholder() for _ in range(4))]),
        "refresh_basis",
        columns=["snapshot_id", "lake_version", "fingerprint", "last_landing"],
    ).sql("duckdb")
    with store.connect() as con:
        ensure_tables(con)
        con.execute("BEGIN TRANSACTION")
        try:
            for sid, basis in bases.items():
                con.execute(
                    insert, [sid, basis.lake_version, basis.fingerprint, basis.last_landing]
                )
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
