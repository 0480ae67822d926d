"""Refresh by contact: re-evaluate only the contacts whose inputs changed (docs/refresh.md).

A segment without a percentile decides each contact from that contact's own row and
events (references are inlined, a static list is fixed by the fingerprint). Between its
latest snapshot and a new as_of on a lake with only events landed since, a contact's
membership can change only if

- it has an event in a landing since the snapshot,
- it has an event dated between the two as_of values (events after as_of never count),
- or it has an event between one of the definition's edges counted back from as_of at
  the old as_of and at the new one (lang/invariance.py): an event that left or entered
  a window or a lifecycle period.

Those contacts are the affected ones. The same compiled build runs with `contacts` and
`events` bound to them alone, and the new members are the latest members less the
affected, plus the affected that the build finds members: the members of a full build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg.api import build as builds
from duckseg.api.results import Snapshot
from duckseg.compiler import compile_build
from duckseg.compiler.sqlbuild import date_literal, timestamp_literal
from duckseg.db import create_temp, parquet_scan
from duckseg.engines.duckdb import restrict_lake
from duckseg.lang import ir
from duckseg.lang.invariance import Edge, Slide
from duckseg.lang.resolve import ResolvedSegment, check_order
from duckseg.lang.time import TimeContext
from duckseg.state.snapshots import PendingSnapshot, SnapshotInfo
from duckseg.types import ValueType

if TYPE_CHECKING:
    from duckseg.api.workspace import Progress, Workspace

AFFECTED = "refresh_affected"
# Past this share of the contacts, a patch costs more than building the segments whole: it
# reads every affected contact's events from the lake before its own build over them
# (benchmarks/RESULTS.md, refresh).
# Up to FEW_AFFECTED contacts a patch is always cheap.
MOST_AFFECTED = 0.05
FEW_AFFECTED = 1000
KEY = "contact_id"


@dataclass(frozen=True)
class Patch:
    """One segment to bring up to as_of by re-evaluating its affected contacts."""

    resolved: ResolvedSegment
    tree: ir.Node
    latest: SnapshotInfo
    # Set when as_of moved on from the latest snapshot's: its events dated since then, and
    # its edges' crossings, affect their contacts.
    since: datetime | None
    slides: Sequence[Slide]

    @property
    def name(self) -> str:
        return self.resolved.segment.name


@dataclass(frozen=True)
class Patched:
    snapshots: dict[str, Snapshot]
    affected: int  # contacts re-evaluated (the union over the segments)


def build_patched(
    ws: Workspace,
    patches: Sequence[Patch],
    ctx: TimeContext,
    new_event_files: Sequence[Path],
    progress: Progress | None = None,
) -> Patched | None:
    """New snapshots at `ctx.as_of` for `patches`, committed together, each equal to what a
    full build gives: its latest members with the affected contacts re-evaluated. None,
    with nothing written, when more than MOST_AFFECTED of the contacts (and more than
    FEW_AFFECTED) are affected."""
    if not patches:
        return Patched({}, 0)
    check_order([p.resolved for p in patches], ctx)
    names = [p.name for p in patches]
    trees = {p.name: p.tree for p in patches}
    con = ws.connect()
    try:
        # One set for every segment: re-evaluating a contact that did not change is harmless.
        create_temp(con, AFFECTED, affected_query(patches, ctx, new_event_files), kind="TABLE")
        affected = _count(con, AFFECTED)
        if affected > max(FEW_AFFECTED, MOST_AFFECTED * _count(con, "contacts")):
            return None
        build = compile_build(trees, ctx, "duckdb")
        lake = (ws.store.live_files("contacts"), ws.store.live_files("events"))
        restrict_lake(con, *lake, AFFECTED, build.events_columns())
        fresh = builds.duckdb_members(con, build, names, progress)
        merged = {p.name: _merged(con, ws.snapshots.file(p.latest), fresh[p.name]) for p in patches}
    finally:
        con.close()
    members = {name: m.members for name, m in merged.items()}
    segs = [p.resolved.segment for p in patches]
    pending = [
        PendingSnapshot(
            p.name,
            "dynamic",
            ctx.as_of,
            ws.definition_hash(p.resolved.segment, segs),
            builds.own_sql(build, trees, p.name, ctx, "duckdb"),
            "duckdb",
            members[p.name],
            p.latest if merged[p.name].same else None,
        )
        for p in patches
    ]
    infos = ws.snapshots.commit(pending, ws.clock.now())
    snaps = {}
    for info in infos:
        done = merged[info.segment]
        snaps[info.segment] = Snapshot(info, done.entered, done.exited, done.members)
    return Patched(snaps, affected)


def affected_query(
    patches: Sequence[Patch], ctx: TimeContext, new_event_files: Sequence[Path]
) -> exp.Query:
    """SELECT DISTINCT contact_id of every contact whose membership may have changed."""
    parts: list[exp.Select] = []
    if new_event_files:
        landed = parquet_scan(new_event_files, union_by_name=True).subquery("landed")
        parts.append(exp.select(exp.column(KEY)).from_(landed))
    on_events: dict[str, exp.Expr] = {}
    on_contacts: dict[str, exp.Expr] = {}
    for patch in patches:
        if patch.since is None:
            continue
        dated = dated_between(patch.since, ctx.as_of)
        on_events.setdefault(dated.sql("duckdb"), dated)
        events, contacts = crossing_tests(patch.slides, patch.since, ctx)
        on_events.update((t.sql("duckdb"), t) for t in events)
        on_contacts.update((t.sql("duckdb"), t) for t in contacts)
    # One SELECT per test: DuckDB pushes a plain test into the Parquet scan, where the
    # lake's sort by event name and time skips all but a few row groups (an OR of them
    # all would scan every row).
    for table, tests in (("events", on_events), ("contacts", on_contacts)):
        parts += [exp.select(exp.column(KEY)).from_(table).where(t) for t in tests.values()]
    if not parts:
        return exp.select(exp.column(KEY)).from_("events").where(exp.false())
    ids = exp.union(*parts, distinct=True) if len(parts) > 1 else parts[0]
    return (
        exp.select(exp.column(KEY))
        .distinct()
        .from_(ids.subquery("changed"))
        .where(exp.column(KEY).is_(exp.null()).not_())
    )


def dated_between(since: datetime, until: datetime) -> exp.Expr:
    """An event dated after `since` and at or before `until`."""
    ts = exp.column("ts")
    return exp.and_(ts > timestamp_literal(since), ts <= timestamp_literal(until))


def crossing_tests(
    slides: Sequence[Slide], since: datetime, ctx: TimeContext
) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """Tests of the events and of the contacts that hold a value some slide's edge passed
    going from `since` to `ctx.as_of`, both ends included: a calendar step is clamped (31
    March - 1mo is 28 February, and so is 29 March - 1mo), so an edge may move back while
    as_of moves on, hence either order. A DATE compares by calendar day in the zone, one
    day wider on each side (whatever rounding the comparison does, the day is inside)."""
    before = TimeContext.create(since, ctx.zone)
    on_events: list[exp.Expr] = []
    on_contacts: list[exp.Expr] = []
    for slide in slides:
        low, high = sorted(edge_at(c, slide.edge) for c in (before, ctx))
        column = exp.column(slide.column, quoted=True)
        if slide.type is ValueType.DATE:
            one = timedelta(days=1)
            span = column.between(
                date_literal(ctx.day_of(low) - one), date_literal(ctx.day_of(high) + one)
            )
        else:
            span = column.between(timestamp_literal(low), timestamp_literal(high))
        if slide.events is None:
            on_contacts.append(span)
        else:
            names = exp.column("event").isin(*(exp.Literal.string(n) for n in slide.events))
            on_events.append(exp.and_(names, span))
    return on_events, on_contacts


def edge_at(ctx: TimeContext, edge: Edge) -> datetime:
    """The edge at `ctx.as_of`: each step applied in turn (docs/language.md, "Lifecycle")."""
    at = ctx.as_of
    for sign, duration in edge:
        at = ctx.shift(at, duration, sign)
    return at


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    rows = con.execute(exp.select("count(*)").from_(table).sql("duckdb")).fetchall()
    return int(rows[0][0])


@dataclass(frozen=True)
class _Merged:
    members: pa.Table
    entered: int
    exited: int

    @property
    def same(self) -> bool:
        return not (self.entered or self.exited)


def _merged(con: duckdb.DuckDBPyConnection, latest: Path, fresh: pa.Table) -> _Merged:
    """The latest members less the affected contacts, plus `fresh` (the affected that are
    members now), sorted as a snapshot file stores them; with who entered and exited. When
    nobody did, the latest file's own table."""
    view = "refresh_fresh_members"
    con.register(view, fresh)
    try:
        earlier = parquet_scan([latest]).subquery("latest")
        was = (
            exp.select(exp.column(KEY))
            .from_(earlier.copy())
            .where(exp.column(KEY).isin(query=exp.select(exp.column(KEY)).from_(AFFECTED)))
        )
        now = exp.select(exp.column(KEY)).from_(view)
        entered, exited = _entered_exited(con, was, now)
        if not (entered or exited):
            return _Merged(pq.read_table(latest), 0, 0)
        kept = (
            exp.select(exp.column(KEY))
            .from_(earlier)
            .where(
                exp.not_(exp.column(KEY).isin(query=exp.select(exp.column(KEY)).from_(AFFECTED)))
            )
        )
        both = exp.union(kept, now.copy(), distinct=False)
        ordered = exp.select(exp.column(KEY)).from_(both.subquery("members")).order_by(KEY)
        return _Merged(con.sql(ordered.sql("duckdb")).to_arrow_table(), entered, exited)
    finally:
        con.unregister(view)


def _entered_exited(
    con: duckdb.DuckDBPyConnection, was: exp.Select, now: exp.Select
) -> tuple[int, int]:
    """How many of `now` are not in `was`, and of `was` not in `now`: one full join."""

    def missing(side: str) -> exp.Expr:
        absent = exp.Where(this=exp.column(KEY, side).is_(exp.null()))
        return exp.Filter(this=exp.Count(this=exp.Star()), expression=absent)

    query = (
        exp.select(missing("w"), missing("n"))
        .from_(was.subquery("w"))
        .join(now.subquery("n"), on=exp.column(KEY, "w").eq(exp.column(KEY, "n")), join_type="full")
    )
    entered, exited = con.execute(query.sql("duckdb")).fetchall()[0]
    return int(entered), int(exited)
