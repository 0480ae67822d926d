"""Landing contacts and events into the lake (docs/data-model.md).

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
- `contact_id` is an integer when the first landing's ids all are, else text.
  `event_id` is always text, and every events file has the column.
- Within one events landing, the first event with a given `event_id` is kept.
  Events without an `event_id` are never duplicates.
- A row with several problems lists them all in `_reject_reason`; the
  report's `reject_reasons` counts each rejected row once, by its first.
- A blank value ('' or spaces) in a non-text column is a missing value, not a
  rejected one; a blank key is a missing key.

Every file is written under a `.tmp` name, renamed into place and only then
registered, all registrations in one catalog transaction: a landing killed
half-way leaves at most unregistered files, which its journal names and the
next writer sweeps.
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

from duckseg import db as database
from duckseg.errors import InputError, Problem
from duckseg.ingest import checks as checks_q
from duckseg.ingest import events as events_q
from duckseg.ingest import plan as q
from duckseg.ingest.fingerprints import fingerprints, refuse_repeats
from duckseg.ingest.plan import Column, Plan, build_plan, lake_schema
from duckseg.ingest.readers import Source, read_fully, read_source, resolve_format
from duckseg.state.store import Store, tmp_path_for

KINDS = ("contacts", "events")
MAX_PROBLEMS = 20
PRUNED_CHECKS = 8  # up to this many checks of a Parquet file: asked one by one, pruned
Progress = Callable[[int, int], None]
# Called inside the landing's catalog transaction with its connection and landing_id,
# to record something that must commit with the landing or not at all.
OnCommit = Callable[[duckdb.DuckDBPyConnection, str], None]


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
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(8)


def land(
    store: Store,
    kind: str,
    paths: Sequence[Path],
    fmt: str | None = None,
    *,
    strict: bool = False,
    allow_repeat: bool = False,
    progress: Progress | None = None,
    row_group_size: int = 100_000,
    on_commit: OnCommit | None = None,
) -> LandingReport:
    """Land contacts or events files into the lake; all or nothing.

    `progress(done, total)` is called after each input file is read.
    `row_group_size` is the rows per Parquet row group of the files written
    (DuckDB writes whole vectors, so a group holds at least 2048 rows).
    Bad rows are set aside in a rejects file; with `strict`, any bad row
    raises `InputError` (one problem per row) and nothing is landed.
    A file whose content landed before is refused (`InputError` naming that
    landing) unless `allow_repeat`; every landing records its files' SHA-256.
    `on_commit(con, landing_id)` runs inside the transaction that registers the
    landing, for a record that must commit with it or not at all.
    """
    if kind not in KINDS:
        raise InputError.single("ingest", f"expected contacts or events, got {kind!r}")
    if not paths:
        raise InputError.single("ingest", "no input files given")
    if row_group_size < 1:
        raise ValueError(f"row_group_size must be positive, got {row_group_size}")
    inputs = [(Path(p), resolve_format(Path(p), fmt)) for p in paths]
    with store.writer(), _work_connection() as con:
        hashes = fingerprints([path for path, _ in inputs])
        if not allow_repeat:
            refuse_repeats(store, [path for path, _ in inputs], hashes)
        landing = _Landing(store, con, kind, row_group_size, on_commit)
        landing.hashes = hashes
        try:
            report = landing.run(inputs, strict, progress)
        except BaseException:
            _discard(landing.written)
            raise
        # Committed: the replaced contacts file is no longer live, but a reader that began
        # before may still be reading it; the writer removes it once no reader is left.
    return report


@contextmanager
def _work_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB for the landing's work tables, spilling to a private temp folder."""
    with tempfile.TemporaryDirectory(prefix="duckseg-landing-") as spill:
        con = database.private_instance(spill)
        try:
            yield con
        finally:
            con.close()


def _discard(paths: Sequence[Path]) -> None:
    """Remove files no catalog row names any more (the next writer's sweep is the fallback)."""
    for path in paths:
        path.unlink(missing_ok=True)


