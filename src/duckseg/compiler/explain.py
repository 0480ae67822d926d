"""Explain one contact: every node of a definition with its result and its evidence, all
computed by one query on DuckDB for that contact alone (docs/memberships.md).

The result of each node is the compiler's own predicate for it (SqlBuilder), evaluated
over the contact's row of `contacts` joined to its facts (one pass over its events only),
so the top result is the membership a build computes. Evidence is more columns of the same
query: the attribute value, the count and aggregate of the qualifying events, their first
and last times, a sequence's chain (compiler/chains.py), a lifecycle condition's periods.
There is one method per IR node; a node without one is a type error
(assert_never), so a new condition kind cannot be explained silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from sqlglot import exp

from duckseg.compiler.chains import chain_of
from duckseg.compiler.dialects import dialect_settings
from duckseg.compiler.facts import AGG_MEASURE, Fact, FactPlan, Measure, facts_of
from duckseg.compiler.lifecycle import period_window
from duckseg.compiler.rewrites import lower
from duckseg.compiler.sqlbuild import CONTACTS, EVENTS, FACTS, KEY, SqlBuilder, column, left_join
from duckseg.lang import ir
from duckseg.lang.describe import describe
from duckseg.lang.time import Duration, TimeContext, iso

Static = str | int | float | bool | list[str] | None


@dataclass(frozen=True)
class StepPlan:
    """One step of a sequence: its qualifying count and its chosen event's columns."""

    events: list[str]
    then_within: Duration | None
    count: str
    event: str
    time: str
    properties: dict[str, str]


@dataclass(frozen=True)
class PeriodPlan:
    """One period of `performed_regularly`: its bounds, its count, whether it qualified."""

    start: str
    end: str
    end_inclusive: bool
    count: str
    met: str


@dataclass
class NodePlan:
    """One node: the column holding its result, its evidence columns, its children."""

    kind: str
    description: str
    result: str  # column alias in ExplainPlan.query
    evidence: dict[str, str] = field(default_factory=dict)  # evidence key -> column alias
    fixed: dict[str, Static] = field(default_factory=dict)  # evidence known without a query
    children: list[NodePlan] = field(default_factory=list)
    steps: list[StepPlan] = field(default_factory=list)  # a sequence's
    periods: list[PeriodPlan] = field(default_factory=list)  # performed_regularly's


@dataclass(frozen=True)
class ExplainPlan:
    """`query` returns one row for the contact given as every one of its parameters (none
    for an id that is not a contact)."""

    query: exp.Select
    root: NodePlan

    def parameters(self, key: object) -> list[object]:
        return [key] * len(list(self.query.find_all(exp.Placeholder)))


