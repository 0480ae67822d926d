"""`duckseg audience build`: an audience's members at send time, split into arms and agents.

    members = union(include) - union(exclude) - exclude_audiences - consent - frequency cap
    then `limit` keeps the first `max` by `order_by` (missing last, ties by contact_id);
         a trait is read at `as_of`, an attribute as it is now
    then every member gets an arm and an agent by the stable hash of audiences/assign.py

The included and excluded segments are evaluated at `as_of` by the segment
compiler, as one build: their event conditions share one pass over the events
(static segments are their stored lists). Each step's removals are counted
from one table of flags, so `show` can say where the contacts went. Several
audiences built together are committed in one transaction (docs/audiences.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from sqlglot import exp

from duckseg.audiences import assign, sends
from duckseg.audiences.plan import (
    OrderBy,
    check_names,
    describe_limit,
    load_audience,
    order_by,
)
from duckseg.audiences.spec import ALL_ARM, Audience
from duckseg.compiler import compile_build, to_sql
from duckseg.compiler.sqlbuild import CONTACTS, KEY, safe_comment
from duckseg.db import create_temp, parquet_scan, union_all
from duckseg.engines.duckdb import bind_traits
from duckseg.errors import DefinitionError, Problem
from duckseg.export.consent import consent_rule
from duckseg.lang import ir
from duckseg.lang.resolve import Resolver
from duckseg.lang.spec import Segment
from duckseg.lang.time import TimeContext
from duckseg.state.snapshots import PendingSnapshot, SnapshotInfo
from duckseg.types import ValueType

if TYPE_CHECKING:
    from duckseg.context import WorkspaceContext

STEPS = "audience_steps"
PARTS = ("include", "exclude", "consent")  # the compiled pieces, as temp tables audience_<part>
FLAGS = ("excluded", "in_other_audience", "opted_out", "capped")  # in the order they apply


@dataclass(frozen=True)
class Computed:
    audience: Audience
    members: pa.Table  # contact_id, arm, agent; sorted by contact_id
    funnel: dict[str, int]
    sql: str
    warnings: tuple[str, ...]
    limit: str | None  # the limit in words (plan.describe_limit)


def definition_hash(audience: Audience) -> str:
    canonical = json.dumps(dict(audience.raw), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_order(ws: WorkspaceContext, names: Sequence[str]) -> list[Audience]:
    """The audiences, each after the audiences it excludes that are built with it."""
    loaded = {n: load_audience(ws.root, n) for n in dict.fromkeys(names)}
    for audience in loaded.values():
        check_names(ws, audience)
    ordered: list[Audience] = []

    def visit(audience: Audience) -> None:
        if audience in ordered:
            return
        for other in audience.exclude_audiences:
            if other in loaded:
                visit(loaded[other])
        ordered.append(audience)

    for audience in loaded.values():
        visit(audience)
    return ordered


def build_audiences(
    ws: WorkspaceContext, names: Sequence[str], ctx: TimeContext
) -> list[tuple[SnapshotInfo, Computed, tuple[int, int]]]:
    """Compute each audience at ctx.as_of, then commit them all in one transaction.

    The definitions are checked before the write lock is taken: bad input changes nothing.
    """
    audiences = build_order(ws, names)
    con = ws.connect()
    try:
        catalog = ws.read_catalog(con)
        resolver = ws.resolver(catalog)
        prepared = [_prepare(ws, resolver, audience) for audience in audiences]
    finally:
        con.close()
    with ws.store.writer(), ws.store.session():
        con = ws.connect()
        try:
            done: dict[str, pa.Table] = {}
            computed = []
            for plan in prepared:
                result = _compute(ws, con, plan, ctx, done)
                done[plan.audience.name] = result.members
                computed.append(result)
            keys = [c.audience.key for c in computed]
            before = ws.snapshots.latest_up_to(keys, ctx.as_of)
            changes = ws.snapshots.count_changes(
                con, {c.audience.key: c.members for c in computed}, before
            )
        finally:
            con.close()
        pending = [
            PendingSnapshot(
                c.audience.key,
                "audience",
                ctx.as_of,
                definition_hash(c.audience),
                c.sql,
                "duckdb",
                c.members,
            )
            for c in computed
        ]
        infos = ws.snapshots.commit(pending, ws.clock.now())
    return [(i, c, changes[i.segment]) for i, c in zip(infos, computed, strict=True)]


def _include_tree(resolver: Resolver, audience: Audience, key: str) -> ir.Node | None:
    names = audience.include if key == "include" else audience.exclude
    if not names:
        return None
    cond = {"any": [{"in_segment": n} for n in names]}
    seg = Segment.from_dict({"name": "audience", "where": cond}, source=audience.source)
    # A name no segment can have, so that no reference looks like a cycle.
    seg = replace(seg, name=audience.key)
    try:
        tree = resolver.resolve(seg).tree
    except DefinitionError as exc:
        raise DefinitionError([_relocate(p, key) for p in exc.problems]) from exc
    assert tree is not None
    return tree


def _relocate(problem: Problem, key: str) -> Problem:
    # where.any[2].in_segment -> include[2]
    index = problem.path.partition("[")[2].partition("]")[0]
    return replace(problem, path=f"{key}[{index}]" if index else key)


@dataclass(frozen=True)
class Prepared:
    """An audience checked against the workspace: its compiled pieces and its ordering."""

    audience: Audience
    trees: dict[str, ir.Node]  # include, exclude, consent: those it has
    ordering: OrderBy | None


def _prepare(ws: WorkspaceContext, resolver: Resolver, audience: Audience) -> Prepared:
    trees = {}
    for part in ("include", "exclude"):
        tree = _include_tree(resolver, audience, part)
        if tree is not None:
            trees[part] = tree
    if audience.consent:
        rule = consent_rule(ws, resolver.catalog)
        if rule.tree is not None:
            trees["consent"] = rule.tree
    return Prepared(audience, trees, order_by(audience, resolver, resolver.catalog))


def _compute(
    ws: WorkspaceContext,
    con: duckdb.DuckDBPyConnection,
    plan: Prepared,
    ctx: TimeContext,
    done: Mapping[str, pa.Table],
) -> Computed:
    audience, trees, ordering = plan.audience, plan.trees, plan.ordering
    build = compile_build(trees, ctx)
    shared = len(trees) > 1 and build.facts is not None
    if shared:
        for table, query in build.shared():
            create_temp(con, table, query, kind="TABLE")
    for part in PARTS:
        query = (
            (build.members[part] if shared else build.standalone(part)).copy()
            if part in trees
            else exp.select(exp.column(KEY, table=CONTACTS, quoted=True))
            .from_(CONTACTS)
            .where(exp.false())
        )
        create_temp(con, f"audience_{part}", query, kind="TABLE")
    warnings = _bind_other_audiences(ws, con, audience, done)
    _bind_capped(ws, con, audience, ctx)
    create_temp(con, STEPS, _steps_query(), kind="TABLE")
    funnel = _funnel(con)
    kept = exp.select(exp.column(KEY, quoted=True)).from_(STEPS)
    kept = kept.where(*(exp.not_(exp.column(flag)) for flag in FLAGS))
    if audience.limit is not None and funnel["eligible"] > audience.limit.max:
        kept = limited(con, kept, ordering, audience.limit.max, ctx)
    members = con.sql(_assigned(kept, audience).sql("duckdb")).to_arrow_table()
    funnel["limited"] = funnel["eligible"] - members.num_rows
    funnel["members"] = members.num_rows
    sql = to_sql(build.standalone("include"))
    note = safe_comment(f"audience {audience.name}: members of the included segments")
    words = describe_limit(audience, ordering)
    return Computed(audience, members, funnel, f"/* {note} */\n{sql}", tuple(warnings), words)


def _bind_other_audiences(
    ws: WorkspaceContext,
    con: duckdb.DuckDBPyConnection,
    audience: Audience,
    done: Mapping[str, pa.Table],
) -> list[str]:
    """audience_other: contacts in the latest snapshot of any audience it excludes."""
    parts: list[exp.Select] = []
    warnings = []
    for i, name in enumerate(audience.exclude_audiences):
        if name in done:  # built in the same command, just before this one
            view = f"audience_built_{i}"
            con.register(view, done[name].select([KEY]))
            parts.append(exp.select(exp.column(KEY, quoted=True)).from_(view))
            continue
        latest = ws.snapshots.latest(f"audience:{name}")
        if latest is None:
            warnings.append(f"audience {name} has no snapshot yet: nobody was excluded for it")
            continue
        scan = parquet_scan([ws.root / latest.path])
        parts.append(exp.select(exp.column(KEY, quoted=True)).from_(scan.subquery("a")))
    if not parts:
        parts.append(_nobody())
    create_temp(con, "audience_other", union_all(parts), "TABLE")
    return warnings


def _nobody() -> exp.Select:
    """No contact_id, typed as the included ones."""
    return exp.select(exp.column(KEY, quoted=True)).from_("audience_include").where(exp.false())


def _bind_capped(
    ws: WorkspaceContext, con: duckdb.DuckDBPyConnection, audience: Audience, ctx: TimeContext
) -> None:
    """audience_capped: contacts already sent the cap's number of snapshots in its window."""
    cap = audience.frequency_cap
    found = [] if cap is None else sends.sends_between(ws.store, ctx.back(cap.within), ctx.as_of)
    query = sends.capped_query(found, cap.max) if cap is not None and found else _nobody()
    create_temp(con, "audience_capped", query, kind="TABLE")


