"""Membership snapshots: one Parquet file of contact_ids per build, plus metadata.

The same store keeps audience snapshots (docs/audiences.md): their owner is
`audience:NAME`, their kind `audience`, and their file has `arm` and `agent`
columns beside `contact_id`. History, entered / exited and atomic commits are
the same for both; diffs compare contact_ids only.

A segment's history is ordered by as_of (then built_at): a backtest with an
earlier as_of slots into the history rather than becoming the latest.
Writing is atomic: each file is renamed into place and then registered in the
catalog in one transaction with every other snapshot of the same build.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
import sqlglot.errors
from sqlglot import exp

from duckseg import db as database
from duckseg.db import parquet_scan, union_all
from duckseg.errors import DucksegError, InputError, unknown_segment
from duckseg.state import faults, feed, member_index
from duckseg.state.store import CATALOG_FILE, Store, tmp_path_for

if TYPE_CHECKING:
    import pandas as pd

SNAPSHOT_DIR = Path("state") / "snapshots"
TABLE = "snapshots"  # the catalog table (state/catalog.sql)
COLUMNS = (
    "snapshot_id",
    "segment",
    "kind",
    "as_of",
    "built_at",
    "definition_hash",
    "compiled_sql",
    "engine",
    "member_count",
    "path",
)

PENDING_MEMBERS = "pending_members"
ORDER = ("as_of", "built_at", "seq")  # a segment's history order
# Reading queries, built once. `?` placeholders take the values.
_ROWS = exp.select(*COLUMNS).from_(TABLE)
_LAST_FIRST = [exp.Ordered(this=exp.column(c), desc=True) for c in ORDER]
_ALL = _ROWS.order_by(*ORDER).sql("duckdb")
_HISTORY = _ROWS.where(exp.column("segment").eq(exp.Placeholder())).order_by(*ORDER).sql("duckdb")
_BY_IDS = (
    _ROWS.where(exp.func("list_contains", exp.Placeholder(), exp.column("snapshot_id")))
    .order_by(*ORDER)
    .sql("duckdb")
)
_IDS = exp.select("snapshot_id").from_(TABLE)
_LATEST_ID = (
    _IDS.where(exp.column("segment").eq(exp.Placeholder())).order_by(*_LAST_FIRST).limit(1)
).sql("duckdb")
_PER_SEGMENT_LAST = exp.Window(
    this=exp.func("ROW_NUMBER"),
    partition_by=[exp.column("segment")],
    order=exp.Order(expressions=_LAST_FIRST),
).eq(1)
_LATEST_IDS_UP_TO = (
    _IDS.where(exp.func("list_contains", exp.Placeholder(), exp.column("segment")))
    .where(exp.column("as_of") <= exp.Placeholder())
    .qualify(_PER_SEGMENT_LAST)
).sql("duckdb")
_LATEST_STATIC_IDS = (
    _IDS.where(exp.column("kind").eq(exp.Literal.string("static"))).qualify(_PER_SEGMENT_LAST)
).sql("duckdb")
_PREVIOUS_ID = (
    exp.select("before")
    .from_(
        exp.select(
            exp.alias_(
                exp.Window(
                    this=exp.func("LAG", exp.column("snapshot_id")),
                    order=exp.Order(expressions=[exp.column(c) for c in ORDER]),
                ),
                "before",
            ),
            "snapshot_id",
        )
        .from_(TABLE)
        .where(exp.column("segment").eq(exp.Placeholder()))
        .subquery("h")
    )
    .where(exp.column("snapshot_id").eq(exp.Placeholder()))
    .where(exp.column("before").is_(exp.null()).not_())
).sql("duckdb")
_NEXT_SEQ = (
    exp.select(exp.func("COALESCE", exp.func("MAX", exp.column("seq")), exp.Literal.number(0)) + 1)
    .from_(TABLE)
    .sql("duckdb")
)


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    segment: str
    kind: str  # dynamic | static | audience
    as_of: datetime  # aware UTC
    built_at: datetime  # aware UTC
    definition_hash: str
    compiled_sql: str
    engine: str
    count: int
    path: str  # relative to the workspace root


def latest_counts(history: Sequence[SnapshotInfo]) -> dict[str, object]:
    """What `list` shows of a history (a segment's or an audience's): the latest count, its
    change from the snapshot before, when it was built and its as_of; None where missing."""
    latest = history[-1] if history else None
    prev = history[-2] if len(history) > 1 else None
    return {
        "count": latest.count if latest else None,
        "delta": (latest.count - prev.count) if latest and prev else None,
        "built_at": latest.built_at if latest else None,
        "as_of": latest.as_of if latest else None,
    }


@dataclass(frozen=True)
class PendingSnapshot:
    """A snapshot computed but not yet committed."""

    segment: str
    kind: str
    as_of: datetime
    definition_hash: str
    compiled_sql: str
    engine: str
    members: pa.Table  # one column contact_id, no duplicates, sorted
    # A committed snapshot of the same segment with exactly these members: its file is
    # linked instead of written again, and the feed knows nobody entered or exited.
    same_as: SnapshotInfo | None = None


def storage_name(owner: str) -> str:
    """The folder of a snapshot owner's files: `audience:NAME` -> `audience/NAME` (a ':'
    is not a portable file name; segment names have no ':', so nothing collides)."""
    return owner.replace(":", "/")


def new_snapshot_id(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(8)


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _info(row: tuple[object, ...]) -> SnapshotInfo:
    sid, seg, kind, as_of, built_at, dhash, sql, engine, count, path = row
    assert isinstance(as_of, datetime) and isinstance(built_at, datetime)
    return SnapshotInfo(
        str(sid),
        str(seg),
        str(kind),
        as_of.replace(tzinfo=UTC),
        built_at.replace(tzinfo=UTC),
        str(dhash),
        str(sql),
        str(engine),
        int(str(count)),
        str(path),
    )


class SnapshotStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def root(self) -> Path:
        return self.store.root

    # -- writing ---------------------------------------------------------------
    def commit(self, pending: Sequence[PendingSnapshot], built_at: datetime) -> list[SnapshotInfo]:
        """Write every pending snapshot's file, then register them all in one transaction."""
        written: list[tuple[PendingSnapshot, SnapshotInfo, Path]] = []
        ids = [new_snapshot_id(built_at) for _ in pending]
        rels = [
            SNAPSHOT_DIR / storage_name(snap.segment) / f"{sid}.parquet"
            for snap, sid in zip(pending, ids, strict=True)
        ]
        if rels:  # one journal entry (one fsync) for the whole build, before any file exists
            self.store.journal(
                *(p for rel in rels for p in (tmp_path_for(self.root / rel), self.root / rel))
            )
        try:
            for snap, sid, rel in zip(pending, ids, rels, strict=True):
                final = self.root / rel
                final.parent.mkdir(parents=True, exist_ok=True)
                tmp = tmp_path_for(final)
                if snap.same_as is not None:
                    _link(self.file(snap.same_as), tmp)
                else:
                    pq.write_table(snap.members, tmp, compression="zstd")
                tmp.replace(final)
                info = SnapshotInfo(
                    sid,
                    snap.segment,
                    snap.kind,
                    snap.as_of.astimezone(UTC),
                    built_at.astimezone(UTC),
                    snap.definition_hash,
                    snap.compiled_sql,
                    snap.engine,
                    snap.members.num_rows,
                    rel.as_posix(),
                )
                written.append((snap, info, final))
            faults.reached(faults.FILES_WRITTEN)
            with self.store.transaction() as con:
                if written:
                    (next_seq,) = con.execute(_NEXT_SEQ).fetchall()[0]
                    rows = [
                        _row(info, next_seq + offset) for offset, (_, info, _) in enumerate(written)
                    ]
                    con.execute(_insert(len(rows)), [value for row in rows for value in row])
                faults.reached(faults.SNAPSHOTS_INSERTED)
                # The feed and the member index commit with the snapshots (state/feed.py).
                done = [_committed(info, snap.same_as) for snap, info, _ in written]
                feed.record_commit(con, self.root, done, built_at)
                faults.reached(faults.FEED_APPENDED)
            faults.reached(faults.COMMITTED)
        except BaseException:
            for _, _, final in written:
                final.unlink(missing_ok=True)
            raise
        return [info for _, info, _ in written]

    # -- reading -------------------------------------------------------------------
    def _query(self, sql: str, params: Sequence[object] = ()) -> list[SnapshotInfo]:
        if not (self.root / CATALOG_FILE).exists():
            return []
        with self.store.connect(read_only=True) as con:
            if not self.store.has_table(con, TABLE):
                return []
            rows = con.execute(sql, list(params)).fetchall()
        return [_info(r) for r in rows]

    def _newest(self, ids_sql: str, params: Sequence[object]) -> list[SnapshotInfo]:
        """Choose ids with `ids_sql`, then read the rows (compiled SQL and all) of those only."""
        if not (self.root / CATALOG_FILE).exists():
            return []
        with self.store.connect(read_only=True) as con:
            if not self.store.has_table(con, TABLE):
                return []
            ids = [r[0] for r in con.execute(ids_sql, list(params)).fetchall()]
            return self._query(_BY_IDS, [ids]) if ids else []

    def history(self, segment: str) -> list[SnapshotInfo]:
        return self._query(_HISTORY, [segment])

    def all(self) -> list[SnapshotInfo]:
        return self._query(_ALL)

    def latest(self, segment: str) -> SnapshotInfo | None:
        found = self._newest(_LATEST_ID, [segment])
        return found[0] if found else None

    def get(self, snapshot_id: str) -> SnapshotInfo | None:
        found = self._query(_BY_IDS, [[snapshot_id]])
        return found[0] if found else None

    def previous(self, info: SnapshotInfo) -> SnapshotInfo | None:
        """The snapshot before `info` in its segment's as_of order."""
        found = self._newest(_PREVIOUS_ID, [info.segment, info.snapshot_id])
        return found[0] if found else None

    def segments(self) -> set[str]:
        """The names of every segment with a snapshot."""
        if not (self.root / CATALOG_FILE).exists():
            return set()
        with self.store.connect(read_only=True) as con:
            if not self.store.has_table(con, TABLE):
                return set()
            query = exp.select(exp.column("segment")).distinct().from_(TABLE)
            return {str(row[0]) for row in con.execute(query.sql("duckdb")).fetchall()}

    def require(
        self, segment: str, snapshot_id: str | None, defined: Iterable[str]
    ) -> SnapshotInfo:
        """The snapshot `snapshot_id` of `segment` (default: its latest), or an `InputError` that
        says what is wrong: an unknown segment (with a did-you-mean over `defined` and every
        built segment), one not built yet, or a snapshot id of another segment."""
        info = self.get(snapshot_id) if snapshot_id else self.latest(segment)
        if info is not None and info.segment == segment:
            return info
        known = set(defined) | self.segments()
        if segment not in known:
            raise InputError([unknown_segment(segment, known)])
        if snapshot_id:
            raise InputError.single(
                "--snapshot",
                f"no snapshot {snapshot_id} of segment {segment}",
                hint="duckseg list and duckseg build print snapshot ids; ws.history(name) lists them"
                if self.latest(segment)
                else f"build it with duckseg build {segment}",
            )
        raise InputError.single(
            segment,
            f"no snapshot yet for segment {segment}",
            hint=f"build it with duckseg build {segment}",
        )

    def latest_up_to(self, segments: Sequence[str], as_of: datetime) -> dict[str, SnapshotInfo]:
        """Per segment, the last snapshot with an as_of at or before `as_of`: the one a new
        build at `as_of` comes after."""
        found = self._newest(_LATEST_IDS_UP_TO, [list(segments), _naive(as_of)])
        return {info.segment: info for info in found}

    def latest_static(self) -> list[SnapshotInfo]:
        """The current member list of every static segment, by name."""
        return sorted(self._newest(_LATEST_STATIC_IDS, []), key=lambda i: i.segment)

    def file(self, info: SnapshotInfo) -> Path:
        """A snapshot's file, or an error naming it when it has gone missing."""
        path = self.root / info.path
        if not path.exists():
            raise DucksegError(
                f"the file of snapshot {info.snapshot_id} of {info.segment} is missing: "
                f"{info.path}; run duckseg doctor --repair to mark it lost"
            )
        return path

    def members(self, info: SnapshotInfo) -> pa.Table:
        return pq.read_table(self.file(info))

    def diff(self, before: SnapshotInfo | None, after: SnapshotInfo) -> tuple[pa.Table, pa.Table]:
        """(entered, exited) contact_ids going from `before` to `after`."""
        con = database.cursor()
        try:
            new = con.read_parquet(str(self.file(after))).select("contact_id")
            if before is None:
                return new.order("contact_id").to_arrow_table(), new.limit(0).to_arrow_table()
            old = con.read_parquet(str(self.file(before))).select("contact_id")
            entered = new.except_(old).order("contact_id").to_arrow_table()
            exited = old.except_(new).order("contact_id").to_arrow_table()
            return entered, exited
        finally:
            con.close()

    def count_changes(
        self,
        con: duckdb.DuckDBPyConnection,
        members: Mapping[str, pa.Table],
        before: Mapping[str, SnapshotInfo],
    ) -> dict[str, tuple[int, int]]:
        """Per segment, (entered, exited) going from its snapshot in `before` to its members
        not yet written: one query on `con` for the whole build.

        It counts the members each segment kept (a semi join against the earlier file);
        entered and exited are what is left on either side.
        """
        changes = {name: (table.num_rows, 0) for name, table in members.items()}
        compared = [name for name in members if name in before]
        if not compared:
            return changes
        views = [f"{PENDING_MEMBERS}_{i}" for i in range(len(compared))]
        parts = []
        for name, view in zip(compared, views, strict=True):
            con.register(view, members[name])
            parts.append(self._kept(name, exp.to_table(view), before[name]))
        try:
            kept = dict(con.execute(union_all(parts).sql("duckdb")).fetchall())
        finally:
            for view in views:
                con.unregister(view)
        for name in compared:
            changes[name] = _changes(members[name].num_rows, before[name].count, kept[name])
        return changes

    def changes_along(self, history: Sequence[SnapshotInfo]) -> list[tuple[int, int]]:
        """(entered, exited) of each snapshot of a history against the one before it (the
        first against nothing): one query for the whole history."""
        if len(history) < 2:
            return [(info.count, 0) for info in history]
        parts = [
            self._kept(str(i), parquet_scan([self.root / info.path]).subquery("m"), history[i - 1])
            for i, info in enumerate(history)
            if i
        ]
        con = database.cursor()
        try:
            kept = dict(con.execute(union_all(parts).sql("duckdb")).fetchall())
        finally:
            con.close()
        return [(history[0].count, 0)] + [
            _changes(info.count, history[i - 1].count, kept[str(i)])
            for i, info in enumerate(history)
            if i
        ]

    def _kept(self, label: str, members: exp.Expr, before: SnapshotInfo) -> exp.Select:
        """`label` and how many of `members` are in `before`: a semi join against its file."""
        earlier = exp.select("contact_id").from_(
            parquet_scan([self.file(before)]).subquery("earlier")
        )
        return (
            exp.select(
                exp.alias_(exp.Literal.string(label), "label"),
                exp.alias_(exp.Count(this=exp.Star()), "kept"),
            )
            .from_(members)
            .where(exp.In(this=exp.column("contact_id"), query=exp.Subquery(this=earlier)))
        )

    def delete_history(self, segment: str) -> int:
        """Unregister and remove every snapshot of a segment; returns how many."""
        history = self.history(segment)
        self.store.journal(*(self.root / info.path for info in history))
        with self.store.transaction() as con:
            delete = exp.delete(TABLE, where=exp.column("segment").eq(exp.Placeholder()))
            con.execute(delete.sql("duckdb"), [segment])
            member_index.forget(con, segment)
        for info in history:
            (self.root / info.path).unlink(missing_ok=True)
        return len(history)


