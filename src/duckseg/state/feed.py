"""The change feed and the member index (docs/memberships.md).

Both are written inside the transaction that registers a snapshot (`record_commit`),
so a crash leaves snapshot, feed and index all before or all after the build:

- the feed: one row per contact that entered or exited a segment, with a `seq` that
  increases over the whole workspace. A build at or after the segment's latest `as_of`
  appends; a backtest (earlier `as_of`) appends nothing.
- the member index (state/member_index.py).

Snapshot files that carry an `arm` column (audiences) make (contact_id, arm) the unit of
change: a contact moved from one arm to another exits the first and enters the second.

A build commits its snapshots together, so the commit runs one statement of each kind
for all of them (the history read, the feed's INSERT, the index's DELETE and INSERT),
not one per segment: a build of 50 segments would otherwise spend longer on ~500 small
statements than on the feed itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from duckseg.state import member_index
from duckseg.state.member_index import FileSchemas, Row, literal_time
from duckseg.state.store import CATALOG_FILE, Store

FEED_COLUMNS = (
    "seq",
    "segment",
    "contact_id",
    "change",
    "as_of",
    "snapshot_id",
    "recorded_at",
    "arm",
)
ENTERED = "entered"
EXITED = "exited"
ORDER = ("as_of", "built_at", "seq")  # a segment's history order, as state/snapshots.py


@dataclass(frozen=True)
class Committed:
    """What the feed needs of a snapshot being committed."""

    snapshot_id: str
    segment: str
    as_of: datetime  # aware UTC
    path: str  # relative to the workspace root
    same_as: str | None = None  # a snapshot of the segment with exactly the same members


@dataclass(frozen=True)
class _Step:
    """A committed snapshot and what its segment's history says about it."""

    snap: Committed
    history: list[Row]  # the segment's snapshots in history order, this one included
    prior: Row | None  # the snapshot before it (the latest other one)

    @property
    def forward(self) -> bool:
        return self.prior is None or _naive(self.snap.as_of) >= self.prior.as_of

    @property
    def repeats(self) -> bool:
        """Whether it holds the very members of the snapshot it follows."""
        return self.prior is not None and self.prior.snapshot_id == self.snap.same_as


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _param() -> exp.Placeholder:
    return exp.Placeholder()


def _strings(values: Sequence[str]) -> list[exp.Expr]:
    return [exp.Literal.string(v) for v in values]


_LAST_SEQ = exp.select(
    exp.func("COALESCE", exp.func("MAX", exp.column("seq")), exp.Literal.number(0))
).from_("changes")


def record_commit(
    con: duckdb.DuckDBPyConnection, root: Path, committed: Sequence[Committed], at: datetime
) -> None:
    """Append the feed rows and bring the member index up to date for snapshots whose rows
    were just inserted on `con`, inside its open transaction (the caller commits)."""
    for run in _runs(committed):
        _record_run(con, root, run, at)


def _runs(committed: Sequence[Committed]) -> list[list[Committed]]:
    """Consecutive snapshots of distinct segments (a build has one run): within a run no
    snapshot's feed rows or index rows depend on another's."""
    runs: list[list[Committed]] = []
    for snap in committed:
        if not runs or any(s.segment == snap.segment for s in runs[-1]):
            runs.append([])
        runs[-1].append(snap)
    return runs


def _record_run(
    con: duckdb.DuckDBPyConnection, root: Path, run: list[Committed], at: datetime
) -> None:
    segments = [snap.segment for snap in run]
    histories = _histories(con, segments)
    steps = []
    for snap in run:
        history = histories[snap.segment]
        earlier = [row for row in history if row.snapshot_id != snap.snapshot_id]
        steps.append(_Step(snap, history, earlier[-1] if earlier else None))
    # A snapshot that repeats the members of the one it follows adds no rows.
    forward = [step for step in steps if step.forward and not step.repeats]
    schemas = FileSchemas(root)
    (after,) = con.execute(_LAST_SEQ.sql("duckdb")).fetchall()[0]  # this run's rows come after
    for group in _same_key_type(forward, schemas):
        _append_changes(con, group, schemas, at)
    indexed = member_index.states(con, segments)

    def follows_index(step: _Step) -> bool:
        """The index holds the rows of the snapshot this one follows, so the feed rows move it."""
        before = step.prior.snapshot_id if step.prior else None
        return step.forward and indexed.get(step.snap.segment) == before

    advanced = [step for step in steps if follows_index(step)]
    member_index.advance(
        con,
        schemas,
        [(s.snap.segment, s.snap.path, _naive(s.snap.as_of), s.snap.snapshot_id) for s in advanced],
        int(after),
    )
    for step in steps:
        if not follows_index(step):
            # A backtest can join or split a contact's run of snapshots; an index that
            # predates the feed never saw this segment. Both are rebuilt from the history.
            member_index.rebuild(con, schemas, step.snap.segment, step.history)
    member_index.mark(con, {step.snap.segment: step.history[-1].snapshot_id for step in steps})


