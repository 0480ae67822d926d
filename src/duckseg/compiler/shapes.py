"""Which shape a segment's member query takes, and the static checks that decide it.

In a build, member queries read the fact table the build shares:

- no event condition: the contacts alone;
- no attribute, and provably no match for a contact without qualifying events:
  the fact table alone, since every member has a fact row (faster than walking
  every contact: benchmarks/RESULTS.md);
- otherwise every contact LEFT JOIN the fact table, so that contacts without
  events are tested too (`not_performed`, `count < 2`).

On its own, a segment of the last kind asks each event condition as a semi-join
on the events instead (compiler/semijoin.py). Every event's contact is a contact
(landing creates it), so all shapes give the same members.
"""

from __future__ import annotations

from typing import assert_never

from duckseg.compiler.traits import holds_without_events
from duckseg.lang import ir


def facts_only(tree: ir.Node) -> bool:
    """True when the members of `tree` can be selected from the fact table alone."""
    return not _reads_contacts(tree) and matches_without_events(tree) is False


def reads_events(tree: ir.Node) -> bool:
    """Whether `tree` has an event condition or a trait that reads the fact table."""
    facts = ir.EventTest | ir.EventTimeTest | ir.RegularTest
    return any(isinstance(node, facts) or _is_trait_test(node) for node in ir.walk(tree))


def _is_trait_test(node: ir.Node) -> bool:
    return isinstance(node, ir.ValueTest) and node.column.trait is not None


def reads_ranks(tree: ir.Node) -> bool:
    """Whether `tree` has a percentile test (reads the contacts' ranks)."""
    return any(
        isinstance(node, ir.ValueTest) and node.op in ir.PERCENT_OPS for node in ir.walk(tree)
    )


def reads_traits_or_ranks(tree: ir.Node) -> bool:
    """Whether `tree` reads a value that only the shared tables hold (a trait, a rank), so
    that its query cannot ask each event condition on its own (compiler/semijoin.py)."""
    return reads_ranks(tree) or any(_is_trait_test(node) for node in ir.walk(tree))


def _reads_contacts(tree: ir.Node) -> bool:
    """Whether `tree` reads an attribute, a static list, ranks every contact, or tests
    contacts.contact_id against the contacts with a sequence's chain."""
    return any(
        (isinstance(node, ir.ValueTest) and (not _is_trait_test(node) or node.op in ir.PERCENT_OPS))
        or isinstance(node, ir.StaticMembers | ir.SequenceTest)
        for node in ir.walk(tree)
    )


def matches_without_events(node: ir.Node) -> bool | None:
    """Whether a contact with no events at all matches `node`; None when that depends on
    the contact's attributes (or a static list)."""
    match node:
        case ir.EventTest(_, count, aggregate):
            if not count.holds(0):
                return False
            if aggregate is None:
                return True
            # With nothing to aggregate, sum and count_distinct are 0; avg, min, max missing.
            if aggregate.fn in (ir.AggFn.SUM, ir.AggFn.COUNT_DISTINCT):
                return aggregate.compare.holds(0)
            return False
        case ir.EventTimeTest():
            return False  # never performed: no first or last time to test
        case ir.SequenceTest() | ir.RegularTest() | ir.StoppedTest() | ir.RestartedTest():
            return False  # each needs at least one qualifying event
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
        case ir.ValueTest():
            return holds_without_events(node)  # None unless a trait's
        case ir.StaticMembers():
            return None
        case _:
            assert_never(node)


def count_from_one(compare: ir.Compare) -> bool | None:
    """True when every count from 1 up passes `compare`, False when none does, None when
    that depends on the count."""
    match compare.op:
        case ir.CompareOp.GT | ir.CompareOp.GTE:
            return True if compare.holds(1) else None
        case ir.CompareOp.LT | ir.CompareOp.LTE:
            return False if not compare.holds(1) else None
        case ir.CompareOp.EQ:
            return False if compare.bounds[0] < 1 else None
        case ir.CompareOp.BETWEEN:
            return False if compare.bounds[1] < 1 else None
        case ir.CompareOp.NEQ:
            return True if compare.bounds[0] < 1 else None
        case _:
            assert_never(compare.op)
