"""Running compiled SQL on DuckDB over the workspace's lake.

The compiler's queries read the relations `contacts`, `events` and
`static_members`; here they are bound as views over the live Parquet files
the catalog names, so DuckDB pushes filters into the Parquet scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from duckseg.catalog import Catalog, ValueType
from duckseg.store import Store

EMPTY_CONTACTS = "SELECT CAST(NULL AS VARCHAR) AS contact_id WHERE FALSE"
EMPTY_EVENTS = (
    "SELECT CAST(NULL AS VARCHAR) AS contact_id, CAST(NULL AS VARCHAR) AS event, "
    "CAST(NULL AS TIMESTAMP) AS ts, CAST(NULL AS VARCHAR) AS event_id WHERE FALSE"
)
EMPTY_STATIC = (
    "SELECT CAST(NULL AS VARCHAR) AS segment, CAST(NULL AS VARCHAR) AS contact_id WHERE FALSE"
)


def connect(
    memory_limit: str | None = None, threads: int | None = None, temp_directory: str | None = None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"temp_directory": temp_directory} if temp_directory else {})
    # Instants are naive UTC everywhere; a fixed session zone keeps casts deterministic.
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    if threads:
        con.execute("SET threads = ?", [threads])
    return con


def bind_lake(
    con: duckdb.DuckDBPyConnection,
    contacts: Sequence[Path],
    events: Sequence[Path],
    static: Sequence[tuple[str, Path]] = (),
) -> None:
    """Create the views `contacts`, `events`, `static_members` on `con`."""
    if contacts:
        con.read_parquet([str(p) for p in contacts]).create_view("contacts")
    else:
        con.sql(EMPTY_CONTACTS).create_view("contacts")
    if events:
        con.read_parquet([str(p) for p in events], union_by_name=True).create_view("events")
    else:
        con.sql(EMPTY_EVENTS).create_view("events")
    if static:
        relation = None
        for name, path in static:
            part = con.read_parquet(str(path)).select(
                duckdb.ConstantExpression(name).alias("segment"),
                duckdb.ColumnExpression("contact_id").alias("contact_id"),
            )
            relation = part if relation is None else relation.union(part)
        assert relation is not None
        relation.create_view("static_members")
    else:
        con.sql(EMPTY_STATIC).create_view("static_members")


def lake_connection(
    store: Store,
    static: Sequence[tuple[str, Path]] = (),
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | None = None,
) -> duckdb.DuckDBPyConnection:
    con = connect(memory_limit, threads, temp_directory)
    bind_lake(con, store.live_files("contacts"), store.live_files("events"), static)
    return con


def read_catalog(
    con: duckdb.DuckDBPyConnection, event_names: frozenset[str] | None = None
) -> Catalog:
    catalog = Catalog.from_connection(con, event_names)
    if catalog.contact_id_type not in (ValueType.TEXT, ValueType.INTEGER):
        return Catalog(catalog.attributes, catalog.properties, catalog.event_names, ValueType.TEXT)
    return catalog
