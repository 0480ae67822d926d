"""Which values can change a definition's members while time moves forward (docs/refresh.md).

Between two as_of values on an unchanged lake, a condition changes its answer for a
contact only when one of its edges counted from as_of (the start of a `within: D` window,
a lifecycle period edge, a relative value such as `now-30d`) passes one of the values it
compares with that edge: an event's time, an event property, a contact attribute. So a
definition's tie to as_of is a list of slides, each an edge and the values it is compared
with; refresh reuses a snapshot when no value lies between an edge at the old as_of and
at the new one, and otherwise computes again the contacts that hold such values. Events
after as_of never count: that tie (events dated between the two as_of values) is checked
elsewhere, for every definition that reads events.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from duckseg.lang import ir
from duckseg.lang.time import AbsoluteDate, AbsoluteInstant, Duration, Relative
from duckseg.types import ValueType

# An edge counted from as_of: each (sign, duration) applied to as_of in turn. `within: D`
# is ((-1, D),), a lifecycle edge `(as_of - D1) - D2` is ((-1, D1), (-1, D2)), `now+1d` is
# ((1, 1d),) and `now` is ().
Edge = tuple[tuple[int, Duration], ...]
EVENT_TIME = "ts"


@dataclass(frozen=True)
class Slide:
    """Values of `column` that may change a member when an edge passes them: of the events
    named `events` (their time `ts`, or a property), or of the contacts when `events` is
    None (an attribute). `type` says how they compare: a DATE by calendar day."""

    events: tuple[str, ...] | None
    column: str
    type: ValueType
    edge: Edge


def time_invariant(node: ir.Node) -> bool:
    """Whether the node's members, on an unchanged lake with no events between two as_of
    values, are the same at both: no edge counted from as_of at all."""
    return sliding_windows(node) == []


def sliding_windows(node: ir.Node) -> list[Slide] | None:
    """The slides of a node: every edge counted from as_of that it compares values with,
    or None when it depends on as_of in a way this analysis does not bound (a relative
    value compared with an aggregate or a trait). A node kind not known here is None, so
    new kinds of condition are rebuilt until they are taught here."""
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
            if column.trait is not None:
                # A trait is a value of the events its filter keeps (a percentile too: every
                # contact's value is unchanged when no event entered or left).
                if node.op is ir.Op.WITHIN_LAST or _names_now((values, duration)):
                    return None
                return _filter(column.trait.filter)
            if column.scope != "contact":
                return None
            return _value_edges(None, node)
        case ir.EventTest(event_filter, count, aggregate):
            if _names_now((count, aggregate)):
                return None
            return _filter(event_filter)
        case ir.EventTimeTest(event_filter, _, test):
            # The first / last time is the time of a qualifying event.
            return _all([_filter(event_filter), _window(event_filter.events, test)])
        case ir.SequenceTest(steps):
            # then_within is a fixed length between two events, never counted from as_of.
            return _all(_filter(step.filter) for step in steps)
        case ir.RegularTest(event_filter, every, periods, _, _):
            edges = [((-1, Duration(every.amount * k, every.unit)),) for k in range(1, periods + 1)]
            return _all([_filter(event_filter), _times(event_filter.events, edges)])
        case ir.StoppedTest(event_filter, recent, earlier) | ir.RestartedTest(
            event_filter, recent, earlier
        ):
            stretch: list[Edge] = [((-1, recent),), ((-1, recent), (-1, earlier))]
            return _all([_filter(event_filter), _times(event_filter.events, stretch)])
        case _:
            return None


def _all(parts: Iterable[list[Slide] | None]) -> list[Slide] | None:
    found: list[Slide] = []
    for part in parts:
        if part is None:
            return None
        found += part
    return found


def _times(names: tuple[str, ...], edges: Iterable[Edge]) -> list[Slide]:
    return [Slide(names, EVENT_TIME, ValueType.TIMESTAMP, edge) for edge in edges]


def _filter(event_filter: ir.EventFilter) -> list[Slide] | None:
    names = event_filter.events
    return _all([_where(names, event_filter.where), _window(names, event_filter.window)])


def _where(names: tuple[str, ...], node: ir.Node | None) -> list[Slide] | None:
    """The slides of a per-event property condition: its relative values."""
    match node:
        case None:
            return []
        case ir.AllOf(kids) | ir.AnyOf(kids):
            return _all(_where(names, kid) for kid in kids)
        case ir.Not(child):
            return _where(names, child)
        case ir.ValueTest(column) if column.trait is None:
            return _value_edges(names, node)
        case _:
            return None if _names_now(node) else []


def _value_edges(names: tuple[str, ...] | None, test: ir.ValueTest) -> list[Slide] | None:
    """The edges a value test compares its column with: its relative values, and as_of - D
    and as_of of `within_last: D`."""
    edges: list[Edge] = []
    if test.op is ir.Op.WITHIN_LAST:
        if test.duration is None:
            return None
        edges += [((-1, test.duration),), ()]
    for value in test.values:
        if isinstance(value, Relative):
            edges.append(() if value.offset is None else ((value.sign, value.offset),))
        elif _names_now(value):
            return None
    if edges and not test.column.type.is_temporal:
        return None
    return [Slide(names, test.column.name, test.column.type, edge) for edge in edges]


def _window(names: tuple[str, ...], window: ir.Window | None) -> list[Slide] | None:
    match window:
        case None:
            return []
        case ir.WindowLast(duration):
            return _times(names, [((-1, duration),)])
        case ir.WindowSpan(since, until):
            # [as_of - since, as_of - until): both edges move; an empty `until` is as_of.
            chains = [c for c in (since, until) if c]
            return _times(names, [tuple((-1, d) for d in chain) for chain in chains])
        case ir.WindowBetween(low, high):
            return _times(names, _relative_edges((low, high)))
        case ir.WindowBefore(at) | ir.WindowAfter(at):
            return _times(names, _relative_edges((at,)))


def _relative_edges(values: Iterable[object]) -> list[Edge]:
    return [
        () if v.offset is None else ((v.sign, v.offset),) for v in values if isinstance(v, Relative)
    ]


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
