"""Landing contacts and events into the lake (SPEC section 3).

Layout, all plain Parquet that DuckDB, polars and Spark read without duckseg:

- `lake/contacts/contacts-<landing_id>.parquet`: the one current contacts file,
  one row per contact, sorted by `contact_id`. A contacts landing upserts into
  it and writes a new full file; the old one is retired in the same catalog
  transaction that registers the new one.
- `lake/events/events-<landing_id>.parquet`: one file per landing, append-only,
  sorted by (event, ts) with modest row groups, so the min/max statistics of a
  row group let readers skip it for an event name or a time window.
- `lake/rejects/<landing_id>-<kind>.parquet`: rows set aside, every value as
  text, with `_reject_reason`, `_source_file` and `_source_row` (1-based record
  number, header excluded).

Timestamps are stored as naive UTC (microseconds): zone-aware values are
converted, naive ones are taken as UTC.

Rules where the data leaves a choice:

- Column names match existing lake columns (and the key columns) the way SQL
  does, case-insensitively; the lake keeps its first spelling.
- The first landing decides the type of a column; later landings cast to it,
  and a value that does not cast is a rejected row.
- Within one contacts landing, rows apply in order (files as given, rows in
  file order): for a repeated `contact_id` the last row wins, column by
  column for the columns its file has. Every good contacts row counts as
  landed; `duplicates` is about events only.
- Within one events landing, the first event with a given `event_id` is kept.
- A blank value ('' or spaces) in a non-text column is a missing value, not a
  rejected one; a blank key is a missing key.

Every file is written under a `.tmp` name, renamed into place and only then
registered, all registrations in one catalog transaction: a landing killed
half-way leaves at most unregistered files, which the next writer sweeps.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg.errors import InputError, Problem
from duckseg.landing_plan import Column, Plan, build_plan, lake_schema, typed_select
from duckseg.readers import Source, read_source, resolve_format
from duckseg.store import Store, tmp_path_for

KINDS = ("contacts", "events")
MAX_PROBLEMS = 20
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LandingReport:
    landing_id: str  # UTC time yyyymmddTHHMMSSffffff + random suffix: sortable, unique
    kind: str  # contacts | events
    rows_read: int
    rows_landed: int
    rows_rejected: int
    duplicates: int  # events skipped: event_id already landed, or repeated in the batch
    contacts_created: int  # contacts created by events with an unknown contact_id
    new_attributes: tuple[str, ...]  # contact columns (event properties) seen for the first time
    rejects_path: Path | None  # lake/rejects/<landing_id>-<kind>.parquet, when rows were rejected
    reject_reasons: Mapping[str, int]  # reason (first problem of a row) -> rows


def live_contacts_files(store: Store) -> list[Path]:
    return store.live_files("contacts")


def live_event_files(store: Store) -> list[Path]:
    return store.live_files("events")


def new_landing_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(3)


def land(
    store: Store,
    kind: str,
    paths: Sequence[Path],
    fmt: str | None = None,
    *,
    strict: bool = False,
    progress: Progress | None = None,
    row_group_size: int = 100_000,
) -> LandingReport:
    """Land contacts or events files into the lake; all or nothing.

    `progress(done, total)` is called after each input file is read.
    """
    if kind not in KINDS:
        raise InputError.single("ingest", f"expected contacts or events, got {kind!r}")
    if not paths:
        raise InputError.single("ingest", "no input files given")
    inputs = [(Path(p), resolve_format(Path(p), fmt)) for p in paths]
    with store.writer(), _work_connection() as con:
        landing = _Landing(store, con, kind, row_group_size)
        try:
            report = landing.run(inputs, strict, progress)
        except BaseException:
            _discard(landing.written)
            raise
    for old in landing.retired:
        old.unlink(missing_ok=True)
    return report


@contextmanager
def _work_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB for the landing's work tables, spilling to a private temp folder."""
    with tempfile.TemporaryDirectory(prefix="duckseg-landing-") as spill:
        con = duckdb.connect(config={"temp_directory": spill})
        try:
            con.execute("SET TimeZone = 'UTC'")
            yield con
        finally:
            con.close()


def _discard(paths: Sequence[Path]) -> None:
    """Remove what a failed landing wrote (the next writer's sweep is the fallback)."""
    for path in paths:
        path.unlink(missing_ok=True)


