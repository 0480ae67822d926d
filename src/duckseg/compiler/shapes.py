"""Which shape a segment's member query takes.

The general shape reads every contact and LEFT JOINs the fact table, so that
contacts without events are tested too (`not_performed`, `count < 2`). When a
segment reads no contact attribute and provably matches no contact without
qualifying events, its members are all in the fact table, and selecting them
from there skips a join over every contact (measured 1.5-2.3x faster on the
benchmark lake). Every event's contact is a contact (landing creates it), so
the two shapes give the same members.
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_never

from duckseg import ir


def facts_only(tree: ir.Node) -> bool:
    """True when the members of `tree` can be selected from the fact table alone."""
    return not _reads_contacts(tree) and matches_without_events(tree) is False


def _reads_contacts(tree: ir.Node) -> bool:
    return any(isinstance(node, ir.ValueTest | ir.StaticMembers) for node in ir.walk(tree))


def matches_without_events(node: ir.Node) -> bool | None:
    """Whether a contact with no events at all matches `node`; None when that depends on
    the contact's attributes (or a static list)."""
    match node:
        case ir.EventTest(_, count, aggregate):
            if not _holds(count, 0):
                return False
            if aggregate is None:
                return True
            # With nothing to aggregate, sum and count_distinct are 0; avg, min, max missing.
            if aggregate.fn in (ir.AggFn.SUM, ir.AggFn.COUNT_DISTINCT):
                return _holds(aggregate.compare, 0)
            return False
        case ir.EventTimeTest():
            return False  # never performed: no first or last time to test
        case ir.AllOf(kids):
            answers = [matches_without_events(k) for k in kids]
            if False in answers:
                return False
            return True if all(a is True for a in answers) else None
        case ir.AnyOf(kids):
            answers = [matches_without_events(k) for k in kids]
            if True in answers:
                return True
            return False if all(a is False for a in answers) else None
        case ir.Not(child):
            answer = matches_without_events(child)
            return None if answer is None else not answer
        case ir.SegmentRef(_, tree):
            return matches_without_events(tree)
        case ir.ValueTest() | ir.StaticMembers():
            return None
        case _:
            assert_never(node)


def _holds(compare: ir.Compare, value: int) -> bool:
    """Whether `value` satisfies a count / aggregate comparison."""
    bounds = [_number(v) for v in compare.values]
    match compare.op:
        case ir.CompareOp.EQ:
            return value == bounds[0]
        case ir.CompareOp.NEQ:
            return value != bounds[0]
        case ir.CompareOp.GT:
            return value > bounds[0]
        case ir.CompareOp.GTE:
            return value >= bounds[0]
        case ir.CompareOp.LT:
            return value < bounds[0]
        case ir.CompareOp.LTE:
            return value <= bounds[0]
        case ir.CompareOp.BETWEEN:
            return bounds[0] <= value <= bounds[1]
        case _:
            assert_never(compare.op)


def _number(value: object) -> Decimal:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    # Counts and sums compare with numbers only; anything else never equals 0.
    raise TypeError(f"not a number: {value!r}")
