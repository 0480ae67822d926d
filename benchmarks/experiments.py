"""Where the compiled query's time goes: rewrites of duckseg's own SQL, measured pair by pair.

Each experiment takes the SQL `Workspace.compile` prints for a seed segment and
changes one thing with sqlglot, then times both on the same connection and
checks the members are unchanged (a rewrite that changes members is reported
as not applicable: it would need the compiler to prove it safe first).

- `tight_scan`: the events scan filter ends at the latest window end of the
  segment's conditions instead of at as_of, so a window in the past prunes the
  row groups after it too.
- `lean_filters`: each FILTER clause without the conditions the scan's WHERE
  already guarantees (the window and name repeated per aggregate).
- `inner_join`: `contacts LEFT JOIN event_facts` becomes an inner join; only
  valid when the member test needs a fact row (a performed condition in a
  conjunction), which the compiler can tell from the tree.
- `plain_sum`, `fsum`, `ordered_fsum`, `decimal_sum`: float sums, compiled as exact
  sums of the binary doubles (compiler/floatsum.py), as a plain double SUM, DuckDB's
  compensated FSUM over the rows as they come, FSUM fed the values largest first, or
  an exact SUM over DECIMAL(38, 9): the price of each. The first two depend on the
  order of the rows, so members may differ by a contact on a boundary.

Two earlier experiments are now shapes the compiler chooses itself (see
compiler/shapes.py): members straight from the fact table when no attribute is
tested and no contact without events can match, and a fact pass that keeps
only candidate contacts when only such conditions read it.

`bench_fact_passes` does the same for `build --all`: the DuckDB part of a build
of all 50 definitions as compiled, as one aggregate for every fact, as one
aggregate per set of event names, and as 50 separate queries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from benchmarks.common import AS_OF
from benchmarks.measure import Timings, paired_ratio, rotate, timed
from benchmarks.segment_bench import compare_members
from duckseg import Workspace
from duckseg.compiler import CompiledBuild, compile_build
from duckseg.compiler.dialects import dialect_settings
from duckseg.compiler.facts import Fact, FactPlan
from duckseg.compiler.floatsum import largest_first
from duckseg.compiler.rewrites import lower
from duckseg.compiler.sqlbuild import EVENTS, FACTS, FLAGS, KEY, SqlBuilder, column
from duckseg.db import create_temp

Rewrite = Callable[[exp.Expr], exp.Expr | None]


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("SET enable_progress_bar = false")
    return con


def _facts_cte(tree: exp.Expr) -> exp.Select | None:
    """The aggregate over the events inside the `event_facts` CTE (under its candidate
    filter, when it has one)."""
    for cte in tree.find_all(exp.CTE):
        if cte.alias == FACTS and isinstance(cte.this, exp.Select):
            inner = cte.this.args["from_"].this
            if isinstance(inner, exp.Subquery) and isinstance(inner.this, exp.Select):
                return inner.this
            return cte.this
    return None


def _is_ts(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and node.name == "ts"


def tight_scan(tree: exp.Expr) -> exp.Expr | None:
    """Replace the scan's `ts <= as_of` by the latest upper bound of the FILTER clauses."""
    tree = tree.copy()
    facts = _facts_cte(tree)
    if facts is None:
        return None
    highs: list[exp.Expr] = []
    for flt in facts.find_all(exp.Filter):
        bounds = [
            cmp
            for cmp in flt.expression.find_all(exp.LT, exp.LTE)
            if _is_ts(cmp.this) and isinstance(cmp.expression, exp.Cast)
        ]
        if not bounds:
            return None
        highs.append(bounds[0])
    where = facts.args.get("where")
    if where is None or not highs:
        return None
    latest = max(highs, key=lambda cmp: (cmp.expression.this.name, isinstance(cmp, exp.LTE)))
    scan_high = [
        cmp
        for cmp in where.find_all(exp.LT, exp.LTE)
        if _is_ts(cmp.this) and cmp.parent is not None
    ]
    if not scan_high or scan_high[0].sql() == latest.sql():
        return None
    scan_high[0].replace(latest.copy())
    return tree


