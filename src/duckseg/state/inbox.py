"""Which inbox files `watch` has landed (table `inbox_files`, sql/refresh.sql).

The record is written inside the landing's own catalog transaction, so after a kill an
inbox file is either landed and recorded, or neither (docs/refresh.md).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
from sqlglot import exp

from duckseg.state.refresh_state import ensure_tables
from duckseg.state.store import Store


def prepare(store: Store) -> None:
    with store.connect() as con:
        ensure_tables(con)


def landed_as(store: Store, name: str, sha256: str) -> str | None:
    """The landing that landed this inbox file with this content, if one did."""
    query = (
        exp.select("landing_id")
        .from_("inbox_files")
        .where(exp.column("name").eq(exp.Placeholder()))
        .where(exp.column("sha256").eq(exp.Placeholder()))
    )
    with store.connect() as con:
        ensure_tables(con)
        row = con.execute(query.sql("duckdb"), [name, sha256]).fetchone()
    return None if row is None else str(row[0])


def recorder(name: str, sha256: str) -> Callable[[duckdb.DuckDBPyConnection, str], None]:
    """A landing's on_commit hook that records the inbox file it lands."""
    insert = exp.insert(
        exp.values([tuple(exp.Placeholder() for _ in range(3))]),
        "inbox_files",
        columns=["name", "sha256", "landing_id"],
    ).sql("duckdb")

    def record(con: duckdb.DuckDBPyConnection, landing_id: str) -> None:
        con.execute(insert, [name, sha256, landing_id])

    return record