def _histories(con: duckdb.DuckDBPyConnection, segments: Sequence[str]) -> dict[str, list[Row]]:
    query = (
        exp.select("segment", "snapshot_id", "as_of", "path")
        .from_("snapshots", copy=False)
        .where(exp.In(this=exp.column("segment"), expressions=_strings(segments)), copy=False)
        .order_by("segment", *ORDER, copy=False)
    )
    found: dict[str, list[Row]] = {segment: [] for segment in segments}
    for segment, sid, as_of, path in con.execute(query.sql("duckdb")).fetchall():
        found[str(segment)].append(Row(str(sid), as_of, str(path)))
    return found


def _same_key_type(steps: Sequence[_Step], schemas: FileSchemas) -> list[list[_Step]]:
    """Consecutive steps whose files all type contact_id alike: one feed INSERT each (a
    build has one). Mixed types keep a step alone, so contact_ids compare and order as
    its own two files make them."""
    groups: list[tuple[str | None, list[_Step]]] = []
    for step in steps:
        paths = [step.snap.path] + ([step.prior.path] if step.prior else [])
        types = {schemas.contact_type(path) for path in paths}
        kind = types.pop() if len(types) == 1 else None
        if kind is not None and groups and groups[-1][0] == kind:
            groups[-1][1].append(step)
        else:
            groups.append((kind, [step]))
    return [group for _, group in groups]


def _append_changes(
    con: duckdb.DuckDBPyConnection, steps: Sequence[_Step], schemas: FileSchemas, at: datetime
) -> None:
    """One INSERT of every step's entries and exits: one scan of every new file and the
    file before it, each row tagged by its file's step and side, grouped by contact (and
    arm): a contact only in the new file entered, one only in the old file exited."""
    files: list[tuple[int, bool, bool, str]] = []  # position, is_new, armed, path
    for position, step in enumerate(steps):
        old = step.prior.path if step.prior else None
        armed = "arm" in schemas.columns(step.snap.path) and (
            old is None or "arm" in schemas.columns(old)
        )
        files.append((position, True, armed, step.snap.path))
        if old is not None:
            files.append((position, False, armed, old))
    paths = [str(schemas.root / path) for *_, path in files]
    scan = exp.Table(
        this=exp.ReadParquet(
            expressions=[
                exp.Array(expressions=_strings(paths)),
                exp.EQ(this=exp.column("filename"), expression=exp.true()),
                exp.EQ(this=exp.column("union_by_name"), expression=exp.true()),
            ]
        ),
        alias=exp.TableAlias(this=exp.to_identifier("r")),
    )
    tags = exp.values(
        [
            (
                exp.Literal.string(full),
                exp.Literal.number(pos),
                exp.Boolean(this=new),
                exp.Boolean(this=armed),
            )
            for (pos, new, armed, _), full in zip(files, paths, strict=True)
        ],
        alias="t",
        columns=["filename", "position", "is_new", "armed"],
    )
    arm: exp.Expr = exp.cast(exp.null(), "VARCHAR")
    if any(armed for *_, armed, _ in files):  # the column exists in the scan
        arm = exp.If(
            this=exp.column("armed", "t"),
            true=exp.cast(exp.column("arm", "r"), "VARCHAR"),
            false=exp.cast(exp.null(), "VARCHAR"),
        )
    in_new = exp.column("is_new", "t")
    change = exp.Case(
        ifs=[
            exp.If(this=exp.func("BOOL_AND", in_new), true=exp.Literal.string(ENTERED)),
            exp.If(
                this=exp.not_(exp.func("BOOL_OR", in_new.copy())),
                true=exp.Literal.string(EXITED),
            ),
        ]
    )
    grouped = (
        exp.select(
            exp.column("position", "t"),
            exp.column("contact_id", "r"),
            exp.alias_(arm, "arm"),
            exp.alias_(change, "change"),
        )
        .from_(scan, copy=False)
        .join(tags, on=exp.column("filename", "t").eq(exp.column("filename", "r")), copy=False)
        .group_by(
            exp.column("position", "t"), exp.column("contact_id", "r"), arm.copy(), copy=False
        )
    )
    meta = exp.values(
        [
            (
                exp.Literal.number(position),
                exp.Literal.string(step.snap.segment),
                exp.Literal.string(step.snap.snapshot_id),
                literal_time(_naive(step.snap.as_of)),
            )
            for position, step in enumerate(steps)
        ],
        alias="m",
        columns=["position", "segment", "snapshot_id", "as_of"],
    )
    rank = exp.Window(
        this=exp.func("ROW_NUMBER"),
        order=exp.Order(
            expressions=[exp.column(name, "c") for name in ("position", "change", "contact_id")]
        ),
    )
    rows = (
        exp.select(
            exp.Add(this=exp.Subquery(this=_LAST_SEQ.copy()), expression=rank),
            exp.column("segment", "m"),
            exp.cast(exp.column("contact_id", "c"), "VARCHAR"),
            exp.column("change", "c"),
            exp.column("as_of", "m"),
            exp.column("snapshot_id", "m"),
            literal_time(_naive(at)),
            exp.column("arm", "c"),
        )
        .from_(grouped.subquery("c", copy=False), copy=False)
        .join(meta, on=exp.column("position", "m").eq(exp.column("position", "c")), copy=False)
        .where(exp.column("change", "c").is_(exp.null()).not_(), copy=False)
    )
    insert = exp.insert(rows, "changes", columns=list(FEED_COLUMNS), copy=False)
    con.execute(insert.sql("duckdb"))