def lean_filters(tree: exp.Expr) -> exp.Expr | None:
    """Drop from each FILTER clause the conditions the scan's WHERE already guarantees."""
    tree = tree.copy()
    facts = _facts_cte(tree)
    where = facts.args.get("where") if facts is not None else None
    if facts is None or where is None:
        return None
    guaranteed = {c.sql() for c in _conjuncts(where.this)}
    changed = False
    for flt in facts.find_all(exp.Filter):
        parts = _conjuncts(flt.expression.this)
        kept = [p for p in parts if p.sql() not in guaranteed]
        if len(kept) < len(parts):
            changed = True
            if kept:
                flt.expression.set("this", exp.and_(*(p.copy() for p in kept)))
            else:
                flt.replace(flt.this.copy())
    return tree if changed else None


def _conjuncts(node: exp.Expr) -> list[exp.Expr]:
    return list(node.flatten()) if isinstance(node, exp.And) else [node]


def inner_join(tree: exp.Expr) -> exp.Expr | None:
    tree = tree.copy()
    joins = [j for j in tree.find_all(exp.Join) if j.this.name == FACTS]
    if not joins:
        return None
    for join in joins:
        join.set("side", None)
        join.set("kind", None)
    return tree


def _sums(tree: exp.Expr) -> list[tuple[exp.Expr, exp.Expr, exp.Expr | None]]:
    """(node, summed column, filter condition) for every float sum as compiled: an exact
    HUGEINT sum plus an FSUM of the values outside its range, in parentheses
    (compiler/floatsum.py). The FSUM's FILTER is `(condition) AND NOT (in range)`."""
    found: list[tuple[exp.Expr, exp.Expr, exp.Expr | None]] = []
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name.upper() != "FSUM":
            continue
        order = node.expressions[0]
        summed = order.this if isinstance(order, exp.Order) else order
        whole = node.find_ancestor(exp.Paren)
        rows = node.parent.expression.this if isinstance(node.parent, exp.Filter) else None
        condition = rows.this.unnest() if isinstance(rows, exp.And) else None
        if whole is not None:
            found.append((whole, summed, condition))
    return found


def _rewrite_sums(tree: exp.Expr, make: Callable[[exp.Expr], exp.Expr]) -> exp.Expr | None:
    tree = tree.copy()
    sums = _sums(tree)
    for node, summed, condition in sums:
        total = make(summed.copy())
        if condition is not None:
            total = exp.Filter(this=total, expression=exp.Where(this=condition.copy()))
        node.replace(total)
    return tree if sums else None


def plain_sum(tree: exp.Expr) -> exp.Expr | None:
    """Float sums as a plain double SUM (order-dependent)."""
    return _rewrite_sums(tree, lambda arg: exp.Sum(this=arg))


def fsum(tree: exp.Expr) -> exp.Expr | None:
    """Float sums as DuckDB's compensated FSUM over the rows as they come."""
    return _rewrite_sums(tree, lambda arg: exp.Anonymous(this="FSUM", expressions=[arg]))


def ordered_fsum(tree: exp.Expr) -> exp.Expr | None:
    """Float sums as FSUM fed the values largest first (order-independent, an ordered
    aggregate)."""
    return _rewrite_sums(
        tree, lambda arg: exp.Anonymous(this="FSUM", expressions=[largest_first(arg)])
    )


def decimal_sum(tree: exp.Expr) -> exp.Expr | None:
    """Float sums as an exact decimal sum: SUM(CAST(x AS DECIMAL(38, 9)))."""
    return _rewrite_sums(
        tree, lambda arg: exp.Sum(this=exp.cast(arg, exp.DataType.build("DECIMAL(38, 9)")))
    )


EXPERIMENTS: dict[str, Rewrite] = {
    "tight_scan": tight_scan,
    "lean_filters": lean_filters,
    "inner_join": inner_join,
    "plain_sum": plain_sum,
    "fsum": fsum,
    "ordered_fsum": ordered_fsum,
    "decimal_sum": decimal_sum,
}


