"""Event facts: the per-contact aggregates that event conditions need.

Every event condition is answered from one aggregate column computed in a
single pass over the events (COUNT/SUM/MIN/... with a FILTER per condition).
Identical facts, within one segment or across the segments of one build,
share a column: that is how `build --all` scans the events once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from duckseg.compiler.lifecycle import period_filters
from duckseg.lang import ir
from duckseg.lang.describe import describe_filter


class Measure(enum.Enum):
    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    COUNT_DISTINCT = "count_distinct"
    FIRST_TS = "first_ts"
    LAST_TS = "last_ts"
    # A property's value on the first / last event that has one (greatest value at a tie).
    FIRST_VALUE = "first_value"
    LAST_VALUE = "last_value"


AGG_MEASURE = {
    ir.AggFn.SUM: Measure.SUM,
    ir.AggFn.AVG: Measure.AVG,
    ir.AggFn.MIN: Measure.MIN,
    ir.AggFn.MAX: Measure.MAX,
    ir.AggFn.COUNT_DISTINCT: Measure.COUNT_DISTINCT,
}


# What a trait's value is, as a fact (docs/language.md, "Traits").
TRAIT_MEASURE = {
    ir.TraitFn.COUNT: Measure.COUNT,
    ir.TraitFn.SUM: Measure.SUM,
    ir.TraitFn.AVG: Measure.AVG,
    ir.TraitFn.MIN: Measure.MIN,
    ir.TraitFn.MAX: Measure.MAX,
    ir.TraitFn.COUNT_DISTINCT: Measure.COUNT_DISTINCT,
    ir.TraitFn.FIRST_TIME: Measure.FIRST_TS,
    ir.TraitFn.LAST_TIME: Measure.LAST_TS,
    ir.TraitFn.FIRST_VALUE: Measure.FIRST_VALUE,
    ir.TraitFn.LAST_VALUE: Measure.LAST_VALUE,
}


@dataclass(frozen=True)
class Fact:
    """One aggregate over the qualifying events of a contact."""

    measure: Measure
    filter: ir.EventFilter
    column: ir.Column | None = None  # the property aggregated (SUM, AVG, ...)


class FactPlan:
    """Assigns each distinct fact a column name (f0, f1, ...), in first-seen order."""

    def __init__(self) -> None:
        self.columns: dict[Fact, str] = {}

    def column_for(self, fact: Fact) -> str:
        if fact not in self.columns:
            self.columns[fact] = f"f{len(self.columns)}"
        return self.columns[fact]

    def collect(self, node: ir.Node) -> None:
        """Register every fact a (lowered) tree needs."""
        for part in ir.walk(node):
            for fact in facts_of(part):
                self.column_for(fact)

    def __bool__(self) -> bool:
        return bool(self.columns)


def trait_fact(trait: ir.Trait) -> Fact:
    """A trait is one more fact of the shared pass: a count or sum that an event condition
    also needs is the same column."""
    return Fact(TRAIT_MEASURE[trait.fn], trait.filter, trait.prop)


def facts_of(node: ir.Node) -> list[Fact]:
    match node:
        case ir.ValueTest(ir.Column(trait=ir.Trait() as trait)):
            return [trait_fact(trait)]
        case ir.EventTest(flt, _, agg):
            facts = [Fact(Measure.COUNT, flt)]
            if agg is not None:
                facts.append(Fact(AGG_MEASURE[agg.fn], flt, agg.column))
            return facts
        case ir.EventTimeTest(flt, which, _):
            measure = Measure.FIRST_TS if which is ir.Which.FIRST else Measure.LAST_TS
            return [Fact(measure, flt)]
        case ir.RegularTest():
            return [Fact(Measure.COUNT, flt) for flt in period_filters(node)]
        case _:
            return []


def describe_fact(fact: Fact) -> str:
    what = fact.measure.value.replace("_", " ")
    prop = f" of {fact.column.name}" if fact.column is not None else ""
    return f"{what}{prop}: {describe_filter(fact.filter)}"
