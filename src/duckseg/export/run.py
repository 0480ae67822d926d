"""`duckseg export`: one snapshot of a segment to csv, parquet or an ad-platform upload.

An export reads the members of a snapshot (the segment's latest by default)
and writes, into its output folder, data files and `manifest.json`:

- csv / parquet: members with their current attributes (all, or `--columns`);
- meta / google / tiktok / linkedin: the platform's upload files (normalised,
  hashed, chunked), without the contacts `[consent] exclude_when` keeps out
  unless `include_opted_out`.

The default folder is `exports/<segment>/<format>/<snapshot_id>/`
(`<snapshot_id>-changes/` for `--changes`; `-2`, `-3`, ... when that folder is
already there). Everything is written into a hidden folder beside the target
and renamed into place at the end, and the export is recorded in the catalog
last: a failed export leaves no files and no history. With `changes`, only
the difference from the last export of the segment to the same format is
written (adds and removes).

An audience snapshot (docs/audiences.md) is exported through the same path
with a `MemberFilter`: only its exported arms leave, and csv / parquet files
carry its `arm` and `agent` columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from duckseg.compiler.sqlbuild import KEY
from duckseg.config import CONFIG_FILE
from duckseg.db import create_temp, parquet_scan
from duckseg.engines.duckdb import bind_traits
from duckseg.errors import DefinitionError, DucksegError, InputError, did_you_mean
from duckseg.export import tabular, upload
from duckseg.export.consent import ConsentRule, consent_rule, exclusions_query
from duckseg.export.history import ExportRecord, last_export, record_export, state_path
from duckseg.export.platforms import PLATFORMS, get_platform
from duckseg.export.result import ExportResult
from duckseg.export.writer import MANIFEST_FILE, audience_warnings, write_manifest
from duckseg.lang.outline import describe_definition
from duckseg.lang.time import iso
from duckseg.state.snapshots import SnapshotInfo, new_snapshot_id, sql_description, storage_name
from duckseg.state.staging import StagedFolder, make_parents, sweep_hidden
from duckseg.state.store import tmp_path_for
from duckseg.types import Catalog

if TYPE_CHECKING:
    from duckseg.context import WorkspaceContext

FORMATS = (*tabular.FORMATS, *PLATFORMS)
EXPORTS_DIR = "exports"


@dataclass(frozen=True)
class MemberFilter:
    """Which rows of a snapshot file are exported, and which of its columns go with them."""

    arms: tuple[str, ...]  # rows whose `arm` is one of these
    columns: tuple[str, ...]  # snapshot columns written beside contact_id (csv / parquet)
    description: str | None  # the audience in words, for the manifest


def run_export(
    ws: WorkspaceContext,
    segment: str,
    fmt: str,
    *,
    out: str | Path | None = None,
    snapshot: str | None = None,
    columns: str | Sequence[str] | None = None,
    changes: bool = False,
    include_opted_out: bool = False,
    max_rows: int | None = None,
    member_filter: MemberFilter | None = None,
) -> ExportResult:
    """Export one snapshot of `segment` as `fmt`; see the module docstring."""
    if fmt not in FORMATS:
        hint = did_you_mean(fmt, FORMATS) or f"one of: {', '.join(FORMATS)}"
        raise InputError.single("--format", f"unknown export format {fmt!r}", hint=hint)
    requested = tabular.parse_columns(columns)
    platform = fmt in PLATFORMS
    if platform and requested is not None:
        raise InputError.single(
            "--columns",
            f"--columns applies to csv and parquet exports, not {fmt}",
            hint="an ad-platform file has the platform's own columns, read through [identity]",
        )
    if max_rows is not None and (not platform or max_rows < 1):
        raise InputError.single(
            "--max-rows",
            f"--max-rows must be a positive number of rows per {fmt} file"
            if platform
            else f"--max-rows applies to ad-platform exports, not {fmt}",
        )
    with ws.store.writer():
        info = _snapshot_info(ws, segment, snapshot)
        if info.kind == "audience" and member_filter is None:
            raise InputError.single(
                segment,
                f"{segment} is an audience snapshot: its holdout must not leave",
                hint="export it with duckseg audience export",
            )
        job = _Export(ws, info, fmt, changes, include_opted_out, max_rows, member_filter)
        return job.run(out, requested)


def _snapshot_info(ws: WorkspaceContext, segment: str, snapshot: str | None) -> SnapshotInfo:
    return ws.snapshots.require(segment, snapshot, ws.segment_files())


@dataclass
class _Export:
    ws: WorkspaceContext
    info: SnapshotInfo
    fmt: str
    changes: bool
    include_opted_out: bool
    max_rows: int | None
    member_filter: MemberFilter | None = None
    warnings: list[str] = field(default_factory=list)
    members: int = 0  # snapshot rows exported (all, or those the member filter keeps)

    def run(self, out: str | Path | None, requested: list[str] | None) -> ExportResult:
        ws, info = self.ws, self.info
        now = ws.clock.now()
        export_id = new_snapshot_id(now)
        target = _target(ws, out, info, self.fmt, self.changes)
        previous = last_export(ws.store, info.segment, self.fmt) if self.changes else None
        previous_path = ws.root / previous.state_path if previous else None
        if previous_path is not None and not previous_path.exists():
            raise DucksegError(
                f"the state of the last {self.fmt} export of {info.segment} is missing "
                f"({previous_path}); export without --changes to start again"
            )
        state_rel = state_path(storage_name(info.segment), self.fmt, export_id)
        state_final = ws.root / state_rel
        state_tmp = tmp_path_for(state_final)
        con = ws.connect()
        staging: StagedFolder | None = None
        try:
            catalog = ws.read_catalog(con)
            rule = consent_rule(ws, catalog)
            # Trait files are read only when --columns names something no attribute is.
            others = [n for n in requested or () if n != KEY and n not in catalog.attributes]
            resolver = ws.resolver(catalog) if others and self.fmt not in PLATFORMS else None
            known_traits = resolver.traits if resolver is not None else {}
            chosen = (
                None
                if self.fmt in PLATFORMS
                else tabular.choose_columns(requested, catalog.attributes, known_traits)
            )
            traits = [n for n in chosen or () if n in known_traits]
            if resolver is not None and traits:
                # Trait values at the snapshot's as_of, as its members were computed.
                resolved = [resolver.resolve_trait(n) for n in traits]
                bind_traits(con, resolved, ws.time_context(info.as_of))
            extra = self.member_filter.columns if self.member_filter else ()
            clash = [c for c in extra if chosen is not None and c in chosen]
            if clash:
                raise InputError.single(
                    "--columns",
                    f"attribute {clash[0]} clashes with the audience's {clash[0]} column",
                    hint="leave it out with --columns",
                )
            if chosen is not None and self.changes and tabular.CHANGE in chosen:
                raise InputError.single(
                    "--columns",
                    f"attribute {tabular.CHANGE} clashes with the change column of --changes",
                    hint="leave it out with --columns",
                )
            self._bind_members(con)
            matching = _bind_exclusions(con, ws, rule)
            staging = StagedFolder(target)
            staging.created += make_parents(state_final.parent)
            ws.store.journal(state_tmp, state_final)
            if chosen is not None:
                body = self._tabular(con, chosen, traits, staging.dir, state_tmp, previous_path)
            else:
                body = self._platform(con, catalog, rule, staging.dir, state_tmp, previous_path)
        except BaseException:
            con.close()
            state_tmp.unlink(missing_ok=True)
            if staging is not None:
                staging.discard()
            raise
        con.close()

        try:
            applied = self.fmt in PLATFORMS and rule.tree is not None and not self.include_opted_out
            manifest = self._manifest(export_id, now, body, rule, matching, applied, previous)
            write_manifest(staging.dir, manifest)
            state_tmp.replace(state_final)
            staging.publish()
        except BaseException:
            state_tmp.unlink(missing_ok=True)
            state_final.unlink(missing_ok=True)
            staging.discard()
            raise
        record = ExportRecord(
            export_id,
            info.segment,
            self.fmt,
            info.snapshot_id,
            now,
            _relative(ws.root, target),
            int(manifest["rows"]),
            state_rel.as_posix(),
            int(body["audience"]),
            self.changes,
            self.include_opted_out,
        )
        try:
            record_export(ws.store, record)
        except BaseException:
            state_final.unlink(missing_ok=True)
            staging.unpublish()
            raise
        staging.finish()
        return ExportResult(
            export_id,
            info.segment,
            self.fmt,
            info.snapshot_id,
            info.as_of,
            target,
            int(manifest["rows"]),
            dict(manifest["skipped"]),
            tuple(manifest["warnings"]),
            manifest,
        )

    def _bind_members(self, con: duckdb.DuckDBPyConnection) -> None:
        scan = parquet_scan([self.ws.root / self.info.path])
        if self.member_filter is not None:
            arms = [exp.Literal.string(a) for a in self.member_filter.arms]
            scan = scan.where(exp.In(this=exp.column("arm", quoted=True), expressions=arms))
        create_temp(con, upload.MEMBERS, scan)
        count = exp.select(exp.func("count", exp.Star())).from_(exp.to_table(upload.MEMBERS))
        self.members = int(con.sql(count.sql("duckdb")).fetchall()[0][0])

    # -- csv / parquet -----------------------------------------------------------
    def _tabular(
        self,
        con: duckdb.DuckDBPyConnection,
        columns: list[str],
        traits: list[str],
        folder: Path,
        state_tmp: Path,
        previous: Path | None,
    ) -> dict[str, Any]:
        info = self.info
        ids = exp.select(exp.column(KEY, quoted=True)).from_(exp.to_table(upload.MEMBERS))
        con.sql(ids.order_by(exp.column(KEY, quoted=True)).sql("duckdb")).write_parquet(
            str(state_tmp), compression="zstd"
        )
        extra = self.member_filter.columns if self.member_filter else ()
        body: dict[str, Any] = {"columns": [KEY, *extra, *columns], "audience": self.members}
        stem = _file_stem(info.segment)
        if not self.changes:
            name = f"{stem}.{self.fmt}"
            query = _with_member_columns(
                tabular.members_query(columns, traits), columns, extra, False
            )
            written = tabular.write_file(con, query, self.fmt, folder / name, self.members)
            body["files"] = [written.as_dict()]
            body["rows"] = self.members
            return body
        if previous is None:  # the first export: every member is an add
            create_temp(con, tabular.PREVIOUS, ids.where(exp.false()))
        else:
            create_temp(con, tabular.PREVIOUS, parquet_scan([previous]))
        adds, removes = tabular.change_counts(con)
        name = f"{stem}-changes.{self.fmt}"
        query = _with_member_columns(tabular.changes_query(columns, traits), columns, extra, True)
        written = tabular.write_file(con, query, self.fmt, folder / name, adds + removes)
        body["columns"] = [tabular.CHANGE, *body["columns"]]
        body["files"] = [written.as_dict()]  # its change column says add or remove
        body.update(rows=adds + removes, adds=adds, removes=removes)
        return body

    # -- ad platforms --------------------------------------------------------------
    def _platform(
        self,
        con: duckdb.DuckDBPyConnection,
        catalog: Catalog,
        rule: ConsentRule,
        folder: Path,
        state_tmp: Path,
        previous: Path | None,
    ) -> dict[str, Any]:
        spec = get_platform(self.fmt)
        identity = self.ws.config.identity
        row_limit = spec.max_rows if self.max_rows is None else self.max_rows
        stem = f"{_file_stem(self.info.segment)}-{self.fmt}"
        columns = upload.identity_columns(identity, catalog.attributes)
        for role in sorted(identity.model_fields_set):
            attribute = getattr(identity, role)
            if attribute not in catalog.attributes:
                self.warnings.append(
                    f"{CONFIG_FILE}: identity.{role} names {attribute}, which the contacts "
                    f"do not have; no {role} is exported"
                )
        exclude = rule.tree is not None and not self.include_opted_out
        query = upload.members_query(columns, exclude)
        target = upload.PartsTarget(folder, stem, row_limit, spec.max_bytes)
        headers, rows_of, audience, files = upload.write_audience(
            con, query, spec, identity, state_tmp, None if self.changes else target
        )
        unusable = sum(rows_of.skipped.values())
        if audience == 0 and unusable:
            raise self._no_identifiers(unusable, catalog)
        entries: list[dict[str, Any]] = [f.as_dict() for f in files]
        body: dict[str, Any] = {"headers": list(headers), "audience": audience}
        if self.changes:
            headers = upload.change_headers(spec, state_tmp, previous)
            counts, changed = upload.write_changes(state_tmp, previous, headers, target, spec)
            entries += changed
            body.update(headers=list(headers), adds=counts["add"], removes=counts["remove"])
        self.warnings.extend(audience_warnings(spec, audience))
        body.update(
            files=entries,
            rows=sum(int(e["rows"]) for e in entries),
            skipped=dict(sorted(rows_of.skipped.items())),
            dropped=dict(sorted(rows_of.dropped.items())),
        )
        return body

    def _no_identifiers(self, members: int, catalog: Catalog) -> InputError:
        """Not one member can be matched: an upload of headers only is a setup mistake."""
        identity = self.ws.config.identity
        looked = ", ".join(
            f"{role} (attribute {attr}"
            + ("" if attr in catalog.attributes else ", which the contacts do not have")
            + ")"
            for role, attr in identity.model_dump().items()
        )
        return InputError.single(
            CONFIG_FILE,
            f"none of the {members:,} {self.fmt} members of {self.info.segment} has a usable "
            f"identifier; looked for {looked}; nothing was written",
            path="identity",
            hint="map your contact attributes in the [identity] section of duckseg.toml",
        )

    # -- manifest ----------------------------------------------------------------------
    def _manifest(
        self,
        export_id: str,
        now: datetime,
        body: dict[str, Any],
        rule: ConsentRule,
        matching: int,
        applied: bool,
        previous: ExportRecord | None,
    ) -> dict[str, Any]:
        info, platform = self.info, self.fmt in PLATFORMS
        skipped: dict[str, int] = dict(body.get("skipped", {}))
        if platform:
            skipped["opted_out"] = matching if applied else 0
            if rule.tree is None:
                self.warnings.append(
                    "no [consent] exclude_when is set in duckseg.toml and the contacts have "
                    "no boolean opted_out attribute: no contact was excluded for consent"
                )
            elif not applied and matching:
                self.warnings.append(
                    f"--include-opted-out: {matching:,} members matching [consent] exclude_when "
                    "are in this upload"
                )
        if previous is not None and previous.include_opted_out != self.include_opted_out:
            self.warnings.append(
                f"the previous export ({previous.export_id}) was made "
                + ("with" if previous.include_opted_out else "without")
                + " --include-opted-out; adds and removes include that difference"
            )
        manifest: dict[str, Any] = {
            "segment": info.segment,
            "format": self.fmt,
            "snapshot_id": info.snapshot_id,
            "as_of": iso(info.as_of),
            "rows": body["rows"],
            "skipped": dict(sorted(skipped.items())),
            "files": body["files"],
            "export_id": export_id,
            "exported_at": iso(now),
            "description": self._description(),
            "summary": self._summary(),
            "members": self.members,
        }
        if self.member_filter is not None:
            manifest["arms"] = list(self.member_filter.arms)
        if platform:
            manifest["audience_rows"] = body["audience"]
            manifest["headers"] = body["headers"]
            manifest["dropped"] = body["dropped"]
        else:
            manifest["columns"] = body["columns"]
        manifest["changes"] = self.changes
        if self.changes:
            manifest["adds"] = body["adds"]
            manifest["removes"] = body["removes"]
            manifest["since"] = (
                None
                if previous is None
                else {
                    "export_id": previous.export_id,
                    "snapshot_id": previous.snapshot_id,
                    "exported_at": iso(previous.exported_at),
                }
            )
        manifest["consent"] = {**rule.as_dict(), "matching": matching, "applied": applied}
        manifest["warnings"] = list(self.warnings)
        return manifest

    def _description(self) -> str | None:
        """The snapshot's definition in words (as built), else the current definition's."""
        if self.member_filter is not None:
            return self.member_filter.description
        words = sql_description(self.info)
        if words is None:
            try:
                words = describe_definition(self.ws.load(self.info.segment))
            except DefinitionError:
                return None
        return words

    def _summary(self) -> str | None:
        """The definition's own `description:`, when it has one."""
        if self.member_filter is not None:
            return None
        try:
            return self.ws.load(self.info.segment).description
        except DefinitionError:
            return None


