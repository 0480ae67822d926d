"""Which definitions cannot change membership while time moves forward (docs/refresh.md).

Refresh reuses a snapshot at a later as_of only when nothing the definition reads can
differ: the lake is unchanged (checked elsewhere), no landed event has a time between
the two as_of values (checked elsewhere, only when the definition reads events), no
landed event crosses one of the definition's boundaries counted back from as_of
(checked elsewhere, from the boundaries found here), and the definition names no other
time relative to as_of. These functions decide the last two parts from the resolved tree.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from duckseg.lang import ir
from duckseg.lang.time import AbsoluteDate, AbsoluteInstant, Duration, Relative

# A boundary `as_of - D1 - D2 ...` (each duration subtracted in turn) that events of these
# names may cross as as_of moves: the start of a `within: D` window, a lifecycle period edge.
Boundary = tuple[Duration, ...]
Slide = tuple[tuple[str, ...], Boundary]


def time_invariant(node: ir.Node) -> bool:
    """Whether the node's members, on an unchanged lake with no events between two as_of
    values, are the same at both: no boundary counted back from as_of, no relative time."""
    return sliding_windows(node) == []


def sliding_windows(node: ir.Node) -> list[Slide] | None:
    """The boundaries counted back from as_of that the node's event conditions and traits
    read, when they are its only tie to as_of; None when it depends on as_of otherwise
    (relative times, `within_last`).

    On an unchanged lake with no events between two as_of values t < t', such a node
    keeps its members unless an event of a boundary's names has a time between that
    boundary at t and at t': only an event entering or leaving a stretch of time can
    change a count, an aggregate, a first / last test, a sequence, a lifecycle period or
    a trait's value (and so a percentile rank over it). A node kind not known here counts
    as time-dependent, so new kinds of condition are rebuilt until they are taught here.
    """
    match node:
        case ir.AllOf(kids) | ir.AnyOf(kids):
            return _all(sliding_windows(kid) for kid in kids)
        case ir.Not(child):
            return sliding_windows(child)
        case ir.SegmentRef(_, tree):
            return sliding_windows(tree)
        case ir.StaticMembers():
            return []
        case ir.ValueTest(column, _, values, _, duration):
            if node.op is ir.Op.WITHIN_LAST or _names_now((values, duration)):
                return None
            # A trait is a value of the events its filter keeps (a percentile too: every
            # contact's value is unchanged when no event entered or left).
            return [] if column.trait is None else _filter(column.trait.filter)
        case ir.EventTest(event_filter, count, aggregate):
            if _names_now((count, aggregate)):
                return None
            return _filter(event_filter)
        case ir.EventTimeTest(event_filter, _, test):
            return _all([_filter(event_filter), _window(event_filter.events, test)])
        case ir.SequenceTest(steps):
            # then_within is a fixed length between two events, never counted from as_of.
            return _all(_filter(step.filter) for step in steps)
        case ir.RegularTest(event_filter, every, periods, _, _):
            edges = [(Duration(every.amount * k, every.unit),) for k in range(1, periods + 1)]
            return _all([_filter(event_filter), _edges(event_filter.events, edges)])
        case ir.StoppedTest(event_filter, recent, earlier) | ir.RestartedTest(
            event_filter, recent, earlier
        ):
            stretch: list[Boundary] = [(recent,), (recent, earlier)]
            return _all([_filter(event_filter), _edges(event_filter.events, stretch)])
        case _:
            return None


def _all(parts: Iterable[list[Slide] | None]) -> list[Slide] | None:
    found: list[Slide] = []
    for part in parts:
        if part is None:
            return None
        found += part
    return found


def _edges(names: tuple[str, ...], chains: Sequence[Boundary]) -> list[Slide]:
    return [(names, chain) for chain in chains]


def _filter(event_filter: ir.EventFilter) -> list[Slide] | None:
    if _names_now(event_filter.where):
        return None
    return _window(event_filter.events, event_filter.window)


def _window(names: tuple[str, ...], window: ir.Window | None) -> list[Slide] | None:
    match window:
        case None:
            return []
        case ir.WindowLast(duration):
            return [(names, (duration,))]
        case ir.WindowSpan(since, until):
            # [as_of - since, as_of - until): both edges move; an empty `until` is as_of.
            return _edges(names, [c for c in (since, until) if c])
        case ir.WindowBetween() | ir.WindowBefore() | ir.WindowAfter():
            return None if _names_now(window) else []


def reads_events(node: ir.Node) -> bool:
    """Whether any condition in the tree (references included) may count events: any
    that is not a group, an attribute test or a reference; a test of a trait does."""
    plain = ir.AllOf | ir.AnyOf | ir.Not | ir.SegmentRef | ir.StaticMembers
    return not all(
        isinstance(n, plain) or (isinstance(n, ir.ValueTest) and n.column.trait is None)
        for n in ir.walk(node)
    )


def _names_now(value: object) -> bool:
    """Whether a value (a node and everything in it) depends on as_of by itself."""
    match value:
        case Relative() | ir.WindowLast() | ir.WindowSpan():
            return True
        case ir.ValueTest(op=ir.Op.WITHIN_LAST):
            return True
        case ir.Column(trait=ir.Trait()):
            # A trait's events are cut at as_of: never a plain value.
            return True
        case AbsoluteDate() | AbsoluteInstant() | Duration() | ir.Column():
            return False
        case str() | int() | float() | Decimal() | date() | enum.Enum() | None:
            return False
        case tuple():
            return any(_names_now(v) for v in value)
        case _ if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return any(_names_now(getattr(value, f.name)) for f in dataclasses.fields(value))
        case _:
            # Something this walk does not know: assume it depends on as_of.
            return True
