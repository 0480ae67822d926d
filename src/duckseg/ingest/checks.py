"""What makes a row of a landing's input bad, and the typed table that says so.

`typed_select` turns a source `src_<i>` into `typed_<i>` in two layers: the
inner one converts every value once (`k<n>`, and its original text `rk<n>`
where that differs); the outer one tests the converted values with the
source's checks (`__bad`, `__reason`, `__reason_key`). A check is a plain
test of one converted column (is it NULL where its text was not blank?), so
a conversion is never repeated per check, and a wide file costs the same few
expressions per column in one statement (docs/operations.md, "Wide files").

A check can also be asked of the source itself (`condition`): a Parquet file
is read where it is, and checks no row fails are dropped before its rows
stream (`first_failure`, `failing_checks`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import assert_never

from sqlglot import exp

from duckseg.ingest.plan import Column, Plan, raw_key
from duckseg.ingest.readers import Flavour, Source, SourceColumn
from duckseg.ingest.values import (
    always_fits,
    blank,
    blank_scan_filter,
    convert,
    is_blank,
    keeps_text,
    raw_text,
    type_words,
    unfit,
)
from duckseg.types import ValueType, value_type_of

SHOWN_VALUE_CHARS = 80
SHOWN_ID_CHARS = 40
CANONICAL_INT = r"-?(0|[1-9][0-9]*)"
TYPED_VALUES = "typed_values"  # the inner layer of a typed table
FLAGS = "__flags"  # the middle layer's list: which checks a row fails


class Problem(enum.Enum):
    MISSING = "missing"  # a required value is blank
    UNFIT = "unfit"  # a value does not convert to its lake type
    ODD_ID = "odd_id"  # an integer contact_id not written canonically


@dataclass(frozen=True)
class Check:
    """One way a row of a source can be bad: a problem of one of its columns."""

    column: Column
    source_column: SourceColumn
    problem: Problem

    @property
    def key(self) -> str:
        """The reason as the report counts it."""
        name = self.column.name
        if self.problem is Problem.MISSING:
            return f"{name}: missing"
        if self.problem is Problem.UNFIT:
            return f"{name}: not {type_words(self.column.type)}"
        if self.problem is Problem.ODD_ID:
            return f"{name}: not an integer id as written"
        assert_never(self.problem)

    def condition(self) -> exp.Expr:
        """True for a bad row, in terms of the source's own columns."""
        sc = self.source_column
        if self.problem is Problem.MISSING:
            return is_blank(sc)
        if self.problem is Problem.UNFIT:
            found = unfit(sc, self.column.type)
            return found[0] if found is not None else exp.false()
        if self.problem is Problem.ODD_ID:
            return _odd_id(raw_text(sc))
        assert_never(self.problem)

    def scan_filter(self) -> exp.Expr:
        """Implied by `condition`; the Parquet reader skips row groups on it."""
        sc = self.source_column
        if self.problem is Problem.MISSING:
            return blank_scan_filter(sc)
        if self.problem is Problem.UNFIT:
            found = unfit(sc, self.column.type)
            return found[1] if found is not None else exp.false()
        if self.problem is Problem.ODD_ID:
            return _odd_id(raw_text(sc))
        assert_never(self.problem)

    def typed_flag(self) -> exp.Expr:
        """True for a bad row (never NULL), in terms of the converted value and its text."""
        raw = _raw_ref(self.column)
        if self.problem is Problem.MISSING:
            condition = blank(self.source_column, raw)
        elif self.problem is Problem.UNFIT:
            # What `unfit` says of the source: a value that is there but did not convert.
            there = exp.Not(this=exp.paren(blank(self.source_column, raw)))
            null = exp.Is(this=exp.column(self.column.key), expression=exp.null())
            condition = exp.And(this=there, expression=null)
        elif self.problem is Problem.ODD_ID:
            condition = _odd_id(raw)
        else:
            assert_never(self.problem)
        return exp.Coalesce(this=condition, expressions=[exp.false()])

    def message(self) -> exp.Expr:
        """The reason as the rejects file shows it, from the typed table's columns."""
        name = self.column.name
        if self.problem is Problem.MISSING:
            return _lit(f"{name}: missing")
        raw = _raw_ref(self.column)
        if self.problem is Problem.UNFIT:
            words = type_words(self.column.type)
            return _concat(
                _lit(f"{name}: cannot parse '"),
                _left(raw, SHOWN_VALUE_CHARS),
                _lit(f"' as {words}"),
            )
        if self.problem is Problem.ODD_ID:
            return _concat(
                _lit("contact_id: '"),
                _left(raw, SHOWN_ID_CHARS),
                _lit("' is not an integer id as written (no sign, spaces or leading zeros)"),
            )
        assert_never(self.problem)


def checks(source: Source, plan: Plan) -> list[Check]:
    """What can make a row of `source` bad: a missing required value, a value that does
    not fit its lake type; in column order."""
    found: list[Check] = []
    for column in plan.columns:
        sc = plan.mapping[source.index].get(column.key)
        if sc is None:
            continue
        if column.key in plan.required:
            found.append(Check(column, sc, Problem.MISSING))
        if not keeps_text(column.type) and not always_fits(sc, column.type):
            found.append(Check(column, sc, Problem.UNFIT))
        if column.name == "contact_id" and value_type_of(column.type) is ValueType.INTEGER:
            typed_int = (
                sc.flavour is Flavour.TYPED and value_type_of(sc.duckdb_type) is ValueType.INTEGER
            )
            # In an integer lake "007", "+7" and " 7 " would all be contact 7: only the
            # canonical spelling of an id is taken.
            if not typed_int:
                found.append(Check(column, sc, Problem.ODD_ID))
    return found