def _insert(count: int) -> str:
    """One INSERT of `count` catalog rows: a build registers its snapshots in one statement."""
    row = tuple(exp.Placeholder() for _ in (*COLUMNS, "seq"))
    return exp.insert(exp.values([row] * count), TABLE, columns=[*COLUMNS, "seq"]).sql("duckdb")


def _row(info: SnapshotInfo, seq: int) -> list[object]:
    return [
        info.snapshot_id,
        info.segment,
        info.kind,
        _naive(info.as_of),
        _naive(info.built_at),
        info.definition_hash,
        info.compiled_sql,
        info.engine,
        info.count,
        info.path,
        seq,
    ]


def _committed(info: SnapshotInfo, same_as: SnapshotInfo | None) -> feed.Committed:
    same = same_as.snapshot_id if same_as is not None else None
    return feed.Committed(info.snapshot_id, info.segment, info.as_of, info.path, same)


def _link(source: Path, target: Path) -> None:
    """`target` holding `source`'s bytes: a hard link (snapshot files are never changed in
    place, so two snapshots can share one), or a copy where the file system has none."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _changes(count: int, before: int, kept: int) -> tuple[int, int]:
    """Entered and exited from the sizes of two member sets and how many the later kept."""
    return count - kept, before - kept


def sql_description(info: SnapshotInfo) -> str | None:
    """A snapshot's definition in words: the `members of NAME: ...` comment of its SQL."""
    if info.kind == "static":
        note = info.compiled_sql.partition(f"static segment {info.segment}: ")[2].strip()
        return "a static list of contacts" + (f" ({note})" if note else "")
    try:
        comments = sqlglot.parse_one(info.compiled_sql, read="duckdb").comments or []
    except sqlglot.errors.SqlglotError:
        return None
    prefix = f"members of {info.segment}: "
    found = [c.strip()[len(prefix) :] for c in comments if c.strip().startswith(prefix)]
    return found[0] if found else None


class SnapshotMembers:
    """What every snapshot result offers (segment and audience alike): its metadata's id,
    count and as_of, and its members as Arrow, polars or pandas."""

    info: SnapshotInfo
    _members: pa.Table

    @property
    def snapshot_id(self) -> str:
        return self.info.snapshot_id

    @property
    def count(self) -> int:
        return self.info.count

    @property
    def as_of(self) -> datetime:
        return self.info.as_of

    def to_arrow(self) -> pa.Table:
        return self._members

    def to_polars(self) -> pl.DataFrame:
        frame = pl.from_arrow(self._members)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def to_pandas(self) -> pd.DataFrame:
        frame: pd.DataFrame = self._members.to_pandas()
        return frame
