"""The Workspace: the Python API that ties definitions, lake, compiler and snapshots together."""

from __future__ import annotations

import hashlib
import json
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
from duckseg.api import traits as traits_api
from duckseg.api.changes import FeedBatch
from duckseg.api.results import Diff, Preview, Snapshot, StaticResult
from duckseg.api.sample import land_sample
from duckseg.api.static import Change, MatchKey, apply_change, match, read_keys
from duckseg.compiler import compile_build, to_sql
from duckseg.config import CONFIG_FILE, DEFAULT_CONFIG_TEXT, Config, load_config
from duckseg.db import create_temp, parquet_scan, regex_error
from duckseg.engines.duckdb import lake_connection, read_catalog
from duckseg.errors import DefinitionError, InputError, Problem, unknown_segment
from duckseg.lang.describe import describe
from duckseg.lang.loader import Limits, read_text
from duckseg.lang.resolve import ResolvedSegment, Resolver, check_order
from duckseg.lang.spec import Segment
from duckseg.lang.time import AbsoluteDate, Clock, SystemClock, TimeContext, parse_time_value
from duckseg.state.doctor import DoctorReport, examine
from duckseg.state.memberships import intervals, members_at
from duckseg.state.snapshots import PendingSnapshot, SnapshotInfo, SnapshotStore
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