def _commit(
    store: Store,
    record: Sequence[object],
    files: Sequence[tuple[Path, str, int]],
    retired: Sequence[Path],
) -> None:
    """Register the landing: its row, its new files, the files it replaces; one transaction."""
    with store.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("INSERT INTO landings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(record))
            for path, kind, rows in files:
                con.execute(
                    "INSERT INTO lake_files VALUES (?, ?, ?, ?)",
                    [store.relative(path), kind, record[0], rows],
                )
            for path in retired:
                con.execute("DELETE FROM lake_files WHERE path = ?", [store.relative(path)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _table(name: str) -> exp.Table:
    return exp.to_table(name)


class _Landing:
    def __init__(
        self, store: Store, con: duckdb.DuckDBPyConnection, kind: str, row_group_size: int
    ) -> None:
        self.store, self.con, self.kind = store, con, kind
        self.row_group_size = row_group_size
        self.landing_id = new_landing_id()
        self.written: list[Path] = []  # every file this landing created (tmp or final)
        self.files: list[tuple[Path, str, int]] = []  # (path, kind, rows) to register
        self.retired: list[Path] = []  # files the new ones replace
        self.generation = 0

    # -- the whole landing ---------------------------------------------------------
    def run(
        self, inputs: Sequence[tuple[Path, str]], strict: bool, progress: Progress | None
    ) -> LandingReport:
        contacts_files = live_contacts_files(self.store)
        events_files = live_event_files(self.store)
        contacts_lake = lake_schema(self.con, contacts_files, "lake_contacts")
        events_lake = lake_schema(self.con, events_files, "lake_events")
        sources: list[Source] = []
        for index, (path, fmt) in enumerate(inputs):
            sources.append(read_source(self.con, path, fmt, index))
            if progress is not None:
                progress(index + 1, len(inputs))
        plan = build_plan(self.con, self.kind, sources, contacts_lake, events_lake)
        for source in sources:
            self._sql(typed_select(source, plan)).create(f"typed_{source.index}")

        rows_read = sum(s.rows for s in sources)
        reasons = self._reject_reasons(sources)
        rejected = sum(reasons.values())
        if strict and rejected:
            raise InputError(self._problems(sources, rejected))
        good = rows_read - rejected

        duplicates = created = 0
        new_attributes: tuple[str, ...] = ()
        if self.kind == "contacts" and good:
            self._start_contacts(plan.columns, contacts_files)
            for source in sources:
                self._upsert(plan.columns, self._contacts_batch(source, plan), plan.present(source))
            self._write_contacts(plan.columns, contacts_files)
            new_attributes = plan.new_names()
        elif self.kind == "events" and good:
            kept = self._dedupe(sources, plan, events_lake)
            duplicates = good - kept
            created = self._create_contacts(plan, contacts_lake, contacts_files)
            if kept:
                self._write_events(plan)
                new_attributes = plan.new_names()
        rejects_path = self._write_rejects(sources, plan, rejected) if rejected else None

        landed = good - duplicates
        record = (
            self.landing_id,
            self.kind,
            datetime.now(UTC).replace(tzinfo=None),
            [str(path) for path, _ in inputs],
            rows_read,
            landed,
            rejected,
            duplicates,
            created,
        )
        _commit(self.store, record, self.files, self.retired)
        return LandingReport(
            self.landing_id,
            self.kind,
            rows_read,
            landed,
            rejected,
            duplicates,
            created,
            new_attributes,
            rejects_path,
            dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        )

    # -- helpers ---------------------------------------------------------------------
    def _sql(self, query: exp.Expr) -> duckdb.DuckDBPyRelation:
        return self.con.sql(query.sql("duckdb"))

    def _scalar(self, query: exp.Expr) -> int:
        rows = self._sql(query).fetchall()
        return int(rows[0][0])

    def _reject_reasons(self, sources: Sequence[Source]) -> dict[str, int]:
        reasons: dict[str, int] = {}
        for source in sources:
            query = (
                exp.select("__reason_key", "count(*)")
                .from_(_table(f"typed_{source.index}"))
                .where("__reason IS NOT NULL")
                .group_by("__reason_key")
            )
            for key, count in self._sql(query).fetchall():
                reasons[str(key)] = reasons.get(str(key), 0) + int(count)
        return reasons

    def _problems(self, sources: Sequence[Source], rejected: int) -> list[Problem]:
        problems: list[Problem] = []
        for source in sources:
            query = (
                exp.select("__row", "__reason")
                .from_(_table(f"typed_{source.index}"))
                .where("__reason IS NOT NULL")
                .order_by("__row")
                .limit(MAX_PROBLEMS - len(problems))
            )
            for row, reason in self._sql(query).fetchall():
                problems.append(Problem(source.label, f"row {row}", str(reason)))
            if len(problems) >= MAX_PROBLEMS:
                break
        if rejected > len(problems):
            more = rejected - len(problems)
            problems.append(
                Problem(
                    ", ".join(s.label for s in sources),
                    "",
                    f"{more} more bad rows not shown ({rejected} in all); nothing was landed",
                    "fix them, or land without --strict to set them aside in lake/rejects/",
                )
            )
        return problems

    def _write(self, query: exp.Expr, final: Path, kind: str) -> int:
        """Write a query's rows to `final` (via a .tmp name) and queue it for registration."""
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = tmp_path_for(final)
        self.written += [tmp, final]
        self._sql(query).write_parquet(str(tmp), row_group_size=self.row_group_size)
        os.replace(tmp, final)
        rows = int(pq.ParquetFile(final).metadata.num_rows)
        self.files.append((final, kind, rows))
        return rows

    # -- contacts --------------------------------------------------------------------
    def _current(self) -> str:
        return f"cur_{self.generation}"

    def _start_contacts(self, columns: Sequence[Column], lake_files: Sequence[Path]) -> None:
        """Table cur_0: the lake's contacts with every plan column (new ones NULL)."""
        select = exp.select(
            *(
                exp.alias_(
                    exp.column(c.name, quoted=True) if c.in_lake else exp.cast(exp.null(), c.type),
                    c.key,
                )
                for c in columns
            )
        )
        select = select.from_("lake_contacts") if lake_files else select.where(exp.false())
        self._sql(select).create(self._current())

    def _contacts_batch(self, source: Source, plan: Plan) -> exp.Select:
        """A source's good rows, the last one per contact_id."""
        key = plan.columns[0].key
        window = exp.Window(
            this=exp.RowNumber(),
            partition_by=[exp.column(key)],
            order=exp.Order(expressions=[exp.Ordered(this=exp.column("__row"), desc=True)]),
        )
        return (
            exp.select("*")
            .from_(_table(f"typed_{source.index}"))
            .where("__reason IS NULL")
            .qualify(exp.EQ(this=window, expression=exp.Literal.number(1)))
        )

    def _upsert(self, columns: Sequence[Column], batch: exp.Select, present: set[str]) -> None:
        """cur_<n+1> = cur_<n> with the batch's rows applied: present columns set, others kept."""
        id_key = columns[0].key
        in_batch = exp.Not(this=exp.Is(this=exp.column(id_key, "b"), expression=exp.null()))
        out: list[exp.Expr] = [
            exp.alias_(
                exp.Coalesce(this=exp.column(id_key, "b"), expressions=[exp.column(id_key, "c")]),
                id_key,
            )
        ]
        for c in columns[1:]:
            kept = exp.column(c.key, "c")
            value = (
                exp.Case(ifs=[exp.If(this=in_batch, true=exp.column(c.key, "b"))], default=kept)
                if c.key in present
                else kept
            )
            out.append(exp.alias_(value, c.key))
        query = (
            exp.select(*out)
            .from_(exp.alias_(_table(self._current()), "c", table=True))
            .join(
                exp.alias_(exp.Subquery(this=batch), "b", table=True),
                on=exp.EQ(this=exp.column(id_key, "c"), expression=exp.column(id_key, "b")),
                join_type="full outer",
            )
        )
        previous = self._current()
        self.generation += 1
        self._sql(query).create(self._current())
        self.con.execute(exp.Drop(tables=[_table(previous)], kind="TABLE").sql("duckdb"))

    def _write_contacts(self, columns: Sequence[Column], old_files: Sequence[Path]) -> None:
        query = (
            exp.select(*(exp.alias_(exp.column(c.key), c.name, quoted=True) for c in columns))
            .from_(_table(self._current()))
            .order_by(exp.column(columns[0].key))
        )
        final = self.store.root / "lake" / "contacts" / f"contacts-{self.landing_id}.parquet"
        self._write(query, final, "contacts")
        self.retired.extend(old_files)

    # -- events ----------------------------------------------------------------------
    def _dedupe(self, sources: Sequence[Source], plan: Plan, events_lake: Sequence[Column]) -> int:
        """Table `kept`: good events minus event_ids already landed or seen earlier in the batch."""
        parts = []
        for source in sources:
            present = plan.present(source)
            parts.append(
                exp.select(
                    exp.alias_(exp.Literal.number(source.index), "__file"),
                    "__row",
                    *(
                        exp.column(c.key)
                        if c.key in present
                        else exp.alias_(exp.cast(exp.null(), c.type), c.key)
                        for c in plan.columns
                    ),
                )
                .from_(_table(f"typed_{source.index}"))
                .where("__reason IS NULL")
            )
        good: exp.Query = parts[0]
        for part in parts[1:]:
            good = exp.union(good, part, distinct=False)
        query = exp.select("*").from_(exp.Subquery(this=good, alias="good"))
        event_id = plan.find("event_id")
        if event_id is not None:
            eid = exp.column(event_id.key)
            no_id = exp.Is(this=eid, expression=exp.null())
            if any(c.name == "event_id" for c in events_lake):
                landed = exp.select("event_id").from_("lake_events").where("event_id IS NOT NULL")
                query = query.where(
                    exp.or_(no_id, exp.Not(this=exp.In(this=eid, query=exp.Subquery(this=landed))))
                )
            first = exp.Window(
                this=exp.RowNumber(),
                partition_by=[eid],
                order=exp.Order(expressions=[exp.column("__file"), exp.column("__row")]),
            )
            query = query.qualify(
                exp.or_(no_id, exp.EQ(this=first, expression=exp.Literal.number(1)))
            )
        self._sql(query).create("kept")
        return self._scalar(exp.select("count(*)").from_("kept"))

    def _create_contacts(
        self, plan: Plan, contacts_lake: Sequence[Column], contacts_files: Sequence[Path]
    ) -> int:
        """Contacts for kept events whose contact_id is unknown; returns how many."""
        id_col = plan.columns[0]
        ids = exp.select(exp.alias_(exp.column(id_col.key), "k0")).distinct().from_("kept")
        if contacts_files:
            known = exp.select("contact_id").from_("lake_contacts")
            ids = ids.where(
                exp.Not(this=exp.In(this=exp.column(id_col.key), query=exp.Subquery(this=known)))
            )
        self._sql(ids).create("new_ids")
        created = self._scalar(exp.select("count(*)").from_("new_ids"))
        if created:
            columns = [Column("contact_id", id_col.type, "k0", bool(contacts_files))]
            attributes = [c for c in contacts_lake if c.name != "contact_id"]
            columns += [
                Column(c.name, c.type, f"k{n}", True) for n, c in enumerate(attributes, start=1)
            ]
            self._start_contacts(columns, contacts_files)
            self._upsert(columns, exp.select("k0").from_("new_ids"), {"k0"})
            self._write_contacts(columns, contacts_files)
        return created

    def _write_events(self, plan: Plan) -> None:
        out: list[exp.Expr] = [
            exp.alias_(exp.column(c.key), c.name, quoted=True) for c in plan.columns
        ]
        if plan.find("event_id") is None:  # every events file has the column
            out.insert(3, exp.alias_(exp.cast(exp.null(), "VARCHAR"), "event_id"))
        keys = [plan.columns[1].key, plan.columns[2].key, plan.columns[0].key]  # event, ts, id
        query = exp.select(*out).from_("kept").order_by(*(exp.column(k) for k in keys))
        final = self.store.root / "lake" / "events" / f"events-{self.landing_id}.parquet"
        self._write(query, final, "events")

    # -- rejects ---------------------------------------------------------------------
    def _write_rejects(self, sources: Sequence[Source], plan: Plan, rejected: int) -> Path:
        parts = []
        for source in sources:
            present = plan.present(source)
            parts.append(
                exp.select(
                    *(
                        exp.column(f"r{c.key}")
                        if c.key in present
                        else exp.alias_(exp.cast(exp.null(), "VARCHAR"), f"r{c.key}")
                        for c in plan.columns
                    ),
                    exp.alias_(exp.column("__reason"), "_reject_reason"),
                    exp.alias_(exp.Literal.string(source.label), "_source_file"),
                    exp.alias_(exp.column("__row"), "_source_row"),
                    exp.alias_(exp.Literal.number(source.index), "__file"),
                )
                .from_(_table(f"typed_{source.index}"))
                .where("__reason IS NOT NULL")
            )
        union: exp.Query = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False)
        query = (
            exp.select(
                *(exp.alias_(exp.column(f"r{c.key}"), c.name, quoted=True) for c in plan.columns),
                "_reject_reason",
                "_source_file",
                "_source_row",
            )
            .from_(exp.Subquery(this=union, alias="rejected"))
            .order_by("__file", "_source_row")
        )
        final = self.store.root / "lake" / "rejects" / f"{self.landing_id}-{self.kind}.parquet"
        rows = self._write(query, final, "rejects")
        assert rows == rejected
        return final
