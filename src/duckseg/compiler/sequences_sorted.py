"""Sequences by sorting, for engines whose date difference stops at milliseconds (Trino):
the chain test of compiler/sequences.py numbers events by microseconds, this one compares
instants only (docs/language.md, "Sequences"; docs/spark.md, the dialect table).

A chain reaches an event of step k when some event of step k-1 that a chain reaches
lies strictly before it and, where step k has `then_within`, at most that long before.
So each step keeps the events of its own scan (names, `where`, window: each scan is
pruned like any event condition's) that a reached event of the step before precedes:

    step_1        = the events of step 1
    step_k        = the events of step k with a reached step_(k-1) event before them
    members       = the contacts of step_n

Every chain counts, not only the earliest: a later event of step k-1 can be the one
within `then_within` of an event of step k, and the latest one strictly before it is
the one to test, found by sorting both steps' events per contact (one window
function). Where step k has no `then_within`, only the earliest reached event of
step k-1 matters (any later one precedes fewer events), so step k-1 is first cut to
one row per contact and joined.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from duckseg.compiler.sequences import EVENTS, KEY, gap_interval, step_name
from duckseg.lang import ir
from duckseg.lang.time import Duration

# The step before, and the events of this step, inside each step's query.
BEFORE = "before"
THIS = "this"
CANDIDATES = "candidates"
KIND = "step_kind"  # 0: an event of this step, 1: a reached event of the step before
LATEST = "latest_before"


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def sorted_sequence_members(
    node: ir.SequenceTest, qualify: Callable[[ir.EventFilter], exp.Expr]
) -> exp.Select:
    """SELECT contact_id of the contacts with a chain; `qualify` is the builder's test of
    one events row against a filter (names, window up to as_of, `where`)."""
    steps = node.steps
    query: exp.Select | None = None
    ctes: list[tuple[str, exp.Select]] = []
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        # The next step needs every reached time only if it bounds the gap to it.
        earliest = not last and steps[index + 1].then_within is None
        ts: exp.Expr = _col("ts", EVENTS)
        if index == 0 and earliest:
            ts = exp.alias_(exp.func("MIN", ts), "ts", quoted=True)
        scan = (
            exp.select(_col(KEY, EVENTS), ts)
            .from_(exp.to_table(EVENTS))
            .where(qualify(step.filter), copy=False)
        )
        if index == 0:
            query = scan.group_by(_col(KEY, EVENTS), copy=False) if earliest else scan
        else:
            query = _reached(scan, step_name(index - 1), step.then_within, earliest, last)
        if not last:
            ctes.append((step_name(index), query))
    assert query is not None
    for name, cte in ctes:
        query = query.with_(name, as_=cte, copy=False)
    return query


def _reached(
    scan: exp.Select, before: str, gap: Duration | None, earliest: bool, last: bool
) -> exp.Select:
    """The events of `scan` that an event of the step `before` precedes (within `gap`)."""
    if gap is not None:
        return _reached_within(scan, before, gap, earliest, last)
    # The step before has one row per contact (its earliest reached time): a plain join.
    on = exp.and_(
        _col(KEY, BEFORE).eq(_col(KEY, THIS)),
        exp.LT(this=_col("ts", BEFORE), expression=_col("ts", THIS)),
    )
    source = exp.alias_(scan.subquery(), THIS, quoted=True)
    joined = exp.Join(this=exp.to_table(before).as_(BEFORE, quoted=True), on=on)
    return _keep(source, None, earliest, last, joined)


def _keep(
    source: exp.Expr,
    test: exp.Expr | None,
    earliest: bool,
    last: bool,
    join: exp.Join | None = None,
) -> exp.Select:
    """The rows of `source` (named THIS) that pass `test`, as the next step reads them."""
    ts = _col("ts", THIS)
    if last:
        columns: list[exp.Expr] = [_col(KEY, THIS)]
    elif earliest:
        columns = [_col(KEY, THIS), exp.alias_(exp.func("MIN", ts), "ts", quoted=True)]
    else:
        columns = [_col(KEY, THIS), ts]
    query = exp.select(*columns).from_(source, copy=False)
    if join is not None:
        query = query.join(join, copy=False)
    if test is not None:
        query = query.where(test, copy=False)
    return query.group_by(_col(KEY, THIS), copy=False) if earliest else query


def _reached_within(
    scan: exp.Select, before: str, gap: Duration, earliest: bool, last: bool
) -> exp.Select:
    """Each event of `scan` with the latest reached time of the step before strictly
    earlier than it, from one sort of both per contact (a join of the two on contact_id
    grows with the square of a busy contact's events): the event is reached when that
    time is at most `gap` before it. At one instant, this step's events sort before the
    step before's, so an event never follows one at its own time."""
    rows = exp.union(
        exp.select(
            _col(KEY, before), _col("ts", before), exp.alias_(_number(1), KIND, quoted=True)
        ).from_(exp.to_table(before)),
        exp.select(
            _col(KEY, CANDIDATES), _col("ts", CANDIDATES), exp.alias_(_number(0), KIND, quoted=True)
        ).from_(exp.alias_(scan.subquery(), CANDIDATES, quoted=True)),
        distinct=False,
    )
    earlier = exp.Case(ifs=[exp.If(this=_bare(KIND).eq(_number(1)), true=_bare("ts"))])
    latest = exp.Window(
        this=exp.func("MAX", earlier),
        partition_by=[_bare(KEY)],
        # Neither key is ever missing; NULLS FIRST is the order every dialect can write in a
        # window (BigQuery's take no NULLS LAST).
        order=exp.Order(
            expressions=[
                exp.Ordered(this=_bare("ts"), nulls_first=True),
                exp.Ordered(this=_bare(KIND), nulls_first=True),
            ]
        ),
        spec=exp.WindowSpec(
            kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"
        ),
    )
    ordered = exp.select(
        _bare(KEY), _bare("ts"), _bare(KIND), exp.alias_(latest, LATEST, quoted=True)
    ).from_(exp.alias_(rows.subquery(), "chained", quoted=True))
    limit = exp.Add(this=_col(LATEST, THIS), expression=gap_interval(gap))
    test = exp.and_(
        _col(KIND, THIS).eq(_number(0)),
        exp.LTE(this=_col("ts", THIS), expression=limit),
    )
    return _keep(exp.alias_(ordered.subquery(), THIS, quoted=True), test, earliest, last)


def _bare(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _number(value: int) -> exp.Expr:
    return exp.Literal.number(value)
