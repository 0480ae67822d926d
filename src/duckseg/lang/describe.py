"""Every condition in plain English: for preview, reports, manifests, SQL comments.

`describe(tree)` turns a typed condition tree into one sentence ("total_spent
is greater than 10000 and did not perform purchase in the last 90 days");
Each enum of the IR has a
wording table here, and every chain over an enum ends in `assert_never`, so an
operator added to the language without words is a type error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, assert_never

from duckseg.lang import ir
from duckseg.lang.time import (
    AbsoluteDate,
    AbsoluteInstant,
    Duration,
    Relative,
    iso,
)
from duckseg.types import ValueType

# The verb phrase of each attribute / property operator, for one value.
OP_WORDS: dict[ir.Op, str] = {
    ir.Op.IS: "is",
    ir.Op.IS_NOT: "is not",
    ir.Op.IS_SET: "is set",
    ir.Op.IS_NOT_SET: "is not set",
    ir.Op.CONTAINS: "contains",
    ir.Op.NOT_CONTAINS: "does not contain",
    ir.Op.STARTS_WITH: "starts with",
    ir.Op.ENDS_WITH: "ends with",
    ir.Op.MATCHES: "matches the pattern",
    ir.Op.GT: "is greater than",
    ir.Op.GTE: "is at least",
    ir.Op.LT: "is less than",
    ir.Op.LTE: "is at most",
    ir.Op.BETWEEN: "is between",
    ir.Op.BEFORE: "is before",
    ir.Op.AFTER: "is after",
    ir.Op.WITHIN_LAST: "is within the last",
    ir.Op.IS_TRUE: "is true",
    ir.Op.IS_FALSE: "is false",
    ir.Op.HAS: "has",
    ir.Op.HAS_ALL: "has all of",
    ir.Op.HAS_NONE: "does not have",
    ir.Op.TOP_PERCENT: "is in the top",
    ir.Op.BOTTOM_PERCENT: "is in the bottom",
}

# Comparisons of dates and timestamps read as time, not size.
TEMPORAL_OP_WORDS: dict[ir.Op, str] = {
    ir.Op.GT: "is after",
    ir.Op.GTE: "is on or after",
    ir.Op.LT: "is before",
    ir.Op.LTE: "is on or before",
}

# How many times an event was performed.
COMPARE_WORDS: dict[ir.CompareOp, str] = {
    ir.CompareOp.EQ: "exactly",
    ir.CompareOp.NEQ: "not exactly",
    ir.CompareOp.GT: "more than",
    ir.CompareOp.GTE: "at least",
    ir.CompareOp.LT: "fewer than",
    ir.CompareOp.LTE: "at most",
    ir.CompareOp.BETWEEN: "between",
}

# An aggregate of a property against a number ...
AMOUNT_WORDS: dict[ir.CompareOp, str] = {
    ir.CompareOp.EQ: "equal to",
    ir.CompareOp.NEQ: "other than",
    ir.CompareOp.GT: "greater than",
    ir.CompareOp.GTE: "at least",
    ir.CompareOp.LT: "less than",
    ir.CompareOp.LTE: "at most",
    ir.CompareOp.BETWEEN: "between",
}

# ... or against a time.
TIME_WORDS: dict[ir.CompareOp, str] = {
    ir.CompareOp.EQ: "at",
    ir.CompareOp.NEQ: "not at",
    ir.CompareOp.GT: "after",
    ir.CompareOp.GTE: "at or after",
    ir.CompareOp.LT: "before",
    ir.CompareOp.LTE: "at or before",
    ir.CompareOp.BETWEEN: "between",
}

AGG_WORDS: dict[ir.AggFn, str] = {
    ir.AggFn.SUM: "total",
    ir.AggFn.AVG: "average",
    ir.AggFn.MIN: "smallest",
    ir.AggFn.MAX: "largest",
    ir.AggFn.COUNT_DISTINCT: "number of distinct",
}


def show(value: Any) -> str:
    """A value as a sentence shows it: text quoted, times in ISO-8601 or words."""
    match value:
        case bool():
            return "true" if value else "false"
        case str():
            return f'"{value}"'
        case Relative(offset, sign):
            if offset is None:
                return "now"
            return f"{offset.words()} {'ago' if sign < 0 else 'from now'}"
        case AbsoluteDate() | AbsoluteInstant():
            return str(value)
        case datetime():
            return iso(value)
        case date():
            return value.isoformat()
        case Decimal() | int() | float():
            return str(value)
        case _:
            return str(value)


def _join(values: Sequence[Any], joiner: str) -> str:
    shown = [show(v) for v in values]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" {joiner} " + shown[-1]


def _neither(values: Sequence[Any], verb: str, one: str) -> str:
    """`is not "a"`, `is neither "a" nor "b"`, `is none of "a", "b" or "c"`."""
    if len(values) == 1:
        return f"{one} {show(values[0])}"
    if len(values) == 2:
        return f"{verb} neither {show(values[0])} nor {show(values[1])}"
    return f"{verb} none of {_join(values, 'or')}"


def describe_value_test(test: ir.ValueTest) -> str:
    name, op, values = test.column.name, test.op, test.values
    temporal = test.column.type.is_temporal
    phrase: str
    match op:
        case ir.Op.IS:
            phrase = (
                f"is {show(values[0])}" if len(values) == 1 else f"is one of {_join(values, 'or')}"
            )
        case ir.Op.IS_NOT:
            phrase = _neither(values, "is", "is not")
        case ir.Op.IS_SET | ir.Op.IS_NOT_SET | ir.Op.IS_TRUE | ir.Op.IS_FALSE:
            phrase = OP_WORDS[op]
        case (
            ir.Op.CONTAINS
            | ir.Op.NOT_CONTAINS
            | ir.Op.STARTS_WITH
            | ir.Op.ENDS_WITH
            | ir.Op.MATCHES
            | ir.Op.BEFORE
            | ir.Op.AFTER
        ):
            phrase = f"{OP_WORDS[op]} {show(values[0])}"
        case ir.Op.GT | ir.Op.GTE | ir.Op.LT | ir.Op.LTE:
            words = TEMPORAL_OP_WORDS[op] if temporal else OP_WORDS[op]
            phrase = f"{words} {show(values[0])}"
        case ir.Op.BETWEEN:
            phrase = f"{OP_WORDS[op]} {show(values[0])} and {show(values[1])}"
        case ir.Op.WITHIN_LAST:
            assert test.duration is not None
            phrase = f"{OP_WORDS[op]} {test.duration.words()}"
        case ir.Op.HAS:
            phrase = f"has {_join(values, 'or')}"
        case ir.Op.HAS_ALL:
            if len(values) == 1:
                phrase = f"has {show(values[0])}"
            elif len(values) == 2:
                phrase = f"has both {show(values[0])} and {show(values[1])}"
            else:
                phrase = f"{OP_WORDS[op]} {_join(values, 'and')}"
        case ir.Op.HAS_NONE:
            phrase = _neither(values, "has", OP_WORDS[op])
        case ir.Op.TOP_PERCENT | ir.Op.BOTTOM_PERCENT:
            # The population is every contact with a value (docs/language.md, "Percentiles").
            phrase = f"{OP_WORDS[op]} {show(values[0])}% of all contacts"
        case _:
            assert_never(op)
    text = f"{name} {phrase}"
    if test.column.type is ValueType.TEXT and op in ir.TEXT_FOLDING_OPS:
        default_sensitive = op in (ir.Op.IS, ir.Op.IS_NOT)
        if test.case_sensitive != default_sensitive:
            text += " (case-sensitive)" if test.case_sensitive else " (ignoring case)"
    if op in ir.NEGATIVE_OPS and op is not ir.Op.IS_NOT_SET:
        # docs/language.md: negative ops match a missing value; say so.
        text += f" (including no {name})"
    return text


def describe_trait(trait: ir.Trait) -> str:
    """What a trait computes: `total amount over purchase events in the last 365 days`."""
    events = f"{describe_events(trait.filter)} events"
    window = describe_window(trait.filter.window)
    prop = trait.prop.name if trait.prop is not None else ""
    match trait.fn:
        case ir.TraitFn.COUNT:
            text = f"number of {events}"
        case ir.TraitFn.SUM:
            text = f"total {prop} over {events}"
        case ir.TraitFn.AVG:
            text = f"average {prop} over {events}"
        case ir.TraitFn.MIN:
            text = f"smallest {prop} over {events}"
        case ir.TraitFn.MAX:
            text = f"largest {prop} over {events}"
        case ir.TraitFn.COUNT_DISTINCT:
            text = f"number of distinct {prop} values over {events}"
        case ir.TraitFn.FIRST_TIME:
            text = f"time of the first of {events}"
        case ir.TraitFn.LAST_TIME:
            text = f"time of the last of {events}"
        case ir.TraitFn.FIRST_VALUE:
            text = f"{prop} of the first of {events} that has one"
        case ir.TraitFn.LAST_VALUE:
            text = f"{prop} of the last of {events} that has one"
        case _:
            assert_never(trait.fn)
    return text + window


def describe_window(window: ir.Window | None) -> str:
    """The window as a phrase with a leading space ("" for all history up to as_of)."""
    match window:
        case None:
            return ""
        case ir.WindowLast(duration):
            return f" in the last {duration.words()}"
        case ir.WindowBetween(low, high):
            return f" between {show(low)} and {show(high)}"
        case ir.WindowBefore(at):
            return f" before {show(at)}"
        case ir.WindowAfter(at):
            return f" after {show(at)}"
        case ir.WindowSpan(since, until):
            if since is None:
                return f" before {_stretch(until)}"
            if since[:-1] == until:
                return f" in the {since[-1].words()} before {_stretch(until)}"
            return f" from {_offset(since)} ago to {_offset(until)} ago (not included)"
        case _:
            assert_never(window)


def describe_events(flt: ir.EventFilter) -> str:
    """The event names with their per-event condition: `purchase (where amount is ...)`."""
    names = " or ".join(flt.events)
    return f"{names} (where {describe(flt.where)})" if flt.where is not None else names


def describe_filter(flt: ir.EventFilter) -> str:
    return describe_events(flt) + describe_window(flt.window)


def _times(n: Any) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times") if isinstance(n, int) else f"{n} times"


def describe_count(cmp: ir.Compare) -> str:
    if cmp.op is ir.CompareOp.BETWEEN:
        return f"between {cmp.values[0]} and {cmp.values[1]} times"
    return f"{COMPARE_WORDS[cmp.op]} {_times(cmp.values[0])}"


def describe_aggregate(agg: ir.Aggregate) -> str:
    c = agg.compare
    words = TIME_WORDS if agg.column.type.is_temporal else AMOUNT_WORDS
    if c.op is ir.CompareOp.BETWEEN:
        bound = f"between {show(c.values[0])} and {show(c.values[1])}"
    else:
        bound = f"{words[c.op]} {show(c.values[0])}"
    return f"{AGG_WORDS[agg.fn]} {agg.column.name} {bound}"


def describe_event_test(test: ir.EventTest) -> str:
    cmp, flt = test.count, test.filter
    includes_zero = cmp.holds(0)
    only_zero = includes_zero and not cmp.holds(1) and cmp.op is not ir.CompareOp.NEQ
    at_least_once = (cmp.op is ir.CompareOp.GTE and cmp.values == (1,)) or (
        cmp.op is ir.CompareOp.GT and cmp.values == (0,)
    )
    if test.aggregate is None and only_zero:
        text = f"did not perform {describe_filter(flt)}"
    elif at_least_once:
        text = f"performed {describe_filter(flt)}"
    else:
        text = (
            f"performed {describe_events(flt)} {describe_count(cmp)}{describe_window(flt.window)}"
        )
        if includes_zero:
            text += " (including never)"
    if test.aggregate is not None:
        text += f", with {describe_aggregate(test.aggregate)}"
    return text


def describe_time_test(test: ir.EventTimeTest) -> str:
    match test.which:
        case ir.Which.FIRST:
            which = "first"
        case ir.Which.LAST:
            which = "last"
        case _:
            assert_never(test.which)
    when = describe_window(test.test)
    if isinstance(test.test, ir.WindowLast):
        when = f" within the last {test.test.duration.words()}"
    return f"{which} performed {describe_events(test.filter)}{when}"


# `not` of these reads as the other op: exact, since one matches a missing value and the
# other does not (docs/language.md).
COMPLEMENTS: dict[ir.Op, ir.Op] = {
    ir.Op.IS: ir.Op.IS_NOT,
    ir.Op.IS_NOT: ir.Op.IS,
    ir.Op.IS_SET: ir.Op.IS_NOT_SET,
    ir.Op.IS_NOT_SET: ir.Op.IS_SET,
    ir.Op.CONTAINS: ir.Op.NOT_CONTAINS,
    ir.Op.NOT_CONTAINS: ir.Op.CONTAINS,
    ir.Op.HAS: ir.Op.HAS_NONE,
    ir.Op.HAS_NONE: ir.Op.HAS,
}


def describe_not(child: ir.Node) -> str:
    match child:
        case ir.ValueTest(column, op) if op in COMPLEMENTS:
            return describe_value_test(
                ir.ValueTest(column, COMPLEMENTS[op], child.values, child.case_sensitive)
            )
        case ir.ValueTest(column, ir.Op.IS_TRUE | ir.Op.IS_FALSE as op):
            # false or missing / true or missing
            return f"{column.name} is not {'true' if op is ir.Op.IS_TRUE else 'false'}"
        case ir.SegmentRef(name, _) | ir.StaticMembers(name):
            return f"not in segment {name}"
        case ir.EventTest(flt, cmp, None) if cmp.op is ir.CompareOp.GTE and cmp.values == (1,):
            return f"did not perform {describe_filter(flt)}"
        case ir.EventTest(flt, cmp, None) if cmp.op is ir.CompareOp.EQ and cmp.values == (0,):
            return f"performed {describe_filter(flt)}"
        case ir.Not(inner):
            return describe(inner)
        case _:
            return f"not ({describe(child)})"


def describe(node: ir.Node) -> str:
    """One English sentence (with parentheses for nesting) for a condition tree."""
    match node:
        case ir.AllOf(kids):
            if not kids:
                return "everyone"
            return " and ".join(_nested(k) for k in kids)
        case ir.AnyOf(kids):
            return " or ".join(_nested(k) for k in kids)
        case ir.Not(child):
            return describe_not(child)
        case ir.ValueTest():
            return describe_value_test(node)
        case ir.EventTest():
            return describe_event_test(node)
        case ir.EventTimeTest():
            return describe_time_test(node)
        case ir.SegmentRef(name, _) | ir.StaticMembers(name):
            return f"in segment {name}"
        case ir.SequenceTest() | ir.RegularTest() | ir.StoppedTest() | ir.RestartedTest():
            return describe_pattern(node)
        case _:
            assert_never(node)


def _nested(node: ir.Node) -> str:
    text = describe(node)
    return f"({text})" if isinstance(node, ir.AllOf | ir.AnyOf) and len(node.children) > 1 else text


# -- sequences and lifecycle ---------------------------------------------------------


def _offset(chain: tuple[Duration, ...]) -> str:
    """`30 days`, or `30 days and 60 days` for (as_of - 30d) - 60d."""
    return " and ".join(d.words() for d in chain)


def _stretch(chain: tuple[Duration, ...]) -> str:
    """The stretch of time that ends at as_of and starts at as_of minus the chain:
    `the last 30 days`, `the 60 days before the last 30 days`."""
    if len(chain) == 1:
        return f"the last {chain[0].words()}"
    return f"the {chain[-1].words()} before {_stretch(chain[:-1])}"


def _periods(count: int, every: Duration) -> str:
    """`3 months`, `4 periods of 2 weeks`."""
    if every.amount == 1:
        return Duration(count, every.unit).words()
    return f"{count} periods of {every.words()}"


def describe_sequence(test: ir.SequenceTest) -> str:
    parts = []
    for index, step in enumerate(test.steps):
        text = describe_events(step.filter)
        if step.then_within is not None:
            text += f" within {step.then_within.words()}"
        parts.append(text if index == 0 else f"then {text}")
    window = describe_window(test.steps[0].filter.window)
    tail = f", all{window}" if window else ""
    return f"performed {', '.join(parts)}{tail}"


def describe_regular(test: ir.RegularTest) -> str:
    times = ir.Compare(ir.CompareOp.GTE, (test.times,))
    how_often = "" if test.times == 1 else f" {describe_count(times)}"
    periods = _periods(test.periods, test.every)
    if test.periods == 1:
        which = f"in the last {test.every.words()}"
    elif test.min_periods == test.periods:
        which = f"in each of the last {periods}"
    else:
        which = f"in at least {test.min_periods} of the last {periods}"
    return f"performed {describe_events(test.filter)}{how_often} {which}"


def describe_pattern(
    test: ir.SequenceTest | ir.RegularTest | ir.StoppedTest | ir.RestartedTest,
) -> str:
    match test:
        case ir.SequenceTest():
            return describe_sequence(test)
        case ir.RegularTest():
            return describe_regular(test)
        case ir.StoppedTest(flt, recent, prior):
            return (
                f"stopped performing {describe_events(flt)}: performed it in the "
                f"{prior.words()} before the last {recent.words()}, not since"
            )
        case ir.RestartedTest(flt, recent, gap):
            return (
                f"restarted performing {describe_events(flt)}: performed it in the last "
                f"{recent.words()}, not in the {gap.words()} before that, and before then"
            )
        case _:
            assert_never(test)
