"""The hand-written DuckDB queries of benchmarks/queries/, and connections to run them on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from benchmarks.common import QUERIES_DIR

_VARIANT = re.compile(r"^--\s*variant:\s*(\w+)\s*$", re.MULTILINE)


def variants(segment: str) -> dict[str, str]:
    """{variant name: SQL} of one segment's query file, in file order."""
    text = (QUERIES_DIR / f"{segment}.sql").read_text(encoding="utf-8")
    parts = _VARIANT.split(text)
    # parts: [preamble, name1, sql1, name2, sql2, ...]
    found = {name: sql.strip() for name, sql in zip(parts[1::2], parts[2::2], strict=True)}
    if not found:
        raise ValueError(f"{segment}.sql has no '-- variant: NAME' section")
    return found


def connect_views(
    contacts: Sequence[Path], events: Sequence[Path], threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with views `contacts` and `events` over the given Parquet files."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute("SET threads = ?", [threads])
    con.read_parquet([str(p) for p in contacts]).create_view("contacts")
    con.read_parquet([str(p) for p in events], union_by_name=True).create_view("events")
    return con
