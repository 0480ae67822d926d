"""Compile resolved segments to SQL.

    tree -> rewrites.lower -> FactPlan (one events pass) -> SqlBuilder -> sqlglot tree

The query for one segment reads two relations, `contacts` and `events` (plus
`static_members` when a static segment is referenced), and returns the member
contact_ids. For a build of several segments, `compile_build` shares one fact
table between them so the events are scanned once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from duckseg.compiler.dialects import DIALECTS, DialectGapError, DialectSettings, dialect_settings
from duckseg.compiler.facts import Fact, FactPlan, describe_fact, facts_of, trait_fact
from duckseg.compiler.percentiles import RANKS, RankPlan, ranks_query
from duckseg.compiler.rewrites import lower
from duckseg.compiler.semijoin import SemiJoinBuilder
from duckseg.compiler.shapes import (
    facts_only,
    matches_without_events,
    reads_events,
    reads_ranks,
    reads_traits_or_ranks,
)
from duckseg.compiler.sqlbuild import (
    CONTACTS,
    EVENTS,
    FACTS,
    FLAGS,
    KEY,
    SqlBuilder,
    column,
    left_join,
    safe_comment,
)
from duckseg.errors import Problem
from duckseg.lang import ir
from duckseg.lang.describe import describe
from duckseg.lang.time import InstantRange, TimeContext
from duckseg.types import ValueType

__all__ = ["DIALECTS", "CompiledBuild", "compile_build", "compile_traits", "to_sql"]


@dataclass(frozen=True)
class CompiledBuild:
    """SQL for a build: shared tables (the fact pass, the member flags) and one member
    query per segment over them."""

    facts: exp.Select | None  # one pass over the events; None if no segment needs events
    # segment -> SELECT contact_id FROM contacts [LEFT JOIN event_facts], FROM event_facts,
    # or FROM member_flags
    members: Mapping[str, exp.Select]
    # segment -> its query on its own, where that is not `members` with the facts inlined
    alone: Mapping[str, exp.Select] = field(default_factory=dict)
    # contacts LEFT JOIN event_facts once, with a column per segment that walks them: whether
    # the contact is a member. None when fewer than two segments would read it.
    flags: exp.Select | None = None
    # one pass over the contacts ranking the values that percentile tests read
    ranks: exp.Select | None = None

    def shared(self) -> list[tuple[str, exp.Select]]:
        """(table name, query) for each table the member queries read, in the order to
        create them: the facts, the ranks over them, then the flags over both."""
        tables = [(FACTS, self.facts), (RANKS, self.ranks), (FLAGS, self.flags)]
        return [(name, query) for name, query in tables if query is not None]

    def carries_shared_facts(self, name: str) -> bool:
        """Whether `standalone(name)` reads the build's shared fact pass, ranks or member
        flags, every other segment's included; otherwise it is what compiling the segment
        alone gives."""
        query = self.members[name]
        return name not in self.alone and any(_reads(query, table) for table, _ in self.shared())

    def standalone(self, name: str) -> exp.Select:
        """One segment's query on its own: no table shared with other segments. Where its
        member query reads a shared table, that table (and those it reads) is inlined."""
        if name in self.alone:
            return self.alone[name].copy()
        query = self.members[name].copy()
        shared = self.shared()
        needed = {table for table, _ in shared if _reads(query, table)}
        # The flags read the ranks and the facts, the ranks may read the facts.
        for table, source in reversed(shared):
            if table in needed:
                needed |= {other for other, _ in shared if _reads(source, other)}
        for table, source in shared:
            if table in needed:
                query = query.with_(table, as_=source.copy(), copy=False)
        return query

    def events_columns(self) -> frozenset[str] | None:
        """The columns of `events` that the build reads, or None when it may read any (a
        `*`, or `events` joined rather than selected from)."""
        found: set[str] = set()
        queries = [query for _, query in self.shared()]
        queries += [*self.members.values(), *self.alone.values()]
        for query in queries:
            for select in query.find_all(exp.Select):
                source = select.args.get("from_")
                if any(_is_events(join.this) for join in select.args.get("joins") or []):
                    return None
                if source is None or not _is_events(source.this):
                    continue
                if any(isinstance(e, exp.Star) for e in select.expressions):
                    return None
                found |= {col.name for col in select.find_all(exp.Column)}
        return frozenset(found)


def _is_events(source: exp.Expr) -> bool:
    return isinstance(source, exp.Table) and source.name == EVENTS


def _reads(query: exp.Select, table: str) -> bool:
    return any(t.name == table for t in query.find_all(exp.Table))


def compile_build(
    trees: Mapping[str, ir.Node],
    ctx: TimeContext,
    dialect: str | DialectSettings = "duckdb",
    descriptions: Mapping[str, str] | None = None,
) -> CompiledBuild:
    settings = dialect if isinstance(dialect, DialectSettings) else dialect_settings(dialect)
    lowered = {name: lower(tree) for name, tree in trees.items()}
    plan, ranking = FactPlan(), RankPlan()
    for tree in lowered.values():
        plan.collect(tree)
        ranking.collect(tree)
    builder = SqlBuilder(ctx, settings, plan, ranking)
    semi_joins = SemiJoinBuilder(ctx, settings, FactPlan())
    users: dict[Fact, list[ir.Node]] = {}
    for tree in lowered.values():
        for node in ir.walk(tree):
            for fact in facts_of(node):
                users.setdefault(fact, []).append(node)
    facts_query = _facts_query(builder, plan, users) if plan else None
    ranks = _ranks(builder, ranking) if ranking else None
    members, alone = {}, {}
    walking = [n for n, t in lowered.items() if reads_events(t) and not facts_only(t)]
    flags = (
        _flags(builder, {n: lowered[n] for n in walking}, ranks is not None)
        if len(walking) > 1
        else None
    )
    for name, tree in lowered.items():
        words = (descriptions or {}).get(name) or describe(tree)
        comment = safe_comment(f"members of {name}: {words}")
        if flags is not None and name in walking:
            flag = column(_flag_name(walking.index(name)), FLAGS)
            query = exp.select(column(KEY, FLAGS)).from_(exp.to_table(FLAGS)).where(flag)
        else:
            query = _where(_members_source(tree), builder, tree)
        if name in walking and not reads_traits_or_ranks(tree):
            # Alone, a segment that walks the contacts anyway asks each event condition
            # on its own instead (compiler/semijoin.py).
            alone[name] = semi_joins.members(tree)
            alone[name].add_comments([comment])
        query.add_comments([comment])
        members[name] = query
    return CompiledBuild(facts_query, members, alone, flags, ranks)


def _members_source(tree: ir.Node) -> exp.Select:
    """SELECT contact_id from what the segment's test reads."""
    if not reads_events(tree):
        query = exp.select(column(KEY, CONTACTS)).from_(exp.to_table(CONTACTS))
        return _with_ranks(query) if reads_ranks(tree) else query
    if facts_only(tree):
        # Every member has a fact row: no need to walk every contact.
        return exp.select(column(KEY, FACTS)).from_(exp.to_table(FACTS))
    query = _contacts_with_facts(exp.select(column(KEY, CONTACTS)))
    return _with_ranks(query) if reads_ranks(tree) else query


