"""Ordered rewrite rules that lower the typed tree before SQL is built.

Each rule is a function Node -> Node applied bottom-up; `RULES` runs in order.
"""

from __future__ import annotations

from collections.abc import Callable

from duckseg.compiler.lifecycle import lower_lifecycle
from duckseg.lang import ir
from duckseg.lang.time import Relative

Rule = Callable[[ir.Node], ir.Node]


def inline_references(node: ir.Node) -> ir.Node:
    """`in_segment: X` becomes X's own condition, evaluated at the same as_of (docs/language.md)."""
    return node.tree if isinstance(node, ir.SegmentRef) else node


def drop_double_negation(node: ir.Node) -> ir.Node:
    """not(not(c)) is c: `not` is an exact complement, so this is always sound."""
    if isinstance(node, ir.Not) and isinstance(node.child, ir.Not):
        return node.child.child
    return node


def flatten_groups(node: ir.Node) -> ir.Node:
    """all(all(a, b), c) -> all(a, b, c); a group of one is its child."""
    if isinstance(node, ir.AllOf | ir.AnyOf):
        kind = type(node)
        flat: list[ir.Node] = []
        for child in node.children:
            flat.extend(child.children if isinstance(child, kind) else (child,))
        if len(flat) == 1:
            return flat[0]
        return (
            kind(tuple(flat))
            if len(flat) != len(node.children) or flat != list(node.children)
            else node
        )
    return node


AT_LEAST_ONE = ir.Compare(ir.CompareOp.GTE, (1,))
NONE = ir.Compare(ir.CompareOp.EQ, (0,))


def _events_in(node: ir.EventTimeTest, window: ir.Window, count: ir.Compare) -> ir.EventTest:
    flt = node.filter
    return ir.EventTest(ir.EventFilter(flt.events, flt.where, window), count)


def times_as_windows(node: ir.Node) -> ir.Node:
    """`last_performed within W / after T` and `first_performed before T` hold exactly when
    some qualifying event lies in that window (docs/language.md: events up to as_of), so they are
    `performed` in it: the window bounds the events scan, where the time of the last event
    needs all history (benchmarks/RESULTS.md)."""
    match node:
        case ir.EventTimeTest(_, ir.Which.LAST, ir.WindowLast() | ir.WindowAfter() as window):
            return _events_in(node, window, AT_LEAST_ONE)
        case ir.EventTimeTest(_, ir.Which.FIRST, ir.WindowBefore() as window):
            return _events_in(node, window, AT_LEAST_ONE)
        case _:
            return node


def last_between_as_counts(node: ir.Node) -> ir.Node:
    """`last_performed within {between: [T1, T2]}`: some qualifying event in [T1, T2] and
    none after T2 (`after` is the exact complement of `<= T2`, date-only values included),
    so the events scan starts at T1 instead of reading all history."""
    match node:
        case ir.EventTimeTest(_, ir.Which.LAST, ir.WindowBetween(_, high) as window):
            return ir.AllOf(
                (
                    _events_in(node, window, AT_LEAST_ONE),
                    _events_in(node, ir.WindowAfter(high), NONE),
                )
            )
        case _:
            return node


def times_as_counts(node: ir.Node) -> ir.Node:
    """`last_performed before T`: some qualifying event before T and none from T to as_of;
    `first_performed within W`: some within W and none before it. (`first_performed after
    T` would need "none up to and including T", which no window says.)

    Not in RULES: in the shared fact pass two counts cost what one MAX(ts) does, but where
    each event condition is its own semi-join (compiler/semijoin.py) the two are a semi-
    and an anti-join, no aggregation of all history at all (benchmarks/RESULTS.md).
    """
    match node:
        case ir.EventTimeTest(_, ir.Which.LAST, ir.WindowBefore(at) as window):
            later = ir.WindowBetween(at, Relative())  # T <= ts <= as_of: not before T
            return ir.AllOf((_events_in(node, window, AT_LEAST_ONE), _events_in(node, later, NONE)))
        case ir.EventTimeTest(_, ir.Which.FIRST, ir.WindowLast(duration) as window):
            earlier = ir.WindowBefore(Relative(duration, -1))  # ts < as_of - W
            return ir.AllOf(
                (_events_in(node, window, AT_LEAST_ONE), _events_in(node, earlier, NONE))
            )
        case _:
            return node


RULES: tuple[Rule, ...] = (
    inline_references,
    times_as_windows,
    last_between_as_counts,
    lower_lifecycle,
    drop_double_negation,
    flatten_groups,
)


def _map_children(node: ir.Node, fn: Callable[[ir.Node], ir.Node]) -> ir.Node:
    match node:
        case ir.AllOf(kids):
            return ir.AllOf(tuple(fn(k) for k in kids))
        case ir.AnyOf(kids):
            return ir.AnyOf(tuple(fn(k) for k in kids))
        case ir.Not(child):
            return ir.Not(fn(child))
        case ir.SegmentRef(name, tree):
            return ir.SegmentRef(name, fn(tree))
        case ir.EventTest(flt, count, agg) if flt.where is not None:
            return ir.EventTest(_with_where(flt, fn(flt.where)), count, agg)
        case ir.EventTimeTest(flt, which, test) if flt.where is not None:
            return ir.EventTimeTest(_with_where(flt, fn(flt.where)), which, test)
        case _:
            return node


def _with_where(flt: ir.EventFilter, where: ir.Node) -> ir.EventFilter:
    return ir.EventFilter(flt.events, where, flt.window)


def apply_rule(node: ir.Node, rule: Rule) -> ir.Node:
    """Apply one rule bottom-up; a node the rule changes is lowered again until it is stable.

    Rules return the very same object when they have nothing to do.
    """
    node = _map_children(node, lambda child: apply_rule(child, rule))
    lowered = rule(node)
    return node if lowered is node else apply_rule(lowered, rule)


def lower(node: ir.Node, rules: tuple[Rule, ...] = RULES) -> ir.Node:
    for rule in rules:
        node = apply_rule(node, rule)
    return node
