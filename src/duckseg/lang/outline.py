"""A definition in words and in HTML before it is checked against a lake (a notebook's Segment).

Types are unknown here, so values are shown as written; once resolved, `describe`
words the typed tree instead.
"""

from __future__ import annotations

import html
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import yaml

from duckseg.lang import ir
from duckseg.lang import model as spec
from duckseg.lang.describe import describe
from duckseg.lang.time import parse_duration, parse_time_value
from duckseg.types import ValueType


class Definition(Protocol):
    """What a segment definition offers for rendering (lang.spec.Segment)."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str | None: ...

    @property
    def owner(self) -> str | None: ...

    @property
    def kind(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def raw(self) -> Any: ...

    @property
    def is_static(self) -> bool: ...

    @property
    def where(self) -> spec.Condition | None: ...


def describe_definition(segment: Definition) -> str:
    """A definition in words without a lake: types are unknown, values are shown as written."""
    if segment.is_static:
        return "a static list of contacts"
    if segment.where is None:
        return "everyone"
    try:
        return describe(_untyped(segment.where))
    except (ValueError, TypeError, KeyError, IndexError, AssertionError):
        return "a condition that does not check yet (run duckseg check)"


_UTC = ZoneInfo("UTC")


def _untyped(cond: spec.Condition) -> ir.Node:
    match cond:
        case spec.GroupAll(all=items):
            return ir.AllOf(tuple(_untyped(c) for c in items))
        case spec.GroupAny(any=items):
            return ir.AnyOf(tuple(_untyped(c) for c in items))
        case spec.GroupNot(not_=child):
            return ir.Not(_untyped(child))
        case spec.ValueCond():
            return _untyped_value(cond)
        case spec.PerformedCond():
            flt = _untyped_filter(cond.performed, cond.where, cond.within)
            count = (
                ir.Compare(ir.CompareOp(cond.count.op), _pair(cond.count.value))
                if cond.count is not None
                else ir.Compare(ir.CompareOp.GTE, (1,))
            )
            agg = None
            if cond.aggregate is not None:
                a = cond.aggregate
                column = ir.Column(a.prop, ValueType.OTHER, "event")
                agg = ir.Aggregate(
                    ir.AggFn(a.fn), column, ir.Compare(ir.CompareOp(a.op), _pair(a.value))
                )
            return ir.EventTest(flt, count, agg)
        case spec.NotPerformedCond():
            flt = _untyped_filter(cond.not_performed, cond.where, cond.within)
            return ir.EventTest(flt, ir.Compare(ir.CompareOp.EQ, (0,)))
        case spec.FirstLastCond():
            flt = _untyped_filter(cond.events, cond.where, None)
            test: ir.Window
            if cond.within is not None:
                test = _untyped_window(cond.within)
            elif cond.before is not None:
                test = ir.WindowBefore(parse_time_value(cond.before, _UTC))
            else:
                test = ir.WindowAfter(parse_time_value(cond.after, _UTC))
            return ir.EventTimeTest(flt, ir.Which(cond.which), test)
        case spec.SegmentRefCond(segment=name, negated=negated):
            ref = ir.SegmentRef(name, ir.AllOf(()))
            return ir.Not(ref) if negated else ref
        case spec.SequenceCond():
            window = _untyped_window(cond.within) if cond.within is not None else None
            return ir.SequenceTest(
                tuple(
                    ir.SequenceStep(
                        _untyped_filter(step.performed, step.where, None, window),
                        parse_duration(str(step.then_within)) if step.then_within else None,
                    )
                    for step in cond.sequence
                )
            )
        case spec.RegularlyCond():
            periods = int(cond.periods)
            return ir.RegularTest(
                _untyped_filter(cond.performed_regularly, cond.where, None),
                parse_duration(str(cond.every)),
                periods,
                int(cond.min_periods) if cond.min_periods is not None else periods,
                int(cond.times) if cond.times is not None else 1,
            )
        case spec.StoppedCond():
            return ir.StoppedTest(
                _untyped_filter(cond.stopped_performing, cond.where, None),
                parse_duration(str(cond.recent)),
                parse_duration(str(cond.prior)),
            )
        case spec.RestartedCond():
            return ir.RestartedTest(
                _untyped_filter(cond.restarted_performing, cond.where, None),
                parse_duration(str(cond.recent)),
                parse_duration(str(cond.gap)),
            )
    raise TypeError(f"no description rule for {type(cond).__name__}")


def _pair(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def _untyped_value(cond: Any) -> ir.ValueTest:
    op = ir.Op(cond.op)
    scope = {"attr": "contact", "trait": "trait"}.get(cond.scope, "event")
    column = ir.Column(cond.field, ValueType.OTHER, scope)
    sensitive = (
        op in (ir.Op.IS, ir.Op.IS_NOT) if cond.case_sensitive is None else cond.case_sensitive
    )
    if op in ir.UNARY_OPS:
        return ir.ValueTest(column, op, (), sensitive)
    if op is ir.Op.WITHIN_LAST:
        return ir.ValueTest(column, op, (), sensitive, parse_duration(str(cond.value)))
    return ir.ValueTest(column, op, _pair(cond.value), sensitive)


def _untyped_filter(
    names: str | list[str], where: Any, within: Any, window: ir.Window | None = None
) -> ir.EventFilter:
    events = (names,) if isinstance(names, str) else tuple(names)
    return ir.EventFilter(
        events,
        _untyped(where) if where is not None else None,
        _untyped_window(within) if within is not None else window,
    )


def _untyped_window(raw: Any) -> ir.Window:
    if isinstance(raw, str):
        return ir.WindowLast(parse_duration(raw))
    ((key, value),) = dict(raw).items()
    if key == "last":
        return ir.WindowLast(parse_duration(str(value)))
    if key == "between":
        low, high = value
        return ir.WindowBetween(parse_time_value(low, _UTC), parse_time_value(high, _UTC))
    if key == "before":
        return ir.WindowBefore(parse_time_value(value, _UTC))
    if key == "after":
        return ir.WindowAfter(parse_time_value(value, _UTC))
    raise ValueError(f"unknown window {key}")


def segment_html(segment: Definition) -> str:
    """A definition in a notebook: its name, description, the rule in words, the YAML folded."""
    meta = ", ".join(
        part
        for part in (
            f"owner {segment.owner}" if segment.owner else "",
            segment.kind if segment.is_static else "",
            segment.source,
        )
        if part
    )
    text = yaml.safe_dump(dict(segment.raw), sort_keys=False, allow_unicode=True)
    return (
        f"<h4>{html.escape(segment.name)}</h4>"
        + (f"<p>{html.escape(segment.description)}</p>" if segment.description else "")
        + f"<p>Members: {html.escape(describe_definition(segment))}</p>"
        + f"<p><small>{html.escape(meta)}</small></p>"
        + f"<details><summary>definition</summary><pre>{html.escape(text)}</pre></details>"
    )
