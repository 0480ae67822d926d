"""Reading the input files of a landing (their values become lake types in values.py).

Each input file becomes a relation `src_<i>` in the landing's work database: a
view over the table read from a CSV or JSON file, a view over a Parquet file
(a table when the file has a column of its own named like the position DuckDB
gives its rows, `rowid` or `file_row_number`). Its columns are
renamed by position (`c0`, `c1`, ...) so that user column names, however odd,
only ever appear in SQL as quoted sqlglot identifiers, and each row knows its
position in the file (`row_number + 1` is the 1-based row shown in rejects).

Three flavours of column come out of the readers:

- text (CSV): every value read as text, typed later;
- json (JSON lines / JSON arrays): every top-level value kept as JSON, so its
  JSON kind (number, string, array, ...) can guide type inference;
- typed (Parquet): the file's own type.
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg.errors import InputError

FORMATS = ("csv", "parquet", "json")
EXTENSIONS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}


FILE_ROW_NUMBER = "file_row_number"  # read_parquet's own row position
ROW_COLUMN = "__src_row"


class Flavour(enum.Enum):
    TEXT = "text"
    JSON = "json"
    TYPED = "typed"


@dataclass(frozen=True)
class SourceColumn:
    name: str  # as spelt in the input file
    internal: str  # c<j> in the src table
    flavour: Flavour
    duckdb_type: str  # the src table's type (VARCHAR / JSON for text and json columns)


@dataclass(frozen=True)
class Source:
    index: int
    path: Path
    fmt: str
    table: str
    columns: tuple[SourceColumn, ...]
    rows: int
    row_number: exp.Expr  # 0-based position of a row in its file
    streamed: bool = False  # a view over the file (Parquet), not a loaded table

    @property
    def label(self) -> str:
        return str(self.path)

    def find(self, name: str) -> SourceColumn | None:
        """The column whose name matches `name` case-insensitively, as SQL does."""
        return self._by_name.get(name.casefold())

    @cached_property
    def _by_name(self) -> dict[str, SourceColumn]:
        # A dict, not a scan: a landing looks up every column, and files can be 10,000 wide.
        found: dict[str, SourceColumn] = {}
        for c in self.columns:
            found.setdefault(c.name.casefold(), c)
        return found


def resolve_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError.single(
                str(path), f"unknown format {fmt!r}", hint="use one of " + ", ".join(FORMATS)
            )
        return fmt
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise InputError.single(
            str(path),
            f"cannot tell the format from the extension {path.suffix or '(none)'!r}",
            hint="name it .csv, .parquet, .json or .jsonl, or pass a format",
        )
    return found


def read_source(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, index: int) -> Source:
    """Bind one input file as `src_<index>`; any reading failure names the file.

    CSV and JSON are loaded into a table once (their text is read more than
    once). A Parquet file stays a view over the file: its values are already
    typed, and the landing streams it from disk to the lake instead of holding
    a copy of every row in memory.
    """
    if not path.is_file():
        raise InputError.single(str(path), "file not found")
    if path.stat().st_size == 0:
        raise InputError.single(str(path), "file is empty")
    _refuse_case_twins(path, fmt)
    view, table = f"raw_{index}", f"src_{index}"
    try:
        row_number: exp.Expr = exp.column("rowid")
        if fmt == "parquet":
            rel = con.read_parquet(str(path))
            rel.create_view(view)
            flavour, names = Flavour.TYPED, list(zip(rel.columns, map(str, rel.types), strict=True))
        else:
            # One statement reads (and sniffs) the text once, however wide the file is.
            flavour = Flavour.TEXT if fmt == "csv" else Flavour.JSON
            _execute(
                con,
                exp.Create(this=exp.to_table(view), kind="TABLE", expression=_reader(path, fmt)),
            )
            described = con.execute(exp.Describe(this=exp.to_table(view)).sql("duckdb")).fetchall()
            names = [(str(name), str(dtype)) for name, dtype, *_ in described]
        columns = tuple(
            SourceColumn(name, f"c{j}", flavour, dtype) for j, (name, dtype) in enumerate(names)
        )
        # A file's own column of that name hides the position DuckDB would give: the file
        # is then copied into a table of renamed columns, whose `rowid` is the position.
        own = "rowid" if flavour is not Flavour.TYPED else FILE_ROW_NUMBER
        hidden = any(c.name.casefold() == own for c in columns)
        streamed = flavour is Flavour.TYPED and not hidden
        renamed = [exp.alias_(exp.column(c.name, quoted=True), c.internal) for c in columns]
        if hidden:
            select = exp.select(*renamed, copy=False).from_(view)
        elif streamed:
            scan = exp.func(
                "read_parquet",
                exp.Literal.string(str(path)),
                exp.EQ(this=exp.column(FILE_ROW_NUMBER), expression=exp.true()),
            )
            select = exp.select(
                *renamed, exp.alias_(exp.column(FILE_ROW_NUMBER), ROW_COLUMN)
            ).from_(scan)
            row_number = exp.column(ROW_COLUMN)
        else:
            # The text as read stays the one copy: the renaming is a view over it, not a
            # second table (each wide statement costs DuckDB time per column).
            select = exp.select(
                *renamed, exp.alias_(exp.column("rowid"), ROW_COLUMN), copy=False
            ).from_(view)
            row_number = exp.column(ROW_COLUMN)
        kind = "TABLE" if hidden else "VIEW"
        _execute(con, exp.Create(this=exp.to_table(table), kind=kind, expression=select))
        if hidden and flavour is not Flavour.TYPED:  # the text as read: its copy replaces it
            _execute(con, exp.Drop(tables=[exp.to_table(view)], kind="TABLE"))
        rows = _count(con, table if hidden else view)
    except duckdb.Error as exc:
        raise _unreadable(path, fmt, exc) from exc
    return Source(index, path, fmt, table, columns, rows, row_number, streamed)


def _reader(path: Path, fmt: str) -> exp.Select:
    """SELECT * from a text file: CSV with every value as text (a quoted empty value is '',
    not NULL), JSON with each top-level value kept as JSON."""

    def arg(name: str, value: exp.Expr) -> exp.Expr:
        return exp.EQ(this=exp.column(name), expression=value)

    if fmt == "csv":
        options = [
            arg("header", exp.true()),
            arg("all_varchar", exp.true()),
            arg("allow_quoted_nulls", exp.false()),
        ]
    else:
        options = [
            arg("format", exp.Literal.string("auto")),
            arg("maximum_depth", exp.Literal.number(1)),
            arg("sample_size", exp.Literal.number(-1)),
        ]
    scan = exp.func(f"read_{fmt}", exp.Literal.string(str(path)), *options)
    return exp.select(exp.Star()).from_(scan)


def _execute(con: duckdb.DuckDBPyConnection, statement: exp.Expr) -> None:
    con.execute(statement.sql("duckdb", copy=False))


def _refuse_case_twins(path: Path, fmt: str) -> None:
    """Column names that differ only by case would be renamed `email_1` by the reader and
    land as a new attribute: refuse them, naming both."""
    names: list[str] = []
    try:
        if fmt == "parquet":
            names = list(pq.read_schema(path).names)
        elif fmt == "csv":
            with path.open(encoding="utf-8", errors="replace", newline="") as handle:
                names = next(csv.reader(handle), [])
    except (OSError, ValueError, csv.Error):
        return  # the reader says what is wrong with the file
    seen: dict[str, str] = {}
    for name in names:
        first = seen.setdefault(name.casefold(), name)
        if first != name:
            raise InputError.single(
                str(path),
                f"columns {first!r} and {name!r} differ only by case",
                hint="column names match case-insensitively: rename or drop one",
            )


def read_fully(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Decode every value of a streamed source: `InputError` naming the file if one fails.

    A streamed file is read while the landing runs, not up front, so a failure
    there is traced back to its file with this.
    """
    every_value = exp.Anonymous(
        this="hash", expressions=[exp.column(c.internal) for c in source.columns]
    )
    try:
        con.sql(exp.select(exp.Max(this=every_value)).from_(source.table).sql("duckdb")).fetchall()
    except duckdb.Error as exc:
        raise _unreadable(source.path, source.fmt, exc) from exc


def _unreadable(path: Path, fmt: str, exc: duckdb.Error) -> InputError:
    return InputError.single(str(path), f"cannot read as {fmt.upper()}: {_first_line(exc)}")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    rows = con.sql(exp.select("count(*)").from_(table).sql("duckdb")).fetchall()
    return int(rows[0][0])


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