def _with_ranks(query: exp.Select) -> exp.Select:
    """`query` (FROM contacts ...) joined to each contact's ranks."""
    return left_join(query, exp.to_table(RANKS), column(KEY, RANKS).eq(column(KEY, CONTACTS)))


def _ranks(builder: SqlBuilder, ranking: RankPlan) -> exp.Select:
    """One pass over every contact (and its facts, where a trait is ranked)."""
    source = exp.select(column(KEY, CONTACTS))
    if any(col.trait is not None for col in ranking.sizes):
        source = _contacts_with_facts(source)
    else:
        source = source.from_(exp.to_table(CONTACTS), copy=False)
    return ranks_query(ranking, source, builder.value_of, builder.settings)


def _where(query: exp.Select, builder: SqlBuilder, tree: ir.Node) -> exp.Select:
    """`query` kept to the rows the tree's test holds for (an empty AND holds for all)."""
    if isinstance(tree, ir.AllOf) and not tree.children:
        return query
    return query.where(builder.predicate(tree), copy=False)


def _contacts_with_facts(select: exp.Select) -> exp.Select:
    """`select` FROM contacts LEFT JOIN event_facts."""
    on = column(KEY, FACTS).eq(column(KEY, CONTACTS))
    return left_join(select.from_(exp.to_table(CONTACTS), copy=False), exp.to_table(FACTS), on)


