"""Sequences and lifecycle conditions -> typed IR (docs/language.md, "Sequences" and
"Lifecycle"): event names, durations and counts checked, each problem with its path."""

from __future__ import annotations

from typing import Any, Protocol

from duckseg.errors import shown
from duckseg.lang import ir, model
from duckseg.lang.time import MAX_DURATION_AMOUNT, Duration, Unit

# A month or a year has no fixed length: "at most this long after the step before" needs one.
FIXED_UNITS = frozenset({Unit.SECOND, Unit.MINUTE, Unit.HOUR, Unit.DAY, Unit.WEEK})


class Context(Protocol):
    def fail(self, path: str, message: str, hint: str | None = None) -> None: ...

    def event_filter(
        self, names: str | list[str], where: Any, within: Any, path: str, key: str
    ) -> ir.EventFilter | None: ...

    def window(self, raw: Any, path: str) -> ir.Window | None: ...

    def duration(self, value: Any, path: str) -> Duration | None: ...


def resolve_sequence(ctx: Context, cond: model.SequenceCond, path: str) -> ir.SequenceTest | None:
    window = None
    ok = True
    if cond.within is not None:
        window = ctx.window(cond.within, f"{path}.within")
        ok = window is not None
    steps = []
    for index, spec in enumerate(cond.sequence):
        where = f"{path}.sequence[{index}]"
        flt = ctx.event_filter(spec.performed, spec.where, None, where, "performed")
        gap = None
        if spec.then_within is not None:
            gap = _then_within(ctx, spec.then_within, f"{where}.then_within")
            ok = ok and gap is not None
        if flt is None:
            ok = False
            continue
        steps.append(ir.SequenceStep(ir.EventFilter(flt.events, flt.where, window), gap))
    return ir.SequenceTest(tuple(steps)) if ok else None


def _then_within(ctx: Context, raw: Any, path: str) -> Duration | None:
    gap = ctx.duration(raw, path)
    if gap is not None and gap.unit not in FIXED_UNITS:
        ctx.fail(
            path,
            f"then_within takes a fixed length (s m h d w), got {gap}: "
            "a month or a year has no fixed length",
            "write days or weeks, like 30d or 4w",
        )
        return None
    return gap


def resolve_lifecycle(
    ctx: Context,
    cond: model.RegularlyCond | model.StoppedCond | model.RestartedCond,
    path: str,
) -> ir.RegularTest | ir.StoppedTest | ir.RestartedTest | None:
    match cond:
        case model.RegularlyCond():
            return _regularly(ctx, cond, path)
        case model.StoppedCond():
            flt = ctx.event_filter(
                cond.stopped_performing, cond.where, None, path, "stopped_performing"
            )
            recent = ctx.duration(cond.recent, f"{path}.recent")
            prior = ctx.duration(cond.prior, f"{path}.prior")
            if flt is None or recent is None or prior is None:
                return None
            return ir.StoppedTest(flt, recent, prior)
        case model.RestartedCond():
            flt = ctx.event_filter(
                cond.restarted_performing, cond.where, None, path, "restarted_performing"
            )
            recent = ctx.duration(cond.recent, f"{path}.recent")
            gap = ctx.duration(cond.gap, f"{path}.gap")
            if flt is None or recent is None or gap is None:
                return None
            return ir.RestartedTest(flt, recent, gap)


def _regularly(ctx: Context, cond: model.RegularlyCond, path: str) -> ir.RegularTest | None:
    flt = ctx.event_filter(cond.performed_regularly, cond.where, None, path, "performed_regularly")
    every = ctx.duration(cond.every, f"{path}.every")
    periods = _at_least_one(ctx, cond.periods, f"{path}.periods", "periods")
    min_periods = (
        periods
        if cond.min_periods is None
        else _at_least_one(ctx, cond.min_periods, f"{path}.min_periods", "min_periods")
    )
    times = 1 if cond.times is None else _at_least_one(ctx, cond.times, f"{path}.times", "times")
    if flt is None or every is None or periods is None or min_periods is None or times is None:
        return None
    if min_periods > periods:
        ctx.fail(
            f"{path}.min_periods",
            f"min_periods ({min_periods}) is more than periods ({periods})",
            f"at most {periods}: the contact can be active in at most every period",
        )
        return None
    if periods * every.amount > MAX_DURATION_AMOUNT:
        ctx.fail(
            f"{path}.periods",
            f"{periods} periods of {every} reach too far back",
            f"at most {MAX_DURATION_AMOUNT} {every.unit.value} in all",
        )
        return None
    return ir.RegularTest(flt, every, periods, min_periods, times)


def _at_least_one(ctx: Context, raw: Any, path: str, key: str) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        ctx.fail(
            path,
            f"{key} must be a whole number of at least 1, got {shown(raw)}",
            "periods, min_periods and times count periods and events: 1 or more",
        )
        return None
    if raw > MAX_DURATION_AMOUNT:
        ctx.fail(path, f"{key} {raw} is too large", f"at most {MAX_DURATION_AMOUNT}")
        return None
    return raw