def bench_shapes(
    ws: Workspace, names: Sequence[str], runs: int, log: Callable[[str], None] = print
) -> dict[str, Any]:
    con = _quiet(ws.connect())
    out: dict[str, Any] = {}
    try:
        for name in names:
            compiled = ws.compile(name, as_of=AS_OF)
            tree = sqlglot.parse_one(compiled, read="duckdb")
            variants = {"compiled": compiled}
            for label, rewrite in EXPERIMENTS.items():
                rewritten = rewrite(tree)
                if rewritten is not None:
                    variants[label] = rewritten.sql("duckdb")
            if len(variants) == 1:
                continue
            out[name] = _measure(con, variants, runs)
            log(f"  {name}: {out[name]['summary']}")
    finally:
        con.close()
    return out


def _measure(con: duckdb.DuckDBPyConnection, variants: dict[str, str], runs: int) -> dict[str, Any]:
    reference = [r[0] for r in con.sql(variants["compiled"]).fetchall()]
    valid = {"compiled": variants["compiled"]}
    invalid: dict[str, Any] = {}
    for label, sql in variants.items():
        if label == "compiled":
            continue
        diff = compare_members(reference, [r[0] for r in con.sql(sql).fetchall()])
        if diff is None:
            valid[label] = sql
        else:
            invalid[label] = diff
    times = {label: Timings() for label in valid}
    for round_no in range(runs + 1):
        for label in rotate(list(valid), round_no):
            seconds, _ = timed(lambda s=valid[label]: con.sql(s).to_arrow_table())
            if round_no:
                times[label].add(seconds)
    ratios = {
        label: round(paired_ratio(times[label].seconds, times["compiled"].seconds), 3)
        for label in valid
        if label != "compiled"
    }
    return {
        "compiled_median_s": round(times["compiled"].median, 4),
        "vs_compiled": ratios,
        "changes_members": invalid,
        "summary": {**ratios, **{k: "changes members" for k in invalid}},
    }


# -- build --all: how the facts of 50 segments are computed ---------------------------------


def _build_plan(ws: Workspace, names: Sequence[str], con: duckdb.DuckDBPyConnection) -> Any:
    segs = [ws.load(n) for n in names]
    trees = {}
    for resolved in ws.resolve(segs, con):
        assert resolved.tree is not None
        trees[resolved.segment.name] = resolved.tree
    return compile_build(trees, ws.time_context(AS_OF))


def _passes(ws: Workspace, names: Sequence[str], by_names: bool) -> dict[str, Any]:
    """The facts of a build as one aggregate over the events (`by_names` False), or one
    aggregate per distinct set of event names, each scanning only its names from its own
    earliest window start; then joined into the same `event_facts` table, so the member
    queries run unchanged. Returns the seconds of each phase.
    """
    con = _quiet(ws.connect())
    try:
        build = _build_plan(ws, names, con)
        plan = FactPlan()
        for resolved in ws.resolve([ws.load(n) for n in names], con):
            assert resolved.tree is not None
            plan.collect(lower(resolved.tree))
        builder = SqlBuilder(ws.time_context(AS_OF), dialect_settings("duckdb"), plan)
        groups: dict[object, list[Fact]] = {}
        for fact in plan.columns:
            key = frozenset(fact.filter.events) if by_names else "all"
            groups.setdefault(key, []).append(fact)
        started = time.perf_counter()
        tables = []
        for index, facts in enumerate(groups.values()):
            columns: list[exp.Expr] = [column(KEY, EVENTS)]
            columns += [
                exp.alias_(builder.aggregate(f), plan.columns[f], quoted=True) for f in facts
            ]
            query = (
                exp.select(*columns)
                .from_(exp.to_table(EVENTS))
                .where(builder.scan_filter(facts))
                .group_by(column(KEY, EVENTS))
            )
            table = f"facts_group_{index}"
            create_temp(con, table, query, kind="TABLE")
            tables.append((table, [plan.columns[f] for f in facts]))
        facts_s = time.perf_counter() - started
        started = time.perf_counter()
        keys: exp.Query = exp.select(KEY).from_(tables[0][0])
        if len(tables) > 1:
            keys = exp.union(*(exp.select(KEY).from_(t) for t, _ in tables), distinct=True)
        combined = exp.select(column(KEY, "k")).from_(
            exp.alias_(exp.Subquery(this=keys), "k", table=True)
        )
        for table, cols in tables:
            combined = combined.select(*(column(c, table) for c in cols))
            combined = combined.join(
                exp.to_table(table), on=column(KEY, table).eq(column(KEY, "k")), join_type="left"
            )
        create_temp(con, FACTS, combined, kind="TABLE")
        combine_s = time.perf_counter() - started
        started = time.perf_counter()
        counts = _member_counts(con, build, names)
        members_s = time.perf_counter() - started
    finally:
        con.close()
    return {
        "engine_s": facts_s + combine_s + members_s,
        "passes": len(groups),
        "facts": len(plan.columns),
        "facts_s": facts_s,
        "combine_s": combine_s,
        "members_s": members_s,
        "counts": counts,
    }


