"""Turning the values of a landing's input files into lake types, and inferring those types.

Text values are parsed strictly: an integer column never silently rounds
"1.5", a date column never drops a time of day; such values are rejected.
Each builder here returns a sqlglot expression over one source column; none
runs anything but `infer_flags`.
"""

from __future__ import annotations

import functools

import duckdb
from sqlglot import exp

from duckseg.ingest.readers import Flavour, Source, SourceColumn
from duckseg.types import ValueType, value_type_of

# Inference only: integers without a sign or leading zeros (a "+" phone number
# or a "01234" zip code stays text), at most 18 digits so they fit BIGINT.
_INFER_INT_RE = r"-?(0|[1-9][0-9]{0,17})"
_INFER_NUM_RE = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
# Parsing into an existing integer column also takes an explicit sign.
_INT_RE = r"[+-]?[0-9]+"
_DATE_RE = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
_CALENDAR_DATE_RE = (
    r"([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{1,2}-[0-9]{1,2}"
)
_TIMESTAMP_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}.*)?"

LONG_NAME, LONG_VALUE = "__column", "__value"  # the long form of inference: (position, value)
LONG_LIST = "__values"
# `trim` removes the Unicode space separators: ' ' and code points from U+00A0 on. So
# blank text is '' or starts with one of them: it sorts before '!' or from U+00A0.
_BLANK_BEFORE, _BLANK_FROM = "!", "\u00a0"

# Dates and instants the lake takes: from year 1 up to, not including, year 10000.
_FIRST_DAY, _PAST_LAST, _ITEM = "0001-01-01", "10000-01-01", "__instant"

# Candidate types for a new text column, most specific first; text always fits.
INFERENCE_ORDER = ("BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "VARCHAR[]")


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


@functools.cache
def _parsed_type(duckdb_type: str) -> exp.DataType:
    return exp.DataType.build(duckdb_type, dialect="duckdb")


def _dtype(duckdb_type: str) -> exp.DataType:
    # Parsed once per type: a wide file asks for the same few types thousands of times.
    return _parsed_type(duckdb_type).copy()


def _cast(value: exp.Expr, duckdb_type: str) -> exp.Expr:
    return exp.Cast(this=value, to=_dtype(duckdb_type))


def _try_cast(value: exp.Expr, duckdb_type: str) -> exp.Expr:
    return exp.TryCast(this=value, to=_dtype(duckdb_type))


def _matches(value: exp.Expr, pattern: str) -> exp.Expr:
    return _fn("regexp_full_match", value, exp.Literal.string(pattern))


def _when(condition: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=condition, true=value)])


def _iso(text: exp.Expr, pattern: str) -> exp.Expr:
    """The text where all of it matches `pattern`, else '' (which no cast takes): a filter
    without a conditional expression."""
    return _fn("regexp_extract", text, exp.Literal.string(f"^(?:{pattern})$"))


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
    return blank(column, raw_text(column))


def blank(column: SourceColumn, raw: exp.Expr) -> exp.Expr:
    """`is_blank` of the column, in terms of its original text `raw` (as `raw_text` gives it)."""
    if _typed_not_text(column):  # its text is NULL where it is, and never blank otherwise
        return raw.is_(exp.null())
    # The text named once (see in_calendar): NULL and blank are both ''.
    trimmed = exp.Coalesce(this=_fn("trim", raw), expressions=[exp.Literal.string("")])
    return exp.EQ(this=trimmed, expression=exp.Literal.string(""))


def keeps_text(target: str) -> bool:
    """Whether `convert` to `target` is the value's original text itself (`raw_text`)."""
    return value_type_of(target) is ValueType.TEXT


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
    if always_fits(column, target):
        return None
    if _typed_not_text(column):
        present = exp.column(column.internal).is_(exp.null()).not_()
        return exp.and_(present, convert(column, target).is_(exp.null())), present.copy()
    condition = exp.and_(
        exp.Not(this=exp.Paren(this=is_blank(column))), convert(column, target).is_(exp.null())
    )
    return condition, condition.copy()


def always_fits(column: SourceColumn, target: str) -> bool:
    """Whether every present value of the column converts to `target` (`unfit` is None): the
    value as it is, or a conversion that never fails."""
    source = column.duckdb_type
    timely = value_type_of(target) in (ValueType.DATE, ValueType.TIMESTAMP)
    return (
        column.flavour is Flavour.TYPED
        and not timely  # a typed date or instant may still be infinite
        and (source == target or (_zoned(source) and value_type_of(target) is ValueType.TIMESTAMP))
    )