def first_failure(source: Source, check: Check) -> exp.Select:
    """A row of `source` that `check` finds bad, if there is one. On a Parquet file the
    scan filter lets the reader skip every row group whose statistics rule it out."""
    return (
        exp.select(exp.Literal.number(1))
        .from_(source.table)
        .where(exp.and_(exp.paren(check.scan_filter()), exp.paren(check.condition())))
        .limit(1)
    )


def failing_checks(source: Source, plan: Plan, found: Sequence[Check]) -> exp.Select:
    """The positions in `found` of the checks that some row of `source` fails: one scan of
    the checked columns, their flags as one list (not an aggregate per check, which DuckDB
    binds in time that grows with their square)."""
    positions = exp.Array(expressions=[exp.Literal.number(n) for n in range(len(found))])
    failing = exp.Anonymous(this="list_where", expressions=[positions, exp.column(FLAGS)])
    checked = {c.column.key for c in found}
    return (
        exp.select(exp.alias_(exp.Unnest(expressions=[failing]), "n"), copy=False)
        .distinct()
        .from_(_flagged(source, plan, found, checked).subquery("flagged", copy=False), copy=False)
    )


def typed_select(source: Source, plan: Plan, found: Sequence[Check]) -> exp.Select:
    """One source's rows in lake types, with their original text and what is wrong with them
    (the checks `found` for it)."""
    if not found:
        no_text = exp.cast(exp.null(), "VARCHAR")
        return _values(source, plan).select(
            exp.alias_(exp.false(), "__bad"),
            exp.alias_(no_text, "__reason"),
            exp.alias_(no_text.copy(), "__reason_key"),
            copy=False,
        )
    # `__bad` and the first reason's key read the row's flags; the reason text is only
    # built for bad rows. Lists, not a CASE per check: DuckDB binds a select list of CASEs
    # in time that grows faster than the number of checks.
    bad = exp.func("list_contains", exp.column(FLAGS), exp.true())
    messages = exp.Array(expressions=[c.message() for c in found])
    listed = exp.Anonymous(this="list_where", expressions=[messages, exp.column(FLAGS)])
    reasons = exp.Anonymous(this="array_to_string", expressions=[listed, _lit("; ")])
    first = exp.Anonymous(this="list_position", expressions=[exp.column(FLAGS), exp.true()])
    keys = exp.Array(expressions=[_lit(c.key) for c in found])
    return exp.select(
        exp.Star(except_=[exp.column(FLAGS)]),
        exp.alias_(bad, "__bad", copy=False),
        exp.alias_(exp.Case(ifs=[exp.If(this=bad.copy(), true=reasons)]), "__reason", copy=False),
        exp.alias_(
            exp.Anonymous(this="list_extract", expressions=[keys, first]),
            "__reason_key",
            copy=False,
        ),
        copy=False,
    ).from_(_flagged(source, plan, found).subquery("flagged", copy=False), copy=False)


def _values(source: Source, plan: Plan, only: set[str] | None = None) -> exp.Select:
    """The inner layer: `__row`, and each column's value converted once (`k<n>`) with its
    original text (`rk<n>`) where that differs; `only` these column keys, if given."""
    values: list[exp.Expr] = [
        exp.alias_(
            exp.Add(this=source.row_number.copy(), expression=exp.Literal.number(1)), "__row"
        )
    ]
    for column in plan.columns:
        sc = plan.mapping[source.index].get(column.key)
        if sc is not None and (only is None or column.key in only):
            values.append(exp.alias_(convert(sc, column.type), column.key, copy=False))
            if not keeps_text(column.type):  # a text value is its own original text
                values.append(exp.alias_(raw_text(sc), raw_key(column), copy=False))
    return exp.select(*values, copy=False).from_(source.table, copy=False)


def _flagged(
    source: Source, plan: Plan, found: Sequence[Check], only: set[str] | None = None
) -> exp.Select:
    """The middle layer: the values, and each row's flags (one per check), built once."""
    flags = exp.Array(expressions=[c.typed_flag() for c in found])
    return exp.select(exp.Star(), exp.alias_(flags, FLAGS, copy=False), copy=False).from_(
        _values(source, plan, only).subquery(TYPED_VALUES, copy=False), copy=False
    )


def _raw_ref(column: Column) -> exp.Expr:
    """A typed table's original text of a column: the value itself where it is text."""
    return exp.column(column.key if keeps_text(column.type) else raw_key(column))


def _odd_id(raw: exp.Expr) -> exp.Expr:
    return exp.and_(
        exp.func("regexp_full_match", exp.func("trim", raw), _lit(r"[+-]?[0-9]+")),
        exp.Not(this=exp.func("regexp_full_match", raw.copy(), _lit(CANONICAL_INT))),
    )


def _lit(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def _left(text: exp.Expr, chars: int) -> exp.Expr:
    return exp.Anonymous(this="left", expressions=[text.copy(), exp.Literal.number(chars)])


def _concat(*parts: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="concat", expressions=list(parts))
