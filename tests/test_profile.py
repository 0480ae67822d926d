"""`duckseg attributes` profiles every column in a fixed number of queries (docs/operations.md).

The expected profile is counted here in Python from the column's values, one column at a
time: fill rate, and the five most frequent values, most frequent first, ties in value order.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

import duckdb
import pytest

from duckseg.ingest.profile import TOP_VALUES, profile


class Counting:
    """A connection that counts the statements given to it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.statements = con, 0

    def execute(self, query: str, *args: Any) -> Any:
        self.statements += 1
        return self.con.execute(query, *args)


def contacts(con: duckdb.DuckDBPyConnection, width: int, rows: int = 40) -> None:
    """A table of `width` attribute columns of several types, with ties, NULLs and more
    distinct values than are shown."""
    kinds = ("VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "VARCHAR[]")
    columns = ['"contact_id" BIGINT'] + [f'"a {j}" {kinds[j % len(kinds)]}' for j in range(width)]
    con.execute(f"CREATE TABLE contacts ({', '.join(columns)})")
    for i in range(rows):
        values: list[Any] = [i]
        for j in range(width):
            kind = kinds[j % len(kinds)]
            k = (i * (j + 3)) % (4 + j % 5)
            if (i + j) % 6 == 0:
                values.append(None)
            elif kind == "VARCHAR":
                values.append(f"v{k}")
            elif kind == "BIGINT":
                values.append(k * 7 - 10)
            elif kind == "DOUBLE":
                values.append(k / 4)
            elif kind == "BOOLEAN":
                values.append(k % 2 == 0)
            elif kind == "DATE":
                values.append(date(2024, 1, 1 + k))
            elif kind == "TIMESTAMP":
                values.append(datetime(2024, 1, 1, k))
            else:
                values.append([f"t{k}", "x"] if k else [])
        marks = ", ".join("?" for _ in values)
        con.execute(f"INSERT INTO contacts VALUES ({marks})", values)


def expected(con: duckdb.DuckDBPyConnection, name: str, kind: str) -> dict[str, Any]:
    total = con.execute("SELECT count(*) FROM contacts").fetchall()[0][0]
    shown = f'CAST("{name}" AS VARCHAR)' if kind == "VARCHAR[]" else f'"{name}"'
    values = [v for (v,) in con.execute(f"SELECT {shown} FROM contacts").fetchall()]
    present = [v for v in values if v is not None]
    counts = Counter(present)
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_VALUES]
    return {
        "fill_rate": len(present) / total,
        "top_values": [{"value": str(v), "count": n} for v, n in top],
    }


@pytest.mark.parametrize("width", [7, 70])
def test_profile_counts_every_column_as_one_by_one(width: int) -> None:
    con = duckdb.connect()
    contacts(con, width)
    rows = profile(con, "contacts", skip=("contact_id",))  # type: ignore[arg-type]
    assert [r["name"] for r in rows] == [f"a {j}" for j in range(width)]
    for row in rows:
        want = expected(con, row["name"], row["storage_type"])
        assert row["fill_rate"] == pytest.approx(want["fill_rate"]), row["name"]
        assert row["top_values"] == want["top_values"], row["name"]
    assert {r["type"] for r in rows} >= {"text", "integer", "list of text", "date"}


def test_an_empty_or_unfilled_column_has_no_top_values() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE contacts (contact_id BIGINT, a VARCHAR, b BIGINT)")
    assert [r["fill_rate"] for r in profile(con, "contacts", skip=("contact_id",))] == [0.0, 0.0]
    con.execute("INSERT INTO contacts VALUES (1, NULL, 5), (2, NULL, 5)")
    rows = profile(con, "contacts", skip=("contact_id",))
    assert rows[0]["fill_rate"] == 0.0 and rows[0]["top_values"] == []
    assert rows[1]["fill_rate"] == 1.0 and rows[1]["top_values"] == [{"value": "5", "count": 2}]


def test_the_number_of_queries_does_not_grow_with_the_columns() -> None:
    counts = []
    for width in (7, 70):
        con = duckdb.connect()
        contacts(con, width, rows=12)
        counting = Counting(con)
        profile(counting, "contacts", skip=("contact_id",))  # type: ignore[arg-type]
        counts.append(counting.statements)
    # DESCRIBE, the row count, and one query per storage type (seven here).
    assert counts == [9, 9]
