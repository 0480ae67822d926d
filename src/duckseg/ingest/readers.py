"""Reading the input files of a landing, and turning their values into lake types.

Each input file becomes a relation `src_<i>` in the landing's work database: a
table for CSV and JSON, a view over the file for Parquet. Its columns are
renamed by position (`c0`, `c1`, ...) so that user column names, however odd,
only ever appear in SQL as quoted sqlglot identifiers, and each row knows its
position in the file (`row_number + 1` is the 1-based row shown in rejects).

Three flavours of column come out of the readers:

- text (CSV): every value read as text, typed later;
- json (JSON lines / JSON arrays): every top-level value kept as JSON, so its
  JSON kind (number, string, array, ...) can guide type inference;
- typed (Parquet): the file's own type.

Text values are parsed strictly: an integer column never silently rounds
"1.5", a date column never drops a time of day; such values are rejected.
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
from duckseg.types import ValueType, value_type_of

FORMATS = ("csv", "parquet", "json")
EXTENSIONS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}

# Inference only: integers without a sign or leading zeros (a "+" phone number
# or a "01234" zip code stays text), at most 18 digits so they fit BIGINT.
_INFER_INT_RE = r"-?(0|[1-9][0-9]{0,17})"
_INFER_NUM_RE = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
# Parsing into an existing integer column also takes an explicit sign.
_INT_RE = r"[+-]?[0-9]+"
_DATE_RE = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
_TIMESTAMP_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}.*)?"

LONG_NAME, LONG_VALUE = "__column", "__value"  # the long form of inference
FILE_ROW_NUMBER = "file_row_number"  # read_parquet's own row position
ROW_COLUMN = "__src_row"
# `trim` removes the Unicode space separators: ' ' and code points from U+00A0 on. So
# blank text is '' or starts with one of them: it sorts before '!' or from U+00A0.
_BLANK_BEFORE, _BLANK_FROM = "!", "\u00a0"

# Candidate types for a new text column, most specific first; text always fits.
INFERENCE_ORDER = ("BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "VARCHAR[]")


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

    CSV and JSON are loaded into a table once (their text is parsed more than
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
        streamed = flavour is Flavour.TYPED and not any(
            c.name.casefold() == FILE_ROW_NUMBER for c in columns
        )
        renamed = [exp.alias_(exp.column(c.name, quoted=True), c.internal) for c in columns]
        if streamed:
            scan = exp.func(
                "read_parquet",
                exp.Literal.string(str(path)),
                exp.EQ(this=exp.column(FILE_ROW_NUMBER), expression=exp.true()),
            )
            select = exp.select(
                *renamed, exp.alias_(exp.column(FILE_ROW_NUMBER), ROW_COLUMN)
            ).from_(scan)
            con.execute(
                exp.Create(this=exp.to_table(table), kind="VIEW", expression=select).sql("duckdb")
            )
            row_number = exp.column(ROW_COLUMN)
        else:
            _execute(
                con,
                exp.Create(
                    this=exp.to_table(table),
                    kind="TABLE",
                    expression=exp.select(*renamed, copy=False).from_(view),
                ),
            )
            if flavour is not Flavour.TYPED:  # the text as read: its renamed copy replaces it
                _execute(con, exp.Drop(tables=[exp.to_table(view)], kind="TABLE"))
        rows = _count(con, table)
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
    every_value = _fn("hash", *(exp.column(c.internal) for c in source.columns))
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


# -- lake types ----------------------------------------------------------------


def lake_type_for(duckdb_type: str) -> str:
    """The type a new column gets in the lake, from a typed (Parquet) input column."""
    vt = value_type_of(duckdb_type)
    if vt is ValueType.INTEGER and duckdb_type.upper() not in ("HUGEINT", "UBIGINT"):
        return "BIGINT"
    if vt is ValueType.FLOAT:
        return "DOUBLE"
    if vt is ValueType.TIMESTAMP:
        return "TIMESTAMP"  # naive UTC, microseconds
    if vt is ValueType.TEXT:
        return "VARCHAR"
    return duckdb_type


def type_words(duckdb_type: str) -> str:
    """How a rejected value's expected type is named in a reason."""
    vt = value_type_of(duckdb_type)
    words = {
        ValueType.TEXT: "text",
        ValueType.INTEGER: "an integer",
        ValueType.FLOAT: "a number",
        ValueType.DECIMAL: "a decimal number",
        ValueType.BOOLEAN: "a boolean",
        ValueType.DATE: "a date (YYYY-MM-DD)",
        ValueType.TIMESTAMP: "a timestamp",
        ValueType.TEXT_LIST: "a list of text (a JSON array of strings)",
    }
    return words.get(vt, duckdb_type)


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _dtype(duckdb_type: str) -> exp.DataType:
    return exp.DataType.build(duckdb_type, dialect="duckdb")


