"""`duckseg attributes`: what the lake holds, column by column (type, fill rate, top values).

A fixed number of queries, however many columns: the columns of one storage
type are read in long form (position, value) and grouped together, so a
wide contacts file costs one query per type it holds, not one or two per
column (docs/operations.md, "Wide files").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
from sqlglot import exp

from duckseg.types import EVENT_KEY_COLUMNS, ValueType, value_type_of

TOP_VALUES = 5
POSITION, VALUE, COUNT, FILLED, RANK = "__position", "__value", "__n", "__filled", "__rank"


def profile(
    con: duckdb.DuckDBPyConnection, relation: str, skip: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """One row per column of `relation`: name, type, fill rate and the most frequent values
    (most frequent first, ties in value order)."""
    columns = [
        (str(name), str(kind))
        for name, kind, *_ in con.execute(
            exp.Describe(this=exp.to_table(relation)).sql("duckdb")
        ).fetchall()
        if name not in skip
    ]
    total_row = con.execute(
        exp.select(exp.func("count", exp.Star())).from_(relation).sql("duckdb")
    ).fetchall()[0]
    total = int(total_row[0]) if total_row else 0
    filled: dict[str, int] = {}
    top: dict[str, list[tuple[str, int]]] = {}
    by_kind: dict[str, list[str]] = {}
    for name, kind in columns:
        by_kind.setdefault(kind, []).append(name)
    for kind, names in by_kind.items():
        text = value_type_of(kind) is ValueType.TEXT_LIST  # lists are grouped by their text
        for position, value, count, filled_count in con.execute(
            _top_values(relation, names, text).sql("duckdb", copy=False)
        ).fetchall():
            name = names[int(position) - 1]
            filled[name] = int(filled_count)
            top.setdefault(name, []).append((str(value), int(count)))
    return [
        {
            "name": name,
            "type": value_type_of(kind).value,
            "storage_type": kind,
            "fill_rate": (filled.get(name, 0) / total) if total else 0.0,
            "top_values": [{"value": v, "count": n} for v, n in top.get(name, [])],
        }
        for name, kind in columns
    ]


def _top_values(relation: str, names: Sequence[str], as_text: bool) -> exp.Select:
    """For columns of one type: (position, value, count, filled) for each column's
    TOP_VALUES most frequent values, in order; `filled` is the column's non-NULL count."""

    def value(name: str) -> exp.Expr:
        col = exp.column(name, quoted=True)
        return exp.cast(col, exp.DataType.Type.VARCHAR) if as_text else col

    # One list per row, unnested with its positions (an unnest of a list built in the same
    # select list costs DuckDB time per column per row).
    wide = exp.select(
        exp.alias_(exp.Array(expressions=[value(n) for n in names]), "__values")
    ).from_(relation)
    long = exp.select(
        exp.alias_(
            exp.func("generate_subscripts", exp.column("__values"), exp.Literal.number(1)),
            POSITION,
        ),
        exp.alias_(exp.Unnest(expressions=[exp.column("__values")]), VALUE),
    ).from_(wide.subquery("wide", copy=False), copy=False)
    counted = (
        exp.select(POSITION, VALUE, exp.alias_(exp.func("count", exp.Star()), COUNT))
        .from_(long.subquery("long", copy=False), copy=False)
        .where(exp.Not(this=exp.Is(this=exp.column(VALUE), expression=exp.null())))
        .group_by(POSITION, VALUE)
    )
    per_column = [exp.column(POSITION)]
    rank = exp.Window(
        this=exp.RowNumber(),
        partition_by=per_column,
        order=exp.Order(
            expressions=[
                exp.Ordered(this=exp.column(COUNT), desc=True),
                exp.Ordered(this=exp.column(VALUE)),
            ]
        ),
    )
    filled = exp.Window(this=exp.Sum(this=exp.column(COUNT)), partition_by=[exp.column(POSITION)])
    ranked = exp.select(
        POSITION, VALUE, COUNT, exp.alias_(filled, FILLED), exp.alias_(rank, RANK)
    ).from_(counted.subquery("counted", copy=False), copy=False)
    return (
        exp.select(POSITION, VALUE, COUNT, FILLED)
        .from_(ranked.subquery("ranked", copy=False), copy=False)
        .where(exp.LTE(this=exp.column(RANK), expression=exp.Literal.number(TOP_VALUES)))
        .order_by(POSITION, RANK)
    )


def profile_attributes(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return profile(con, "contacts", skip=("contact_id",))


def profile_events(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = profile(con, "events", skip=tuple(c for c in EVENT_KEY_COLUMNS if c != "event"))
    return rows