def _zoned(duckdb_type: str) -> bool:
    return "TIME ZONE" in duckdb_type.upper() or duckdb_type.upper().startswith("TIMESTAMPTZ")


def raw_text(column: SourceColumn) -> exp.Expr:
    """The value as text: what the rejects file shows and what text parsing starts from."""
    ref = exp.column(column.internal)
    if column.flavour is Flavour.JSON:
        return _fn("json_extract_string", ref, exp.Literal.string("$"))
    if value_type_of(column.duckdb_type) is ValueType.TEXT:
        return ref
    return _cast(ref, "VARCHAR")


def parse_text(text: exp.Expr, target: str) -> exp.Expr:
    """Text to a lake type; NULL where the text does not fit (the caller rejects those)."""
    vt = value_type_of(target)
    trimmed = _fn("trim", text)
    if vt is ValueType.TEXT:
        return text
    if vt is ValueType.INTEGER:
        # The text where it is an integer, else '' (which no cast takes): no CASE, whose
        # binding in DuckDB grows faster than a wide file's number of columns.
        return _try_cast(_iso(trimmed, _INT_RE), target)
    if vt is ValueType.DATE:
        # A year of four digits other than 0000 is always within the calendar.
        return _try_cast(_iso(trimmed, _CALENDAR_DATE_RE), target)
    if vt is ValueType.TIMESTAMP:
        # The work connection runs in UTC, so text without an offset is read as UTC. Only
        # ISO text: DuckDB would also read 'epoch' and 'infinity' as instants. An offset
        # can still move year 1 or 9999 out of the calendar.
        instant = _utc(_try_cast(_iso(trimmed, _TIMESTAMP_RE), "TIMESTAMPTZ"))
        return in_calendar(instant, target)
    if vt is ValueType.TEXT_LIST:
        # A JSON value that is not an array casts to NULL.
        return _try_cast(_try_cast(trimmed, "JSON"), target)
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


def in_calendar(value: exp.Expr, target: str) -> exp.Expr:
    """A date or instant (of type `target`), NULL unless finite and within years 1 to 9999:
    infinities and year 294247 are DuckDB's, not a calendar's, and no other reader of the
    lake takes them.

    The value is named once, kept by a filter of a one-element list: an expression that
    names a column twice (a CASE, NULLIF, or `isfinite(v) AND year(v) ...`) costs DuckDB's
    binder time that grows with the square of a wide select's columns."""
    item = exp.to_identifier(_ITEM)
    inside = exp.and_(
        exp.GTE(this=exp.column(_ITEM), expression=_cast(exp.Literal.string(_FIRST_DAY), target)),
        exp.LT(this=exp.column(_ITEM), expression=_cast(exp.Literal.string(_PAST_LAST), target)),
    )
    kept = _fn(
        "list_filter", exp.Array(expressions=[value]), exp.Lambda(this=inside, expressions=[item])
    )
    return exp.Bracket(this=kept, expressions=[exp.Literal.number(1)], offset=1)


def convert(column: SourceColumn, target: str) -> exp.Expr:
    """The column's values in the lake type `target` (NULL where a value does not fit)."""
    if value_type_of(target) in (ValueType.DATE, ValueType.TIMESTAMP) and (
        column.flavour is Flavour.TYPED
    ):
        return in_calendar(_convert(column, target), target)
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
        return _utc(_cast(ref, "TIMESTAMPTZ"))
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
    # The values as one list per row, then unnested with their positions: an unnest of a
    # list built in the same select list costs DuckDB time per column per row.
    values = exp.select(
        exp.alias_(exp.Array(expressions=[exp.column(c.internal) for c in wanted]), LONG_LIST)
    ).from_(source.table, copy=False)
    long = exp.select(
        exp.alias_(
            exp.func("generate_subscripts", exp.column(LONG_LIST), exp.Literal.number(1)),
            LONG_NAME,
        ),
        exp.alias_(exp.Unnest(expressions=[exp.column(LONG_LIST)]), LONG_VALUE),
    ).from_(values.subquery("wide", copy=False), copy=False)
    query = (
        exp.select(*aggregates, copy=False)
        .from_(long.subquery("long", copy=False), copy=False)
        .group_by(exp.column(LONG_NAME), copy=False)
    )
    rows = con.sql(query.sql("duckdb")).fetchall()
    # A column with no value at all has no row: nothing votes against any type.
    flags = {c.internal: (0, set(INFERENCE_ORDER)) for c in wanted}
    for position, count, *fits in rows:
        flags[wanted[int(position) - 1].internal] = (
            int(count),
            {t for t, ok in zip(INFERENCE_ORDER, fits, strict=True) if ok},
        )
    return flags
