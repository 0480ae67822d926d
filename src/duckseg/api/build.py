"""Building snapshots: resolve, compile one build for many segments, run it, commit.

The Workspace facade calls these; they run the compiled build on DuckDB (or Spark)
over the live lake files and commit every snapshot of one build together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from sqlglot import exp

from duckseg.api.results import Snapshot
from duckseg.compiler import CompiledBuild, compile_build, to_sql
from duckseg.db import create_temp
from duckseg.errors import DefinitionError, InputError, Problem
from duckseg.lang import ir
from duckseg.lang.resolve import ResolvedSegment, check_order
from duckseg.lang.spec import Segment
from duckseg.lang.time import TimeContext
from duckseg.state.snapshots import PendingSnapshot

if TYPE_CHECKING:
    from duckseg.api.workspace import Progress, SegmentLike, Workspace


def tree_of(resolved: ResolvedSegment) -> ir.Node:
    if resolved.tree is not None:
        return resolved.tree
    # A static segment's members are its stored list.
    return ir.StaticMembers(resolved.segment.name)


def dependency_order(ws: Workspace, names: Sequence[str] | None = None) -> list[str]:
    """Dynamic segments ordered so that a referenced segment comes before those referencing it.

    A reference cycle is a definition error naming the cycle (a -> b -> a).
    """
    segs: list[Segment] = []
    problems: list[Problem] = []
    for name in names if names is not None else list(ws.segment_files()):
        try:
            segs.append(ws.load(name))
        except DefinitionError as exc:  # every broken file is named at once
            problems.extend(exc.problems)
    dynamic = [s for s in segs if not s.is_static]
    con = ws.connect()
    try:
        resolved = {r.segment.name: r for r in ws.resolve(dynamic, con)}
    except DefinitionError as exc:
        raise DefinitionError([*problems, *exc.problems]) from None
    finally:
        con.close()
    if problems:
        raise DefinitionError(problems)
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered or name not in resolved:
            return
        for dep in sorted(resolved[name].references):
            visit(dep)
        ordered.append(name)

    for name in sorted(resolved):
        visit(name)
    return ordered


def build_many(
    ws: Workspace,
    segments: Iterable[SegmentLike],
    as_of: datetime | date | str | None = None,
    engine: str = "duckdb",
    progress: Progress | None = None,
) -> list[Snapshot]:
    """Build several segments at one as_of, sharing one pass over the events."""
    if engine not in ("duckdb", "spark"):
        raise InputError.single(
            "--engine", f"unknown engine {engine!r}", hint="choose duckdb or spark"
        )
    segs = [ws.load(s) for s in segments]
    for seg in segs:
        ws.check_owner(seg)
    static = [s.name for s in segs if s.is_static]
    if static:
        raise InputError.single(
            "segments", f"{static[0]} is a static segment: change it with duckseg static"
        )
    ctx = ws.time_context(as_of)
    names = [seg.name for seg in segs]
    with ws.store.writer(), ws.store.session():
        con = ws.connect()
        try:
            resolved = ws.resolve(segs, con)
            check_order(resolved, ctx)
            trees = {r.segment.name: tree_of(r) for r in resolved}
            build = compile_build(trees, ctx, engine)
            if engine == "spark":
                members = _spark_members(ws, con, build, names, progress)
            else:
                members = duckdb_members(con, build, names, progress)
            before = ws.snapshots.latest_up_to(names, ctx.as_of)
            changes = ws.snapshots.count_changes(con, members, before)
        finally:
            con.close()
        pending = [
            PendingSnapshot(
                seg.name,
                "dynamic",
                ctx.as_of,
                ws.definition_hash(seg, segs),
                own_sql(build, trees, seg.name, ctx, engine),
                engine,
                members[seg.name],
            )
            for seg in segs
        ]
        infos = ws.snapshots.commit(pending, ws.clock.now())
    return [Snapshot(info, *changes[info.segment], members[info.segment]) for info in infos]


class PartialBuildError(DefinitionError):
    """`build --all --keep-going` built the valid definitions; these were broken."""

    def __init__(self, problems: Sequence[Problem], snapshots: Sequence[Snapshot]) -> None:
        super().__init__(problems)
        self.snapshots = tuple(snapshots)


def build_all(
    ws: Workspace,
    as_of: datetime | date | str | None = None,
    engine: str = "duckdb",
    progress: Progress | None = None,
    keep_going: bool = False,
) -> list[Snapshot]:
    """Every dynamic segment, referenced segments first; with `keep_going`, every valid one,
    then `PartialBuildError` if any was broken."""
    if not keep_going:
        return ws.build_many(ws.dependency_order(), as_of=as_of, engine=engine, progress=progress)
    names, problems = _buildable(ws)
    snaps = ws.build_many(names, as_of=as_of, engine=engine, progress=progress)
    if problems:
        raise PartialBuildError(problems, snaps)
    return snaps


def _buildable(ws: Workspace) -> tuple[list[str], list[Problem]]:
    """The dynamic segments that resolve (in dependency order), and the problems of the rest."""
    problems: list[Problem] = []
    good: list[str] = []
    con = ws.connect()
    try:
        resolver = ws.resolver(ws.read_catalog(con))
        for name in ws.segment_files():
            try:
                seg = ws.load(name)
                if not seg.is_static:
                    resolver.resolve(seg)
                    good.append(name)
            except DefinitionError as exc:
                problems.extend(exc.problems)
    finally:
        con.close()
    return ws.dependency_order(good), problems


def own_sql(
    build: CompiledBuild,
    trees: dict[str, ir.Node],
    name: str,
    ctx: TimeContext,
    engine: str,
) -> str:
    """The SQL a snapshot records: its segment's query alone, as `compile` prints it,
    not the build's shared fact pass with every other segment's facts."""
    alone = build
    if len(trees) > 1 and build.carries_shared_facts(name):
        alone = compile_build({name: trees[name]}, ctx, engine)
    return to_sql(alone.standalone(name), engine)


def duckdb_members(
    con: duckdb.DuckDBPyConnection,
    build: CompiledBuild,
    names: Sequence[str],
    progress: Progress | None,
) -> dict[str, pa.Table]:
    shared = len(names) > 1 and bool(build.shared())
    if shared:
        for table, query in build.shared():
            create_temp(con, table, query, kind="TABLE")
    members = {}
    for i, name in enumerate(names):
        if progress:
            progress(name, i, len(names))
        # One segment alone runs as its own query (`standalone`), no shared table.
        query = build.members[name] if shared else build.standalone(name)
        # Sorted here, in parallel, as the snapshot file stores them.
        ordered = query.order_by(exp.Literal.number(1), copy=True)
        members[name] = con.sql(ordered.sql("duckdb")).to_arrow_table()
    return members


def _spark_members(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    build: CompiledBuild,
    names: Sequence[str],
    progress: Progress | None,
) -> dict[str, pa.Table]:
    # The same trees as Spark SQL, over the same live Parquet files.
    from duckseg.engines import spark as spark_engine

    keys = con.table("contacts").select("contact_id").limit(0).to_arrow_table()
    return spark_engine.build_members(
        ws.config.spark,
        (ws.store.live_files("contacts"), ws.store.live_files("events")),
        ws._static_files(),
        build,
        names,
        keys.schema.field(0).type,  # typed as DuckDB types them
        progress,
    )
