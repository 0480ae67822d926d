"""`duckseg attributes`: what the lake holds, column by column (type, fill rate, top values)."""

from __future__ import annotations

from typing import Any

import duckdb
from sqlglot import exp

from duckseg.types import EVENT_KEY_COLUMNS, value_type_of

TOP_VALUES = 5


def profile(
    con: duckdb.DuckDBPyConnection, relation: str, skip: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """One row per column of `relation`: name, type, fill rate and the most frequent values."""
    columns = [
        (name, kind)
        for name, kind, *_ in con.execute(
            exp.Describe(this=exp.to_table(relation)).sql("duckdb")
        ).fetchall()
    ]
    total_row = con.execute(
        exp.select(exp.func("count", exp.Star())).from_(relation).sql("duckdb")
    ).fetchall()[0]
    total = int(total_row[0]) if total_row else 0
    out = []
    for name, kind in columns:
        if name in skip:
            continue
        col = exp.column(name, quoted=True)
        filled_row = con.execute(
            exp.select(exp.func("count", col)).from_(relation).sql("duckdb")
        ).fetchall()[0]
        filled = int(filled_row[0]) if filled_row else 0
        value = (
            exp.cast(col, exp.DataType.Type.VARCHAR)
            if value_type_of(kind).value == "list of text"
            else col
        )
        top_query = (
            exp.select(exp.alias_(value, "value"), exp.alias_(exp.func("count", exp.Star()), "n"))
            .from_(relation)
            .where(exp.Not(this=exp.Is(this=col, expression=exp.null())))
            .group_by(exp.Literal.number(1))
            .order_by(
                exp.Ordered(this=exp.column("n"), desc=True),
                exp.Ordered(this=exp.Literal.number(1)),
            )
            .limit(TOP_VALUES)
        )
        top = [(str(v), int(n)) for v, n in con.execute(top_query.sql("duckdb")).fetchall()]
        out.append(
            {
                "name": name,
                "type": value_type_of(kind).value,
                "storage_type": kind,
                "fill_rate": (filled / total) if total else 0.0,
                "top_values": [{"value": v, "count": n} for v, n in top],
            }
        )
    return out


def profile_attributes(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return profile(con, "contacts", skip=("contact_id",))


def profile_events(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = profile(con, "events", skip=tuple(c for c in EVENT_KEY_COLUMNS if c != "event"))
    return rows