def _steps_query() -> exp.Select:
    """One row per included contact, a flag for each reason it may be removed."""
    i = "i"
    query = exp.select(exp.column(KEY, table=i, quoted=True)).from_(
        exp.to_table("audience_include").as_(i)
    )
    sources = ("audience_exclude", "audience_other", "audience_consent", "audience_capped")
    for n, (flag, table) in enumerate(zip(FLAGS, sources, strict=True)):
        alias = f"f{n}"
        distinct = exp.select(exp.column(KEY, quoted=True)).from_(table).distinct()
        query = query.join(
            distinct.subquery(alias),
            on=exp.column(KEY, table=alias, quoted=True).eq(exp.column(KEY, table=i, quoted=True)),
            join_type="left",
        ).select(exp.column(KEY, table=alias, quoted=True).is_(exp.null()).not_().as_(flag))
    return query


def _funnel(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many the include found, and how many each step removed of those still in."""
    columns: list[exp.Expr] = [exp.Count(this=exp.Star()).as_("included")]
    earlier: list[exp.Expr] = []
    for flag in FLAGS:
        cond = exp.and_(*earlier, exp.column(flag)) if earlier else exp.column(flag)
        columns.append(exp.func("count_if", cond).as_(flag))
        earlier.append(exp.not_(exp.column(flag)))
    columns.append(exp.func("count_if", exp.and_(*earlier)).as_("eligible"))
    row = con.sql(exp.select(*columns).from_(STEPS).sql("duckdb")).fetchall()[0]
    names = ["included", *FLAGS, "eligible"]
    return {name: int(value or 0) for name, value in zip(names, row, strict=True)}


def limited(
    con: duckdb.DuckDBPyConnection,
    kept: exp.Select,
    ordering: OrderBy | None,
    most: int,
    ctx: TimeContext,
) -> exp.Select:
    """The first `most` by the ordering (missing values last, ties by contact_id).

    An attribute is read from the contacts; a trait from its values at `ctx.as_of`, the
    values a segment condition on it sees (docs/audiences.md)."""
    k, c = "k", "c"
    key = exp.column(KEY, table=k, quoted=True)
    query = exp.select(key).from_(kept.subquery(k))
    order: list[exp.Expr] = []
    if ordering is not None:
        trait = ordering.column.trait
        table = CONTACTS if trait is None else bind_traits(con, [trait], ctx)
        query = query.join(
            exp.to_table(table).as_(c),
            on=exp.column(KEY, table=c, quoted=True).eq(key),
            join_type="left",
        )
        value: exp.Expr = exp.column(ordering.column.name, table=c, quoted=True)
        if ordering.column.type is ValueType.FLOAT:  # NaN is no value to order by
            value = exp.If(this=exp.func("isnan", value), true=exp.null(), false=value)
        order.append(exp.Ordered(this=value, desc=ordering.descending, nulls_first=False))
    order.append(exp.Ordered(this=key.copy(), desc=False))
    return query.order_by(*order).limit(most)


def _assigned(kept: exp.Select, audience: Audience) -> exp.Select:
    """contact_id, arm, agent for the kept contacts, by contact_id."""
    h = "h"
    hashes: list[exp.Expr] = [exp.column(KEY, quoted=True)]
    key = exp.column(KEY, quoted=True)
    if audience.split is not None:
        hashes.append(assign.hash_expr(audience.salt, key.copy()).as_("h_arm"))
    if audience.assign is not None:
        hashes.append(assign.hash_expr(audience.agent_salt, key.copy()).as_("h_agent"))
    arm: exp.Expr = (
        assign.pick_expr(exp.column("h_arm"), audience.split.weights)
        if audience.split is not None
        else exp.Literal.string(ALL_ARM)
    )
    agent: exp.Expr = (
        assign.pick_expr(exp.column("h_agent"), audience.assign.weights)
        if audience.assign is not None
        else exp.cast(exp.null(), exp.DataType.Type.VARCHAR)
    )
    return (
        exp.select(exp.column(KEY, quoted=True), arm.as_("arm"), agent.as_("agent"))
        .from_(exp.select(*hashes).from_(kept.subquery("k")).subquery(h))
        .order_by(exp.column(KEY, quoted=True))
    )