def _commit(
    store: Store,
    record: Sequence[object],
    files: Sequence[tuple[Path, str, int]],
    retired: Sequence[Path],
    event_names: Sequence[str] = (),
    hashes: Sequence[tuple[str, str]] = (),
    on_commit: OnCommit | None = None,
) -> None:
    """Register the landing: its row, its new files, the files it replaces, the event names
    it brought, the fingerprints of its input files; one transaction."""
    with store.transaction() as con:
        con.execute("INSERT INTO landings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(record))
        for path, kind, rows in files:
            con.execute(
                "INSERT INTO lake_files VALUES (?, ?, ?, ?)",
                [store.relative(path), kind, record[0], rows],
            )
        for digest, source in hashes:
            con.execute("INSERT INTO landed_files VALUES (?, ?, ?)", [digest, record[0], source])
        for path in retired:
            con.execute("DELETE FROM lake_files WHERE path = ?", [store.relative(path)])
            con.execute(
                "INSERT OR IGNORE INTO retired_files VALUES (?, ?)",
                [store.relative(path), record[2]],
            )
        if event_names:
            con.execute(
                "INSERT OR IGNORE INTO event_names SELECT unnest(?::VARCHAR[])",
                [list(event_names)],
            )
        if on_commit is not None:
            on_commit(con, str(record[0]))


class _Landing:
    def __init__(
        self,
        store: Store,
        con: duckdb.DuckDBPyConnection,
        kind: str,
        row_group_size: int,
        on_commit: OnCommit | None = None,
    ) -> None:
        self.store, self.con, self.kind = store, con, kind
        self.on_commit = on_commit
        self.row_group_size = row_group_size
        self.landing_id = new_landing_id()
        self.written: list[Path] = []  # every file this landing created (tmp or final)
        self.files: list[tuple[Path, str, int]] = []  # (path, kind, rows) to register
        self.retired: list[Path] = []  # files the new ones replace
        self.event_names: list[str] = []  # event names of the landed events
        self.generation = 0  # contacts work tables: cur_0, cur_1, ...
        self.hashes: list[str | None] = []  # SHA-256 of each input file, in input order

    def run(
        self, inputs: Sequence[tuple[Path, str]], strict: bool, progress: Progress | None
    ) -> LandingReport:
        contacts_files = live_contacts_files(self.store)
        contacts_lake = lake_schema(self.con, contacts_files, "lake_contacts")
        events_lake = lake_schema(self.con, live_event_files(self.store), "lake_events")
        sources: list[Source] = []
        for index, (path, fmt) in enumerate(inputs):
            sources.append(read_source(self.con, path, fmt, index))
            if progress is not None:
                progress(index + 1, len(inputs))
        plan = build_plan(self.con, self.kind, sources, contacts_lake, events_lake)
        rows_read = sum(s.rows for s in sources)
        with self._naming_unreadable(sources):
            checked = self._bind_typed(sources, plan)  # sources with rows that may be bad
            bad: int | None = None
            repeats = 0
            names: list[str] = []
            if self.kind == "events":
                first_look = events_q.events_first_look(sources, plan, bool(checked))
                bad, repeats, names = self._sql(first_look).fetchall()[0]
            reasons: dict[str, int] = {}
            if bad is None or bad:  # contacts, or events with bad rows: count them by reason
                for source in (s for s in sources if s.index in checked):
                    for key, count in self._sql(q.reject_counts(source)).fetchall():
                        reasons[str(key)] = reasons.get(str(key), 0) + int(count)
            rejected = sum(reasons.values())
            if strict and rejected:
                raise InputError(self._problems(sources, rejected))
            good = rows_read - rejected

            duplicates = created = 0
            new_attributes: tuple[str, ...] = ()
            if self.kind == "contacts" and good:
                self._contacts(plan, contacts_files, sources)
                new_attributes = plan.new_names()
            elif self.kind == "events" and good:
                self._create("good", events_q.good_events(sources, plan, bool(rejected)), "VIEW")
                kept, names = self._kept(plan, events_lake, good, repeats, names)
                duplicates = good - kept
                created = self._new_contacts(plan, contacts_lake, contacts_files)
                if kept:
                    name = f"events-{self.landing_id}.parquet"
                    query = events_q.events_output(plan, names)
                    self._write(query, self._lake("events") / name, "events")
                    self.event_names = sorted(names)
                    new_attributes = plan.new_names()
            rejects_path = None
            if rejected:
                name = f"{self.landing_id}-{self.kind}.parquet"
                rejects_path = self._lake("rejects") / name
                self._write(q.rejects_output(sources, plan), rejects_path, "rejects")

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
        recorded = [
            (digest, str(path))
            for (path, _), digest in zip(inputs, self.hashes, strict=True)
            if digest is not None
        ]
        self.store.journal(*self.retired)  # unregistered by the commit: a crash after it sweeps
        _commit(
            self.store,
            record,
            self.files,
            self.retired,
            self.event_names,
            recorded,
            self.on_commit,
        )
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

    def _bind_typed(self, sources: Sequence[Source], plan: Plan) -> set[int]:
        """Bind `typed_<i>` for every source; the indexes of those whose rows can be bad (the
        others' rows are all good, and are not counted again)."""
        checked: set[int] = set()
        for source in sources:
            found = checks_q.checks(source, plan)
            if source.streamed:
                found = self._failing(source, plan, found)
            if found:
                checked.add(source.index)
            # A streamed (Parquet) source stays a view: its rows go from the file to the lake.
            kind = "VIEW" if source.streamed else "TABLE"
            typed = checks_q.typed_select(source, plan, found)
            self._create(q.typed_table(source).name, typed, kind)
        return checked

    def _failing(
        self, source: Source, plan: Plan, found: Sequence[checks_q.Check]
    ) -> list[checks_q.Check]:
        """The checks that some row of a streamed (Parquet) source fails.

        The file is read where it is, so a check no row fails is dropped. A few checks
        are asked one by one, most ruled out by row-group statistics without reading a
        value; more are answered by one scan, so a wide file costs no query per column
        (each query over a wide file costs DuckDB time per column to bind).
        """
        if len(found) <= PRUNED_CHECKS:
            return [c for c in found if self._sql(checks_q.first_failure(source, c)).fetchall()]
        failing = {
            int(n) for (n,) in self._sql(checks_q.failing_checks(source, plan, found)).fetchall()
        }
        return [c for n, c in enumerate(found) if n in failing]

    # -- events ----------------------------------------------------------------------
    def _kept(
        self, plan: Plan, events_lake: Sequence[Column], good: int, repeats: int, names: list[str]
    ) -> tuple[int, list[str]]:
        """Bind `kept`, the good events that land: (how many, their event names in order).

        `repeats` and `names` come from the first look at the batch. Without an
        event_id repeated in the batch or landed before, every good event lands:
        `kept` is `good` as it streams, and only otherwise is it de-duplicated.
        """
        has_ids = self._has_event_ids(events_lake)
        seen = events_q.landed_before(plan) if has_ids else None
        if not repeats and seen is not None:
            repeats = len(self._sql(seen).fetchall())
        if not repeats:
            self._create("kept", exp.select("*").from_("good"), "VIEW")
            return good, names
        self._create("kept", events_q.kept_events(plan, has_ids), "TABLE")
        kept_names = self._sql(events_q.event_names("kept", plan)).fetchall()[0][0] or []
        return self._count("kept"), kept_names

    def _has_event_ids(self, events_lake: Sequence[Column]) -> bool:
        """Whether any landed event has an event_id."""
        if not any(c.name == "event_id" for c in events_lake):
            return False
        return bool(self._sql(events_q.any_landed_id()).fetchall())

    # -- contacts --------------------------------------------------------------------
    def _contacts(self, plan: Plan, lake_files: Sequence[Path], sources: Sequence[Source]) -> None:
        """Apply every source's good rows, in order, to the lake's contacts; write the result."""
        rest = list(sources)
        if not lake_files and len(rest) == 1:
            # One file and no contacts yet: its latest rows go straight into the lake file,
            # not via a wide work table (each wide statement costs DuckDB time per column).
            first = q.first_contacts(rest[0], plan).subquery("latest_rows", copy=False)
            self._write_contacts(plan.columns, lake_files, first)
            return
        if lake_files:
            self._create(self._current(), q.contacts_start(plan.columns, True), "TABLE")
        else:  # no contacts yet: the first file's rows are the contacts
            self._create(self._current(), q.first_contacts(rest.pop(0), plan), "TABLE")
        for source in rest:
            self._upsert(plan.columns, q.latest_per_contact(source, plan), plan.present(source))
        self._write_contacts(plan.columns, lake_files)

    def _new_contacts(
        self, plan: Plan, contacts_lake: Sequence[Column], lake_files: Sequence[Path]
    ) -> int:
        """Create the contacts that kept events name but the lake does not know; how many."""
        id_column = plan.columns[0]
        self._create("new_ids", events_q.unknown_contacts(id_column.key, bool(lake_files)), "TABLE")
        created = self._count("new_ids")
        if created:
            columns = q.contacts_columns(id_column.type, contacts_lake)
            self._create(self._current(), q.contacts_start(columns, bool(lake_files)), "TABLE")
            self._upsert(columns, exp.select("k0").from_("new_ids"), {"k0"})
            self._write_contacts(columns, lake_files)
        return created

    def _current(self) -> str:
        return f"cur_{self.generation}"

    def _upsert(self, columns: Sequence[Column], batch: exp.Select, present: set[str]) -> None:
        previous = self._current()
        self.generation += 1
        self._create("batch", batch, "TABLE")  # read twice by the upsert
        self._create(self._current(), q.upsert(columns, previous, "batch", present), "TABLE")
        for table in (previous, "batch"):
            self.con.execute(exp.Drop(tables=[exp.to_table(table)], kind="TABLE").sql("duckdb"))

    def _write_contacts(
        self, columns: Sequence[Column], old_files: Sequence[Path], rows: exp.Expr | None = None
    ) -> None:
        """Write the contacts (`rows`, else the current work table) as the lake's file."""
        name = f"contacts-{self.landing_id}.parquet"
        query = q.contacts_output(columns, rows if rows is not None else self._current())
        self._write(query, self._lake("contacts") / name, "contacts")
        self.retired.extend(old_files)

    # -- helpers ---------------------------------------------------------------------
    @contextmanager
    def _naming_unreadable(self, sources: Sequence[Source]) -> Iterator[None]:
        """Streamed files are read by the landing's queries, not when bound: when a query
        fails, an `InputError` names the file that cannot be read, if one cannot."""
        try:
            yield
        except duckdb.Error:
            for source in sources:
                if source.streamed:
                    read_fully(self.con, source)
            raise

    def _create(self, name: str, query: exp.Expr, kind: str) -> None:
        statement = exp.Create(this=exp.to_table(name), kind=kind, expression=query)
        # Every query is built for one statement: the generator need not copy it first.
        self.con.execute(statement.sql("duckdb", copy=False))

    def _sql(self, query: exp.Expr) -> duckdb.DuckDBPyRelation:
        return self.con.sql(query.sql("duckdb", copy=False))

    def _count(self, table: str) -> int:
        return int(self._sql(exp.select("count(*)").from_(table)).fetchall()[0][0])

    def _lake(self, folder: str) -> Path:
        return self.store.root / "lake" / folder

    def _write(self, query: exp.Expr, final: Path, kind: str) -> None:
        """Write a query's rows to `final` (via a .tmp name) and queue it for registration."""
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = tmp_path_for(final)
        self.store.journal(tmp, final)
        self.written += [tmp, final]
        params = [
            exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet")),
            exp.CopyParameter(
                this=exp.var("ROW_GROUP_SIZE"), expression=exp.Literal.number(self.row_group_size)
            ),
            exp.CopyParameter(this=exp.var("USE_TMP_FILE"), expression=exp.false()),
        ]
        copy = exp.Copy(
            this=exp.Subquery(this=query),
            kind=False,
            files=[exp.Literal.string(str(tmp))],
            params=params,
        )
        self.con.execute(copy.sql("duckdb", copy=False))
        os.replace(tmp, final)
        self.files.append((final, kind, int(pq.ParquetFile(final).metadata.num_rows)))

    def _problems(self, sources: Sequence[Source], rejected: int) -> list[Problem]:
        """Strict mode: one problem per bad row, the first MAX_PROBLEMS, then a summary."""
        problems: list[Problem] = []
        for source in sources:
            query = q.first_rejects(source, MAX_PROBLEMS - len(problems))
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