def _bind_exclusions(
    con: duckdb.DuckDBPyConnection, ws: WorkspaceContext, rule: ConsentRule
) -> int:
    """Create `consent_excluded` (contact_ids the rule excludes, evaluated now) and
    return how many snapshot members it holds."""
    create_temp(con, upload.EXCLUDED, exclusions_query(ws, rule), kind="TABLE")
    m, x = "m", "x"
    count = (
        exp.select(exp.func("count", exp.Star()))
        .from_(exp.to_table(upload.MEMBERS).as_(m))
        .join(
            exp.to_table(upload.EXCLUDED).as_(x),
            on=exp.column(KEY, table=x, quoted=True).eq(exp.column(KEY, table=m, quoted=True)),
        )
    )
    return int(con.sql(count.sql("duckdb")).fetchall()[0][0])


# -- output folder -------------------------------------------------------------------


def _target(
    ws: WorkspaceContext, out: str | Path | None, info: SnapshotInfo, fmt: str, changes: bool
) -> Path:
    """The output folder. An explicit one must be new, empty, or hold an earlier
    export and nothing else (the whole folder is then replaced); the default one is
    always new."""
    if out is None:
        base = ws.root / EXPORTS_DIR / storage_name(info.segment) / fmt
        sweep_hidden(base)
        name = info.snapshot_id + ("-changes" if changes else "")
        candidate, n = base / name, 2
        while candidate.exists():
            candidate, n = base / f"{name}-{n}", n + 1
        return candidate
    target = Path(out).resolve()
    for managed in ("lake", "state"):
        folder = (ws.root / managed).resolve()
        if target == folder or folder in target.parents:
            raise InputError.single(
                "--out",
                f"{out} is inside {managed}/, which duckseg manages",
                hint="export to a folder outside lake/ and state/ (default: exports/)",
            )
    if target.exists() and not target.is_dir():
        raise InputError.single("--out", f"{out} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not (target / MANIFEST_FILE).is_file():
            raise InputError.single(
                "--out",
                f"{out} is not empty and holds no earlier export",
                hint="choose a new or empty folder (an earlier export's folder is replaced)",
            )
        earlier = {p.name for p in _earlier_files(target)}
        foreign = sorted(p.name for p in target.iterdir() if p.name not in earlier)
        if foreign:  # the new export replaces the whole folder: nothing else may be lost
            raise InputError.single(
                "--out",
                f"{out} holds files that are not part of the earlier export: "
                + ", ".join(foreign[:5])
                + (" ..." if len(foreign) > 5 else ""),
                hint="move them, or choose a new or empty folder",
            )
    return target


def _earlier_files(folder: Path) -> list[Path]:
    """The files of the export whose manifest is in `folder`, manifest included."""
    manifest = folder / MANIFEST_FILE
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        names = [str(entry["path"]) for entry in entries]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError.single(
            str(manifest),
            "is not the manifest of an earlier export",
            hint="choose a new or empty folder for --out",
        ) from exc
    files = [folder / name for name in names if Path(name).name == name and name[:1] != "."]
    return [*files, manifest]


def _with_member_columns(
    query: exp.Select, columns: Sequence[str], extra: Sequence[str], changes: bool
) -> exp.Select:
    """`query`'s rows with `extra` columns of the snapshot file (an audience's arm and agent)
    after contact_id; a removed contact has none."""
    if not extra:
        return query
    q, s = "q", "s"
    lead = [tabular.CHANGE] if changes else []
    selected = [
        *(exp.column(c, table=q, quoted=True) for c in [*lead, KEY]),
        *(exp.column(c, table=s, quoted=True) for c in extra),
        *(exp.column(c, table=q, quoted=True) for c in columns),
    ]
    return (
        exp.select(*selected)
        .from_(query.subquery(q))
        .join(
            exp.to_table(upload.MEMBERS).as_(s),
            on=exp.column(KEY, table=s, quoted=True).eq(exp.column(KEY, table=q, quoted=True)),
            join_type="left",
        )
        .order_by(*(exp.column(c, table=q, quoted=True) for c in [*lead, KEY]))
    )


def _file_stem(owner: str) -> str:
    """A file name for a snapshot owner: `audience:NAME` -> `audience-NAME`."""
    return owner.replace(":", "-")


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