def _member_counts(
    con: duckdb.DuckDBPyConnection, build: CompiledBuild, names: Sequence[str]
) -> dict[str, int]:
    """Each segment's member count, over the facts table already created: the member
    flags first, where the build has them."""
    if build.flags is not None:
        create_temp(con, FLAGS, build.flags, kind="TABLE")
    return {n: con.sql(build.members[n].sql("duckdb")).to_arrow_table().num_rows for n in names}


def compiled_facts(ws: Workspace, names: Sequence[str]) -> dict[str, Any]:
    """What build_many runs: the compiled fact query, then each segment's member query."""
    con = _quiet(ws.connect())
    try:
        build = _build_plan(ws, names, con)
        ctes = build.facts.args.get("with_")
        started = time.perf_counter()
        create_temp(con, FACTS, build.facts, kind="TABLE")
        facts_s = time.perf_counter() - started
        started = time.perf_counter()
        counts = _member_counts(con, build, names)
        members_s = time.perf_counter() - started
    finally:
        con.close()
    return {
        "engine_s": facts_s + members_s,
        "facts": len(build.facts.selects) - 1,
        "passes": len(ctes.expressions) if ctes is not None else 1,
        "facts_s": facts_s,
        "members_s": members_s,
        "counts": counts,
    }


def separate_queries(ws: Workspace, names: Sequence[str]) -> dict[str, Any]:
    """Each segment's standalone compiled query on its own: no sharing at all."""
    con = _quiet(ws.connect())
    try:
        sqls = {n: ws.compile(n, as_of=AS_OF) for n in names}
        started = time.perf_counter()
        counts = {n: con.sql(sql).to_arrow_table().num_rows for n, sql in sqls.items()}
        total_s = time.perf_counter() - started
    finally:
        con.close()
    return {"engine_s": total_s, "counts": counts}


def bench_fact_passes(
    ws: Workspace, runs: int, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """The DuckDB part of `build --all`, three ways, same members required."""
    names = ws.dependency_order()
    ways: dict[str, Callable[[], dict[str, Any]]] = {
        "as compiled": lambda: compiled_facts(ws, names),
        "one pass for all facts": lambda: _passes(ws, names, by_names=False),
        "one pass per set of event names": lambda: _passes(ws, names, by_names=True),
        "one query per segment": lambda: separate_queries(ws, names),
    }
    times = {label: Timings() for label in ways}
    detail: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}
    for round_no in range(runs + 1):
        for label in rotate(list(ways), round_no):
            _, result = timed(ways[label])
            if round_no:
                times[label].add(result["engine_s"])
            counts.setdefault(label, result["counts"])
            detail[label] = {k: v for k, v in result.items() if k != "counts"}
    reference = counts["as compiled"]
    differ = {
        name: {label: c[name] for label, c in counts.items()}
        for name in reference
        if len({c[name] for c in counts.values()}) > 1
    }
    same = not differ
    out = {
        "segments": len(names),
        "same_members": same,
        "member_counts_that_differ": differ,
        "timings": {label: t.as_dict() for label, t in times.items()},
        "vs_compiled": {
            label: round(paired_ratio(t.seconds, times["as compiled"].seconds), 3)
            for label, t in times.items()
        },
        "detail": detail,
    }
    log(f"  fact passes: {out['vs_compiled']}; counts that differ: {differ}")
    return out