SEGMENTS_DIR = "segments"
WORKSPACE_DIRS = (
    "segments",
    "traits",
    "lake/contacts",
    "lake/events",
    "state",
    "reports",
    "exports",
)

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
        root = Path(path).resolve()
        if not (root / CONFIG_FILE).exists() and not (root / SEGMENTS_DIR).is_dir():
            raise InputError.single(
                str(path),
                "not a duckseg workspace (no duckseg.toml)",
                hint="create one with duckseg init",
            )
        return cls(root, load_config(root / CONFIG_FILE), clock)

    @classmethod
    def init(cls, path: str | Path, demo: bool = False, clock: Clock | None = None) -> Workspace:
        root = Path(path).resolve()
        if demo:
            _refuse_sample_over_data(root)
        root.mkdir(parents=True, exist_ok=True)
        for folder in WORKSPACE_DIRS:
            (root / folder).mkdir(parents=True, exist_ok=True)
        if not (root / CONFIG_FILE).exists():
            (root / CONFIG_FILE).write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
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
        folder = self.root / SEGMENTS_DIR
        files = (
            sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.exists() else []
        )
        found: dict[str, Path] = {}
        for f in files:
            found.setdefault(f.stem, f)  # vip.yaml beside vip.yml: load() refuses both
        return found

    @property
    def limits(self) -> Limits:
        return Limits(self.config.limits.definition_bytes, self.config.limits.definition_nodes)

    def _source(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def load(self, name_or_path: SegmentLike) -> Segment:
        """A definition by segment name, by YAML path, or as given."""
        if isinstance(name_or_path, Segment):
            return name_or_path
        text = str(name_or_path)
        files = self.segment_files()
        if text in files:
            path = files[text]
        elif text.endswith((".yaml", ".yml")) or Path(text).exists():
            path = Path(text)
            if not path.is_absolute() and not path.exists():
                path = self.root / text
        else:
            raise DefinitionError([unknown_segment(text, files)])
        source = self._source(path)
        own = self._own_file(path)
        if own is not None:
            twins = [own.with_suffix(s) for s in (".yaml", ".yml")]
            if all(t.exists() for t in twins):
                names = " and ".join(self._source(t) for t in twins)
                raise DefinitionError(
                    [Problem(source, "", f"{names} both define segment {own.stem}", "keep one")]
                )
        content = read_text(path, source, self.limits)
        return Segment.from_yaml_string(
            content, source=source, default_name=path.stem, limits=self.limits
        )

    def _own_file(self, path: Path) -> Path | None:
        """`path` if it is a definition file in this workspace's segments/ folder."""
        resolved = path.resolve()
        return resolved if resolved.parent == (self.root / SEGMENTS_DIR).resolve() else None

    def check_owner(self, seg: Segment) -> None:
        """A definition from elsewhere never writes into a workspace segment's history."""
        files = self.segment_files()
        if seg.name not in files:
            return
        own = files[seg.name].resolve()
        given = Path(seg.source)
        if seg.source.startswith("<") or own not in (
            given.resolve(),
            (self.root / given).resolve(),
        ):
            raise DefinitionError(
                [
                    Problem(
                        seg.source,
                        "name",
                        f"segment {seg.name} is defined by {self._source(own)}: a definition "
                        "from elsewhere cannot write into its history",
                        f"preview it instead, or give it another name than {seg.name}",
                    )
                ]
            )

    def _lookup(
        self, extra: Sequence[Segment] = ()
    ) -> tuple[Callable[[str], Segment | None], list[str]]:
        files = self.segment_files()
        given = {s.name: s for s in extra}
        cache: dict[str, Segment] = {}

        def lookup(name: str) -> Segment | None:
            if name in given:
                return given[name]
            if name not in cache and name in files:
                cache[name] = self.load(name)
            return cache.get(name)

        return lookup, sorted(set(files) | set(given))

    def resolver(self, catalog: Catalog, extra: Sequence[Segment] = ()) -> Resolver:
        lookup, names = self._lookup(extra)
        # A trait file that does not parse is reported where a definition reads it.
        traits, broken = traits_api.load_traits(self.root, self._source)
        return Resolver(
            catalog,
            self.config.time.zone,
            lookup,
            names,
            regex_error=regex_error,
            traits=traits,
            broken_traits=broken,
        )

    def definition_hash(self, segment: Segment, extra: Sequence[Segment] = ()) -> str:
        """A hash of what decides membership: the segment's kind and `where`, and the hashes of
        the segments it references, transitively, so a change to an input marks it changed;
        with the text of the trait files it reads, where it reads any."""
        lookup, _ = self._lookup(extra)
        digest = _definition_hash(segment, lookup, ())
        used = _named(segment.raw.get("where"), ("trait",))
        if not used:  # without traits the hash is what it always was
            return digest
        files = traits_api.trait_files(self.root)
        body = {
            "definition": digest,
            "traits": {n: files[n].read_text(encoding="utf-8") for n in sorted(used) if n in files},
        }
        canonical = json.dumps(body, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def traits(
        self, as_of: datetime | date | str | None = None, names: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """Every contact's `contact_id` and one column per trait (or the traits named) at
        `as_of` (default now): events after it never count."""
        ctx = self.time_context(as_of)
        con = self.connect()
        try:
            resolver = self.resolver(self.read_catalog(con))
            table = traits_api.trait_values(con, resolver, ctx, names)
        finally:
            con.close()
        return traits_api.as_polars(table)

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
        from duckseg.ingest.profile import profile_attributes, profile_events

        con = self.connect()
        try:
            if events:
                return profile_events(con)
            rows = [{**row, "kind": "attribute"} for row in profile_attributes(con)]
            resolver = self.resolver(self.read_catalog(con))
            return rows + traits_api.profile_traits(con, resolver, self.time_context())
        finally:
            con.close()

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
        resolver = self.resolver(self.read_catalog(con), segments)
        problems: list[Problem] = []
        out = []
        for seg in segments:
            try:
                out.append(resolver.resolve(seg))
            except DefinitionError as exc:
                problems.extend(exc.problems)
        if problems:
            raise DefinitionError(problems)
        return out

    def compile(
        self,
        segment: SegmentLike,
        dialect: str = "duckdb",
        as_of: datetime | date | str | None = None,
    ) -> str:
        seg = self.load(segment)
        con = self.connect()
        try:
            (resolved,) = self.resolve([seg], con)
        finally:
            con.close()
        ctx = self.time_context(as_of)
        check_order([resolved], ctx)
        if resolved.tree is None:
            raise DefinitionError(
                [Problem(seg.source, "kind", f"{seg.name} is a static segment: it has no SQL")]
            )
        build = compile_build({seg.name: resolved.tree}, ctx, dialect)
        return to_sql(build.standalone(seg.name), dialect)

    def preview(
        self,
        segment: SegmentLike,
        as_of: datetime | date | str | None = None,
        limit: int = 10,
        against_latest: bool = False,
    ) -> Preview:
        seg = self.load(segment)
        ctx = self.time_context(as_of)
        con = self.connect()
        try:
            (resolved,) = self.resolve([seg], con)
            check_order([resolved], ctx)
            tree = builds.tree_of(resolved)
            build = compile_build({seg.name: tree}, ctx)
            query = build.standalone(seg.name)
            sql = to_sql(query)
            create_temp(con, "preview_members", query, kind="TABLE")
            count = _scalar(con, "SELECT count(*) FROM preview_members")
            sample = con.sql(
                "SELECT c.* FROM contacts c JOIN preview_members m USING (contact_id) ORDER BY c.contact_id LIMIT ?",
                params=[max(limit, 0)],
            ).pl()
            entered = exited = None
            latest = self.snapshots.latest(seg.name) if against_latest else None
            if against_latest:
                if latest is None:
                    entered = con.sql("SELECT contact_id FROM preview_members ORDER BY 1").pl()
                    exited = entered.head(0)
                else:
                    create_temp(con, "latest_members", parquet_scan([self.snapshots.file(latest)]))
                    entered = con.sql(
                        "SELECT contact_id FROM preview_members EXCEPT SELECT contact_id FROM latest_members ORDER BY 1"
                    ).pl()
                    exited = con.sql(
                        "SELECT contact_id FROM latest_members EXCEPT SELECT contact_id FROM preview_members ORDER BY 1"
                    ).pl()
        finally:
            con.close()
        return Preview(
            seg.name,
            count,
            ctx.as_of,
            describe(tree),
            sample,
            sql,
            entered,
            exited,
            latest.snapshot_id if latest else None,
        )

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
        if not keep_going:
            return self.build_many(
                self.dependency_order(), as_of=as_of, engine=engine, progress=progress
            )
        names, problems = self._buildable()
        snaps = self.build_many(names, as_of=as_of, engine=engine, progress=progress)
        if problems:
            raise PartialBuildError(problems, snaps)
        return snaps

    def _buildable(self) -> tuple[list[str], list[Problem]]:
        """The dynamic segments that resolve (in dependency order), and the problems of the rest."""
        problems: list[Problem] = []
        good: list[str] = []
        con = self.connect()
        try:
            resolver = self.resolver(self.read_catalog(con))
            for name in self.segment_files():
                try:
                    seg = self.load(name)
                    if not seg.is_static:
                        resolver.resolve(seg)
                        good.append(name)
                except DefinitionError as exc:
                    problems.extend(exc.problems)
        finally:
            con.close()
        return self.dependency_order(good), problems

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

    def _snapshot(self, info: SnapshotInfo, members: pa.Table | None = None) -> Snapshot:
        before = self.snapshots.previous(info)
        entered, exited = self.snapshots.changes_along([*([before] if before else []), info])[-1]
        if members is None:
            members = self.snapshots.members(info)
        return Snapshot(info, entered, exited, members)

    # -- reading snapshots ----------------------------------------------------------------
    def snapshot(self, name: str, snapshot_id: str | None = None) -> Snapshot:
        return self._snapshot(self.snapshots.require(name, snapshot_id, self.segment_files()))

    def members(self, name: str, snapshot: str | None = None) -> pl.DataFrame:
        """Members of a snapshot (the latest by default) with their current attributes."""
        snap = self.snapshot(name, snapshot)
        con = self.connect()
        try:
            create_temp(con, "snapshot_members", parquet_scan([self.snapshots.file(snap.info)]))
            frame: pl.DataFrame = con.sql(
                "SELECT c.* FROM snapshot_members m JOIN contacts c USING (contact_id) ORDER BY c.contact_id"
            ).pl()
        finally:
            con.close()
        return frame

    def diff(self, name: str, from_id: str | None = None, to_id: str | None = None) -> Diff:
        """Entered and exited contacts between two snapshots (default: the latest and the one before it)."""
        to = self.snapshot(name, to_id).info
        if from_id is not None:
            before: SnapshotInfo | None = self.snapshot(name, from_id).info
        else:
            before = self.snapshots.previous(to)
        entered, exited = self.snapshots.diff(before, to)
        return Diff(
            name,
            before.snapshot_id if before else None,
            to.snapshot_id,
            entered.column("contact_id").to_pylist(),
            exited.column("contact_id").to_pylist(),
            before.as_of if before else None,
            to.as_of,
        )

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
        try:
            how, by = Change(change), MatchKey(key)
        except ValueError as exc:
            raise InputError.single(
                "static", str(exc), hint="--key is contact_id, email or phone"
            ) from exc
        path = self.root / SEGMENTS_DIR / f"{name}.yaml"
        with self.store.writer():
            existing = self.load(name) if path.exists() else None
            if how is Change.CREATE and existing is not None:
                kind = "static" if existing.is_static else "dynamic"
                hint = "use duckseg static add to add members" if existing.is_static else None
                raise InputError.single(
                    self._source(path), f"segment {name} already exists ({kind})", hint=hint
                )
            if how is not Change.CREATE and (existing is None or not existing.is_static):
                raise InputError.single(
                    self._source(path),
                    f"no static segment {name}",
                    hint="create it with duckseg static create",
                )
            seg = existing or Segment.from_dict(
                {"name": name, "kind": "static"}, source=self._source(path)
            )
            rows = read_keys(Path(csv), by)
            result = match(rows, by, *self._match_table(by))
            latest = self.snapshots.latest(name)
            current = (
                set(self.snapshots.members(latest).column("contact_id").to_pylist())
                if latest
                else set()
            )
            members = apply_change(current, how, result.matched)
            table = pa.table({"contact_id": pa.array(sorted(members), self._contact_id_type())})
            if how is Change.CREATE:
                path.write_text(
                    f"kind: static\ndescription: uploaded from {Path(csv).name}\n", encoding="utf-8"
                )
            try:
                now = self.clock.now()
                note = f"-- static segment {name}: {how.value} from {Path(csv).name}"
                pending = PendingSnapshot(
                    name, "static", now, self.definition_hash(seg), note, "static", table
                )
                (info,) = self.snapshots.commit([pending], now)
            except BaseException:
                if how is Change.CREATE:
                    path.unlink(missing_ok=True)
                raise
        return StaticResult(
            self._snapshot(info, table), result.rows_read, len(result.matched), result.unmatched
        )

    def contact_id_type(self) -> pa.DataType:
        """The lake's type of contact_id (text or integer)."""
        return self._contact_id_type()

    def _contact_id_type(self) -> pa.DataType:
        con = self.connect()
        try:
            return (
                con.table("contacts")
                .select("contact_id")
                .limit(0)
                .to_arrow_table()
                .schema.field(0)
                .type
            )
        finally:
            con.close()

    def _match_table(self, key: MatchKey) -> tuple[pa.Table, str, str | None]:
        ident = self.config.identity
        column = {
            MatchKey.CONTACT_ID: "contact_id",
            MatchKey.EMAIL: ident.email,
            MatchKey.PHONE: ident.phone,
        }[key]
        con = self.connect()
        try:
            attrs = self.read_catalog(con).attributes
            if key is not MatchKey.CONTACT_ID and column not in attrs:
                raise InputError.single(
                    CONFIG_FILE,
                    f"contacts have no attribute {column} to match {key.value} on",
                    path=f"identity.{key.value}",
                )
            country = ident.country if key is MatchKey.PHONE and ident.country in attrs else None
            wanted = list(dict.fromkeys(["contact_id", column, *([country] if country else [])]))
            table = (
                con.table("contacts")
                .select(*(duckdb.ColumnExpression(c) for c in wanted))
                .to_arrow_table()
            )
        finally:
            con.close()
        return table, column, country

    def history(self, name: str) -> pl.DataFrame:
        """One row per snapshot in as_of order: count, entered, exited, and whether the definition changed."""
        rows = []
        before: SnapshotInfo | None = None
        history = self.snapshots.history(name)
        for info, (entered, exited) in zip(
            history, self.snapshots.changes_along(history), strict=True
        ):
            rows.append(
                {
                    "segment": info.segment,
                    "snapshot_id": info.snapshot_id,
                    "as_of": info.as_of,
                    "built_at": info.built_at,
                    "count": info.count,
                    "entered": entered,
                    "exited": exited,
                    "engine": info.engine,
                    "definition_hash": info.definition_hash,
                    "definition_changed": before is not None
                    and before.definition_hash != info.definition_hash,
                }
            )
            before = info
        schema = {
            "segment": pl.Utf8(),
            "snapshot_id": pl.Utf8(),
            "as_of": pl.Datetime("us", "UTC"),
            "built_at": pl.Datetime("us", "UTC"),
            "count": pl.Int64(),
            "entered": pl.Int64(),
            "exited": pl.Int64(),
            "engine": pl.Utf8(),
            "definition_hash": pl.Utf8(),
            "definition_changed": pl.Boolean(),
        }
        return pl.DataFrame(rows, schema=schema)

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
        out = []
        files = self.segment_files()
        unfiled = sorted(self.snapshots.segments() - set(files))
        for name in [*files, *unfiled]:
            path = files.get(name)
            row: dict[str, Any] = {"segment": name, "file": self._source(path) if path else None}
            current_hash: str | None = None
            if path is None:
                row.update(kind=None, owner=None, description=None)
            else:
                try:
                    seg = self.load(name)
                    row.update(kind=seg.kind, owner=seg.owner, description=seg.description)
                    current_hash = self.definition_hash(seg)
                    row["references"] = sorted(_references(seg))
                except DefinitionError as exc:
                    row.update(kind=None, owner=None, description=None, error=str(exc.problems[0]))
            history = self.snapshots.history(name)
            if path is None and history:
                row["kind"] = history[-1].kind
            latest = history[-1] if history else None
            prev = history[-2] if len(history) > 1 else None
            row.update(
                count=latest.count if latest else None,
                delta=(latest.count - prev.count) if latest and prev else None,
                built_at=latest.built_at if latest else None,
                as_of=latest.as_of if latest else None,
                definition_changed=bool(
                    latest
                    and current_hash
                    and latest.kind == "dynamic"
                    and latest.definition_hash != current_hash
                ),
            )
            out.append(row)
        return out

    def check(self, names: Sequence[str] = ()) -> list[str]:
        """Validate definitions; returns the names checked, raises DefinitionError listing every problem."""
        targets = list(names) or list(self.segment_files())
        problems: list[Problem] = []
        segs = []
        for name in targets:
            try:
                segs.append(self.load(name))
            except DefinitionError as exc:
                problems.extend(exc.problems)
        con = self.connect()
        try:
            try:
                self.resolve(segs, con)
                if not names:  # a check of the whole workspace checks every trait too
                    resolver = self.resolver(self.read_catalog(con))
                    for broken in resolver.broken_traits.values():
                        problems.extend(broken)
                    for trait in sorted(resolver.traits):
                        try:
                            resolver.resolve_trait(trait)
                        except DefinitionError as exc:
                            problems.extend(exc.problems)
            except DefinitionError as exc:
                problems.extend(exc.problems)
        finally:
            con.close()
        if problems:
            raise DefinitionError(list(dict.fromkeys(problems)))
        return targets

    def doctor(self, repair: bool = False) -> DoctorReport:
        """Check every lake, snapshot and export-state file the catalog names
        (docs/operations.md); `repair` marks lost snapshots so that builds go on."""
        return examine(self.store, repair=repair)

    def delete(self, name: str, keep_history: bool = False) -> int:
        """Remove a definition and (unless `keep_history`) its snapshots.

        History goes first and the file last, so a failure half-way leaves the definition in
        place, and deleting again finishes what an interrupted delete began.
        """
        files = self.segment_files()
        if name not in files and (keep_history or not self.snapshots.history(name)):
            raise InputError([unknown_segment(name, files)])
        with self.store.writer():
            users = [n for n in files if n != name and name in self._references_of(n)]
            if users:
                raise InputError.single(
                    self._source(files[name]) if name in files else SEGMENTS_DIR,
                    f"segment {name} is referenced by {', '.join(users)}",
                )
            removed = 0 if keep_history else self.snapshots.delete_history(name)
            if name in files:
                files[name].unlink()
            return removed

    def _references_of(self, name: str) -> set[str]:
        # A broken definition references nothing we can know of; it must not block a delete.
        try:
            return _references(self.load(name))
        except DefinitionError:
            return set()


class PartialBuildError(DefinitionError):
    """`build --all --keep-going` built the valid definitions; these were broken."""

    def __init__(self, problems: Sequence[Problem], snapshots: Sequence[Snapshot]) -> None:
        super().__init__(problems)
        self.snapshots = tuple(snapshots)


def _refuse_sample_over_data(root: Path) -> None:
    """`init --demo` lands the sample only into a workspace with no data and no segments:
    mixed into a user's lake, sample contacts and example segments cannot be told apart."""
    if not (root / CONFIG_FILE).exists():
        return
    store = Store(root)
    landed = store.live_files("contacts") + store.live_files("events")
    segments = sorted(p.name for p in (root / SEGMENTS_DIR).glob("*.y*ml"))
    if landed or segments or SnapshotStore(store).all():
        held = [
            *([f"{len(landed)} landed lake file(s)"] if landed else []),
            *([f"{len(segments)} segment definition(s)"] if segments else []),
        ]
        raise InputError.single(
            str(root),
            "already a workspace with data"
            + (f" ({', '.join(held)})" if held else " (snapshots)")
            + ": --demo would mix the sample into it; nothing was changed",
            hint="run duckseg init --demo on a new folder, or duckseg demo --dir NEW_FOLDER",
        )


def _definition_hash(
    segment: Segment, lookup: Callable[[str], Segment | None], seen: tuple[str, ...]
) -> str:
    content: dict[str, Any] = {"kind": segment.kind, "where": segment.raw.get("where")}
    refs = sorted(_references(segment))
    if refs:  # without references the hash is what it always was: old snapshots still match
        inputs: dict[str, str | None] = {}
        for name in refs:
            try:
                found = None if name in seen else lookup(name)
            except DefinitionError:
                found = None  # an unreadable input: resolving the segment reports it
            inputs[name] = (
                None if found is None else _definition_hash(found, lookup, (*seen, segment.name))
            )
        content["references"] = inputs
    canonical = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _references(seg: Segment) -> set[str]:
    return _named(seg.raw.get("where"), ("in_segment", "not_in_segment"))


def _named(where: Any, keys: Sequence[str]) -> set[str]:
    """The names a definition gives under any of `keys` (segments referenced, traits read)."""
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key in keys:
                if isinstance(value.get(key), str):
                    found.add(value[key])
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    visit(where)
    return found


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    assert row is not None
    return int(row[0])


__all__ = ["PartialBuildError", "Workspace"]