# -- reading ----------------------------------------------------------------------------
_FEED = exp.select(*FEED_COLUMNS).from_("changes")
_CONSUMER = (
    exp.select("last_seq").from_("feed_consumers").where(exp.column("consumer").eq(_param()))
).sql("duckdb")
_ADVANCE = sqlglot.parse_one(
    "INSERT INTO feed_consumers (consumer, last_seq, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (consumer) DO UPDATE SET "
    "last_seq = greatest(feed_consumers.last_seq, excluded.last_seq), "
    "updated_at = excluded.updated_at",
    read="duckdb",
).sql("duckdb")


def read_changes(
    store: Store, segments: Sequence[str] = (), after: int = 0, limit: int | None = None
) -> pa.Table:
    """Feed rows with seq > `after`, oldest first, of the given segments (all if none)."""
    query = _FEED.where(exp.column("seq") > exp.Literal.number(int(after)))
    if segments:
        query = query.where(
            exp.In(
                this=exp.column("segment"), expressions=[exp.Literal.string(s) for s in segments]
            )
        )
    query = query.order_by("seq")
    if limit is not None:
        query = query.limit(max(int(limit), 0))
    if not (store.root / CATALOG_FILE).exists():
        return _empty()
    with store.connect(read_only=True) as con:
        if not store.has_table(con, "changes"):
            return _empty()
        table = con.sql(query.sql("duckdb")).to_arrow_table()
    return table


def _empty() -> pa.Table:
    return pa.table(
        {
            "seq": pa.array([], pa.int64()),
            "segment": pa.array([], pa.string()),
            "contact_id": pa.array([], pa.string()),
            "change": pa.array([], pa.string()),
            "as_of": pa.array([], pa.timestamp("us")),
            "snapshot_id": pa.array([], pa.string()),
            "recorded_at": pa.array([], pa.timestamp("us")),
            "arm": pa.array([], pa.string()),
        }
    )


def consumer_position(store: Store, consumer: str) -> int:
    """The last seq a consumer has fully received (0: a new consumer starts at the beginning)."""
    if not (store.root / CATALOG_FILE).exists():
        return 0
    with store.connect(read_only=True) as con:
        if not store.has_table(con, "feed_consumers"):
            return 0
        rows = con.execute(_CONSUMER, [consumer]).fetchall()
    return int(rows[0][0]) if rows else 0


def advance_consumer(store: Store, consumer: str, last_seq: int, at: datetime) -> None:
    """Store a consumer's cursor; it never moves back (two runs racing keep the furthest)."""
    with store.connect() as con:
        con.execute(_ADVANCE, [consumer, int(last_seq), _naive(at)])
