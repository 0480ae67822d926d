"""Typed tree -> sqlglot expressions, one visit method per node.

Every predicate built here is two-valued (TRUE or FALSE, never NULL), so that
`not` is the exact complement docs/language.md asks for: positive ops test for a
present value first, negative ops accept a missing one explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, assert_never

from sqlglot import exp

from duckseg.compiler.dialects import (
    EXACT_SUM_TYPE,
    DialectSettings,
    ListTests,
    RegexSearch,
    inline_flags,
)
from duckseg.compiler.facts import Fact, FactPlan, Measure, facts_of, trait_fact
from duckseg.compiler.floatsum import exact_float_sum, with_filter
from duckseg.compiler.lifecycle import periods_met, span_range
from duckseg.compiler.percentiles import RankPlan, percentile_test
from duckseg.compiler.sequences import sequence_members
from duckseg.compiler.sequences_sorted import sorted_sequence_members
from duckseg.compiler.shapes import count_from_one
from duckseg.compiler.traits import edge_value, trait_value
from duckseg.lang import ir
from duckseg.lang.describe import describe
from duckseg.lang.time import Bound, Cmp, InstantRange, TimeContext, TimeValue, instant_range
from duckseg.types import ValueType

CONTACTS = "contacts"
EVENTS = "events"
FACTS = "event_facts"
FLAGS = "member_flags"  # per contact, a membership flag per segment (compile_build)
STATIC_MEMBERS = "static_members"
KEY = "contact_id"
# Beyond this many distinct fact predicates (a build of many segments), OR-ing them into the
# scan filter costs more per row than the rows it drops save: names and time range only.
MAX_SCAN_PREDICATES = 8


class CompileError(Exception):
    """A tree the compiler has no rule for: a bug, never a user error."""


# -- literals --------------------------------------------------------------------


def timestamp_literal(at: datetime, type_: exp.DType = exp.DType.TIMESTAMP) -> exp.Cast:
    """A naive-UTC TIMESTAMP constant (the lake stores instants as naive UTC)."""
    naive_utc = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at
    return exp.cast(exp.Literal.string(naive_utc.isoformat(sep=" ")), type_)


def date_literal(day: date) -> exp.Expr:
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE)


def literal(value: Any) -> exp.Expr:
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        return timestamp_literal(value)
    if isinstance(value, date):
        return date_literal(value)
    raise CompileError(f"no literal rule for {type(value).__name__}")


def safe_comment(text: str) -> str:
    """Comment text that cannot close the comment it sits in."""
    return " " + text.replace("*/", "* /").replace("/*", "/ *").replace("\n", " ") + " "


def column(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def left_join(query: exp.Select, table: exp.Expr, on: exp.Expr) -> exp.Select:
    """`query LEFT JOIN table ON on`, changing `query` (sqlglot's join(join_type=...)
    parses a string for the join type on every call)."""
    return query.join(exp.Join(this=table, on=on, side="LEFT"), copy=False)


def _and(parts: Sequence[exp.Expr]) -> exp.Expr:
    return exp.and_(*parts, copy=False) if parts else exp.true()


# -- the builder ----------------------------------------------------------------------


class SqlBuilder:
    def __init__(
        self,
        ctx: TimeContext,
        settings: DialectSettings,
        plan: FactPlan,
        ranks: RankPlan | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.plan = plan
        self.ranks = ranks or RankPlan()

    # condition tree -> predicate over contacts LEFT JOIN event_facts
    def predicate(self, node: ir.Node) -> exp.Expr:
        method: Callable[[Any], exp.Expr] | None = getattr(
            self, f"visit_{type(node).__name__}", None
        )
        if method is None:
            raise CompileError(f"no compile rule for {type(node).__name__}")
        return method(node)

    def visit_AllOf(self, node: ir.AllOf) -> exp.Expr:
        return (
            exp.and_(*(self.predicate(c) for c in node.children), copy=False)
            if node.children
            else exp.true()
        )

    def visit_AnyOf(self, node: ir.AnyOf) -> exp.Expr:
        return exp.or_(*(self.predicate(c) for c in node.children), copy=False)

    def visit_Not(self, node: ir.Not) -> exp.Expr:
        return exp.not_(exp.paren(self.predicate(node.child)))

    def visit_ValueTest(self, node: ir.ValueTest) -> exp.Expr:
        if node.op in ir.PERCENT_OPS:
            return percentile_test(node, self.ranks)
        return self.value_test(self.value_of(node.column), node)

    def value_of(self, col: ir.Column) -> exp.Expr:
        """An attribute, a property, or a trait's value from the fact table."""
        if col.trait is not None:
            return trait_value(self.fact_ref(trait_fact(col.trait)), col.trait)
        return column(col.name, CONTACTS if col.scope == "contact" else EVENTS)

    def visit_SegmentRef(self, node: ir.SegmentRef) -> exp.Expr:
        return exp.paren(self.predicate(node.tree))

    def visit_StaticMembers(self, node: ir.StaticMembers) -> exp.Expr:
        members = (
            exp.select(column(KEY, STATIC_MEMBERS))
            .from_(exp.to_table(STATIC_MEMBERS))
            .where(column("segment", STATIC_MEMBERS).eq(exp.Literal.string(node.name)))
        )
        return column(KEY, CONTACTS).isin(query=members)

    def visit_EventTest(self, node: ir.EventTest) -> exp.Expr:
        return self.event_test(node, [self.fact_ref(fact) for fact in facts_of(node)])

    def visit_EventTimeTest(self, node: ir.EventTimeTest) -> exp.Expr:
        return self.event_time_test(node, self.fact_ref(facts_of(node)[0]))

    def visit_SequenceTest(self, node: ir.SequenceTest) -> exp.Expr:
        return column(KEY, CONTACTS).isin(query=self.sequence(node))

    def sequence(self, node: ir.SequenceTest) -> exp.Select:
        """The contacts with a chain of the sequence's events (compiler/sequences.py)."""
        as_of = timestamp_literal(self.ctx.as_of, self.settings.timestamp_type)
        gaps = any(step.then_within is not None for step in node.steps)
        if gaps and not self.settings.microsecond_diff:
            # stretches of then_within need microsecond differences
            query = sorted_sequence_members(node, self.event_predicate)
        else:
            query = sequence_members(node, self.event_predicate, as_of, self.settings)
        query.add_comments([safe_comment(f"contacts who: {describe(node)}")])
        return query

    def visit_RegularTest(self, node: ir.RegularTest) -> exp.Expr:
        return periods_met(node, [self.fact_ref(fact) for fact in facts_of(node)])

    def event_test(
        self, node: ir.EventTest, values: Sequence[exp.Expr], *, grouped: bool = False
    ) -> exp.Expr:
        """The count (and aggregate) test on `values`, the facts of `node` in order: columns
        of the fact table (missing for a contact without events), or with `grouped` the
        aggregates of one contact's group of qualifying events."""
        parts = []
        # A group has at least one event: a count test that every count from 1 passes is moot.
        if not (grouped and count_from_one(node.count) is True):
            count = values[0] if grouped else exp.func("COALESCE", values[0], exp.Literal.number(0))
            parts.append(self.compare(count, node.count, ValueType.INTEGER, nullable=False))
        if node.aggregate is not None:
            agg = node.aggregate
            ref = values[1]
            zero_when_empty = agg.fn in (ir.AggFn.SUM, ir.AggFn.COUNT_DISTINCT)
            if zero_when_empty:
                ref = exp.func("COALESCE", ref, exp.Literal.number(0))  # nothing to add up is 0
            result_type = (
                agg.column.type if agg.fn in (ir.AggFn.MIN, ir.AggFn.MAX) else ValueType.FLOAT
            )
            parts.append(self.compare(ref, agg.compare, result_type, nullable=not zero_when_empty))
        return _and(parts)

    def event_time_test(self, node: ir.EventTimeTest, value: exp.Expr) -> exp.Expr:
        rng = self.window_range(node.test)
        return _and(
            [exp.Not(this=exp.Is(this=value, expression=exp.null())), *self.range_parts(value, rng)]
        )

    def fact_ref(self, fact: Fact) -> exp.Column:
        return column(self.plan.column_for(fact), FACTS)

    # -- attribute / property tests -----------------------------------------------------
    def value_test(self, col: exp.Expr, test: ir.ValueTest) -> exp.Expr:
        vtype, op = test.column.type, test.op
        present = exp.Not(this=exp.Is(this=col, expression=exp.null()))
        missing = exp.Is(this=col, expression=exp.null())
        if op is ir.Op.IS_SET:
            return _and([present, *self.non_empty(col, vtype)])
        if op is ir.Op.IS_NOT_SET:
            return exp.not_(exp.paren(_and([present, *self.non_empty(col, vtype)])))
        if op in ir.NEGATIVE_OPS:
            positive = {
                ir.Op.IS_NOT: ir.Op.IS,
                ir.Op.NOT_CONTAINS: ir.Op.CONTAINS,
                ir.Op.HAS_NONE: ir.Op.HAS,
            }[op]
            core = self.positive_core(
                col, ir.ValueTest(test.column, positive, test.values, test.case_sensitive)
            )
            return exp.or_(missing, exp.not_(exp.paren(core)))
        return exp.and_(present, self.positive_core(col, test))

    def non_empty(self, col: exp.Expr, vtype: ValueType) -> list[exp.Expr]:
        if vtype is ValueType.TEXT:
            return [exp.NEQ(this=col, expression=exp.Literal.string(""))]
        if vtype is ValueType.TEXT_LIST:
            return [exp.GT(this=self.list_size(col), expression=exp.Literal.number(0))]
        return []

    def list_size(self, array: exp.Expr) -> exp.Expr:
        name = self.settings.list_size_function
        return exp.Anonymous(this=name, expressions=[array]) if name else exp.ArraySize(this=array)

    def positive_core(self, col: exp.Expr, test: ir.ValueTest) -> exp.Expr:
        """The op on a present value (the caller handles missing values)."""
        vtype, op, values = test.column.type, test.op, test.values
        if vtype.is_temporal:
            return self.temporal_core(col, vtype, op, values, test)
        fold = vtype is ValueType.TEXT and not test.case_sensitive and op in ir.TEXT_FOLDING_OPS
        subject = exp.Lower(this=col) if fold else col
        lits = [exp.Lower(this=literal(v)) if fold else literal(v) for v in values]
        match op:
            case ir.Op.IS:
                return (
                    subject.eq(lits[0])
                    if len(lits) == 1
                    else exp.In(this=subject, expressions=lits)
                )
            case ir.Op.CONTAINS:
                return exp.GT(
                    this=exp.StrPosition(this=subject, substr=lits[0]),
                    expression=exp.Literal.number(0),
                )
            case ir.Op.STARTS_WITH:
                return exp.StartsWith(this=subject, expression=lits[0])
            case ir.Op.ENDS_WITH:
                if not self.settings.has_ends_with:
                    suffix = exp.Right(this=subject, expression=exp.Length(this=lits[0]))
                    return suffix.eq(lits[0].copy())
                return exp.EndsWith(this=subject, expression=lits[0])
            case ir.Op.MATCHES:
                return self.regex_test(col, str(values[0]))
            case ir.Op.GT:
                return exp.GT(this=col, expression=lits[0])
            case ir.Op.GTE:
                return exp.GTE(this=col, expression=lits[0])
            case ir.Op.LT:
                return exp.LT(this=col, expression=lits[0])
            case ir.Op.LTE:
                return exp.LTE(this=col, expression=lits[0])
            case ir.Op.BETWEEN:
                return exp.Between(this=col, low=lits[0], high=lits[1])
            case ir.Op.IS_TRUE:
                return col.eq(exp.true())
            case ir.Op.IS_FALSE:
                return col.eq(exp.false())
            case ir.Op.HAS:
                return self.list_test(col, lits, all_of=False)
            case ir.Op.HAS_ALL:
                return self.list_test(col, lits, all_of=True)
            case (
                ir.Op.IS_NOT
                | ir.Op.NOT_CONTAINS
                | ir.Op.HAS_NONE
                | ir.Op.IS_SET
                | ir.Op.IS_NOT_SET
                | ir.Op.BEFORE
                | ir.Op.AFTER
                | ir.Op.WITHIN_LAST
                | ir.Op.TOP_PERCENT
                | ir.Op.BOTTOM_PERCENT
            ):
                raise CompileError(f"{op.value} has no positive core for {vtype.value}")
            case _:
                assert_never(op)

    def regex_test(self, col: exp.Expr, pattern: str) -> exp.Expr:
        pattern, parameters = inline_flags(pattern, self.settings)
        flagged = exp.Literal.string(self.settings.regex_flags + pattern)
        match self.settings.regex_search:
            case RegexSearch.LIKE:
                return exp.RegexpLike(this=col, expression=flagged)
            case RegexSearch.INSTR:
                found = exp.RegexpInstr(this=col, expression=flagged)
                if parameters:
                    one, zero = exp.Literal.number(1), exp.Literal.number(0)
                    found.set("position", one)
                    found.set("occurrence", one.copy())
                    found.set("option", zero)
                    found.set("parameters", exp.Literal.string(parameters))
                return exp.GT(this=found, expression=exp.Literal.number(0))
            case _:
                assert_never(self.settings.regex_search)

    def list_test(self, col: exp.Expr, lits: list[exp.Expr], *, all_of: bool) -> exp.Expr:
        """Tags test, two-valued for a present list (NULL elements never match)."""
        distinct = list({lit.sql(): lit for lit in lits}.values())  # has_all counts each once
        if len(distinct) == 1 and self.settings.contains_one:
            return exp.ArrayContains(this=col, expression=distinct[0])
        array = exp.Array(expressions=distinct)
        zero = exp.Literal.number(0)
        match self.settings.list_tests:
            case ListTests.OPERATORS:
                node = exp.ArrayContainsAll if all_of else exp.ArrayOverlaps
                return node(this=col, expression=array)
            case ListTests.ARRAY_SETS:
                if all_of:
                    missing = exp.ArrayExcept(this=array, expression=col)
                    return exp.EQ(this=self.list_size(missing), expression=zero)
                common = exp.ArrayIntersect(expressions=[col, array])
                return exp.GT(this=self.list_size(common), expression=zero)
            case ListTests.UNNEST:
                tag = exp.column("tag")
                unnest = exp.Unnest(
                    expressions=[col], alias=exp.TableAlias(columns=[exp.to_identifier("tag")])
                )
                wanted = exp.In(this=tag, expressions=distinct)
                if all_of:
                    found = (
                        exp.select(exp.Count(this=exp.Distinct(expressions=[tag.copy()])))
                        .from_(unnest)
                        .where(wanted)
                    )
                    return exp.EQ(
                        this=exp.Subquery(this=found),
                        expression=exp.Literal.number(len(distinct)),
                    )
                return exp.Exists(
                    this=exp.select(exp.Literal.number(1)).from_(unnest).where(wanted)
                )
            case _:
                assert_never(self.settings.list_tests)

    def temporal_core(
        self,
        col: exp.Expr,
        vtype: ValueType,
        op: ir.Op,
        values: tuple[ir.Value, ...],
        test: ir.ValueTest,
    ) -> exp.Expr:
        tvs: list[TimeValue] = [
            v for v in values if not isinstance(v, str | int | float | Decimal | bool | date)
        ]
        match op:
            case ir.Op.IS:
                return exp.or_(*(self.time_cmp(col, vtype, Cmp.EQ, tv) for tv in tvs))
            case ir.Op.GT | ir.Op.AFTER:
                return self.time_cmp(col, vtype, Cmp.GT, tvs[0])
            case ir.Op.GTE:
                return self.time_cmp(col, vtype, Cmp.GTE, tvs[0])
            case ir.Op.LT | ir.Op.BEFORE:
                return self.time_cmp(col, vtype, Cmp.LT, tvs[0])
            case ir.Op.LTE:
                return self.time_cmp(col, vtype, Cmp.LTE, tvs[0])
            case ir.Op.BETWEEN:
                return exp.and_(
                    self.time_cmp(col, vtype, Cmp.GTE, tvs[0]),
                    self.time_cmp(col, vtype, Cmp.LTE, tvs[1]),
                )
            case ir.Op.WITHIN_LAST:
                assert test.duration is not None
                start = self.ctx.back(test.duration)
                if vtype is ValueType.DATE:
                    return exp.Between(
                        this=col,
                        low=date_literal(self.ctx.day_of(start)),
                        high=date_literal(self.ctx.day_of(self.ctx.as_of)),
                    )
                return _and(
                    self.range_parts(
                        col, InstantRange(Bound(start, True), Bound(self.ctx.as_of, True))
                    )
                )
            case _:
                raise CompileError(f"{op.value} is not a temporal op")

    def time_cmp(self, col: exp.Expr, vtype: ValueType, cmp: Cmp, tv: TimeValue) -> exp.Expr:
        """`col <cmp> tv` with the dates-against-instants rule of docs/language.md."""
        if vtype is ValueType.DATE:
            day = date_literal(self.ctx.as_date(tv))
            ops: dict[Cmp, type[exp.Binary]] = {
                Cmp.GT: exp.GT,
                Cmp.GTE: exp.GTE,
                Cmp.LT: exp.LT,
                Cmp.LTE: exp.LTE,
                Cmp.EQ: exp.EQ,
            }
            return ops[cmp](this=col, expression=day)
        return _and(self.range_parts(col, instant_range(self.ctx, cmp, tv)))

    def range_parts(self, col: exp.Expr, rng: InstantRange) -> list[exp.Expr]:
        parts: list[exp.Expr] = []
        stamp = self.settings.timestamp_type
        if rng.low is not None:
            low = exp.GTE if rng.low.inclusive else exp.GT
            parts.append(low(this=col, expression=timestamp_literal(rng.low.at, stamp)))
        if rng.high is not None:
            high = exp.LTE if rng.high.inclusive else exp.LT
            parts.append(high(this=col, expression=timestamp_literal(rng.high.at, stamp)))
        return parts

    # -- count / aggregate comparisons -------------------------------------------------
    def compare(
        self, value: exp.Expr, cmp: ir.Compare, vtype: ValueType, *, nullable: bool = True
    ) -> exp.Expr:
        """`value <op> literal`, two-valued (a missing value never matches)."""
        core: exp.Expr
        if vtype.is_temporal:
            tvs: list[TimeValue] = [
                v for v in cmp.values if not isinstance(v, int | float | Decimal | date)
            ]
            by_op = {
                ir.CompareOp.EQ: Cmp.EQ,
                ir.CompareOp.GT: Cmp.GT,
                ir.CompareOp.GTE: Cmp.GTE,
                ir.CompareOp.LT: Cmp.LT,
                ir.CompareOp.LTE: Cmp.LTE,
            }
            if cmp.op is ir.CompareOp.BETWEEN:
                core = exp.and_(
                    self.time_cmp(value, vtype, Cmp.GTE, tvs[0]),
                    self.time_cmp(value, vtype, Cmp.LTE, tvs[1]),
                )
            elif cmp.op is ir.CompareOp.NEQ:
                core = exp.not_(exp.paren(self.time_cmp(value, vtype, Cmp.EQ, tvs[0])))
            else:
                core = self.time_cmp(value, vtype, by_op[cmp.op], tvs[0])
        else:
            lits = [literal(v) for v in cmp.values]
            match cmp.op:
                case ir.CompareOp.EQ:
                    core = exp.EQ(this=value, expression=lits[0])
                case ir.CompareOp.NEQ:
                    core = exp.NEQ(this=value, expression=lits[0])
                case ir.CompareOp.GT:
                    core = exp.GT(this=value, expression=lits[0])
                case ir.CompareOp.GTE:
                    core = exp.GTE(this=value, expression=lits[0])
                case ir.CompareOp.LT:
                    core = exp.LT(this=value, expression=lits[0])
                case ir.CompareOp.LTE:
                    core = exp.LTE(this=value, expression=lits[0])
                case ir.CompareOp.BETWEEN:
                    core = exp.Between(this=value, low=lits[0], high=lits[1])
                case _:
                    assert_never(cmp.op)
        if not nullable:
            return core
        return exp.and_(exp.Not(this=exp.Is(this=value, expression=exp.null())), exp.paren(core))

    # -- windows and the events scan ------------------------------------------------
    def window_range(self, window: ir.Window | None) -> InstantRange:
        """The instants a window admits; every window ends at as_of (docs/language.md)."""
        until = InstantRange(high=Bound(self.ctx.as_of, True))
        match window:
            case None:
                return until
            case ir.WindowLast(duration):
                return until.intersect(InstantRange(low=Bound(self.ctx.back(duration), True)))
            case ir.WindowBetween(low, high):
                rng = instant_range(self.ctx, Cmp.GTE, low).intersect(
                    instant_range(self.ctx, Cmp.LTE, high)
                )
                return until.intersect(rng)
            case ir.WindowBefore(at):
                return until.intersect(instant_range(self.ctx, Cmp.LT, at))
            case ir.WindowAfter(at):
                return until.intersect(instant_range(self.ctx, Cmp.GT, at))
            case ir.WindowSpan():
                return until.intersect(span_range(self.ctx, window))
            case _:
                assert_never(window)

    def event_predicate(self, flt: ir.EventFilter) -> exp.Expr:
        """Which events qualify for a condition: names, window (up to as_of), per-event where."""
        parts = [self.names_in(flt.events)]
        parts.extend(self.range_parts(column("ts", EVENTS), self.window_range(flt.window)))
        if flt.where is not None:
            parts.append(exp.paren(self.predicate(flt.where)))
        return exp.and_(*parts, copy=False)

    def names_in(self, names: Sequence[str]) -> exp.Expr:
        event = column("event", EVENTS)
        lits = [exp.Literal.string(n) for n in names]
        return event.eq(lits[0]) if len(lits) == 1 else exp.In(this=event, expressions=lits)

    def aggregate(self, fact: Fact, *, filtered: bool = True) -> exp.Expr:
        """The fact's aggregate over its qualifying events; with `filtered` false, over
        every row of the group (a query whose WHERE already keeps only those)."""
        cond = self.event_predicate(fact.filter) if filtered else None
        ts = column("ts", EVENTS)
        prop = column(fact.column.name, EVENTS) if fact.column is not None else ts
        # Sums must not depend on scan order (docs/language.md): float sums are exact over the
        # binary doubles where the engine can (DuckDB, compiler/floatsum.py), exact over
        # decimals (EXACT_SUM_TYPE) elsewhere. Integers and decimals sum exactly as they are.
        is_float = fact.column is not None and fact.column.type is ValueType.FLOAT
        binary = is_float and self.settings.exact_binary_sums

        def total(where: exp.Expr | None) -> exp.Expr:
            if binary:
                return exact_float_sum(prop, where, self.filtered)
            exact = exp.cast(prop.copy(), EXACT_SUM_TYPE.copy()) if is_float else prop.copy()
            return self.filtered("SUM", exact, where)

        match fact.measure:
            case Measure.COUNT:
                return self.filtered("COUNT", exp.Star(), cond)
            case Measure.SUM:
                return total(cond)
            case Measure.AVG:
                # That sum over the count of present values: the engines' own averages
                # differ (Spark averages decimals to a decimal; DuckDB's FAVG depends on the
                # order of the rows, like its FSUM).
                whole = total(cond)
                if not binary:
                    whole = exp.cast(whole, exp.DataType.Type.DOUBLE)
                count = self.filtered("COUNT", prop, cond.copy() if cond is not None else None)
                return exp.Div(
                    this=whole, expression=exp.func("NULLIF", count, exp.Literal.number(0))
                )
            case Measure.MIN:
                return self.filtered("MIN", prop, cond)
            case Measure.FIRST_TS:
                return self.filtered("MIN", ts, cond)
            case Measure.MAX:
                return self.filtered("MAX", prop, cond)
            case Measure.LAST_TS:
                return self.filtered("MAX", ts, cond)
            case Measure.COUNT_DISTINCT:
                return self.filtered("COUNT", exp.Distinct(expressions=[prop]), cond)
            case Measure.FIRST_VALUE | Measure.LAST_VALUE:
                return edge_value(
                    prop,
                    ts,
                    cond,
                    last=fact.measure is Measure.LAST_VALUE,
                    filtered=self.filtered,
                    settings=self.settings,
                )
            case _:
                assert_never(fact.measure)

    def filtered(self, name: str, arg: exp.Expr, cond: exp.Expr | None) -> exp.Expr:
        """`name(arg)` over the rows where `cond` holds (every row when it is None)."""
        if cond is None or self.settings.supports_filter_clause:
            return with_filter(name, arg, cond)
        # CASE WHEN p THEN x END: rows failing p become NULL, which every aggregate ignores.
        if isinstance(arg, exp.Star):
            arg = exp.Literal.number(1)
        if isinstance(arg, exp.Distinct):
            inner = exp.Case(ifs=[exp.If(this=cond, true=arg.expressions[0])])
            return exp.func(name, exp.Distinct(expressions=[inner]))
        return exp.func(name, exp.Case(ifs=[exp.If(this=cond, true=arg)]))

    def scan_filter(self, facts: Sequence[Fact]) -> exp.Expr:
        """A filter on the events scan that exactly the events some fact needs pass.

        Its first conjuncts (event names, the widest time range) are simple enough for
        Parquet row-group statistics to prune with; the last one, the OR of every fact's
        own predicate, drops rows no condition counts (a `where` on properties, say) before
        they reach the aggregation.
        """
        names = sorted({n for f in facts for n in f.filter.events})
        ranges = [self.window_range(f.filter.window) for f in facts]
        ts = column("ts", EVENTS)
        parts = [self.names_in(names)]
        lows, highs = [r.low for r in ranges], [r.high for r in ranges]
        low = None
        if all(b is not None for b in lows):
            low = min((b for b in lows if b is not None), key=lambda b: (b.at, not b.inclusive))
        # Every window ends at as_of, so every fact has an upper bound.
        high = max((b for b in highs if b is not None), key=lambda b: (b.at, b.inclusive))
        parts.extend(self.range_parts(ts, InstantRange(low, high)))
        predicates = list(dict.fromkeys(self.event_predicate(f.filter) for f in facts))
        # Needed only where some fact is narrower than the names and range above: facts of
        # different names over one range are exactly those names in that range.
        narrower = len(set(ranges)) > 1 or any(f.filter.where is not None for f in facts)
        if narrower and len(predicates) <= MAX_SCAN_PREDICATES:
            parts.append(
                exp.paren(exp.or_(*predicates, copy=False))
                if len(predicates) > 1
                else predicates[0]
            )
        return exp.and_(*parts, copy=False)