def _flag_name(index: int) -> str:
    return f"m{index}"


def _flags(builder: SqlBuilder, walking: Mapping[str, ir.Node], ranked: bool) -> exp.Select:
    """Every contact once, joined to its facts once, with each walking segment's test as a
    column: their member queries then filter this table instead of each joining a million
    contacts to the facts again (benchmarks/RESULTS.md, build --all)."""
    columns: list[exp.Expr] = [column(KEY, CONTACTS)]
    for index, (name, tree) in enumerate(walking.items()):
        test = exp.alias_(builder.predicate(tree), _flag_name(index), quoted=True)
        test.add_comments([safe_comment(name)])
        columns.append(test)
    query = _contacts_with_facts(exp.select(*columns, copy=False))
    if ranked:
        query = _with_ranks(query)
    query.add_comments([safe_comment("per contact, whether it is a member of each segment")])
    return query


# Up to this many facts, one pass over the events computes them all. A build of many
# segments needs many more; every row would then test every fact's FILTER, so the facts are
# split into one pass per set of event names, each scanning only its own events (the lake is
# sorted by event name, so each pass skips the others' row groups), and joined on contact_id.
MAX_FACTS_PER_PASS = 16


def _facts_query(
    builder: SqlBuilder, plan: FactPlan, users: Mapping[Fact, Sequence[ir.Node]]
) -> exp.Select:
    facts = list(plan.columns)
    groups = _passes(builder, facts) if len(facts) > MAX_FACTS_PER_PASS else [facts]
    if len(groups) == 1:  # one set of names, one stretch of time
        query = _one_pass(builder, plan, facts, users)
        query.add_comments(
            [safe_comment("one pass over the events: per contact, what each event condition needs")]
        )
        return query
    passes = [f"pass_{i}" for i in range(len(groups))]
    ids = exp.union(
        *(exp.select(column(KEY, name)).from_(exp.to_table(name)) for name in passes), distinct=True
    )
    # Builders change `query` in place (copy=False): it is new here, and a copy per pass
    # made compiling a build of 50 segments quadratic in its passes.
    query = exp.select(column(KEY, "ids")).from_(exp.alias_(ids.subquery(), "ids"), copy=False)
    owner = {}
    for name, group in zip(passes, groups, strict=True):
        query = query.with_(name, as_=_one_pass(builder, plan, group, users), copy=False)
        on = column(KEY, name).eq(column(KEY, "ids"))
        query = left_join(query, exp.to_table(name), on)
        owner.update({fact: name for fact in group})
    query = query.select(
        *(
            exp.alias_(column(plan.columns[f], owner[f]), plan.columns[f], quoted=True)
            for f in facts
        ),
        copy=False,
    )
    query.add_comments(
        [safe_comment("one pass over the events per set of event names, joined per contact")]
    )
    return query


