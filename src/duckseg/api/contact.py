"""`duckseg contact ID` and `ws.contact(id)`: one contact's attributes, traits, the segments
it is in now with the `as_of` since which it has been in each, and its audiences
(docs/memberships.md).

Memberships come from the member index the builds keep (state/member_index.py): one
lookup, not a scan of every snapshot. A segment whose index rows are not those of its
latest snapshot (a catalog older than the index) is read from its snapshot history.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg import db as database
from duckseg.api.explain import unknown_contact
from duckseg.db import create_temp, parquet_scan
from duckseg.errors import InputError
from duckseg.lang.time import iso, jsonable
from duckseg.lang.traits import trait_files
from duckseg.state import member_index
from duckseg.state.memberships import intervals
from duckseg.state.store import CATALOG_FILE
from duckseg.types import typed_contact_key

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace

AUDIENCE_PREFIX = "audience:"
_CONTACT_FILES = (
    exp.select("path")
    .from_("lake_files")
    .where(exp.column("kind").eq(exp.Literal.string("contacts")))
    .order_by("landing_id", "path")
    .sql("duckdb")
)


@dataclass(frozen=True)
class SegmentMembership:
    segment: str
    since: datetime
    snapshot_id: str
    as_of: datetime  # the latest snapshot's

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "since": iso(self.since),
            "snapshot_id": self.snapshot_id,
            "as_of": iso(self.as_of),
        }


@dataclass(frozen=True)
class AudienceMembership:
    audience: str
    arm: str | None
    agent: str | None
    since: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "audience": self.audience,
            "arm": self.arm,
            "agent": self.agent,
            "since": iso(self.since),
        }


@dataclass(frozen=True)
class ContactView:
    contact_id: Any
    as_of: datetime
    attributes: dict[str, Any]
    segments: tuple[SegmentMembership, ...]
    audiences: tuple[AudienceMembership, ...] = ()
    traits: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "as_of": iso(self.as_of),
            "attributes": self.attributes,
            "traits": self.traits,
            "segments": [s.to_dict() for s in self.segments],
            "audiences": [a.to_dict() for a in self.audiences],
        }

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
            for k, v in {**self.attributes, **self.traits}.items()
        )
        segs = "".join(
            f"<li>{html.escape(s.segment)} since {html.escape(iso(s.since))}</li>"
            for s in self.segments
        )
        auds = "".join(
            f"<li>{html.escape(a.audience)}: arm {html.escape(str(a.arm))}, "
            f"agent {html.escape(str(a.agent))}</li>"
            for a in self.audiences
        )
        return (
            f"<div><b>contact {html.escape(str(self.contact_id))}</b>"
            f"<table>{rows}</table><p>segments</p><ul>{segs or '<li>none</li>'}</ul>"
            + (f"<p>audiences</p><ul>{auds}</ul>" if auds else "")
            + "</div>"
        )


def attributes_of(ws: Workspace, contact_id: Any, files: list[Path]) -> tuple[Any, dict[str, Any]]:
    """The contact's key as the lake types it and its attributes; exit 2 when unknown.

    Only the contacts files are bound (not the whole lake), and the id is compared as the
    lake types it, so the Parquet row groups that cannot hold it are skipped."""
    if not files:
        raise InputError.single("contact", f"unknown contact {contact_id}: no contacts landed")
    integer = pa.types.is_integer(pq.read_schema(files[0]).field("contact_id").type)
    key = typed_contact_key(str(contact_id), integer)
    con = database.cursor()
    try:
        create_temp(con, "contacts", parquet_scan(files))
        cursor = con.execute("SELECT * FROM contacts WHERE contact_id = ? LIMIT 1", [key])
        names = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall() if key is not None else []
        if not rows:
            raise unknown_contact(con, contact_id)
    finally:
        con.close()
    record = dict(zip(names, rows[0], strict=True))
    return record.pop("contact_id"), {k: jsonable(v) for k, v in record.items()}


def traits_at(ws: Workspace, key: Any, as_of: datetime) -> dict[str, Any]:
    """The contact's computed attributes at `as_of` (docs/language.md): every trait of the
    workspace, evaluated as a build at that as_of would."""
    if not trait_files(ws.root):
        return {}
    values = ws.traits(as_of=as_of)
    mine = values.filter(pl.col("contact_id") == key)
    if mine.height == 0:
        return {name: None for name in values.columns if name != "contact_id"}
    record = mine.row(0, named=True)
    return {k: jsonable(v) for k, v in record.items() if k != "contact_id"}


def contact(
    ws: Workspace, contact_id: Any, as_of: datetime | date | str | None = None
) -> ContactView:
    when = ws.as_of(as_of)
    rows: list[member_index.Membership] = []
    latest: dict[str, member_index.Latest] = {}
    if not (ws.root / CATALOG_FILE).exists():
        raise InputError.single("contact", f"unknown contact {contact_id}: no contacts landed")
    # One attachment of the catalog for the whole lookup: live files, index rows, latest.
    with ws.store.connect(read_only=True) as con:
        files = [ws.root / r[0] for r in con.execute(_CONTACT_FILES).fetchall()]
        key, attributes = attributes_of(ws, contact_id, files)
        if ws.store.has_table(con, "member_index"):
            rows, latest = member_index.read(con, str(key))
    found = {m.segment: m for m in rows}
    segments, audiences = [], []
    for name, info in sorted(latest.items()):
        row = found.get(name)
        since = row.since if row else None
        if not info.indexed:
            # The index has not caught up with this segment (a catalog older than it).
            since = _since_from_history(ws, name, str(key))
        if since is None:
            continue
        if name.startswith(AUDIENCE_PREFIX):
            audiences.append(
                AudienceMembership(
                    name.removeprefix(AUDIENCE_PREFIX),
                    row.arm if row else None,
                    row.agent if row else None,
                    since,
                )
            )
        else:
            segments.append(SegmentMembership(name, since, info.snapshot_id, info.as_of))
    return ContactView(
        jsonable(key),
        when,
        attributes,
        tuple(segments),
        tuple(audiences),
        traits_at(ws, key, when),
    )


def _since_from_history(ws: Workspace, segment: str, key: str) -> datetime | None:
    runs = intervals(ws.root, ws.snapshots.history(segment))
    mine = runs.filter((pl.col("contact_id").cast(pl.Utf8) == key) & pl.col("exited_at").is_null())
    return mine["entered_at"][0] if mine.height else None
