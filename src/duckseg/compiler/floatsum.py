"""Float sums that do not depend on the order rows are read in (docs/language.md), on DuckDB.

DuckDB's FSUM over the rows as they come is not order-independent: it gives
2000.0000000000002 for 858.34 + 1141.66 in one order and 2000.0 in the other, and
which one a contact gets depends on the plan and the thread count (a `build --all`
and a single build disagreed on a member). Fed its values in a fixed order it is,
but an ordered aggregate costs several times a plain one (benchmarks/RESULTS.md).

So a float sum is exact instead: every double whose magnitude is below 2^32 and
whose lowest bit is at least 2^-64 (every value from 2^-12 up, cents included) is
a whole number of 2^-64 units (below 2^96), which a 128-bit integer holds and sums
exactly in any order; it would take 2^31 such values near 2^32 in one contact's
group to overflow it, which DuckDB reports as an error rather than wrapping. The
exact total is rounded once to the nearest double: Python's math.fsum, the
reference evaluator's sum, gives the same. Values outside that range (NaN,
infinities, huge or tiny ones) are summed with FSUM fed largest first, ties by
sign, so that part too is a function of the values alone; where a group has both
kinds, the two totals are added (rounding once more, the same way every time).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

SCALE_BITS = 64  # fixed-point unit: 2^-64
MAX_MAGNITUDE = 2.0**32

# `filtered(aggregate name, argument, condition)`: the builder's aggregate with a FILTER.
Filtered = Callable[[str, exp.Expr, exp.Expr | None], exp.Expr]


def with_filter(name: str, arg: exp.Expr, condition: exp.Expr | None) -> exp.Expr:
    """`name(arg) FILTER (WHERE condition)`, a `Filtered` for DuckDB."""
    aggregate = exp.func(name, arg)
    if condition is None:
        return aggregate
    return exp.Filter(this=aggregate, expression=exp.Where(this=condition))


def _double(value: float) -> exp.Expr:
    # repr() is the shortest text that reads back as exactly this double.
    return exp.cast(exp.Literal.number(repr(value)), exp.DataType.Type.DOUBLE)


def largest_first(value: exp.Expr) -> exp.Expr:
    """`value ORDER BY ABS(value) DESC, value DESC`: an aggregate's argument fed from the
    largest magnitude down, ties by sign, so the order is a function of the values alone
    (fed so, FSUM agreed with math.fsum on 20,000 random groups of mixed signs and
    magnitudes; in ascending order it missed on 8% of them)."""
    magnitude = exp.Ordered(this=exp.Abs(this=value.copy()), desc=True)
    return exp.Order(this=value, expressions=[magnitude, exp.Ordered(this=value.copy(), desc=True)])


def exact_float_sum(value: exp.Expr, where: exp.Expr | None, filtered: Filtered) -> exp.Expr:
    """The sum of a DOUBLE column over the rows where `where` holds; 0 where no row has a
    value, as docs/language.md defines a sum over nothing (an average divides by the count).

    The exact total is a HUGEINT of 2^-64 units, rounded to a double through its decimal
    text, which DuckDB reads back correctly rounded; its own HUGEINT to DOUBLE cast
    rounds twice and missed on 1.7% of random 128-bit values.
    """
    scaled = exp.Mul(this=value.copy(), expression=_double(2.0**SCALE_BITS))
    in_range = exp.and_(
        exp.LT(this=exp.Abs(this=value.copy()), expression=_double(MAX_MAGNITUDE)),
        exp.EQ(this=exp.Floor(this=scaled.copy()), expression=scaled.copy()),
        copy=False,
    )
    out_of_range = exp.Not(this=exp.paren(in_range.copy()))

    def also(condition: exp.Expr) -> exp.Expr:
        return exp.and_(exp.paren(where.copy()), condition, copy=False) if where else condition

    # TRY_CAST: the argument is computed for every row and the FILTER applied after.
    units = filtered(
        "SUM", exp.TryCast(this=scaled, to=exp.DataType.build("HUGEINT")), also(in_range)
    )
    exact = exp.Mul(
        this=exp.cast(exp.cast(units, exp.DataType.Type.VARCHAR), exp.DataType.Type.DOUBLE),
        expression=_double(2.0**-SCALE_BITS),
    )
    rest = filtered("FSUM", largest_first(value.copy()), also(out_of_range))
    zero = exp.Literal.number(0)
    both = exp.Add(
        this=exp.func("COALESCE", exact, zero), expression=exp.func("COALESCE", rest, zero.copy())
    )
    return exp.paren(both)  # sqlglot writes no parentheses of its own: (a + b) / n
