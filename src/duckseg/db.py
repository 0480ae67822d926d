"""The process's DuckDB instance, and the SQL that names things on it.

Opening a DuckDB instance has a real cost; a cursor on an open one costs nothing
(benchmarks/RESULTS.md). So a process keeps one in-memory instance per set of engine settings and every
command works on cursors of it: the lake views, the catalog (ATTACHed for the
length of a command, so other processes can open it in between) and any work
tables. Everything a command creates is TEMPORARY, which DuckDB keeps per
cursor: two cursors never see each other's views, and closing a cursor drops
what it made.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb
from sqlglot import exp

from duckseg.config import DuckDBConfig
from duckseg.types import EVENT_KEY_COLUMNS, Catalog, ValueType, value_type_of

_lock = threading.Lock()
_instances: dict[tuple[str | None, int | None, str | None], duckdb.DuckDBPyConnection] = {}
# The workspace's [duckdb] settings (docs/data-model.md), applied to every connection that
# does not name its own: set when a workspace opens.
_settings: list[DuckDBConfig] = [DuckDBConfig()]
WIDE_SLOW_OPTIMIZERS = ("common_subexpressions", "projection_placement", "statistics_propagation")


def configure(settings: DuckDBConfig) -> None:
    """Use these engine settings for every connection opened from now on."""
    _settings[0] = settings


def cursor(
    memory_limit: str | None = None, threads: int | None = None, temp_directory: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A new connection to the shared instance with these settings (created on first use);
    without any, the configured workspace settings."""
    if memory_limit is None and threads is None and temp_directory is None:
        s = _settings[0]
        memory_limit, threads, temp_directory = s.memory_limit, s.threads, s.temp_directory
    key = (memory_limit, threads, temp_directory)
    with _lock:
        instance = _instances.get(key)
        if instance is None:
            instance = open_instance(memory_limit, threads, temp_directory)
            _instances[key] = instance
        return instance.cursor()


def open_instance(
    memory_limit: str | None = None, threads: int | None = None, temp_directory: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB instance with duckseg's session settings."""
    con = duckdb.connect(config={"temp_directory": temp_directory} if temp_directory else {})
    # Instants are naive UTC everywhere; a fixed zone keeps casts deterministic on every cursor.
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    # Lake and snapshot files are never rewritten in place, so their footers can be kept.
    con.execute("SET GLOBAL parquet_metadata_cache = true")
    if memory_limit:
        con.execute("SET GLOBAL memory_limit = ?", [memory_limit])
    if threads:
        con.execute("SET GLOBAL threads = ?", [threads])
    return con


def private_instance(temp_directory: str) -> duckdb.DuckDBPyConnection:
    """An instance of its own (a landing's work tables), spilling to `temp_directory`, with the
    configured memory and thread limits."""
    s = _settings[0]
    con = open_instance(s.memory_limit, s.threads, temp_directory)
    # These passes cost the square of a select list's width (or worse) in DuckDB; a landing's
    # work queries select every column of a file that may be 10,000 wide and gain nothing from
    # them (docs/operations.md).
    con.execute("SET GLOBAL disabled_optimizers = ?", [",".join(WIDE_SLOW_OPTIMIZERS)])
    return con


def parquet_scan(paths: Sequence[Path | str], union_by_name: bool = False) -> exp.Select:
    """SELECT * FROM read_parquet([...]) for a list of files."""
    args: list[exp.Expr] = [exp.Array(expressions=[exp.Literal.string(str(p)) for p in paths])]
    if union_by_name:
        args.append(exp.EQ(this=exp.column("union_by_name"), expression=exp.true()))
    return exp.select(exp.Star()).from_(exp.Table(this=exp.ReadParquet(expressions=args)))


def create_temp(
    con: duckdb.DuckDBPyConnection, name: str, query: exp.Expr, kind: str = "VIEW"
) -> None:
    """CREATE OR REPLACE TEMPORARY VIEW|TABLE name AS query, visible to `con` only."""
    statement = exp.Create(
        this=exp.to_table(name),
        kind=kind,
        replace=True,
        expression=query,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )
    con.execute(statement.sql("duckdb"))


def union_all(parts: Sequence[exp.Select]) -> exp.Query:
    """UNION ALL of one or more SELECTs."""
    return exp.union(*parts, distinct=False) if len(parts) > 1 else parts[0]


def read_catalog(
    con: duckdb.DuckDBPyConnection, event_names: frozenset[str] | None = None
) -> Catalog:
    """Read types from the `contacts` and `events` relations bound on `con`.

    `event_names`, when known (the workspace catalog records them at landing), saves a
    scan of every event.
    """
    contact_cols = con.execute("DESCRIBE SELECT * FROM contacts").fetchall()
    attributes = {name: value_type_of(t) for name, t, *_ in contact_cols}
    id_type = attributes.pop("contact_id", ValueType.TEXT)
    event_cols = con.execute("DESCRIBE SELECT * FROM events").fetchall()
    properties = {
        name: value_type_of(t) for name, t, *_ in event_cols if name not in EVENT_KEY_COLUMNS
    }
    if event_names is None:
        event_names = frozenset(
            r[0] for r in con.execute("SELECT DISTINCT event FROM events").fetchall()
        )
    return Catalog(attributes, properties, event_names, id_type)


def regex_error(pattern: str) -> str | None:
    """Why DuckDB (RE2) refuses `pattern` as a regular expression, or None if it accepts it."""
    con = cursor()
    try:
        con.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    finally:
        con.close()
    return None
