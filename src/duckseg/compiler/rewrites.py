"""Ordered rewrite rules that lower the typed tree before SQL is built.

Each rule is a function Node -> Node applied bottom-up; `RULES` runs in order.
"""

from __future__ import annotations

from collections.abc import Callable

from duckseg import ir

Rule = Callable[[ir.Node], ir.Node]


def inline_references(node: ir.Node) -> ir.Node:
    """`in_segment: X` becomes X's own condition, evaluated at the same as_of (SPEC 6.6)."""
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


RULES: tuple[Rule, ...] = (inline_references, drop_double_negation, flatten_groups)


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


def lower(node: ir.Node) -> ir.Node:
    for rule in RULES:
        node = apply_rule(node, rule)
    return node
