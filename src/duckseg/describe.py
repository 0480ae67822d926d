"""Every condition in plain English: for preview, reports, manifests, SQL comments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, assert_never

from duckseg import ir
from duckseg.timewin import AbsoluteDate, AbsoluteInstant, Relative

if TYPE_CHECKING:
    from duckseg.compiler.facts import Fact

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
    ir.Op.HAS: "has any of",
    ir.Op.HAS_ALL: "has all of",
    ir.Op.HAS_NONE: "has none of",
}

COMPARE_WORDS: dict[ir.CompareOp, str] = {
    ir.CompareOp.EQ: "exactly",
    ir.CompareOp.NEQ: "other than",
    ir.CompareOp.GT: "more than",
    ir.CompareOp.GTE: "at least",
    ir.CompareOp.LT: "fewer than",
    ir.CompareOp.LTE: "at most",
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
        case _:
            return str(value)


def _values(values: tuple[Any, ...], joiner: str = "or") -> str:
    shown = [show(v) for v in values]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" {joiner} " + shown[-1]


def describe_value_test(test: ir.ValueTest) -> str:
    name, op = test.column.name, test.op
    words = OP_WORDS[op]
    if op in ir.UNARY_OPS:
        return f"{name} {words}"
    if op is ir.Op.WITHIN_LAST:
        assert test.duration is not None
        return f"{name} {words} {test.duration.words()}"
    if op is ir.Op.BETWEEN:
        return f"{name} {words} {show(test.values[0])} and {show(test.values[1])}"
    joiner = "and" if op is ir.Op.HAS_ALL else "or"
    if op is ir.Op.IS and len(test.values) > 1:
        words = "is one of"
    elif op is ir.Op.IS_NOT and len(test.values) > 1:
        words = "is none of"
        joiner = "or"
    text = f"{name} {words} {_values(test.values, joiner)}"
    if test.column.type.value == "text" and op in ir.TEXT_FOLDING_OPS:
        default_sensitive = op in (ir.Op.IS, ir.Op.IS_NOT)
        if test.case_sensitive != default_sensitive:
            text += " (case-sensitive)" if test.case_sensitive else " (ignoring case)"
    return text


def describe_window(window: ir.Window | None) -> str:
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
        case _:
            assert_never(window)


def describe_filter(flt: ir.EventFilter) -> str:
    names = " or ".join(flt.events)
    where = f" where {describe(flt.where)}" if flt.where is not None else ""
    return f"{names}{where}{describe_window(flt.window)}"


def _times(n: Any) -> str:
    return "once" if n == 1 else f"{n} times"


def describe_count(cmp: ir.Compare) -> str:
    if cmp.op is ir.CompareOp.BETWEEN:
        return f"between {cmp.values[0]} and {cmp.values[1]} times"
    return f"{COMPARE_WORDS[cmp.op]} {_times(cmp.values[0])}"


def describe_event_test(test: ir.EventTest) -> str:
    cmp = test.count
    if cmp.op is ir.CompareOp.EQ and cmp.values == (0,):
        text = f"did not perform {describe_filter(test.filter)}"
    elif cmp.op is ir.CompareOp.GTE and cmp.values == (1,):
        text = f"performed {describe_filter(test.filter)}"
    else:
        text = f"performed {describe_filter(test.filter)} {describe_count(cmp)}"
    if test.aggregate is not None:
        agg = test.aggregate
        c = agg.compare
        bound = (
            f"between {show(c.values[0])} and {show(c.values[1])}"
            if c.op is ir.CompareOp.BETWEEN
            else f"{COMPARE_WORDS[c.op].replace('fewer', 'less')} {show(c.values[0])}"
        )
        text += f", with {AGG_WORDS[agg.fn]} {agg.column.name} {bound}"
    return text


def describe_time_test(test: ir.EventTimeTest) -> str:
    which = "first" if test.which is ir.Which.FIRST else "last"
    when = describe_window(test.test).strip()
    return f"{which} performed {describe_filter(test.filter)} {when}"


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
            if isinstance(child, ir.SegmentRef | ir.StaticMembers):
                return f"not in segment {child.name}"
            return f"not ({describe(child)})"
        case ir.ValueTest():
            return describe_value_test(node)
        case ir.EventTest():
            return describe_event_test(node)
        case ir.EventTimeTest():
            return describe_time_test(node)
        case ir.SegmentRef(name, _) | ir.StaticMembers(name):
            return f"in segment {name}"
        case _:
            assert_never(node)


def _nested(node: ir.Node) -> str:
    text = describe(node)
    return f"({text})" if isinstance(node, ir.AllOf | ir.AnyOf) and len(node.children) > 1 else text


def describe_fact(fact: Fact) -> str:
    what = fact.measure.value.replace("_", " ")
    prop = f" of {fact.column.name}" if fact.column is not None else ""
    return f"{what}{prop}: {describe_filter(fact.filter)}"
