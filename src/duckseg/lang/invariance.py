"""Which definitions cannot change membership while time moves forward (docs/refresh.md).

Refresh reuses a snapshot at a later as_of only when nothing the definition reads can
differ: the lake is unchanged (checked elsewhere), no landed event has a time between
the two as_of values (checked elsewhere, only when the definition reads events), and
the definition names no time relative to as_of. These functions decide the last part
from the resolved tree.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import date
from decimal import Decimal

from duckseg.lang import ir
from duckseg.lang.time import AbsoluteDate, AbsoluteInstant, Duration, Relative

Slide = tuple[tuple[str, ...], Duration]  # event names, the length of a `within` window


def time_invariant(node: ir.Node) -> bool:
    """Whether the node's members, on an unchanged lake with no events between two as_of
    values, are the same at both: no relative time, no `within`, no `within_last`."""
    return sliding_windows(node) == []


def sliding_windows(node: ir.Node) -> list[Slide] | None:
    """The `within` windows of the node's event conditions, when they are its only tie to
    as_of; None when it depends on as_of otherwise (relative times, `within_last`).

    On an unchanged lake with no events between two as_of values t < t', such a node
    keeps its members unless an event of those names has a time in [t - D, t' - D]:
    only events leaving a window can change a count, an aggregate or a first / last test.
    A node kind not known here counts as time-dependent, so new kinds of condition are
    rebuilt until they are taught to this function.
    """
    match node:
        case ir.AllOf(kids) | ir.AnyOf(kids):
            found: list[Slide] = []
            for kid in kids:
                more = sliding_windows(kid)
                if more is None:
                    return None
                found += more
            return found
        case ir.Not(child):
            return sliding_windows(child)
        case ir.SegmentRef(_, tree):
            return sliding_windows(tree)
        case ir.StaticMembers():
            return []
        case ir.ValueTest():
            return None if _names_now(node) else []
        case ir.EventTest(event_filter, count, aggregate):
            if _names_now((event_filter.where, count, aggregate)):
                return None
            return _windows(event_filter.events, (event_filter.window,))
        case ir.EventTimeTest(event_filter, _, test):
            if _names_now(event_filter.where):
                return None
            return _windows(event_filter.events, (event_filter.window, test))
        case _:
            return None


def _windows(names: tuple[str, ...], windows: tuple[ir.Window | None, ...]) -> list[Slide] | None:
    found: list[Slide] = []
    for window in windows:
        if isinstance(window, ir.WindowLast):
            found.append((names, window.duration))
        elif _names_now(window):
            return None
    return found


def reads_events(node: ir.Node) -> bool:
    """Whether any condition in the tree (references included) may count events: any
    that is not a group, an attribute test or a reference."""
    plain = ir.AllOf | ir.AnyOf | ir.Not | ir.ValueTest | ir.SegmentRef | ir.StaticMembers
    return not all(isinstance(n, plain) for n in ir.walk(node))


def _names_now(value: object) -> bool:
    """Whether a value (a node and everything in it) depends on as_of by itself."""
    match value:
        case Relative() | ir.WindowLast():
            return True
        case ir.ValueTest(op=ir.Op.WITHIN_LAST):
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
