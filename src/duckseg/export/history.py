"""Export history: which rows each export sent, so `--changes` can send only the difference.

Every export (full or changes) records one row in the catalog's `exports`
table and one in `export_state`, naming a Parquet file under `state/exports/`
that holds the audience as exported: for ad-platform formats `contact_id` and
the upload columns exactly as written (already hashed), for csv / parquet the
member `contact_id`s. The file is written first and registered in one catalog
transaction with the export; an unregistered file is a leftover that the next
writer sweeps away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlglot import exp

from duckseg.state.store import CATALOG_FILE, Store

STATE_DIR = Path("state") / "exports"

_EXPORT_COLUMNS = (
    "export_id",
    "segment",
    "format",
    "snapshot_id",
    "exported_at",
    "out_dir",
    "rows",
)
_STATE_COLUMNS = (
    "export_id",
    "segment",
    "format",
    "path",
    "rows",
    "changes",
    "include_opted_out",
    "seq",
)


def _insert(table: str, columns: tuple[str, ...]) -> str:
    values = exp.values([tuple(exp.Placeholder() for _ in columns)])
    return exp.insert(values, table, columns=list(columns)).sql("duckdb")


_INSERT_EXPORT = _insert("exports", _EXPORT_COLUMNS)
_INSERT_STATE = _insert("export_state", _STATE_COLUMNS)
_NEXT_SEQ = (
    exp.select(exp.func("COALESCE", exp.func("MAX", exp.column("seq")), exp.Literal.number(0)) + 1)
    .from_("export_state")
    .sql("duckdb")
)


@dataclass(frozen=True)
class ExportRecord:
    """One past export and the audience it sent."""

    export_id: str
    segment: str
    format: str
    snapshot_id: str
    exported_at: datetime  # aware UTC
    out_dir: str  # as written: absolute, or relative to the workspace root
    rows: int  # rows in the export's files
    state_path: str  # Parquet of the audience as exported, relative to the root
    audience: int  # rows in that Parquet file
    changes: bool
    include_opted_out: bool


def state_path(segment: str, fmt: str, export_id: str) -> Path:
    """Where an export's audience file lives, relative to the workspace root."""
    return STATE_DIR / segment / fmt / f"{export_id}.parquet"


def last_export(store: Store, segment: str, fmt: str) -> ExportRecord | None:
    """The most recent export of `segment` to `fmt`, or None."""
    if not (store.root / CATALOG_FILE).exists():
        return None
    e, s = "e", "s"
    query = (
        exp.select(
            *(exp.column(c, table=e) for c in _EXPORT_COLUMNS),
            exp.column("path", table=s),
            exp.column("rows", table=s),
            exp.column("changes", table=s),
            exp.column("include_opted_out", table=s),
        )
        .from_(exp.to_table("exports").as_(e))
        .join(
            exp.to_table("export_state").as_(s),
            on=exp.column("export_id", table=s).eq(exp.column("export_id", table=e)),
        )
        .where(
            exp.and_(
                exp.column("segment", table=e).eq(exp.Literal.string(segment)),
                exp.column("format", table=e).eq(exp.Literal.string(fmt)),
            )
        )
        .order_by(exp.column("seq", table=s).desc())
        .limit(1)
    )
    with store.connect() as con:
        rows = con.execute(query.sql("duckdb")).fetchall()
    if not rows:
        return None
    eid, seg, form, sid, at, out, nrows, path, audience, changes, opted = rows[0]
    assert isinstance(at, datetime)
    return ExportRecord(
        str(eid),
        str(seg),
        str(form),
        str(sid),
        at.replace(tzinfo=UTC),
        str(out),
        int(nrows),
        str(path),
        int(audience),
        bool(changes),
        bool(opted),
    )


def record_export(store: Store, record: ExportRecord) -> None:
    """Register an export and its audience file in one catalog transaction."""
    exported_at = record.exported_at.astimezone(UTC).replace(tzinfo=None)
    with store.transaction() as con:
        (seq,) = con.execute(_NEXT_SEQ).fetchall()[0]
        con.execute(
            _INSERT_EXPORT,
            [
                record.export_id,
                record.segment,
                record.format,
                record.snapshot_id,
                exported_at,
                record.out_dir,
                record.rows,
            ],
        )
        con.execute(
            _INSERT_STATE,
            [
                record.export_id,
                record.segment,
                record.format,
                record.state_path,
                record.audience,
                record.changes,
                record.include_opted_out,
                seq,
            ],
        )