class Explainer:
    def __init__(self, ctx: TimeContext, dialect: str = "duckdb") -> None:
        self.plan = FactPlan()
        self.builder = SqlBuilder(ctx, dialect_settings(dialect), self.plan)
        self.columns: list[exp.Expr] = []
        self.ctes: list[tuple[str, exp.Select]] = []

    def explain(self, tree: ir.Node) -> ExplainPlan:
        root = self.node(tree)
        facts = exp.select(column(KEY, EVENTS))
        for fact, name in self.plan.columns.items():
            facts = facts.select(exp.alias_(self.builder.aggregate(fact), name, quoted=True))
        facts = (
            facts.from_(exp.to_table(EVENTS))
            .where(column(KEY, EVENTS).eq(exp.Placeholder()))
            .group_by(column(KEY, EVENTS))
        )
        query = exp.select(*self.columns).from_(exp.to_table(CONTACTS))
        query = left_join(query, exp.to_table(FACTS), column(KEY, FACTS).eq(column(KEY, CONTACTS)))
        query = query.where(column(KEY, CONTACTS).eq(exp.Placeholder())).with_(FACTS, as_=facts)
        for name, cte in self.ctes:
            query = query.with_(name, as_=cte, copy=False)
        return ExplainPlan(query, root)

    # -- one method per node -------------------------------------------------------------
    def node(self, node: ir.Node) -> NodePlan:
        match node:
            case ir.AllOf():
                return self.group("all", node, node.children)
            case ir.AnyOf():
                return self.group("any", node, node.children)
            case ir.Not():
                return self.group("not", node, (node.child,))
            case ir.ValueTest():
                return self.value_test(node)
            case ir.EventTest():
                return self.event_test(node)
            case ir.EventTimeTest():
                return self.event_time_test(node)
            case ir.SegmentRef():
                return self.segment_ref(node)
            case ir.StaticMembers():
                return self.static_members(node)
            case ir.SequenceTest():
                return self.sequence(node)
            case ir.RegularTest():
                return self.regular(node)
            case ir.StoppedTest():
                return self.periods("stopped_performing", node)
            case ir.RestartedTest():
                return self.periods("restarted_performing", node)
            case _:
                assert_never(node)

    def group(self, kind: str, node: ir.Node, children: tuple[ir.Node, ...]) -> NodePlan:
        plan = self.new(kind, node)
        plan.children = [self.node(child) for child in children]
        return plan

    def value_test(self, node: ir.ValueTest) -> NodePlan:
        plan = self.new("attribute", node)
        plan.fixed["attribute"] = node.column.name
        plan.evidence["value"] = self.add(column(node.column.name, CONTACTS))
        return plan

    def event_test(self, node: ir.EventTest) -> NodePlan:
        never = node.count.op is ir.CompareOp.EQ and node.count.values == (0,)
        plan = self.new("not_performed" if never and node.aggregate is None else "performed", node)
        plan.fixed["events"] = list(node.filter.events)
        self.window(plan, node.filter)
        count, *rest = facts_of(node)
        plan.evidence["count"] = self.add(self.fact(count, zero=True))
        if node.aggregate is not None:
            agg = node.aggregate
            plan.fixed["aggregate"] = f"{agg.fn.value} of {agg.column.name}"
            zero = AGG_MEASURE[agg.fn] in (Measure.SUM, Measure.COUNT_DISTINCT)
            plan.evidence["aggregate_value"] = self.add(self.fact(rest[0], zero=zero))
        for key, measure in (("first_time", Measure.FIRST_TS), ("last_time", Measure.LAST_TS)):
            plan.evidence[key] = self.add(self.fact(Fact(measure, node.filter)))
        return plan

    def event_time_test(self, node: ir.EventTimeTest) -> NodePlan:
        plan = self.new(f"{node.which.value}_performed", node)
        plan.fixed["events"] = list(node.filter.events)
        self.window(plan, node.filter)
        plan.evidence["time"] = self.add(self.fact(facts_of(node)[0]))
        count = Fact(Measure.COUNT, node.filter)
        plan.evidence["count"] = self.add(self.fact(count, zero=True))
        return plan

    def segment_ref(self, node: ir.SegmentRef) -> NodePlan:
        plan = self.new("in_segment", node)
        plan.fixed["segment"] = node.name
        plan.children = [self.node(node.tree)]  # the referenced segment, explained in turn
        return plan

    def static_members(self, node: ir.StaticMembers) -> NodePlan:
        plan = self.new("in_static_segment", node)
        plan.fixed["segment"] = node.name
        return plan

    def sequence(self, node: ir.SequenceTest) -> NodePlan:
        """Per step, how many of the contact's events qualify, and one chain: complete when
        the contact matches, else the longest prefix any chain reaches."""
        plan = self.new("sequence", node)
        chain = chain_of(node, self.builder.event_predicate, f"chain_{len(self.ctes)}")
        self.ctes.extend(chain.ctes)
        for step, chosen in zip(node.steps, chain.steps, strict=True):
            count = self.add(self.fact(Fact(Measure.COUNT, step.filter), zero=True))
            plan.steps.append(
                StepPlan(
                    list(step.filter.events),
                    step.then_within,
                    count,
                    self.add(chosen.event),
                    self.add(chosen.time),
                    {name: self.add(expr) for name, expr in chosen.properties.items()},
                )
            )
        return plan

    def regular(self, node: ir.RegularTest) -> NodePlan:
        """The qualifying events in each period, the most recent period first, and whether
        each reached `times`."""
        plan = self.new("performed_regularly", node)
        plan.fixed["events"] = list(node.filter.events)
        for index, fact in enumerate(facts_of(node), 1):
            count = self.fact(fact, zero=True)
            times = exp.Literal.number(node.times)
            bounds = self.builder.window_range(period_window(node.every, index))
            assert bounds.low is not None and bounds.high is not None  # periods are bounded
            plan.periods.append(
                PeriodPlan(
                    iso(bounds.low.at),
                    iso(bounds.high.at),
                    bounds.high.inclusive,
                    self.add(count),
                    self.add(exp.GTE(this=count.copy(), expression=times)),
                )
            )
        return plan

    def periods(self, kind: str, node: ir.StoppedTest | ir.RestartedTest) -> NodePlan:
        """Stopped and restarted are counts in their stretches of time (as the compiler
        lowers them): each stretch is a child with its count."""
        lowered = lower(node)
        plan = NodePlan(kind, describe(node), self.add(self.builder.predicate(lowered)))
        plan.fixed["events"] = list(node.filter.events)
        plan.children = [self.node(lowered)]
        return plan

    # -- helpers -------------------------------------------------------------------------
    def window(self, plan: NodePlan, events: ir.EventFilter) -> None:
        """The instants the condition's window admits at as_of, as an interval: the stretch
        each child of stopped / restarted counts in, and any other window's."""
        if events.window is None:
            return
        bounds = self.builder.window_range(events.window)
        assert bounds.high is not None  # every window ends at as_of at the latest
        if bounds.low is None:
            word = "up to" if bounds.high.inclusive else "before"
            plan.fixed["window"] = f"{word} {iso(bounds.high.at)}"
            return
        close = "]" if bounds.high.inclusive else ")"
        open_ = "[" if bounds.low.inclusive else "("
        plan.fixed["window"] = f"{open_}{iso(bounds.low.at)}, {iso(bounds.high.at)}{close}"

    def new(self, kind: str, node: ir.Node) -> NodePlan:
        # Lowered as a build lowers it: a group over stopped / restarted has no rule before.
        return NodePlan(kind, describe(node), self.add(self.builder.predicate(lower(node))))

    def fact(self, fact: Fact, zero: bool = False) -> exp.Expr:
        ref = column(self.plan.column_for(fact), FACTS)
        return exp.func("COALESCE", ref, exp.Literal.number(0)) if zero else ref

    def add(self, expr: exp.Expr) -> str:
        name = f"x{len(self.columns)}"
        self.columns.append(exp.alias_(expr, name, quoted=True))
        return name


def explain_plan(tree: ir.Node, ctx: TimeContext, dialect: str = "duckdb") -> ExplainPlan:
    return Explainer(ctx, dialect).explain(tree)
