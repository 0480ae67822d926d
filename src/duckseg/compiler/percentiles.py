"""Percentiles in SQL: one pass over the contacts ranks every value a build ranks.

`top_percent P` holds for a contact with value v when fewer than P% of the
population (every contact with a value: missing and NaN left out) has a value
greater than v (docs/language.md, "Percentiles"). The pass computes, per
contact and ranked value, that count (RANK() - 1 within the population, so ties
share it) and the population's size; the test is then exact integer arithmetic,
`100 * 10^d * count < (P * 10^d) * N`, never a float product like 0.28 * 275.

The population is everyone, whatever else a segment asks: the ranks are
computed over all contacts before any condition filters them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from duckseg.compiler.dialects import DialectSettings
from duckseg.lang import ir
from duckseg.types import ValueType

RANKS = "contact_ranks"
KEY = "contact_id"


@dataclass(frozen=True)
class Ranking:
    """One value (an attribute or a trait) ranked from the top or from the bottom."""

    column: ir.Column
    top: bool


class RankPlan:
    """Names a column per ranking (r0, r1, ...) and per ranked value's population (n0, ...)."""

    def __init__(self) -> None:
        self.ranks: dict[Ranking, str] = {}
        self.sizes: dict[ir.Column, str] = {}

    def names(self, node: ir.ValueTest) -> tuple[str, str]:
        """(rank column, size column) for a percentile test."""
        ranking = Ranking(node.column, node.op is ir.Op.TOP_PERCENT)
        if ranking not in self.ranks:
            self.ranks[ranking] = f"r{len(self.ranks)}"
        if node.column not in self.sizes:
            self.sizes[node.column] = f"n{len(self.sizes)}"
        return self.ranks[ranking], self.sizes[node.column]

    def collect(self, node: ir.Node) -> None:
        for part in ir.walk(node):
            if isinstance(part, ir.ValueTest) and part.op in ir.PERCENT_OPS:
                self.names(part)

    def __bool__(self) -> bool:
        return bool(self.ranks)


def _column(name: str) -> exp.Column:
    return exp.column(name, table=RANKS, quoted=True)


def percentile_test(node: ir.ValueTest, plan: RankPlan) -> exp.Expr:
    """Whether the contact is in the top / bottom P%: two-valued, false outside the
    population."""
    rank, size = plan.names(node)
    percent = node.values[0]
    if not isinstance(percent, Decimal):
        raise TypeError(f"not a percentage: {percent!r}")
    numerator, denominator = percent.as_integer_ratio()
    count = _column(rank)
    left = exp.Mul(this=exp.Literal.number(100 * denominator), expression=count)
    right = exp.Mul(this=exp.Literal.number(numerator), expression=_column(size))
    present = exp.Not(this=exp.Is(this=count.copy(), expression=exp.null()))
    return exp.and_(present, exp.LT(this=left, expression=right), copy=False)


def ranks_query(
    plan: RankPlan,
    source: exp.Select,
    value_of: Callable[[ir.Column], exp.Expr],
    settings: DialectSettings,
) -> exp.Select:
    """Per contact of `source` (every contact, joined to the facts when a trait is
    ranked), each ranking's count of values beyond its own and each population's size."""
    columns: list[exp.Expr] = []
    for ranking, name in plan.ranks.items():
        value = value_of(ranking.column)
        present = _in_population(value, ranking.column.type, settings)
        order = exp.Ordered(this=value.copy(), desc=ranking.top, nulls_first=False)
        window = exp.Window(
            this=exp.func("RANK"),
            partition_by=[exp.paren(present.copy())],
            order=exp.Order(expressions=[order]),
        )
        beyond = exp.Sub(this=window, expression=exp.Literal.number(1))
        counted = exp.Case(ifs=[exp.If(this=present, true=beyond)])
        columns.append(exp.alias_(counted, name, quoted=True))
    for col, name in plan.sizes.items():
        value = value_of(col)
        member = exp.Case(
            ifs=[exp.If(this=_in_population(value, col.type, settings), true=exp.Literal.number(1))]
        )
        size = exp.Window(this=exp.Count(this=member))
        columns.append(exp.alias_(size, name, quoted=True))
    query = source.select(*columns, copy=False)
    query.add_comments([" per contact, its place among every contact's value (percentiles) "])
    return query


def _in_population(value: exp.Expr, vtype: ValueType, settings: DialectSettings) -> exp.Expr:
    """A value is ranked when present, and for floats also not NaN."""
    present = exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))
    if vtype is not ValueType.FLOAT:
        return present
    nan: exp.Expr = exp.IsNan(this=value.copy())
    if settings.nan_equals_nan:
        nan = exp.EQ(this=value.copy(), expression=exp.cast(exp.Literal.string("NaN"), "DOUBLE"))
    return exp.and_(present, exp.Not(this=nan), copy=False)
