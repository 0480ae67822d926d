"""One concrete chain of a sequence's events for one contact, the evidence explain shows
for a sequence (docs/memberships.md, "Why in or out").

A chain is the rule of docs/language.md, "Sequences": one qualifying event per step,
strictly increasing times, each within its step's `then_within` of the one before. The
chain shown is the one that completes earliest, with each step's event the earliest that
still leads to it:

    reached_1 = the contact's events of step 1
    reached_k = its events of step k that a reached_(k-1) event precedes (within then_within)
    chosen_n  = the earliest of reached_n
    chosen_k  = the earliest of reached_k that precedes chosen_(k+1) (within its then_within);
                the earliest of reached_k when nothing of step k+1 is chosen

So without a complete chain, the chosen events are the longest prefix any chain reaches,
ending as early as it can, and the step after it is where every chain fails. Events at
one instant are ordered by name and the properties shown, so the chain is the same on
every run. Every step scans only the contact's own events (one placeholder each).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from duckseg.compiler.sequences import gap_interval
from duckseg.lang import ir
from duckseg.lang.time import Duration

KEY = "contact_id"
EVENTS = "events"
EARLIER = "earlier"
LATER = "later"


@dataclass(frozen=True)
class ChainStep:
    """Scalar subqueries for one step's chosen event (missing when none is chosen)."""

    event: exp.Expr
    time: exp.Expr
    properties: dict[str, exp.Expr]


@dataclass(frozen=True)
class Chain:
    ctes: list[tuple[str, exp.Select]]
    steps: list[ChainStep]


def step_properties(step: ir.SequenceStep) -> list[str]:
    """The properties the step's `where` reads, in the order it names them."""
    if step.filter.where is None:
        return []
    names = [
        node.column.name
        for node in ir.walk(step.filter.where)
        if isinstance(node, ir.ValueTest) and node.column.scope == "event"
    ]
    return list(dict.fromkeys(names))


def chain_of(
    node: ir.SequenceTest, qualify: Callable[[ir.EventFilter], exp.Expr], prefix: str
) -> Chain:
    """The CTEs that choose the chain (named from `prefix`) and, per step, the columns of
    its chosen event; `qualify` is the builder's test of one events row against a filter."""
    props = [step_properties(step) for step in node.steps]
    reached = [f"{prefix}_reached_{k + 1}" for k in range(len(node.steps))]
    chosen = [f"{prefix}_chosen_{k + 1}" for k in range(len(node.steps))]
    ctes: list[tuple[str, exp.Select]] = []
    for k, step in enumerate(node.steps):
        ctes.append((reached[k], _reached(step, props[k], qualify, reached[k - 1] if k else None)))
    for k in reversed(range(len(node.steps))):
        after = None if k == len(node.steps) - 1 else (chosen[k + 1], node.steps[k + 1].then_within)
        ctes.append((chosen[k], _chosen(reached[k], props[k], after)))
    steps = [
        ChainStep(
            _scalar(chosen[k], "event"),
            _scalar(chosen[k], "ts"),
            {name: _scalar(chosen[k], _prop(i)) for i, name in enumerate(props[k])},
        )
        for k in range(len(node.steps))
    ]
    return Chain(ctes, steps)


def _reached(
    step: ir.SequenceStep,
    props: list[str],
    qualify: Callable[[ir.EventFilter], exp.Expr],
    before: str | None,
) -> exp.Select:
    columns = [
        exp.alias_(_col("ts", EVENTS), "ts", quoted=True),
        exp.alias_(_col("event", EVENTS), "event", quoted=True),
        *(exp.alias_(_col(name, EVENTS), _prop(i), quoted=True) for i, name in enumerate(props)),
    ]
    query = (
        exp.select(*columns)
        .from_(exp.to_table(EVENTS))
        .where(_col(KEY, EVENTS).eq(exp.Placeholder()), copy=False)
        .where(qualify(step.filter), copy=False)
    )
    if before is None:
        return query
    link = _follows(_col("ts", EARLIER), _col("ts", EVENTS), step.then_within)
    earlier = exp.select(exp.Literal.number(1)).from_(_table(before, EARLIER)).where(link)
    return query.where(exp.Exists(this=earlier), copy=False)


def _chosen(
    reached: str, props: list[str], after: tuple[str, Duration | None] | None
) -> exp.Select:
    """The earliest event of `reached` that leads to the chosen event of the next step."""
    own = "own"
    names = ["ts", "event", *(_prop(i) for i in range(len(props)))]
    query = exp.select(*(_col(name, own) for name in names)).from_(_table(reached, own))
    if after is not None:
        nxt, gap = after
        none = exp.not_(exp.Exists(this=exp.select(exp.Literal.number(1)).from_(nxt)))
        link = _follows(_col("ts", own), _col("ts", LATER), gap)
        leads = exp.Exists(
            this=exp.select(exp.Literal.number(1)).from_(_table(nxt, LATER)).where(link)
        )
        query = query.where(exp.or_(none, leads), copy=False)
    order = [exp.Ordered(this=_col(name, own), nulls_first=False) for name in names]
    return query.order_by(*order, copy=False).limit(1, copy=False)


def _follows(earlier: exp.Expr, later: exp.Expr, gap: Duration | None) -> exp.Expr:
    """`later` is strictly after `earlier`, and at most `gap` after it where there is one."""
    test: exp.Expr = exp.LT(this=earlier, expression=later)
    if gap is None:
        return test
    limit = exp.Add(this=earlier.copy(), expression=gap_interval(gap))
    return exp.and_(test, exp.LTE(this=later.copy(), expression=limit))


def _scalar(table: str, name: str) -> exp.Expr:
    return exp.select(exp.column(name, quoted=True)).from_(exp.to_table(table)).subquery()


def _table(name: str, alias: str) -> exp.Expr:
    return exp.alias_(exp.to_table(name), alias, table=True, quoted=True)


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _prop(index: int) -> str:
    return f"p{index}"
