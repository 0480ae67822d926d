"""Comparative segment metrics: each table is built from sqlglot-built queries run on DuckDB.

The queries read three relations bound on one connection:

    contacts, events    the lake (`engine.bind_lake`)
    report_members      (population, contact_id): the members of each chosen
                        snapshot, and every contact under the population `BASE`

A population is one segment's snapshot, or the base: all contacts. Event
metrics are per member, evaluated at the population's `as_of` (the base at each
`as_of` the report uses), and compared with the base as a lift (value / base
value). `duckseg.report.schemas` documents the tables these rows fill.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, assert_never

import duckdb
from sqlglot import exp

from duckseg.compiler import compile_traits
from duckseg.compiler.dialects import dialect_settings
from duckseg.compiler.facts import FactPlan
from duckseg.compiler.floatsum import exact_float_sum, with_filter
from duckseg.compiler.sqlbuild import SqlBuilder, safe_comment, timestamp_literal
from duckseg.db import create_temp, parquet_scan, union_all
from duckseg.lang import ir
from duckseg.lang.describe import describe_events, describe_filter, describe_window
from duckseg.lang.time import Bound, InstantRange, TimeContext
from duckseg.state.snapshots import SnapshotInfo
from duckseg.types import Catalog, ValueType

BASE = "all contacts"  # segment names cannot contain a space, so this never collides
MEMBERS = "report_members"
NOT_SET = "(not set)"
OTHER = "(other)"
MAX_DEFAULT_BREAKDOWNS = 4
MAX_DEFAULT_CARDINALITY = 12


class MetricKind(enum.Enum):
    REACH = "reach"
    EVENTS_PER_MEMBER = "events_per_member"
    SUM = "sum"
    AVG = "avg"
    CONVERSION = "conversion"


# How a metric's value reads: a share of members, a count, or an amount of a property.
UNITS: dict[MetricKind, str] = {
    MetricKind.REACH: "share",
    MetricKind.EVENTS_PER_MEMBER: "count",
    MetricKind.SUM: "amount",
    MetricKind.AVG: "amount",
    MetricKind.CONVERSION: "share",
}


@dataclass(frozen=True)
class Metric:
    """A per-member event metric, checked against the lake."""

    name: str
    kind: MetricKind
    filter: ir.EventFilter  # event names, per-event where, window (none for conversion)
    label: str | None = None
    prop: ir.Column | None = None  # sum, avg
    days: int | None = None  # conversion

    def description(self) -> str:
        match self.kind:
            case MetricKind.REACH:
                return f"share of members who performed {describe_filter(self.filter)}"
            case MetricKind.EVENTS_PER_MEMBER:
                return f"{describe_events(self.filter)} events per member{_window(self.filter)}"
            case MetricKind.SUM if self.prop is not None and self.prop.trait is not None:
                return f"total {self.prop.name} per member"
            case MetricKind.AVG if self.prop is not None and self.prop.trait is not None:
                return f"average {self.prop.name} of members who have one"
            case MetricKind.SUM:
                assert self.prop is not None
                return (
                    f"total {self.prop.name} of {describe_events(self.filter)} per member"
                    f"{_window(self.filter)}"
                )
            case MetricKind.AVG:
                assert self.prop is not None
                return (
                    f"average {self.prop.name} of {describe_events(self.filter)} events"
                    f"{_window(self.filter)}"
                )
            case MetricKind.CONVERSION:
                days = "1 day" if self.days == 1 else f"{self.days} days"
                return (
                    f"share of members who performed {describe_events(self.filter)} "
                    f"within {days} after the snapshot"
                )
            case _:
                assert_never(self.kind)

    @property
    def title(self) -> str:
        return self.label or self.description()


def _window(flt: ir.EventFilter) -> str:
    return describe_window(flt.window) or ", all history"


Row = dict[str, Any]


# -- sqlglot helpers ---------------------------------------------------------------------


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _count() -> exp.Expr:
    return exp.Count(this=exp.Star())


def _table(name: str, alias: str) -> exp.Table:
    return exp.to_table(name, alias=alias)


def _ts(at: datetime) -> exp.Expr:
    return timestamp_literal(at)


def _rows(con: duckdb.DuckDBPyConnection, query: exp.Expr) -> list[tuple[Any, ...]]:
    return con.execute(query.sql("duckdb")).fetchall()


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, int | float | Decimal) else None


def ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


# -- populations ----------------------------------------------------------------------


def bind_members(con: duckdb.DuckDBPyConnection, snapshots: Sequence[tuple[str, Path]]) -> None:
    """Create `report_members`: each snapshot's members, then all contacts under BASE."""
    parts = [
        _population(exp.Literal.string(name), parquet_scan([path])) for name, path in snapshots
    ]
    parts.append(_population(exp.Literal.string(BASE), exp.select("*").from_("contacts")))
    create_temp(con, MEMBERS, union_all(parts), kind="TABLE")


