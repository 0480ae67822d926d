"""Compile resolved segments to SQL.

    tree -> rewrites.lower -> FactPlan (one events pass) -> SqlBuilder -> sqlglot tree

The query for one segment reads two relations, `contacts` and `events` (plus
`static_members` when a static segment is referenced), and returns the member
contact_ids. For a build of several segments, `compile_build` shares one fact
table between them so the events are scanned once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from duckseg import ir
from duckseg.compiler.dialects import DIALECTS, DialectSettings, dialect_settings
from duckseg.compiler.facts import FactPlan
from duckseg.compiler.rewrites import lower
from duckseg.compiler.sqlbuild import CONTACTS, EVENTS, FACTS, KEY, SqlBuilder, column, safe_comment
from duckseg.describe import describe, describe_fact
from duckseg.timewin import TimeContext

__all__ = ["DIALECTS", "CompiledBuild", "compile_build", "compile_segment", "to_sql"]


@dataclass(frozen=True)
class CompiledBuild:
    """SQL for a build: an optional shared fact query and one member query per segment."""

    facts: exp.Select | None  # one pass over the events; None if no segment needs events
    members: Mapping[
        str, exp.Select
    ]  # segment -> SELECT contact_id FROM contacts [LEFT JOIN event_facts]

    def standalone(self, name: str) -> exp.Select:
        """One segment's query with the fact pass inlined as a CTE."""
        query = self.members[name].copy()
        if self.facts is None:
            return query
        return query.with_(FACTS, as_=self.facts.copy())


def compile_build(
    trees: Mapping[str, ir.Node],
    ctx: TimeContext,
    dialect: str | DialectSettings = "duckdb",
    descriptions: Mapping[str, str] | None = None,
) -> CompiledBuild:
    settings = dialect if isinstance(dialect, DialectSettings) else dialect_settings(dialect)
    lowered = {name: lower(tree) for name, tree in trees.items()}
    plan = FactPlan()
    for tree in lowered.values():
        plan.collect(tree)
    builder = SqlBuilder(ctx, settings, plan)
    facts_query = _facts_query(builder, plan) if plan else None
    members = {}
    for name, tree in lowered.items():
        query = exp.select(column(KEY, CONTACTS)).from_(exp.to_table(CONTACTS))
        if plan:
            on = column(KEY, FACTS).eq(column(KEY, CONTACTS))
            query = query.join(exp.to_table(FACTS), on=on, join_type="left")
        if not (isinstance(tree, ir.AllOf) and not tree.children):
            query = query.where(builder.predicate(tree))
        words = (descriptions or {}).get(name) or describe(tree)
        query.add_comments([safe_comment(f"members of {name}: {words}")])
        members[name] = query
    return CompiledBuild(facts_query, members)


def _facts_query(builder: SqlBuilder, plan: FactPlan) -> exp.Select:
    columns: list[exp.Expr] = [column(KEY, EVENTS)]
    for fact, name in plan.columns.items():
        agg = exp.alias_(builder.aggregate(fact), name, quoted=True)
        agg.add_comments([safe_comment(describe_fact(fact))])
        columns.append(agg)
    query = (
        exp.select(*columns)
        .from_(exp.to_table(EVENTS))
        .where(builder.scan_filter(list(plan.columns)))
        .group_by(column(KEY, EVENTS))
    )
    query.add_comments(
        [safe_comment("one pass over the events: per contact, what each event condition needs")]
    )
    return query


def compile_segment(
    tree: ir.Node,
    ctx: TimeContext,
    dialect: str = "duckdb",
    name: str = "segment",
    description: str | None = None,
) -> exp.Select:
    build = compile_build({name: tree}, ctx, dialect, {name: description} if description else None)
    return build.standalone(name)


def to_sql(query: exp.Expr, dialect: str = "duckdb", pretty: bool = True) -> str:
    return query.sql(dialect=dialect_settings(dialect).name, pretty=pretty)


def dialect_names() -> Sequence[str]:
    return list(DIALECTS)
