"""Traits in SQL: a trait is a fact of the shared events pass, read like an attribute.

A trait's value is its fact column (compiler/facts.py: `trait_fact`), so traits
cost no scan of their own: a build computes them in the same GROUP BY as every
event condition. Here: how the value reads from that column (a count or a sum
over nothing is 0, docs/language.md "Traits"), and the aggregate behind
first_value / last_value.
"""

from __future__ import annotations

from sqlglot import exp

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
    timestamp_type: exp.DType,
) -> exp.Expr:
    """`prop` on the latest (`last`) or earliest qualifying event where it is present; at
    one instant the greatest value wins, for both.

    One aggregate, so the value comes out of the shared pass: the largest pair
    (key, value) where the key is the event's time in microseconds, negated for the
    earliest, and pairs compare field by field.
    """
    epoch = exp.cast(exp.Literal.string(EPOCH), timestamp_type)
    micros = exp.DateDiff(this=ts, expression=epoch, unit=exp.var("MICROSECOND"))
    key = micros if last else exp.Neg(this=exp.paren(micros))
    pair = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(KEY_FIELD), expression=key),
            exp.PropertyEQ(this=exp.to_identifier(VALUE_FIELD), expression=prop.copy()),
        ]
    )
    present = exp.Not(this=exp.Is(this=prop.copy(), expression=exp.null()))
    where = exp.and_(exp.paren(cond), present, copy=False) if cond is not None else present
    largest = filtered("MAX", pair, where)
    return exp.Dot(this=exp.paren(largest), expression=exp.to_identifier(VALUE_FIELD))