def _passes(builder: SqlBuilder, facts: list[Fact]) -> list[list[Fact]]:
    """Facts grouped into passes: by set of event names, then by time, so that facts whose
    windows do not overlap (a festival last year, the last 30 days) scan only their own
    stretch of the lake instead of everything between them."""
    by_names: dict[frozenset[str], list[Fact]] = {}
    for fact in facts:
        by_names.setdefault(frozenset(fact.filter.events), []).append(fact)
    passes: list[list[Fact]] = []
    for group in by_names.values():
        # The facts of one filter (a count and its aggregate) stay together: a condition
        # reads them side by side, and so does the candidate filter of its pass.
        same: dict[ir.EventFilter, list[Fact]] = {}
        for fact in group:
            same.setdefault(fact.filter, []).append(fact)
        ranges = {flt: builder.window_range(flt.window) for flt in same}
        # Earliest start first (an unbounded start is the earliest of all).
        ordered = sorted(same, key=lambda flt: _start_key(ranges[flt]))
        current: list[Fact] = []
        reach: datetime | None = None  # the latest end within `current`
        for flt in ordered:
            rng = ranges[flt]
            assert rng.high is not None  # every window ends at as_of
            starts_after = rng.low is not None and reach is not None and rng.low.at > reach
            if current and starts_after:
                passes.append(current)
                current, reach = [], None
            current.extend(same[flt])
            reach = rng.high.at if reach is None else max(reach, rng.high.at)
        passes.append(current)
    return passes


def _start_key(rng: InstantRange) -> tuple[bool, datetime]:
    return (rng.low is not None, rng.low.at if rng.low is not None else datetime.min)


def _one_pass(
    builder: SqlBuilder,
    plan: FactPlan,
    facts: list[Fact],
    users: Mapping[Fact, Sequence[ir.Node]],
) -> exp.Select:
    columns: list[exp.Expr] = [column(KEY, EVENTS)]
    for fact in facts:
        agg = exp.alias_(builder.aggregate(fact), plan.columns[fact], quoted=True)
        agg.add_comments([safe_comment(describe_fact(fact))])
        columns.append(agg)
    query = (
        exp.select(*columns, copy=False)
        .from_(exp.to_table(EVENTS), copy=False)
        .where(builder.scan_filter(facts), copy=False)
        .group_by(column(KEY, EVENTS), copy=False)
    )
    tests = list(dict.fromkeys(node for fact in facts for node in users[fact]))
    here = set(facts)
    if tests and all(
        matches_without_events(node) is False and set(facts_of(node)) <= here for node in tests
    ):
        # Every condition reading these facts is false for a contact without events, so a
        # contact for whom all of them are false is as good as absent: keep the candidates
        # only, and whatever joins this table joins a few rows instead of every actor.
        keep = exp.or_(*(builder.predicate(node) for node in tests), copy=False)
        query = (
            exp.select(exp.Star()).from_(query.subquery(FACTS), copy=False).where(keep, copy=False)
        )
    return query


def compile_traits(
    traits: Sequence[ir.Trait], ctx: TimeContext, dialect: str = "duckdb"
) -> exp.Select:
    """Every contact's `contact_id` and a column per trait at `ctx.as_of`: the traits are
    facts of one pass over the events, joined to every contact."""
    plan = FactPlan()
    for trait in traits:
        plan.column_for(trait_fact(trait))
    builder = SqlBuilder(ctx, dialect_settings(dialect), plan)
    columns: list[exp.Expr] = [column(KEY, CONTACTS)]
    for trait in traits:
        value = builder.value_of(trait.column)
        if trait.type is ValueType.INTEGER:
            value = exp.cast(value, exp.DataType.Type.BIGINT)  # a sum of integers is one
        columns.append(exp.alias_(value, trait.name, quoted=True))
    select = exp.select(*columns, copy=False)
    if not plan:
        return select.from_(exp.to_table(CONTACTS), copy=False)
    facts = _facts_query(builder, plan, {fact: [] for fact in plan.columns})
    return _contacts_with_facts(select).with_(FACTS, as_=facts, copy=False)


def to_sql(query: exp.Expr, dialect: str = "duckdb", pretty: bool = True) -> str:
    """SQL text for a dialect. sqlglot only logs what a dialect cannot express by default;
    here it raises, and the gap is refused as bad input rather than printed as wrong SQL."""
    name = dialect_settings(dialect).name
    try:
        return query.sql(dialect=name, pretty=pretty, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        problem = Problem(
            "--dialect",
            "",
            f"this definition cannot be written for {name}: {exc}",
            "compile for another dialect, or rewrite the condition",
        )
        raise DialectGapError([problem]) from exc
