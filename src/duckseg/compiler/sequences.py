"""Sequences as SQL (docs/language.md, "Sequences"): the contacts with a chain of events.

The chain is found from its last step back. An event of step k starts a chain of the
steps k..n when an event of step k+1 that starts one lies strictly after it and, where
step k+1 has `then_within`, at most that long after; every event of the last step starts
one. Each step is its own scan (names, `where`, window: pruned like any event condition),
tested against a summary of the starting events of the step after it:

    step_n        = the events of step n, summarised
    step_k        = the events of step k that start a chain, summarised
    members       = the contacts of the step-1 events that start a chain

Going back from the last step, the first step (in a funnel the most frequent event) is
only probed, never summarised. The summary a step is tested against:

- without `then_within` on the step after: each contact's latest starting event there
  (an event precedes some starting event exactly when it precedes the latest);
- with `then_within` g: the starting events per contact and bucket of g, numbered back
  from as_of: bucket(t) = floor(micros(as_of - t) / g) (instants hold whole microseconds
  and every event lies at or before as_of, so the numbers are exact and never negative). An event t in bucket b has an
  event t' with t < t' <= t + g only in bucket b or b - 1; every event of bucket b is
  less than g after t when it is after t, and every event of bucket b - 1 is after t.
  So t starts a chain exactly when the latest event of bucket b is after t or the
  earliest of bucket b - 1 is at most g after t: one equality join on (contact_id,
  bucket), no sort, each row one lookup however busy the contact is.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from duckseg.compiler.dialects import DialectSettings
from duckseg.lang import ir
from duckseg.lang.time import Duration, Unit

KEY = "contact_id"
EVENTS = "events"
LATER = "later"  # the summary of the step after, inside each step's query
BUCKET = "bucket"
FIRST = "first_ts"
LAST = "last_ts"

_MICROS = {
    Unit.SECOND: 1_000_000,
    Unit.MINUTE: 60_000_000,
    Unit.HOUR: 3_600_000_000,
    Unit.DAY: 86_400_000_000,
    Unit.WEEK: 604_800_000_000,
}


def step_name(index: int) -> str:
    return f"sequence_step_{index + 1}"


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _micros(gap: Duration) -> int:
    if gap.unit not in _MICROS:  # resolve refuses mo and y here
        raise ValueError(f"then_within has no fixed length: {gap}")
    return gap.amount * _MICROS[gap.unit]


def gap_interval(gap: Duration) -> exp.Interval:
    """A `then_within` as an interval of seconds (its units have fixed lengths)."""
    seconds = _micros(gap) // 1_000_000
    return exp.Interval(this=exp.Literal.string(str(seconds)), unit=exp.Var(this="SECOND"))


def sequence_members(
    node: ir.SequenceTest,
    qualify: Callable[[ir.EventFilter], exp.Expr],
    as_of: exp.Cast,
    settings: DialectSettings,
) -> exp.Select:
    """SELECT contact_id (possibly repeated) of the contacts with a chain; `qualify` is the
    builder's test of one events row against a filter (names, window up to as_of, `where`),
    `as_of` the instant every window ends at (a constant of the dialect's timestamp type)."""
    steps = node.steps
    ts = _col("ts", EVENTS)
    ctes: list[tuple[str, exp.Select]] = []
    query: exp.Select | None = None
    for index in reversed(range(len(steps))):
        step = steps[index]
        if index == 0:
            query = exp.select(_col(KEY, EVENTS))
        elif step.then_within is None:
            query = exp.select(
                _col(KEY, EVENTS), exp.alias_(exp.func("MAX", ts.copy()), LAST, quoted=True)
            )
        else:
            bucket = _bucket(ts, as_of, step.then_within, settings)
            query = exp.select(
                _col(KEY, EVENTS),
                exp.alias_(bucket, BUCKET, quoted=True),
                exp.alias_(exp.func("MIN", ts.copy()), FIRST, quoted=True),
                exp.alias_(exp.func("MAX", ts.copy()), LAST, quoted=True),
            )
        query = query.from_(exp.to_table(EVENTS)).where(qualify(step.filter), copy=False)
        if index + 1 < len(steps):
            _starts_chain(
                query, step_name(index + 1), steps[index + 1].then_within, as_of, settings
            )
        if index > 0:
            groups: list[exp.Expr] = [_col(KEY, EVENTS)]
            if step.then_within is not None:
                groups.append(_bucket(ts, as_of, step.then_within, settings))
            ctes.append((step_name(index), query.group_by(*groups, copy=False)))
    assert query is not None
    for name, cte in ctes:
        query = query.with_(name, as_=cte, copy=False)
    return query


def _starts_chain(
    query: exp.Select,
    after: str,
    gap: Duration | None,
    as_of: exp.Cast,
    settings: DialectSettings,
) -> None:
    """Keep the events of `query` that a starting event of the step `after` follows (within
    `gap`): a join with that step's summary."""
    ts = _col("ts", EVENTS)
    same_contact = _col(KEY, LATER).eq(_col(KEY, EVENTS))
    if gap is None:
        # One row per contact: its latest starting event.
        query.join(exp.to_table(after).as_(LATER, quoted=True), on=same_contact, copy=False)
        query.where(exp.LT(this=ts, expression=_col(LAST, LATER)), copy=False)
        return
    # Each bucket's row as it serves an event of the same bucket (its latest) and of the
    # bucket after it, one further back from as_of (its earliest).
    nothing = exp.cast(exp.null(), as_of.to)
    summary = exp.to_table(after)
    same = exp.select(
        _bare(KEY), _bare(BUCKET), _bare(LAST), exp.alias_(nothing, FIRST, quoted=True)
    ).from_(summary)
    next_one = exp.Add(this=_bare(BUCKET), expression=exp.Literal.number(1))
    earlier = exp.select(
        _bare(KEY),
        exp.alias_(next_one, BUCKET, quoted=True),
        exp.alias_(nothing.copy(), LAST, quoted=True),
        _bare(FIRST),
    ).from_(summary.copy())
    later = exp.alias_(exp.union(same, earlier, distinct=False).subquery(), LATER, quoted=True)
    on = exp.and_(same_contact, _col(BUCKET, LATER).eq(_bucket(ts, as_of, gap, settings)))
    query.join(later, on=on, copy=False)
    within = exp.Add(this=ts.copy(), expression=gap_interval(gap))
    test = exp.or_(
        exp.GT(this=_col(LAST, LATER), expression=ts.copy()),
        exp.LTE(this=_col(FIRST, LATER), expression=within),
    )
    query.where(exp.paren(test), copy=False)


def _bucket(ts: exp.Expr, as_of: exp.Expr, gap: Duration, settings: DialectSettings) -> exp.Expr:
    """floor(micros(as_of - ts) / gap): never negative, as no event lies after as_of."""
    # Engines without microsecond differences take compiler/sequences_sorted.py.
    assert settings.microsecond_diff, settings.name
    diff = exp.DatetimeDiff if settings.datetime_diff else exp.DateDiff
    micros = diff(this=as_of.copy(), expression=ts.copy(), unit=exp.var("MICROSECOND"))
    size = exp.Literal.number(_micros(gap))
    if settings.exact_int_div:
        return exp.IntDiv(this=micros, expression=size)
    whole = exp.Sub(this=micros, expression=exp.Mod(this=micros.copy(), expression=size.copy()))
    return exp.Div(this=exp.paren(whole), expression=size)


def _bare(name: str) -> exp.Column:
    return exp.column(name, quoted=True)