def _try_cast(value: exp.Expr, duckdb_type: str) -> exp.Expr:
    return exp.TryCast(this=value, to=_dtype(duckdb_type))


def _matches(value: exp.Expr, pattern: str) -> exp.Expr:
    return _fn("regexp_full_match", value, exp.Literal.string(pattern))


def _when(condition: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=condition, true=value)])


def _utc(instant: exp.Expr) -> exp.Expr:
    """A TIMESTAMPTZ as the naive UTC TIMESTAMP the lake stores."""
    return _fn("timezone", exp.Literal.string("UTC"), instant)


def _string_array(value: exp.Expr) -> exp.Expr:
    """True when a JSON value is an array whose elements are all strings."""
    kinds = _fn("json_type", value, exp.Literal.string("$[*]"))
    return exp.and_(
        exp.EQ(this=_fn("json_type", value), expression=exp.Literal.string("ARRAY")),
        _fn("list_has_all", exp.Array(expressions=[exp.Literal.string("VARCHAR")]), kinds),
    )


def _typed_not_text(column: SourceColumn) -> bool:
    """A Parquet column of a known type other than text: its values are never blank text."""
    vt = value_type_of(column.duckdb_type)
    return column.flavour is Flavour.TYPED and vt not in (ValueType.TEXT, ValueType.OTHER)


def is_blank(column: SourceColumn) -> exp.Expr:
    """True where the value is missing: NULL, or text that is '' or spaces."""
    if _typed_not_text(column):
        return exp.column(column.internal).is_(exp.null())
    raw = raw_text(column)
    return exp.or_(
        raw.is_(exp.null()), exp.EQ(this=_fn("trim", raw), expression=exp.Literal.string(""))
    )


def blank_scan_filter(column: SourceColumn) -> exp.Expr:
    """Implied by `is_blank`, in terms the Parquet reader tests against row-group statistics."""
    typed_text = value_type_of(column.duckdb_type) is ValueType.TEXT
    if column.flavour is not Flavour.TYPED or not typed_text:
        return is_blank(column)
    ref = exp.column(column.internal)
    return exp.or_(
        ref.is_(exp.null()),
        exp.LT(this=ref.copy(), expression=exp.Literal.string(_BLANK_BEFORE)),
        exp.GTE(this=ref.copy(), expression=exp.Literal.string(_BLANK_FROM)),
    )


def unfit(column: SourceColumn, target: str) -> tuple[exp.Expr, exp.Expr] | None:
    """Where a present value does not fit the lake type `target`: the condition, and a scan
    filter it implies; None where every present value fits."""
    source = column.duckdb_type
    timely = value_type_of(target) in (ValueType.DATE, ValueType.TIMESTAMP)
    if (
        column.flavour is Flavour.TYPED
        and not timely  # a typed date or instant may still be infinite
        and (source == target or (_zoned(source) and value_type_of(target) is ValueType.TIMESTAMP))
    ):
        return None  # the value as it is, or a conversion that never fails
    if _typed_not_text(column):
        present = exp.column(column.internal).is_(exp.null()).not_()
        return exp.and_(present, convert(column, target).is_(exp.null())), present.copy()
    condition = exp.and_(
        exp.Not(this=exp.Paren(this=is_blank(column))), convert(column, target).is_(exp.null())
    )
    return condition, condition.copy()


def _zoned(duckdb_type: str) -> bool:
    return "TIME ZONE" in duckdb_type.upper() or duckdb_type.upper().startswith("TIMESTAMPTZ")


