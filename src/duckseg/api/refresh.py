"""Keeping segments current: `refresh` brings every dynamic segment (then every audience)
up to an as_of, doing only the work that its inputs' changes call for (docs/refresh.md).

A segment's latest snapshot is reused when nothing it depends on changed: the resolved
definition (references and static lists included), the lake (no landing since) and,
unless as_of is the same, the definition cannot change with time on an unchanged lake
(lang/invariance.py) and no landed event falls between the two as_of values or crosses
one of its window edges. When only events landed or time moved on, the contacts those
events belong to are re-evaluated and the rest keep their membership (api/patch.py).
Everything else is rebuilt in one shared build, exactly as `build --all`. Either way
the snapshots are the same as a full build's.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml
from sqlglot import exp

from duckseg.api import build as builds
from duckseg.api.patch import Patch, Patched, build_patched, crossing_tests, dated_between
from duckseg.api.results import Snapshot
from duckseg.compiler import compile_build, to_sql
from duckseg.compiler.shapes import reads_ranks
from duckseg.lang import ir
from duckseg.lang.invariance import Slide, reads_events, sliding_windows
from duckseg.lang.resolve import ResolvedSegment
from duckseg.lang.spec import Segment
from duckseg.lang.time import TimeContext, iso
from duckseg.state.refresh_state import (
    Basis,
    Landed,
    drop_basis,
    event_files_of,
    lake_version,
    landed_since,
    prune_basis,
    read_basis,
    record_basis,
)
from duckseg.state.snapshots import PendingSnapshot, SnapshotInfo

if TYPE_CHECKING:
    from duckseg.api.workspace import Progress, Workspace

AUDIENCES_DIR = "audiences"


class Action(enum.Enum):
    BUILT = "built"  # computed by a query
    PATCHED = "patched"  # the latest members with the affected contacts computed again
    REUSED = "reused"  # the latest snapshot's members, recorded as a new snapshot at as_of
    CURRENT = "current"  # the latest snapshot is already at as_of on the same inputs


@dataclass(frozen=True)
class Refreshed:
    """One segment brought up to date: what was done and why."""

    action: Action
    reason: str
    snapshot: Snapshot
    reevaluated: int | None = None  # PATCHED: contacts computed again (for every such segment)

    def to_dict(self) -> dict[str, Any]:
        found = {**self.snapshot.to_dict(), "action": self.action.value, "reason": self.reason}
        if self.reevaluated is not None:
            found["reevaluated"] = self.reevaluated
        return found


@dataclass(frozen=True)
class RefreshResult:
    as_of: datetime
    lake_version: int
    segments: list[Refreshed]
    audiences: list[Any] = field(default_factory=list)  # what ws.audience_build returned

    def counts(self) -> dict[str, int]:
        """How many segments each action covered."""
        return {a.value: sum(1 for r in self.segments if r.action is a) for a in Action}

    def reevaluated(self) -> int | None:
        """How many contacts the patched segments computed again; None when none was."""
        found = [r.reevaluated for r in self.segments if r.reevaluated is not None]
        return found[0] if found else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": iso(self.as_of),
            "lake_version": self.lake_version,
            "segments": [r.to_dict() for r in self.segments],
            "audiences": [_audience_dict(a) for a in self.audiences],
        }


@dataclass(frozen=True)
class _Plan:
    name: str
    segment: Segment
    action: Action
    reason: str
    tree: ir.Node
    fingerprint: str
    latest: SnapshotInfo | None
    patch: Patch | None = None  # PATCHED: what to re-evaluate

    def built(self, why: str) -> _Plan:
        """A patch turned into a build (the reason says both)."""
        if self.patch is None:
            return self
        reason = f"{self.reason}; {why}"
        return dataclasses.replace(self, action=Action.BUILT, reason=reason, patch=None)


def refresh(
    ws: Workspace,
    as_of: datetime | date | str | None = None,
    *,
    full: bool = False,
    engine: str = "duckdb",
    progress: Progress | None = None,
) -> RefreshResult:
    """Bring every dynamic segment, then every audience, up to `as_of` (default now).

    `full` forgets what earlier refreshes recorded and rebuilds everything. The spark
    engine always rebuilds (the same members, computed by Spark).
    """
    ctx = ws.time_context(as_of)
    with ws.store.writer(), ws.store.session():
        if full:
            drop_basis(ws.store)
        version, last_landing = lake_version(ws.store)
        plans, new_files = _plan(ws, ctx, version, engine)
        patches = [p.patch for p in plans if p.patch is not None]
        patched = build_patched(ws, patches, ctx, new_files, progress)
        if patched is None:  # so many contacts changed that one build is cheaper
            plans = [p.built("many contacts changed") for p in plans]
            patched = Patched({}, 0)
        snaps: dict[str, Snapshot] = dict(patched.snapshots)
        rebuild = [p.segment for p in plans if p.action is Action.BUILT]
        if rebuild:
            done = builds.build_many(ws, rebuild, as_of=ctx.as_of, engine=engine, progress=progress)
            snaps.update((s.segment, s) for s in done)
        snaps.update(_carry(ws, [p for p in plans if p.action is Action.REUSED], ctx))
        record_basis(
            ws.store,
            {
                snaps[p.name].snapshot_id: Basis(version, p.fingerprint, last_landing)
                for p in plans
                if p.action is not Action.CURRENT
            },
        )
        prune_basis(ws.store)
        results = []
        for p in plans:
            if p.action is Action.CURRENT:
                assert p.latest is not None
                snap = Snapshot(p.latest, 0, 0, ws.snapshots.members(p.latest))
            else:
                snap = snaps[p.name]
            count = patched.affected if p.action is Action.PATCHED else None
            results.append(Refreshed(p.action, p.reason, snap, count))
        # Audiences read segments at send time, after the segments they name are current.
        audiences = refresh_audiences(ws, ctx.as_of)
    return RefreshResult(ctx.as_of, version, results, audiences)


def _plan(
    ws: Workspace, ctx: TimeContext, version: int, engine: str
) -> tuple[list[_Plan], list[Path]]:
    """What to do for each dynamic segment, in dependency order, and the event files landed
    since the earliest basis that a patch starts from."""
    con = ws.connect()
    try:
        segments = [ws.load(name) for name in ws.segment_files()]
        resolved = _in_order(ws.resolve([s for s in segments if not s.is_static], con))
        order = [r.segment.name for r in resolved]
        statics = {i.segment: i.snapshot_id for i in ws.snapshots.latest_static()}
        latest = {n: ws.snapshots.latest(n) for n in order}
        bases = read_basis(ws.store, [i.snapshot_id for i in latest.values() if i is not None])
        checks = _Checks(ws, con, ctx, version)
        plans = []
        for r in resolved:
            name, tree = r.segment.name, builds.tree_of(r)
            fp = fingerprint(tree, str(ws.config.time.zone), statics)
            info = latest[name]
            basis = bases.get(info.snapshot_id) if info is not None else None
            patch = None
            if engine != "duckdb":
                action, reason = Action.BUILT, f"the {engine} engine always rebuilds"
            elif info is None:
                action, reason = Action.BUILT, "never built"
            elif basis is None:
                action, reason = Action.BUILT, "latest snapshot not written by refresh"
            elif basis.fingerprint != fp:
                action, reason = Action.BUILT, "definition changed"
            elif ctx.as_of < info.as_of:
                action, reason = Action.BUILT, "as_of before the latest snapshot"
            elif basis.lake_version == version and ctx.as_of == info.as_of:
                action, reason = Action.CURRENT, "already at this as_of"
            else:
                action, reason, patch = checks.decide(r, tree, info, basis)
            plans.append(_Plan(name, r.segment, action, reason, tree, fp, info, patch))
    finally:
        con.close()
    return plans, checks.new_files()


class _Checks:
    """Decides, for a segment whose definition is unchanged and whose as_of moves on or whose
    lake grew, whether it is reused, patched or built (docs/refresh.md)."""

    def __init__(
        self, ws: Workspace, con: duckdb.DuckDBPyConnection, ctx: TimeContext, version: int
    ) -> None:
        self.ws, self.con, self.ctx, self.version = ws, con, ctx, version
        self.events_since: dict[datetime, bool] = {}
        self.crossings: dict[str, bool] = {}
        self.landed: dict[Basis, list[Landed] | None] = {}
        self.files: dict[Path, None] = {}

    def decide(
        self, r: ResolvedSegment, tree: ir.Node, info: SnapshotInfo, basis: Basis
    ) -> tuple[Action, str, Patch | None]:
        moved = self.ctx.as_of > info.as_of
        windows = sliding_windows(tree)
        if moved and windows is None:
            return Action.BUILT, "depends on the time", None
        if basis.lake_version != self.version:
            reason = "data landed"
        elif reads_events(tree) and _events_between(
            self.con, self.events_since, info.as_of, self.ctx.as_of
        ):
            reason = "events dated since the latest snapshot"
        elif windows and (
            crossed := _crossed(self.con, self.crossings, windows, info.as_of, self.ctx)
        ):
            reason = crossed
        else:
            return Action.REUSED, "nothing it reads changed", None
        if reads_ranks(tree):  # a percentile ranks every contact: one change moves them all
            return Action.BUILT, reason, None
        landed: list[Landed] | None = []
        if basis.lake_version != self.version:
            if basis not in self.landed:
                self.landed[basis] = landed_since(self.ws.store, basis)
            landed = self.landed[basis]
        if landed is None or any(one.kind == "contacts" for one in landed):
            return Action.BUILT, reason, None
        self.files.update(dict.fromkeys(event_files_of(self.ws.store, landed)))
        since = info.as_of if moved else None
        return Action.PATCHED, reason, Patch(r, tree, info, since, windows or [])

    def new_files(self) -> list[Path]:
        return list(self.files)


def _in_order(resolved: Sequence[ResolvedSegment]) -> list[ResolvedSegment]:
    """Referenced segments before the segments that use them, else by name (as build --all)."""
    by_name = {r.segment.name: r for r in resolved}
    ordered: dict[str, ResolvedSegment] = {}

    def visit(name: str) -> None:
        if name in ordered or name not in by_name:
            return
        for dep in sorted(by_name[name].references):
            visit(dep)
        ordered[name] = by_name[name]

    for name in sorted(by_name):
        visit(name)
    return list(ordered.values())


def fingerprint(tree: ir.Node, zone: str, statics: dict[str, str]) -> str:
    """SHA-256 of everything a resolved definition means: the tree (references inlined,
    values typed, each trait it reads with its whole definition), the zone and the stored
    list of each static segment it names. A trait edit so changes exactly the segments
    that read the trait, at any depth of references."""
    used = sorted({n.name for n in ir.walk(tree) if isinstance(n, ir.StaticMembers)})
    text = repr((zone, tree, [(n, statics.get(n)) for n in used]))
    return hashlib.sha256(text.encode()).hexdigest()


def _events_between(
    con: duckdb.DuckDBPyConnection, cache: dict[datetime, bool], since: datetime, until: datetime
) -> bool:
    """Whether any landed event has since < ts <= until."""
    if since not in cache:
        query = exp.select(exp.Literal.number(1)).from_("events")
        query = query.where(dated_between(since, until)).limit(1)
        cache[since] = bool(con.execute(query.sql("duckdb")).fetchall())
    return cache[since]


def _crossed(
    con: duckdb.DuckDBPyConnection,
    found: dict[str, bool],
    slides: Sequence[Slide],
    since: datetime,
    ctx: TimeContext,
) -> str | None:
    """Why a member may have changed when an edge passed a value between `since` and as_of
    (an event that may have entered or left a window, a lifecycle period or a relative
    test; an attribute a relative test passed), or None when no value lies in between
    (api/patch.py, crossing_tests). `found` remembers each test's answer: segments of one
    workspace share many windows."""
    on_events, on_contacts = crossing_tests(slides, since, ctx)
    for table, tests, why in (
        ("events", on_events, "events leave a window"),
        ("contacts", on_contacts, "attributes crossed a relative time"),
    ):
        for test in tests:  # one by one: each is pushed into the scan (api/patch.py)
            query = exp.select(exp.Literal.number(1)).from_(table).where(test).limit(1)
            sql = query.sql("duckdb")
            if sql not in found:
                found[sql] = bool(con.execute(sql).fetchall())
            if found[sql]:
                return why
    return None


def _carry(ws: Workspace, plans: Sequence[_Plan], ctx: TimeContext) -> dict[str, Snapshot]:
    """Record the latest members of each segment as a new snapshot at as_of, one commit."""
    if not plans:
        return {}
    pending = []
    for p in plans:
        assert p.latest is not None
        build = compile_build({p.name: p.tree}, ctx, "duckdb")
        pending.append(
            PendingSnapshot(
                p.name,
                "dynamic",
                ctx.as_of,
                ws.definition_hash(p.segment),
                to_sql(build.standalone(p.name), "duckdb"),
                "duckdb",
                ws.snapshots.members(p.latest),
                p.latest,  # the same members: the file is shared
            )
        )
    infos = ws.snapshots.commit(pending, ws.clock.now())
    # Same members as the snapshot before it in history: nobody entered or exited.
    members = {p.segment: p.members for p in pending}
    return {i.segment: Snapshot(i, 0, 0, members[i.segment]) for i in infos}


# -- audiences ----------------------------------------------------------------------


def refresh_audiences(ws: Workspace, as_of: datetime) -> list[Any]:
    """Build every audience of `audiences/` at as_of, excluded audiences first.

    Runs when the workspace has an `audiences/` folder and audience builds are available
    (`Workspace.audience_build`, docs/python-api.md).
    """
    build = getattr(ws, "audience_build", None)
    folder = ws.root / AUDIENCES_DIR
    if build is None or not folder.is_dir():
        return []
    return [build(name, as_of=as_of) for name in audience_order(folder)]


def audience_order(folder: Path) -> list[str]:
    """Audience names, each after the audiences its `exclude_audiences` names."""
    files = {p.stem: p for p in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))}
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        # A cycle or a broken file is the audience build's to report; order as found.
        if name in ordered or name in visiting or name not in files:
            return
        visiting.add(name)
        for dep in _excluded_audiences(files[name]):
            visit(dep)
        ordered.append(name)

    for name in sorted(files):
        visit(name)
    return ordered


def _excluded_audiences(path: Path) -> list[str]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    found = raw.get("exclude_audiences") if isinstance(raw, dict) else None
    return [str(n) for n in found] if isinstance(found, list) else []


def _audience_dict(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else str(value)
