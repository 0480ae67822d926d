"""Lifecycle conditions as counts in periods (docs/language.md, "Lifecycle").

Every lifecycle condition is a test on how many qualifying events lie in a few
stretches of time counted back from as_of, so it joins the build's shared fact
pass: one COUNT column per stretch, no scan of its own.

- `stopped_performing` and `restarted_performing` are lowered to `performed` /
  `not_performed` in those stretches (`lower_lifecycle`, one of the RULES);
- `performed_regularly` keeps its node, reading a count per period
  (`period_filters`, `periods_met`), since "in at least Y of Z periods" is no AND of counts.

Period k of `every: D` is `[as_of - k·D, as_of - (k-1)·D)`, one subtraction of
k units each (so 31 March - 2mo is 31 January), period 1 `[as_of - D, as_of]`:
a boundary instant belongs to the more recent period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlglot import exp

from duckseg.lang import ir
from duckseg.lang.time import Bound, Duration, InstantRange, TimeContext

AT_LEAST_ONE = ir.Compare(ir.CompareOp.GTE, (1,))
NONE = ir.Compare(ir.CompareOp.EQ, (0,))


def span_range(ctx: TimeContext, span: ir.WindowSpan) -> InstantRange:
    """`[as_of - since, as_of - until)`, or up to as_of inclusive when `until` is empty."""
    high = Bound(_back(ctx, span.until), False) if span.until else Bound(ctx.as_of, True)
    low = Bound(_back(ctx, span.since), True) if span.since is not None else None
    return InstantRange(low, high)


def _back(ctx: TimeContext, chain: tuple[Duration, ...]) -> datetime:
    at = ctx.as_of
    for step in chain:
        at = ctx.shift(at, step, -1)
    return at


def period_window(every: Duration, k: int) -> ir.Window:
    """Period k (from 1, the most recent) of length `every`; period 1 is `within: every`,
    so that it shares its count with a `performed ... within` of the same length."""
    if k == 1:
        return ir.WindowLast(every)
    since = Duration(every.amount * k, every.unit)
    until = Duration(every.amount * (k - 1), every.unit)
    return ir.WindowSpan((since,), (until,))


def period_filters(node: ir.RegularTest) -> list[ir.EventFilter]:
    """The qualifying events of each period, the most recent first."""
    flt = node.filter
    return [
        ir.EventFilter(flt.events, flt.where, period_window(node.every, k))
        for k in range(1, node.periods + 1)
    ]


def periods_met(node: ir.RegularTest, counts: Sequence[exp.Expr]) -> exp.Expr:
    """Whether at least `min_periods` of the period counts reach `times` (a count is
    missing for a contact without events: no period is met)."""
    times = exp.Literal.number(node.times)
    met = [
        exp.GTE(this=exp.func("COALESCE", count, exp.Literal.number(0)), expression=times.copy())
        for count in counts
    ]
    if node.min_periods == len(met):
        return exp.and_(*met, copy=False)
    flags = [
        exp.Case(ifs=[exp.If(this=test, true=exp.Literal.number(1))], default=exp.Literal.number(0))
        for test in met
    ]
    total: exp.Expr = flags[0]
    for flag in flags[1:]:
        total = exp.Add(this=total, expression=flag)
    return exp.GTE(this=exp.paren(total), expression=exp.Literal.number(node.min_periods))


def _in(flt: ir.EventFilter, window: ir.Window, count: ir.Compare) -> ir.EventTest:
    return ir.EventTest(ir.EventFilter(flt.events, flt.where, window), count)


def lower_lifecycle(node: ir.Node) -> ir.Node:
    """stopped / restarted as counts in their stretches of time."""
    match node:
        case ir.StoppedTest(flt, recent, prior):
            earlier = ir.WindowSpan((recent, prior), (recent,))
            return ir.AllOf(
                (_in(flt, earlier, AT_LEAST_ONE), _in(flt, ir.WindowLast(recent), NONE))
            )
        case ir.RestartedTest(flt, recent, gap):
            quiet = ir.WindowSpan((recent, gap), (recent,))
            before = ir.WindowSpan(None, (recent, gap))
            return ir.AllOf(
                (
                    _in(flt, ir.WindowLast(recent), AT_LEAST_ONE),
                    _in(flt, quiet, NONE),
                    _in(flt, before, AT_LEAST_ONE),
                )
            )
        case _:
            return node
