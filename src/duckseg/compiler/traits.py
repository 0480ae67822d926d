"""Traits in SQL: a trait is a fact of the shared events pass, read like an attribute.

A trait's value is its fact column (compiler/facts.py: `trait_fact`), so traits
cost no scan of their own: a build computes them in the same GROUP BY as every
event condition. Here: how the value reads from that column (a count or a sum
over nothing is 0, docs/language.md "Traits"), and the aggregate behind
first_value / last_value.
"""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from duckseg.compiler.dialects import DialectSettings
from duckseg.compiler.floatsum import Filtered
from duckseg.lang import ir

# Field names of the (instant, value) pairs that first_value / last_value take the largest of.
KEY_FIELD = "k"
VALUE_FIELD = "v"
EPOCH = "1970-01-01 00:00:00"


def trait_value(fact: exp.Expr, trait: ir.Trait) -> exp.Expr:
    """The trait's value from its fact column: missing for a contact without qualifying
    events, except that a count, a sum and a count of distinct values are then 0."""
    if trait.fn in ir.TRAIT_FNS_ZERO_WHEN_EMPTY:
        return exp.func("COALESCE", fact, exp.Literal.number(0))
    return fact


def edge_value(
    prop: exp.Expr,
    ts: exp.Expr,
    cond: exp.Expr | None,
    *,
    last: bool,
    filtered: Filtered,
    settings: DialectSettings,
) -> exp.Expr:
    """`prop` on the latest (`last`) or earliest qualifying event where it is present; at
    one instant the greatest value wins, for both.

    One aggregate, so the value comes out of the shared pass: where pairs compare field
    by field (DuckDB, Spark), the largest pair (key, value) whose key is the event's time
    (for the earliest, minus its microseconds since 1970); elsewhere the first element of the
    values ordered by time, then value from the greatest.
    """
    present = exp.Not(this=exp.Is(this=prop.copy(), expression=exp.null()))
    where = exp.and_(exp.paren(cond), present, copy=False) if cond is not None else present
    if not settings.orderable_structs:
        # Neither is ever NULL here; NULLS FIRST for ascending is every warehouse's default.
        by_time = exp.Ordered(this=ts.copy(), desc=last, nulls_first=not last)
        by_value = exp.Ordered(this=prop.copy(), desc=True, nulls_first=False)
        ordered = exp.ArrayAgg(this=exp.Order(this=prop.copy(), expressions=[by_time, by_value]))
        values = exp.Filter(this=ordered, expression=exp.Where(this=where))
        first = exp.Literal.number(1)
        return exp.Bracket(this=exp.paren(values), expressions=[first], offset=1, safe=True)
    key: exp.Expr = ts.copy()
    if not last:  # the earliest time is the largest key: minus its microseconds since 1970
        epoch = exp.cast(exp.Literal.string(EPOCH), settings.timestamp_type)
        micros = exp.DateDiff(this=ts.copy(), expression=epoch, unit=exp.var("MICROSECOND"))
        key = exp.Neg(this=exp.paren(micros))
    pair = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(KEY_FIELD), expression=key),
            exp.PropertyEQ(this=exp.to_identifier(VALUE_FIELD), expression=prop.copy()),
        ]
    )
    largest = filtered("MAX", pair, where)
    return exp.Dot(this=exp.paren(largest), expression=exp.to_identifier(VALUE_FIELD))


def holds_without_events(node: ir.ValueTest) -> bool | None:
    """Whether a trait test holds for a contact without qualifying events, whose value is
    then 0 (count, sum, count_distinct) or missing; None where that depends on others (a
    percentile depends on everyone's values)."""
    trait = node.column.trait
    if trait is None or node.op in ir.PERCENT_OPS:
        # A percentile reads everyone's value: its facts are never cut to the candidates.
        return None
    if trait.fn not in ir.TRAIT_FNS_ZERO_WHEN_EMPTY:
        return node.op in ir.NEGATIVE_OPS  # missing: only the negative ops match it
    numbers = [v for v in node.values if isinstance(v, int | float | Decimal)]
    match node.op:
        case ir.Op.IS:
            return 0 in numbers
        case ir.Op.IS_NOT:
            return 0 not in numbers
        case ir.Op.IS_SET:
            return True
        case ir.Op.IS_NOT_SET:
            return False
        case ir.Op.GT:
            return numbers[0] < 0
        case ir.Op.GTE:
            return numbers[0] <= 0
        case ir.Op.LT:
            return numbers[0] > 0
        case ir.Op.LTE:
            return numbers[0] >= 0
        case ir.Op.BETWEEN:
            return numbers[0] <= 0 <= numbers[1]
        case _:
            return None
