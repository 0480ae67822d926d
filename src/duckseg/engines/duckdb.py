"""Running compiled SQL on DuckDB over the workspace's lake.

The compiler's queries read the relations `contacts`, `events` and
`static_members`; here they are bound as temporary views over the live
Parquet files the catalog names, on a cursor of the process's DuckDB instance
(see database.py), so DuckDB pushes filters into the Parquet scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from duckseg import db as database
from duckseg.compiler import compile_traits
from duckseg.db import create_temp, parquet_scan, union_all
from duckseg.lang import ir
from duckseg.lang.time import TimeContext
from duckseg.state.store import Store
from duckseg.types import Catalog, ValueType

EMPTY_CONTACTS = "SELECT CAST(NULL AS VARCHAR) AS contact_id WHERE FALSE"
EMPTY_EVENTS = (
    "SELECT CAST(NULL AS VARCHAR) AS contact_id, CAST(NULL AS VARCHAR) AS event, "
    "CAST(NULL AS TIMESTAMP) AS ts, CAST(NULL AS VARCHAR) AS event_id WHERE FALSE"
)
EMPTY_STATIC = (
    "SELECT CAST(NULL AS VARCHAR) AS segment, CAST(NULL AS VARCHAR) AS contact_id WHERE FALSE"
)


def bind_lake(
    con: duckdb.DuckDBPyConnection,
    contacts: Sequence[Path],
    events: Sequence[Path],
    static: Sequence[tuple[str, Path]] = (),
) -> None:
    """Create the temporary views `contacts`, `events`, `static_members` on `con`."""
    create_temp(con, "contacts", _contacts_source(contacts))
    create_temp(con, "events", _events_source(events))
    if static:
        parts = [
            exp.select(
                exp.alias_(exp.Literal.string(name), "segment"), exp.column("contact_id")
            ).from_(parquet_scan([path]).subquery())
            for name, path in static
        ]
        create_temp(con, "static_members", union_all(parts))
    else:
        create_temp(con, "static_members", sqlglot.parse_one(EMPTY_STATIC))


def _contacts_source(files: Sequence[Path]) -> exp.Select:
    found = parquet_scan(files) if files else sqlglot.parse_one(EMPTY_CONTACTS)
    assert isinstance(found, exp.Select)
    return found


def _events_source(files: Sequence[Path]) -> exp.Select:
    found = parquet_scan(files, union_by_name=True) if files else sqlglot.parse_one(EMPTY_EVENTS)
    assert isinstance(found, exp.Select)
    return found


RESTRICTED_EVENTS = "restricted_events"


def restrict_lake(
    con: duckdb.DuckDBPyConnection,
    contacts: Sequence[Path],
    events: Sequence[Path],
    ids: str,
    columns: frozenset[str] | None = None,
) -> None:
    """Bind `contacts` and `events` again, to the rows of the contacts in the table `ids`
    alone: a build then decides just those contacts (api/patch.py). Their events are read
    from the lake once (only `columns`, when given), into a temporary table that every
    pass of the build reads."""
    keep = exp.column("contact_id").isin(query=exp.select("contact_id").from_(ids))
    create_temp(con, "contacts", _contacts_source(contacts).where(keep, copy=False))
    rows = _events_source(events)
    if columns is not None:
        schema = [str(r[0]) for r in con.execute("DESCRIBE events").fetchall()]
        kept = [c for c in schema if c in columns or c == "contact_id"]
        rows.set("expressions", [exp.column(c, quoted=True) for c in kept])
    create_temp(con, RESTRICTED_EVENTS, rows.where(keep.copy(), copy=False), kind="TABLE")
    create_temp(con, "events", exp.select(exp.Star()).from_(RESTRICTED_EVENTS))


def lake_connection(
    store: Store,
    static: Sequence[tuple[str, Path]] = (),
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """A cursor on the process's DuckDB instance with the lake bound; close it when done."""
    con = database.cursor(memory_limit, threads, temp_directory)
    bind_lake(con, store.live_files("contacts"), store.live_files("events"), static)
    return con


TRAITS = "contact_traits"


def bind_traits(
    con: duckdb.DuckDBPyConnection, traits: Sequence[ir.Trait], ctx: TimeContext
) -> str:
    """Every contact's trait values at `ctx.as_of` as the temporary table `contact_traits`
    (contact_id and a column per trait), on a connection with the lake bound."""
    create_temp(con, TRAITS, compile_traits(traits, ctx), kind="TABLE")
    return TRAITS


def read_catalog(
    con: duckdb.DuckDBPyConnection, event_names: frozenset[str] | None = None
) -> Catalog:
    catalog = database.read_catalog(con, event_names)
    if catalog.contact_id_type not in (ValueType.TEXT, ValueType.INTEGER):
        return Catalog(catalog.attributes, catalog.properties, catalog.event_names, ValueType.TEXT)
    return catalog
