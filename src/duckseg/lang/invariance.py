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


def time_invariant(node: ir.Node) -> bool:
    """Whether the node's members, on an unchanged lake with no events between two as_of
    values, are the same at both: no relative time, no `within`, no `within_last`.

    A node kind not known here counts as time-dependent, so new kinds of condition are
    rebuilt until they are taught to this function.
    """
    match node:
        case ir.AllOf(kids) | ir.AnyOf(kids):
            return all(time_invariant(k) for k in kids)
        case ir.Not(child):
            return time_invariant(child)
        case ir.SegmentRef(_, tree):
            return time_invariant(tree)
        case ir.StaticMembers():
            return True
        case ir.ValueTest() | ir.EventTest() | ir.EventTimeTest():
            return not _names_now(node)
        case _:
            return False


def reads_events(node: ir.Node) -> bool:
    """Whether any condition in the tree (references included) counts events."""
    return any(isinstance(n, ir.EventTest | ir.EventTimeTest) for n in ir.walk(node))


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