def raw_text(column: SourceColumn) -> exp.Expr:
    """The value as text: what the rejects file shows and what text parsing starts from."""
    ref = exp.column(column.internal)
    if column.flavour is Flavour.JSON:
        return _fn("json_extract_string", ref, exp.Literal.string("$"))
    if value_type_of(column.duckdb_type) is ValueType.TEXT:
        return ref
    return exp.cast(ref, "VARCHAR")


def parse_text(text: exp.Expr, target: str) -> exp.Expr:
    """Text to a lake type; NULL where the text does not fit (the caller rejects those)."""
    vt = value_type_of(target)
    trimmed = _fn("trim", text)
    if vt is ValueType.TEXT:
        return text
    if vt is ValueType.INTEGER:
        # The text where it is an integer, else '' (which no cast takes): no CASE, whose
        # binding in DuckDB grows faster than a wide file's number of columns.
        digits = _fn("regexp_extract", trimmed, exp.Literal.string(f"^(?:{_INT_RE})$"))
        return _try_cast(digits, target)
    if vt is ValueType.DATE:
        return in_calendar(_when(_matches(trimmed, _DATE_RE), _try_cast(trimmed, target)))
    if vt is ValueType.TIMESTAMP:
        # The work connection runs in UTC, so text without an offset is read as UTC. Only
        # ISO text: DuckDB would also read 'epoch' and 'infinity' as instants.
        instant = _utc(_try_cast(trimmed, "TIMESTAMPTZ"))
        return in_calendar(_when(_matches(trimmed, _TIMESTAMP_RE), instant))
    if vt is ValueType.TEXT_LIST:
        as_json = _try_cast(trimmed, "JSON")
        return _when(
            exp.EQ(this=_fn("json_type", as_json), expression=exp.Literal.string("ARRAY")),
            _try_cast(as_json, target),
        )
    if vt in (ValueType.FLOAT, ValueType.DECIMAL, ValueType.BOOLEAN):
        return _try_cast(trimmed, target)
    return _try_cast(text, target)


_DIRECT = {
    ValueType.INTEGER: (ValueType.INTEGER, ValueType.FLOAT, ValueType.DECIMAL),
    ValueType.FLOAT: (ValueType.FLOAT,),
    ValueType.DECIMAL: (ValueType.DECIMAL, ValueType.FLOAT),
    ValueType.BOOLEAN: (ValueType.BOOLEAN,),
    ValueType.DATE: (ValueType.TIMESTAMP,),
    ValueType.TIMESTAMP: (ValueType.TIMESTAMP,),
    ValueType.TEXT_LIST: (ValueType.TEXT_LIST,),
}


def in_calendar(value: exp.Expr) -> exp.Expr:
    """A date or instant, NULL unless finite and within years 1 to 9999: infinities and
    year 294247 are DuckDB's, not a calendar's, and no other reader of the lake takes them."""
    year = _fn("year", value.copy())
    sane = exp.and_(
        _fn("isfinite", value.copy()),
        exp.Between(this=year, low=exp.Literal.number(1), high=exp.Literal.number(9999)),
    )
    return _when(sane, value)


def convert(column: SourceColumn, target: str) -> exp.Expr:
    """The column's values in the lake type `target` (NULL where a value does not fit)."""
    if value_type_of(target) in (ValueType.DATE, ValueType.TIMESTAMP) and (
        column.flavour is Flavour.TYPED
    ):
        return in_calendar(_convert(column, target))
    return _convert(column, target)


def _convert(column: SourceColumn, target: str) -> exp.Expr:
    ref = exp.column(column.internal)
    if column.flavour is not Flavour.TYPED:
        return parse_text(raw_text(column), target)
    source = column.duckdb_type
    if source == target:
        return ref
    src_vt, dst_vt = value_type_of(source), value_type_of(target)
    if _zoned(source) and dst_vt is ValueType.TIMESTAMP:
        return _utc(exp.cast(ref, "TIMESTAMPTZ"))
    if dst_vt in _DIRECT.get(src_vt, ()):
        return _try_cast(ref, target)
    return parse_text(raw_text(column), target)


# -- inference -------------------------------------------------------------------


