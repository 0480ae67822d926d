"""The Workspace: the Python API that ties definitions, lake, compiler and snapshots together."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pyarrow as pa

from duckseg import db as database
from duckseg.api import build as builds
from duckseg.api import changes as feed_changes
from duckseg.api import check as checks
from duckseg.api import definitions, layout, listing, static
from duckseg.api import delete as deletion
from duckseg.api import history as history_api
from duckseg.api import preview as previews
from duckseg.api import traits as traits_api
from duckseg.api.build import PartialBuildError
from duckseg.api.changes import FeedBatch
from duckseg.api.results import Diff, Preview, Snapshot, StaticResult
from duckseg.api.sample import land_sample
from duckseg.config import CONFIG_FILE, Config, load_config
from duckseg.engines.duckdb import lake_connection, read_catalog
from duckseg.errors import InputError
from duckseg.lang.loader import Limits
from duckseg.lang.resolve import ResolvedSegment, Resolver
from duckseg.lang.spec import Segment
from duckseg.lang.time import AbsoluteDate, Clock, SystemClock, TimeContext, parse_time_value
from duckseg.state.doctor import DoctorReport, examine
from duckseg.state.memberships import intervals, members_at
from duckseg.state.snapshots import SnapshotStore
from duckseg.state.store import Store
from duckseg.types import Catalog

if TYPE_CHECKING:
    from duckseg.api.contact import ContactView
    from duckseg.api.explain import Explanation
    from duckseg.api.refresh import RefreshResult
    from duckseg.audiences.result import AudienceSnapshot
    from duckseg.audiences.run import AudienceDiff
    from duckseg.export.result import ExportResult
    from duckseg.report import Report

SegmentLike = Segment | str | Path
Progress = Callable[[str, int, int], None]


class Workspace:
    def __init__(self, root: Path, config: Config, clock: Clock | None = None) -> None:
        self.root = root
        self.config = config
        self.clock: Clock = clock or SystemClock()
        database.configure(config.duckdb)
        self.store = Store(root)
        self.snapshots = SnapshotStore(self.store)

    # -- opening ------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path = ".", clock: Clock | None = None) -> Workspace:
        root = layout.existing_root(path)
        return cls(root, load_config(root / CONFIG_FILE), clock)

    @classmethod
    def init(cls, path: str | Path, demo: bool = False, clock: Clock | None = None) -> Workspace:
        root = layout.create(path, demo)
        ws = cls(root, load_config(root / CONFIG_FILE), clock)
        if demo:
            land_sample(ws)
        return ws

    @classmethod
    def demo(cls, path: str | Path | None = None) -> Workspace:
        """A workspace with the bundled sample landed (a temporary folder unless `path` is given)."""
        root = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="duckseg-demo-"))
        return cls.init(root, demo=True)

    # -- definitions ----------------------------------------------------------------
    def segment_files(self) -> dict[str, Path]:
        return definitions.segment_files(self.root)

    @property
    def limits(self) -> Limits:
        return Limits(self.config.limits.definition_bytes, self.config.limits.definition_nodes)

    def load(self, name_or_path: SegmentLike) -> Segment:
        """A definition by segment name, by YAML path, or as given."""
        return definitions.load(self, name_or_path)

    def check_owner(self, seg: Segment) -> None:
        """A definition from elsewhere never writes into a workspace segment's history."""
        definitions.check_owner(self, seg)

    def resolver(self, catalog: Catalog, extra: Sequence[Segment] = ()) -> Resolver:
        return definitions.resolver(self, catalog, extra)

    def definition_hash(self, segment: Segment, extra: Sequence[Segment] = ()) -> str:
        """A hash of what decides membership: the segment's kind and `where`, and the hashes of
        the segments it references, transitively, so a change to an input marks it changed;
        with the text of the trait files it reads, where it reads any."""
        return definitions.definition_hash(self, segment, extra)

    def traits(
        self, as_of: datetime | date | str | None = None, names: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """Every contact's `contact_id` and one column per trait (or the traits named) at
        `as_of` (default now): events after it never count."""
        return traits_api.values(self, as_of, names)

    def write_traits(self, values: pl.DataFrame, path: str | Path) -> Path:
        """Write trait values (as `traits` returns them) to a Parquet file, whole or not at all."""
        target = Path(path)
        traits_api.write_parquet(values.to_arrow(), target)
        return target

    def trait_list(self) -> list[dict[str, Any]]:
        """Each trait: name, type, description, file and what it computes in words."""
        return traits_api.listing(self.resolver(self.catalog()))

    def attributes(self, events: bool = False) -> list[dict[str, Any]]:
        """Attributes and traits (at now), or event properties: type, fill rate, top values."""
        return traits_api.attributes(self, events)

    # -- time -----------------------------------------------------------------------
    def as_of(self, value: datetime | date | str | None = None) -> datetime:
        """The build instant: now by default; naive and date-only values are in the workspace zone."""
        ctx = TimeContext.create(self.clock.now(), self.config.time.zone)
        if value is None:
            return ctx.as_of
        try:
            tv = parse_time_value(value, ctx.zone)
        except ValueError as exc:
            raise InputError.single("--as-of", str(exc)) from exc
        if isinstance(tv, AbsoluteDate):
            return ctx.start_of(tv.day)
        resolved = ctx.resolve(tv)
        assert isinstance(resolved, datetime)
        return resolved

    def time_context(self, as_of: datetime | date | str | None = None) -> TimeContext:
        return TimeContext.create(self.as_of(as_of), self.config.time.zone)

    # -- lake -------------------------------------------------------------------------
    def ingest(
        self,
        kind: str,
        paths: Sequence[str | Path],
        fmt: str | None = None,
        strict: bool = False,
        progress: Callable[[int, int], None] | None = None,
        allow_repeat: bool = False,
    ) -> Any:
        from duckseg.ingest import land as lake

        if kind not in ("contacts", "events"):
            raise InputError.single("ingest", f"expected contacts or events, got {kind!r}")
        return lake.land(
            self.store,
            kind,
            [Path(p) for p in paths],
            fmt,
            strict=strict,
            allow_repeat=allow_repeat,
            progress=progress,
        )

    def stale_warning(self, as_of: datetime) -> str | None:
        """Why an as_of more than 30 days after the newest event may give empty windows."""
        from duckseg.ingest.freshness import stale_warning

        return stale_warning(as_of, self.store.live_files("events"))

    def _static_files(self) -> list[tuple[str, Path]]:
        return [
            (info.segment, self.snapshots.file(info)) for info in self.snapshots.latest_static()
        ]

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB cursor with `contacts`, `events` and `static_members` bound to the lake;
        what it creates is temporary and stays with it. Close it when done."""
        settings = self.config.duckdb
        return lake_connection(
            self.store,
            self._static_files(),
            memory_limit=settings.memory_limit,
            threads=settings.threads,
            temp_directory=settings.temp_directory,
        )

    def catalog(self) -> Catalog:
        con = self.connect()
        try:
            return self.read_catalog(con)
        finally:
            con.close()

    def read_catalog(self, con: duckdb.DuckDBPyConnection) -> Catalog:
        """Attribute and property types of the lake bound on `con`, event names from landings."""
        return read_catalog(con, self.store.event_names() or None)

    # -- compile / preview / build --------------------------------------------------------
    def resolve(
        self, segments: Sequence[Segment], con: duckdb.DuckDBPyConnection
    ) -> list[ResolvedSegment]:
        return definitions.resolve(self, segments, con)

    def compile(
        self,
        segment: SegmentLike,
        dialect: str = "duckdb",
        as_of: datetime | date | str | None = None,
    ) -> str:
        return previews.compile_sql(self, segment, dialect, as_of)

    def preview(
        self,
        segment: SegmentLike,
        as_of: datetime | date | str | None = None,
        limit: int = 10,
        against_latest: bool = False,
    ) -> Preview:
        return previews.preview(self, segment, as_of, limit, against_latest)

    def dependency_order(self, names: Sequence[str] | None = None) -> list[str]:
        """Dynamic segments ordered so that a referenced segment comes before those referencing it."""
        return builds.dependency_order(self, names)

    def build_many(
        self,
        segments: Iterable[SegmentLike],
        as_of: datetime | date | str | None = None,
        engine: str = "duckdb",
        progress: Progress | None = None,
    ) -> list[Snapshot]:
        """Build several segments at one as_of, sharing one pass over the events."""
        return builds.build_many(self, segments, as_of=as_of, engine=engine, progress=progress)

    def build(
        self,
        segment: SegmentLike,
        as_of: datetime | date | str | None = None,
        engine: str = "duckdb",
    ) -> Snapshot:
        (snap,) = self.build_many([segment], as_of=as_of, engine=engine)
        return snap

    def build_all(
        self,
        as_of: datetime | date | str | None = None,
        engine: str = "duckdb",
        progress: Progress | None = None,
        keep_going: bool = False,
    ) -> list[Snapshot]:
        """Every dynamic segment, referenced segments first, sharing one pass over the events.

        `keep_going`: build every valid definition, then raise `PartialBuildError` (the
        snapshots built and every problem) if any was broken.
        """
        return builds.build_all(self, as_of, engine, progress, keep_going)

    def refresh(
        self,
        as_of: datetime | date | str | None = None,
        full: bool = False,
        engine: str = "duckdb",
        progress: Progress | None = None,
    ) -> RefreshResult:
        """Bring every dynamic segment, then every audience, up to `as_of`, rebuilding only
        what changed; the snapshots are those of `build_all` (docs/refresh.md)."""
        from duckseg.api.refresh import refresh

        return refresh(self, as_of, full=full, engine=engine, progress=progress)

    # -- reading snapshots ----------------------------------------------------------------
    def snapshot(self, name: str, snapshot_id: str | None = None) -> Snapshot:
        info = self.snapshots.require(name, snapshot_id, self.segment_files())
        return history_api.snapshot_of(self, info)

    def members(self, name: str, snapshot: str | None = None) -> pl.DataFrame:
        """Members of a snapshot (the latest by default) with their current attributes."""
        return history_api.members(self, name, snapshot)

    def diff(self, name: str, from_id: str | None = None, to_id: str | None = None) -> Diff:
        """Entered and exited contacts between two snapshots (default: the latest and the one before it)."""
        return history_api.diff(self, name, from_id, to_id)

    def intervals(self, name: str) -> pl.DataFrame:
        """Per contact, the periods it was a member: (contact_id, entered_at, exited_at)."""
        return intervals(self.root, self.snapshots.history(name))

    def members_on(self, name: str, when: datetime | date | str) -> pl.DataFrame:
        """Who was a member at an instant (as far as the snapshot history knows)."""
        return members_at(self.intervals(name), self.as_of(when))

    def static_change(
        self, name: str, change: str, csv: str | Path, key: str = "contact_id"
    ) -> StaticResult:
        """Create a static segment from a CSV, or add / remove the contacts it names."""
        return static.static_change(self, name, change, csv, key)

    def contact_id_type(self) -> pa.DataType:
        """The lake's type of contact_id (text or integer)."""
        return static.contact_id_type(self)

    def history(self, name: str) -> pl.DataFrame:
        """One row per snapshot in as_of order: count, entered, exited, and whether the definition changed."""
        return history_api.history(self, name)

    # -- reports --------------------------------------------------------------------------
    def report(
        self,
        segments: Sequence[str | Snapshot] = (),
        out: str | Path | None = None,
        config: Any = None,
        progress: Progress | None = None,
    ) -> Report:
        """Compare segments with each other and with all contacts; write Parquet tables and HTML.

        `segments`: names (latest snapshot), `name@SNAPSHOT_ID`, or Snapshot objects; none means
        every built segment. `config`: a report YAML file, a dict or a ReportConfig. `out`:
        the output folder (default `reports/<config name or timestamp>/`).
        """
        from duckseg.report import build_report

        chosen = [s.info if isinstance(s, Snapshot) else s for s in segments]
        return build_report(self, chosen, out=out, config=config, progress=progress)

    # -- exports --------------------------------------------------------------------------
    def export(
        self,
        segment: str,
        format: str,
        out: str | Path | None = None,
        snapshot: str | None = None,
        columns: str | Sequence[str] | None = None,
        changes: bool = False,
        include_opted_out: bool = False,
        max_rows: int | None = None,
    ) -> ExportResult:
        """Write a snapshot's members as csv, parquet or an ad-platform upload, with a manifest.

        `format`: csv | parquet | meta | google | tiktok | linkedin. `out`: the output folder
        (default `exports/<segment>/<format>/<snapshot_id>/`). `snapshot`: a snapshot id
        (default: the latest). `columns`: csv / parquet attributes (default: all).
        `changes`: only adds and removes since the last export of `segment` to `format`.
        `include_opted_out`: do not apply `[consent] exclude_when` to ad-platform files.
        `max_rows`: rows per ad-platform file (default: the platform's limit).
        """
        from duckseg.export.run import run_export

        return run_export(
            self,
            segment,
            format,
            out=out,
            snapshot=snapshot,
            columns=columns,
            changes=changes,
            include_opted_out=include_opted_out,
            max_rows=max_rows,
        )

    # -- memberships in use (docs/memberships.md) -------------------------------------------
    def changes(
        self,
        since: int | None = None,
        consumer: str | None = None,
        segments: Sequence[str] = (),
        limit: int | None = None,
        advance: bool = True,
    ) -> FeedBatch:
        """Change feed rows after `since` or after `consumer`'s cursor. With a consumer and
        `advance`, its cursor moves to the last row returned (`advance=False` and
        `acknowledge(batch)` once the rows are handled: at least once)."""
        batch = feed_changes.read(self, segments, since, consumer, limit)
        if advance:
            feed_changes.acknowledge(self, batch)
        return batch

    def acknowledge(self, batch: FeedBatch) -> None:
        """Move a consumer's cursor past a batch it has handled."""
        feed_changes.acknowledge(self, batch)

    def contact(self, contact_id: Any, as_of: datetime | date | str | None = None) -> ContactView:
        """A contact's attributes, traits at `as_of`, current segments (with since when) and
        audiences."""
        from duckseg.api.contact import contact

        return contact(self, contact_id, as_of)

    def explain(
        self, segment: SegmentLike, contact_id: Any, as_of: datetime | date | str | None = None
    ) -> Explanation:
        """Why a contact is or is not a member at `as_of`: each node, its result, its evidence."""
        from duckseg.api.explain import explain

        return explain(self, segment, contact_id, as_of)

    # -- audiences (docs/audiences.md) -----------------------------------------------------
    def audience_build(
        self, name: str | Sequence[str] = (), as_of: datetime | date | str | None = None
    ) -> AudienceSnapshot | list[AudienceSnapshot]:
        """Build one audience (a name: its snapshot) or several (a list; none: every one)."""
        from duckseg.audiences import run

        built = run.build(self, [name] if isinstance(name, str) else name, self.time_context(as_of))
        return built[0] if isinstance(name, str) else built

    def audience(self, name: str, snapshot: str | None = None) -> pl.DataFrame:
        """The latest (or a given) snapshot of an audience: contact_id, arm, agent."""
        from duckseg.audiences import run

        return run.members(self, name, snapshot)

    def audience_snapshot(self, name: str, snapshot: str | None = None) -> AudienceSnapshot:
        from duckseg.audiences import run

        return run.snapshot(self, name, snapshot)

    def audience_diff(
        self, name: str, from_id: str | None = None, to_id: str | None = None
    ) -> AudienceDiff:
        from duckseg.audiences import run

        return run.diff(self, name, from_id, to_id)

    def list_audiences(self) -> list[dict[str, Any]]:
        from duckseg.audiences import run

        return run.listing(self)

    def audience_export(self, name: str, format: str, **options: Any) -> ExportResult:
        """Export an audience snapshot (options as `export`, plus `include_holdout`); the
        export is recorded as a send for frequency caps."""
        from duckseg.audiences import run

        snapshot = options.pop("snapshot", None)
        return run.export(self, name, format, snapshot_id=snapshot, **options)

    def audience_report(self, name: str, out: str | Path | None = None, config: Any = None) -> Any:
        """Compare an audience's arms with the holdout (docs/audiences.md)."""
        from duckseg.audiences.measure import audience_report

        return audience_report(self, name, out=out, config=config)

    def list_segments(self) -> list[dict[str, Any]]:
        """Every defined segment, then those with snapshots but no file (built from a Segment
        object in Python, or deleted with --keep-history): `file` is None for those."""
        return listing.list_segments(self)

    def check(self, names: Sequence[str] = ()) -> list[str]:
        """Validate definitions; returns the names checked, raises DefinitionError listing every problem."""
        return checks.check(self, names)

    def doctor(self, repair: bool = False) -> DoctorReport:
        """Check every lake, snapshot and export-state file the catalog names
        (docs/operations.md); `repair` marks lost snapshots so that builds go on."""
        return examine(self.store, repair=repair)

    def delete(self, name: str, keep_history: bool = False) -> int:
        """Remove a definition and (unless `keep_history`) its snapshots.

        History goes first and the file last, so a failure half-way leaves the definition in
        place, and deleting again finishes what an interrupted delete began.
        """
        return deletion.delete(self, name, keep_history)


__all__ = ["PartialBuildError", "Workspace"]
