"""Membership snapshots: one Parquet file of contact_ids per build, plus metadata.

A segment's history is ordered by as_of (then built_at): a backtest with an
earlier as_of slots into the history rather than becoming the latest.
Writing is atomic: each file is renamed into place and then registered in the
catalog in one transaction with every other snapshot of the same build.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg.store import Store, tmp_path_for

SNAPSHOT_DIR = Path("state") / "snapshots"
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

_INSERT = exp.insert(
    exp.values([tuple(exp.Placeholder() for _ in (*COLUMNS, "seq"))]),
    "snapshots",
    columns=[*COLUMNS, "seq"],
).sql("duckdb")
_NEXT_SEQ = (
    exp.select(exp.func("COALESCE", exp.func("MAX", exp.column("seq")), exp.Literal.number(0)) + 1)
    .from_("snapshots")
    .sql("duckdb")
)


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    segment: str
    kind: str  # dynamic | static
    as_of: datetime  # aware UTC
    built_at: datetime  # aware UTC
    definition_hash: str
    compiled_sql: str
    engine: str
    count: int
    path: str  # relative to the workspace root


@dataclass(frozen=True)
class PendingSnapshot:
    """A snapshot computed but not yet committed."""

    segment: str
    kind: str
    as_of: datetime
    definition_hash: str
    compiled_sql: str
    engine: str
    members: pa.Table  # one column contact_id, no duplicates


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
        try:
            for snap in pending:
                sid = new_snapshot_id(built_at)
                rel = SNAPSHOT_DIR / snap.segment / f"{sid}.parquet"
                final = self.root / rel
                final.parent.mkdir(parents=True, exist_ok=True)
                tmp = tmp_path_for(final)
                members = (
                    snap.members.sort_by("contact_id") if snap.members.num_rows else snap.members
                )
                pq.write_table(members, tmp, compression="zstd")
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
            with self.store.connect() as con:
                con.begin()
                (next_seq,) = con.execute(_NEXT_SEQ).fetchall()[0]
                for offset, (_, info, _) in enumerate(written):
                    con.execute(
                        _INSERT,
                        [
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
                            next_seq + offset,
                        ],
                    )
                con.commit()
        except BaseException:
            for _, _, final in written:
                final.unlink(missing_ok=True)
            raise
        return [info for _, info, _ in written]

    # -- reading -------------------------------------------------------------------
    def _query(self, where: exp.Expr) -> list[SnapshotInfo]:
        if not (self.root / "state" / "catalog.duckdb").exists():
            return []
        query = (
            exp.select(*COLUMNS)
            .from_("snapshots")
            .where(where)
            .order_by("as_of", "built_at", "seq")
        )
        with self.store.connect(read_only=True) as con:
            if not _has_table(con, "snapshots"):
                return []
            rows = con.execute(query.sql("duckdb")).fetchall()
        return [_info(r) for r in rows]

    def history(self, segment: str) -> list[SnapshotInfo]:
        return self._query(exp.column("segment").eq(exp.Literal.string(segment)))

    def all(self) -> list[SnapshotInfo]:
        return self._query(exp.true())

    def latest(self, segment: str) -> SnapshotInfo | None:
        history = self.history(segment)
        return history[-1] if history else None

    def get(self, snapshot_id: str) -> SnapshotInfo | None:
        found = self._query(exp.column("snapshot_id").eq(exp.Literal.string(snapshot_id)))
        return found[0] if found else None

    def previous(self, info: SnapshotInfo) -> SnapshotInfo | None:
        """The snapshot before `info` in its segment's as_of order."""
        history = self.history(info.segment)
        index = next(i for i, h in enumerate(history) if h.snapshot_id == info.snapshot_id)
        return history[index - 1] if index > 0 else None

    def members(self, info: SnapshotInfo) -> pa.Table:
        return pq.read_table(self.root / info.path)

    def diff(self, before: SnapshotInfo | None, after: SnapshotInfo) -> tuple[pa.Table, pa.Table]:
        """(entered, exited) contact_ids going from `before` to `after`."""
        con = duckdb.connect()
        try:
            new = con.read_parquet(str(self.root / after.path))
            if before is None:
                return new.order("contact_id").to_arrow_table(), new.limit(0).to_arrow_table()
            old = con.read_parquet(str(self.root / before.path))
            entered = new.except_(old).order("contact_id").to_arrow_table()
            exited = old.except_(new).order("contact_id").to_arrow_table()
            return entered, exited
        finally:
            con.close()

    def delete_history(self, segment: str) -> int:
        """Unregister and remove every snapshot of a segment; returns how many."""
        history = self.history(segment)
        with self.store.connect() as con:
            con.execute("DELETE FROM snapshots WHERE segment = ?", [segment])
        for info in history:
            (self.root / info.path).unlink(missing_ok=True)
        return len(history)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()[0]
    return bool(found and found[0])
