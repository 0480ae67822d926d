"""Wide files land at a cost that grows with cells, not columns squared (docs/operations.md).

No wall clock here (speed is measured in benchmarks/wide_bench.py): the statements a
landing runs are recorded and their shape checked against the file's width. The same
number of statements whatever the width, SQL text that grows by the same amount per
column, no conditional expression per column and no expression per column that names
a column twice (DuckDB binds a select list of those in time that grows with the square
of its width). The files hold text, integers, dates, timestamps and lists of text, so
every conversion and check is among the statements.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from duckseg import db
from duckseg.ingest.land import land, live_contacts_files
from duckseg.state.store import Store

WIDTHS = (20, 80, 320)
ROWS = 6
CASE = re.compile(r"\bCASE\b", re.IGNORECASE)


@dataclass
class Recorded:
    statements: list[str] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(s) for s in self.statements)

    @property
    def cases(self) -> int:
        return sum(len(CASE.findall(s)) for s in self.statements)

    @property
    def repeats(self) -> int:
        """Selected expressions that name some column (or NULLIF, a CASE in DuckDB) twice."""
        found = 0
        for statement in self.statements:
            for tree in sqlglot.parse(statement, read="duckdb"):
                for select in tree.find_all(exp.Select) if tree is not None else ():
                    found += sum(_names_twice(e) for e in select.expressions)
        return found


def _names_twice(expression: exp.Expr) -> bool:
    if any(True for _ in expression.find_all(exp.Nullif)):
        return True
    names = Counter(c.sql() for c in expression.find_all(exp.Column))
    return any(n > 1 for n in names.values())


class RecordingConnection:
    """A landing's work connection that writes down every statement given to it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, record: Recorded) -> None:
        self._con, self._record = con, record

    def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._record.statements.append(query)
        return self._con.execute(query, *args, **kwargs)

    def sql(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._record.statements.append(query)
        return self._con.sql(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def write_csv(path: Path, width: int, first_id: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["contact_id", *(f"attr_{j}" for j in range(width - 1))])
        for i in range(first_id, first_id + ROWS):
            # Text, integers, dates, timestamps, lists: each non-text one brings a check.
            row = [f"c{i}", *(_value(i, j) for j in range(width - 1))]
            if first_id and i == first_id:
                row[2] = "not a number"  # attr_1: a rejected row, its reason built
            out.writerow(row)
    return path


def _value(i: int, j: int) -> str:
    kind, k = j % 5, (i * 7 + j) % 13
    if kind == 1:
        return str(k)
    if kind == 2:
        return f"2024-01-{k + 1:02d}"
    if kind == 3:
        return f"2024-01-{k + 1:02d}T10:{k:02d}:00Z"
    if kind == 4:
        return f'["t{k}", "u"]'
    return f"v{i + j}"


def landing_statements(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int
) -> tuple[Recorded, Recorded]:
    """The statements of a first landing of `width` columns, then of an upsert into it."""
    opened = db.private_instance
    records: list[Recorded] = []

    def recording(temp_directory: str) -> Any:
        records.append(Recorded())
        return RecordingConnection(opened(temp_directory), records[-1])

    monkeypatch.setattr(db, "private_instance", recording)
    store = Store(tmp_path / f"ws{width}")
    land(store, "contacts", [write_csv(tmp_path / f"a{width}.csv", width, 0)])
    # Half the rows update contacts, half are new: the upsert path, every column present.
    second = land(store, "contacts", [write_csv(tmp_path / f"b{width}.csv", width, ROWS // 2)])
    assert second.reject_reasons == {"attr_1: not an integer": 1}
    monkeypatch.undo()

    [lake_file] = live_contacts_files(store)
    table = pq.read_table(lake_file)
    assert table.num_columns == width
    types = [str(table.schema.field(f"attr_{j}").type) for j in range(5)]
    assert types == ["string", "int64", "date32[day]", "timestamp[us]", "list<element: string>"]
    assert table.num_rows == ROWS + ROWS // 2
    first, upsert = records
    return first, upsert


def test_a_landing_runs_the_same_statements_whatever_the_width(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    by_width = {w: landing_statements(monkeypatch, tmp_path, w) for w in WIDTHS}
    for landing in (0, 1):
        counts = {w: len(by_width[w][landing].statements) for w in WIDTHS}
        assert len(set(counts.values())) == 1, counts
        cases = {w: by_width[w][landing].cases for w in WIDTHS}
        assert len(set(cases.values())) == 1, f"a CASE per column: {cases}"
        repeats = {w: by_width[w][landing].repeats for w in WIDTHS}
        assert len(set(repeats.values())) == 1, f"a column named twice per column: {repeats}"


def test_the_sql_of_a_landing_grows_linearly_with_the_width(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    by_width = {w: landing_statements(monkeypatch, tmp_path, w) for w in WIDTHS}
    for landing in (0, 1):
        chars = [by_width[w][landing].chars for w in WIDTHS]
        per_column = [
            (chars[i + 1] - chars[i]) / (WIDTHS[i + 1] - WIDTHS[i]) for i in range(len(WIDTHS) - 1)
        ]
        # Linear: the same text per added column (a few characters more for longer names).
        assert per_column[1] <= per_column[0] * 1.25, (chars, per_column)


def test_a_wide_parquet_file_is_checked_without_a_query_per_column(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every date and timestamp column of a Parquet file has a check (a value outside the
    calendar); the landing asks them in one scan."""
    opened = db.private_instance
    counts: dict[int, tuple[int, int, int]] = {}
    for width in WIDTHS:
        record = Recorded()

        def recording(temp_directory: str, record: Recorded = record) -> Any:
            return RecordingConnection(opened(temp_directory), record)

        monkeypatch.setattr(db, "private_instance", recording)
        columns = {"contact_id": pa.array([f"c{i}" for i in range(ROWS)])}
        for j in range(width - 1):
            days = [date(2024, 1, 1 + (i + j) % 28) for i in range(ROWS)]
            if j % 3 == 0:
                columns[f"day_{j}"] = pa.array(days)
            elif j % 3 == 1:
                columns[f"day_{j}"] = pa.array([datetime(d.year, d.month, d.day, 9) for d in days])
            else:
                columns[f"day_{j}"] = pa.array([[str(d)] for d in days])
        path = tmp_path / f"p{width}.parquet"
        pq.write_table(pa.table(columns), path)
        store = Store(tmp_path / f"pws{width}")
        report = land(store, "contacts", [path])
        monkeypatch.undo()
        assert report.rows_landed == ROWS and report.rows_rejected == 0
        [lake_file] = live_contacts_files(store)
        assert pq.read_table(lake_file).num_columns == width
        counts[width] = (len(record.statements), record.cases, record.repeats)
    assert len(set(counts.values())) == 1, counts