def _population(label: exp.Expr, source: exp.Select, column: str = "population") -> exp.Select:
    """SELECT label AS column, contact_id FROM (source)."""
    return exp.select(exp.alias_(label, column), "contact_id").from_(source.subquery())


def sizes_query() -> exp.Select:
    return (
        exp.select(_col("population"), exp.alias_(_count(), "members"))
        .from_(exp.to_table(MEMBERS))
        .group_by(_col("population"))
    )


def sizes(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {str(p): int(n) for p, n in _rows(con, sizes_query())}


# -- overlap ---------------------------------------------------------------------------


def overlap_query() -> exp.Select:
    a, b = "a", "b"
    not_base = exp.and_(
        _col("population", a).neq(exp.Literal.string(BASE)),
        _col("population", b).neq(exp.Literal.string(BASE)),
    )
    query = (
        exp.select(
            exp.alias_(_col("population", a), "segment_a"),
            exp.alias_(_col("population", b), "segment_b"),
            exp.alias_(_count(), "overlap"),
        )
        .from_(_table(MEMBERS, a))
        .join(_table(MEMBERS, b), on=_col("contact_id", a).eq(_col("contact_id", b)))
        .where(not_base)
        .group_by(_col("population", a), _col("population", b))
    )
    query.add_comments([safe_comment("contacts in both segments, for every pair")])
    return query


def overlap_rows(
    con: duckdb.DuckDBPyConnection, names: Sequence[str], size: Mapping[str, int]
) -> list[Row]:
    both = {(str(a), str(b)): int(n) for a, b, n in _rows(con, overlap_query())}
    rows = []
    for a in names:
        for b in names:
            n = both.get((a, b), 0)
            union = size[a] + size[b] - n
            rows.append(
                {
                    "segment_a": a,
                    "segment_b": b,
                    "members_a": size[a],
                    "members_b": size[b],
                    "overlap": n,
                    "jaccard": ratio(n, union),
                    "share_of_a": ratio(n, size[a]),
                }
            )
    return rows


# -- breakdowns ---------------------------------------------------------------------------


def default_breakdowns(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, exclude: Sequence[str]
) -> list[str]:
    """A few text attributes with 2..12 distinct values, in schema order."""
    candidates = [
        name
        for name, vtype in catalog.attributes.items()
        if vtype is ValueType.TEXT and name not in exclude
    ]
    if not candidates:
        return []
    query = exp.select(
        *(
            exp.alias_(exp.Count(this=exp.Distinct(expressions=[_col(name)])), f"d{i}")
            for i, name in enumerate(candidates)
        )
    ).from_(exp.to_table("contacts"))
    (counts,) = _rows(con, query)
    return [
        name
        for name, n in zip(candidates, counts, strict=True)
        if 2 <= int(n) <= MAX_DEFAULT_CARDINALITY
    ][:MAX_DEFAULT_BREAKDOWNS]


def breakdown_query(attribute: str, vtype: ValueType, table: str = "contacts") -> exp.Query:
    """(population, value, members) for one attribute (or trait, from `table`); a NULL
    value means not set."""
    m, c = "m", "c"
    col = _col(attribute, c)
    joined = (
        exp.select(_col("population", m))
        .from_(_table(MEMBERS, m))
        .join(
            _table(table, c),
            on=_col("contact_id", c).eq(_col("contact_id", m)),
            join_type="left",
        )
    )
    if vtype is ValueType.TEXT_LIST:
        # Members per tag (a member counts once under each of its tags), plus members with none.
        tags = joined.select(
            exp.alias_(exp.func("unnest", exp.func("list_distinct", col)), "value")
        ).subquery("t")
        per_tag = (
            exp.select(_col("population"), _col("value"), exp.alias_(_count(), "members"))
            .from_(tags)
            .group_by(_col("population"), _col("value"))
        )
        no_tags = (
            joined.select(exp.alias_(exp.cast(exp.null(), exp.DataType.Type.VARCHAR), "value"))
            .select(exp.alias_(_count(), "members"))
            .where(
                exp.or_(
                    exp.Is(this=col, expression=exp.null()),
                    exp.EQ(this=exp.func("len", col), expression=exp.Literal.number(0)),
                )
            )
            .group_by(_col("population", m))
        )
        return union_all([per_tag, no_tags])
    value: exp.Expr = (
        exp.func("nullif", col, exp.Literal.string(""))
        if vtype is ValueType.TEXT
        else exp.cast(col, exp.DataType.Type.VARCHAR)
    )
    return joined.select(exp.alias_(value, "value"), exp.alias_(_count(), "members")).group_by(
        _col("population", m), exp.column("value", quoted=True)
    )


def breakdown_rows(
    con: duckdb.DuckDBPyConnection,
    attribute: str,
    vtype: ValueType,
    populations: Sequence[str],
    size: Mapping[str, int],
    top: int,
    table: str = "contacts",
) -> list[Row]:
    counts: dict[str, dict[str | None, int]] = {p: {} for p in populations}
    for pop, value, n in _rows(con, breakdown_query(attribute, vtype, table)):
        counts.setdefault(str(pop), {})[None if value is None else str(value)] = int(n)
    shown: set[str] = set()
    for per_value in counts.values():
        ranked = sorted(
            ((n, v) for v, n in per_value.items() if v is not None), key=lambda t: (-t[0], t[1])
        )
        shown.update(v for _, v in ranked[:top])
    base = counts.get(BASE, {})
    order = sorted(shown, key=lambda v: (-base.get(v, 0), v))
    is_list = vtype is ValueType.TEXT_LIST

    def count_of(pop: str, value: str) -> int:
        per_value = counts.get(pop, {})
        if value == NOT_SET:
            return per_value.get(None, 0)
        if value == OTHER:
            return sum(n for v, n in per_value.items() if v is not None and v not in shown)
        return per_value.get(value, 0)

    buckets = [*order] + ([] if is_list else [OTHER]) + [NOT_SET]
    rows = []
    for value in buckets:
        if value in (OTHER, NOT_SET) and not any(count_of(p, value) for p in populations):
            continue
        base_share = ratio(count_of(BASE, value), size.get(BASE, 0))
        for pop in populations:
            n = count_of(pop, value)
            share = ratio(n, size.get(pop, 0))
            rows.append(
                {
                    "attribute": attribute,
                    "value": value,
                    "population": pop,
                    "is_base": pop == BASE,
                    "members": n,
                    "share": share,
                    "base_share": base_share,
                    "lift": ratio(share, base_share),
                }
            )
    return rows


# -- event metrics ---------------------------------------------------------------------------


def metric_window(metric: Metric, ctx: TimeContext, builder: SqlBuilder) -> InstantRange:
    """The instants a metric counts at one as_of."""
    if metric.kind is MetricKind.CONVERSION:
        assert metric.days is not None
        return InstantRange(
            low=Bound(ctx.as_of, False), high=Bound(ctx.as_of + timedelta(days=metric.days), True)
        )
    return builder.window_range(metric.filter.window)


def metric_query(
    metric: Metric, ctx: TimeContext, populations: Sequence[str]
) -> tuple[exp.Select, InstantRange]:
    """Per population: members, members with a qualifying event, events, property totals."""
    builder = SqlBuilder(ctx, dialect_settings("duckdb"), FactPlan())
    window = metric_window(metric, ctx, builder)
    qualifying = _qualifying(metric, ctx, builder, window)
    m, q = "m", "q"
    zero = exp.Literal.number(0)
    columns: list[exp.Expr] = [
        _col("population", m),
        exp.alias_(_count(), "members"),
        exp.alias_(exp.Count(this=_col("contact_id", q)), "members_with_event"),
        exp.alias_(exp.func("coalesce", exp.func("sum", _col("n", q)), zero), "events"),
    ]
    if metric.prop is not None:
        columns += [
            exp.alias_(_sum(metric.prop, _col("total", q)), "total"),
            exp.alias_(exp.func("coalesce", exp.func("sum", _col("valued", q)), zero), "valued"),
        ]
    query = (
        exp.select(*columns)
        .with_("qualifying", as_=qualifying)
        .from_(_table(MEMBERS, m))
        .join(
            _table("qualifying", q),
            on=_col("contact_id", q).eq(_col("contact_id", m)),
            join_type="left",
        )
        .where(
            exp.In(
                this=_col("population", m),
                expressions=[exp.Literal.string(p) for p in populations],
            )
        )
        .group_by(_col("population", m))
    )
    query.add_comments([safe_comment(f"{metric.name}: {metric.description()}")])
    return query, window


def _qualifying(
    metric: Metric, ctx: TimeContext, builder: SqlBuilder, window: InstantRange
) -> exp.Select:
    """Per contact: its qualifying events (n) and their property total; for a trait metric,
    each contact with a value at as_of as one row holding it."""
    if metric.prop is not None and metric.prop.trait is not None:
        name = metric.prop.name
        values = compile_traits([metric.prop.trait], ctx).subquery("v")
        one = exp.Literal.number(1)
        return (
            exp.select(
                _col("contact_id", "v"),
                exp.alias_(one, "n"),
                exp.alias_(_col(name, "v"), "total"),
                exp.alias_(one.copy(), "valued"),
            )
            .from_(values)
            .where(exp.Not(this=exp.Is(this=_col(name, "v"), expression=exp.null())))
        )
    flt = metric.filter
    ts = exp.column("ts", table="events", quoted=True)
    parts = [builder.names_in(flt.events), *builder.range_parts(ts, window)]
    if flt.where is not None:
        parts.append(exp.paren(builder.predicate(flt.where)))
    per_member: list[exp.Expr] = [
        _col("contact_id", "events"),
        exp.alias_(_count(), "n"),
    ]
    if metric.prop is not None:
        prop = _col(metric.prop.name, "events")
        per_member += [
            exp.alias_(_sum(metric.prop, prop), "total"),
            exp.alias_(exp.Count(this=prop), "valued"),
        ]
    return (
        exp.select(*per_member)
        .from_(exp.to_table("events"))
        .where(exp.and_(*parts))
        .group_by(_col("contact_id", "events"))
    )


def _sum(prop: ir.Column, arg: exp.Expr) -> exp.Expr:
    # Float sums are exact (docs/language.md), as in definitions: a report does not change in its
    # last digit with the order rows are read in.
    if prop.type is ValueType.FLOAT:
        return exact_float_sum(arg, None, with_filter)
    return exp.func("sum", arg)


def _value(
    kind: MetricKind, members: int, reached: int, events: int, total: Any, valued: int
) -> float | None:
    match kind:
        case MetricKind.REACH | MetricKind.CONVERSION:
            return ratio(reached, members)
        case MetricKind.EVENTS_PER_MEMBER:
            return ratio(events, members)
        case MetricKind.SUM:
            return ratio(_number(total) or 0.0, members)
        case MetricKind.AVG:
            return ratio(_number(total), valued)
        case _:
            assert_never(kind)


def metric_rows(
    con: duckdb.DuckDBPyConnection,
    metric: Metric,
    ctx: TimeContext,
    populations: Sequence[str],
    now: datetime,
    queries: dict[str, str] | None = None,
) -> list[Row]:
    """Rows for the populations at one as_of, and for the base at that as_of."""
    wanted = [*populations, BASE]
    query, window = metric_query(metric, ctx, wanted)
    if queries is not None:
        queries[f"metric {metric.name} as of {ctx.as_of.isoformat()}"] = query.sql(
            "duckdb", pretty=True
        )
    found: dict[str, tuple[int, int, int, Any, int]] = {}
    for row in _rows(con, query):
        pop, members, reached, events = str(row[0]), int(row[1]), int(row[2]), int(row[3])
        total, valued = (row[4], int(row[5])) if metric.prop is not None else (None, 0)
        found[pop] = (members, reached, events, total, valued)
    values = {pop: _value(metric.kind, *found.get(pop, (0, 0, 0, None, 0))) for pop in wanted}
    end = window.high.at if window.high else None
    out = []
    for pop in wanted:
        members, reached, events, _, _ = found.get(pop, (0, 0, 0, None, 0))
        out.append(
            {
                "metric": metric.name,
                "kind": metric.kind.value,
                "label": metric.title,
                "description": metric.description(),
                "unit": UNITS[metric.kind],
                "population": pop,
                "is_base": pop == BASE,
                "as_of": ctx.as_of,
                "window_start": window.low.at if window.low else None,
                "window_end": end,
                "members": members,
                "members_with_event": reached,
                "events": events,
                "value": values[pop],
                "base_value": values[BASE],
                "lift": ratio(values[pop], values[BASE]),
                "complete": end is None or end <= now,
            }
        )
    return out


def frequent_events(
    con: duckdb.DuckDBPyConnection, since: datetime, until: datetime, limit: int
) -> list[str]:
    """The most frequent event names in [since, until]: the default reach metrics."""
    ts = _col("ts")
    query = (
        exp.select(_col("event"), exp.alias_(_count(), "n"))
        .from_(exp.to_table("events"))
        .where(exp.and_(ts >= _ts(since), ts <= _ts(until)))
        .group_by(_col("event"))
        .order_by(exp.Ordered(this=_col("n"), desc=True), _col("event"))
        .limit(limit)
    )
    return [str(name) for name, _ in _rows(con, query)]


# -- size over time -------------------------------------------------------------------------


def size_over_time_rows(
    history: Sequence[SnapshotInfo], changes: Sequence[tuple[int, int]], chosen: str
) -> list[Row]:
    """Every snapshot of a segment with its size and who entered / exited since the one
    before (`changes`, from SnapshotStore.changes_along)."""
    rows = []
    for info, (entered, exited) in zip(history, changes, strict=True):
        rows.append(
            {
                "segment": info.segment,
                "snapshot_id": info.snapshot_id,
                "as_of": info.as_of,
                "built_at": info.built_at,
                "members": info.count,
                "entered": entered,
                "exited": exited,
                "in_report": info.snapshot_id == chosen,
            }
        )
    return rows