def inference_checks(column: SourceColumn) -> dict[str, exp.Expr]:
    """Per candidate type, a predicate that holds for a non-null value of that type."""
    text = raw_text(column)
    if column.flavour is Flavour.JSON:
        ref = exp.column(column.internal)
        kind = _fn("json_type", ref)

        def kind_in(*kinds: str) -> exp.Expr:
            return exp.In(this=kind, expressions=[exp.Literal.string(k) for k in kinds])

        is_string = kind_in("VARCHAR")
        return {
            "BIGINT": exp.and_(kind_in("BIGINT", "UBIGINT"), _not_null(_try_cast(text, "BIGINT"))),
            "DOUBLE": kind_in("BIGINT", "UBIGINT", "DOUBLE"),
            "BOOLEAN": kind_in("BOOLEAN"),
            "DATE": exp.and_(is_string, _text_is_date(text)),
            "TIMESTAMP": exp.and_(is_string, _text_is_timestamp(text)),
            "VARCHAR[]": _string_array(ref),
        }
    if column.flavour is Flavour.TEXT:
        as_json = _try_cast(text, "JSON")
        return {
            "BIGINT": _matches(text, _INFER_INT_RE),
            "DOUBLE": _matches(text, _INFER_NUM_RE),
            "BOOLEAN": exp.In(
                this=_fn("lower", text),
                expressions=[exp.Literal.string("true"), exp.Literal.string("false")],
            ),
            "DATE": _text_is_date(text),
            "TIMESTAMP": _text_is_timestamp(text),
            "VARCHAR[]": _string_array(as_json),
        }
    return {}


def _not_null(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=value, expression=exp.Null()))


def _text_is_date(text: exp.Expr) -> exp.Expr:
    return exp.and_(_matches(text, _DATE_RE), _not_null(_try_cast(text, "DATE")))


def _text_is_timestamp(text: exp.Expr) -> exp.Expr:
    return exp.and_(_matches(text, _TIMESTAMP_RE), _not_null(_try_cast(text, "TIMESTAMPTZ")))


def infer_flags(
    con: duckdb.DuckDBPyConnection, source: Source, columns: list[SourceColumn]
) -> dict[str, tuple[int, set[str]]]:
    """For each text/json column: how many non-blank values it has and which types fit them all.

    Blank values ('' or spaces) are missing values to every type but text, so
    they do not vote. One scan of the source answers every column at once: the
    columns are turned into rows (column, value) and grouped, so the query has
    the same few expressions however wide the file is (a query with a set of
    aggregates per column costs the binder columns squared).
    """
    wanted = [c for c in columns if c.flavour is not Flavour.TYPED]
    if not wanted:
        return {}
    value = SourceColumn("value", LONG_VALUE, wanted[0].flavour, wanted[0].duckdb_type)
    text = raw_text(value)
    filled = exp.and_(
        _not_null(text), exp.NEQ(this=_fn("trim", text.copy()), expression=exp.Literal.string(""))
    )
    aggregates: list[exp.Expr] = [
        exp.column(LONG_NAME),
        exp.Count(this=_when(filled, exp.Literal.number(1))),
    ]
    checks = inference_checks(value)
    for candidate in INFERENCE_ORDER:
        definite = exp.Coalesce(this=checks[candidate], expressions=[exp.false()])
        guarded = _when(filled.copy(), definite)
        aggregates.append(exp.Coalesce(this=_fn("bool_and", guarded), expressions=[exp.true()]))
    long = exp.select(
        exp.alias_(
            exp.Unnest(
                expressions=[
                    exp.Array(expressions=[exp.Literal.string(c.internal) for c in wanted])
                ]
            ),
            LONG_NAME,
        ),
        exp.alias_(
            exp.Unnest(
                expressions=[exp.Array(expressions=[exp.column(c.internal) for c in wanted])]
            ),
            LONG_VALUE,
        ),
    ).from_(source.table, copy=False)
    query = (
        exp.select(*aggregates, copy=False)
        .from_(long.subquery("long", copy=False), copy=False)
        .group_by(exp.column(LONG_NAME), copy=False)
    )
    rows = con.sql(query.sql("duckdb")).fetchall()
    # A column with no value at all has no row: nothing votes against any type.
    flags = {c.internal: (0, set(INFERENCE_ORDER)) for c in wanted}
    for name, count, *fits in rows:
        flags[str(name)] = (
            int(count),
            {t for t, ok in zip(INFERENCE_ORDER, fits, strict=True) if ok},
        )
    return flags
