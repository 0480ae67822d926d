"""GET /contacts/{id} from memory (docs/memberships.md, "Contact lookups").

The server keeps a read-only copy of what the contact view reads: the contacts table
sorted by `contact_id`, and the member index sorted by `contact_id`, with every segment's
latest snapshot. A lookup is two binary searches and a few row conversions.

With trait files, the copy also holds every contact's trait values at the instant its load
began (serve/traits.py), computed again when the catalog or a trait file changes and when
they are older than `[serve] traits_max_age`.

A view is loaded again when the catalog's version changes (contacts files, latest
snapshots, index state, a hash sum of the index rows, trait files' text): serve/reload.py
decides when, and swaps whole views.

Anything the copy cannot answer exactly as `ws.contact(id)` does is left to it: an unknown
id (its did-you-mean reads every id), a segment the index has not caught up with, and an
attribute of a type whose Python value DuckDB and Arrow give differently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg import db as database
from duckseg.db import parquet_scan
from duckseg.lang.time import iso, jsonable
from duckseg.serve.columns import Column
from duckseg.serve.keys import SortedKeys
from duckseg.serve.limits import plain
from duckseg.serve.traits import TraitSource, TraitValues, fingerprint
from duckseg.state import member_index
from duckseg.state.store import CATALOG_FILE, Store
from duckseg.types import typed_contact_key

AUDIENCE_PREFIX = "audience:"
# Attribute types whose Python values are the same through Arrow as through DuckDB's rows.
_SAME_VALUES = re.compile(
    r"(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT"
    r"|DOUBLE|VARCHAR|DATE|TIMESTAMP|TIMESTAMP WITH TIME ZONE|DECIMAL\(\d+,\d+\))(\[\])*"
)
_FILES = (
    exp.select("path")
    .from_("lake_files")
    .where(exp.column("kind").eq(exp.Literal.string("contacts")))
    .order_by("landing_id", "path")
    .sql("duckdb")
)
# The index's rows as one value: a repair that rewrites them for the same snapshots shows.
_INDEX_SUM = (
    exp.select(
        exp.func("count", exp.Star()),
        exp.func("sum", exp.func("hash", *(exp.column(c) for c in member_index.INDEX_COLUMNS))),
    )
    .from_("member_index")
    .sql("duckdb")
)


@dataclass(frozen=True)
class Members:
    """The member index sorted by contact, each column a code into a short list of values
    (segments, `since` instants, arms and agents repeat across millions of rows)."""

    keys: SortedKeys
    segment: np.ndarray  # codes into `rendered`
    since: np.ndarray  # codes into `instants`
    arm: np.ndarray  # codes into `labels`, -1 for none
    agent: np.ndarray
    rendered: list[tuple[str, dict[str, Any] | None]]  # name, its segment entry less since
    instants: list[str]
    labels: list[str]

    def of(self, key: str) -> dict[str, list[dict[str, Any]]]:
        lo, hi = self.keys.span(key)
        segments: list[dict[str, Any]] = []
        audiences: list[dict[str, Any]] = []
        for row in range(lo, hi):  # sorted by segment name at load, as ws.contact lists them
            name, entry = self.rendered[self.segment[row]]
            since = self.instants[self.since[row]]
            if entry is not None:
                segments.append({"segment": name, "since": since, **entry})
            else:
                arm, agent = int(self.arm[row]), int(self.agent[row])
                audiences.append(
                    {
                        "audience": name,
                        "arm": self.labels[arm] if arm >= 0 else None,
                        "agent": self.labels[agent] if agent >= 0 else None,
                        "since": since,
                    }
                )
        return {"segments": segments, "audiences": audiences}


@dataclass(frozen=True)
class View:
    """One version of the workspace, as the contact view reads it. Read-only once built."""

    version: tuple[Any, ...]
    servable: bool  # False: every lookup goes to ws.contact
    integer_ids: bool = False
    keys: SortedKeys | None = None
    ids: pa.Array | None = None  # contact_id in the order of `keys`
    columns: tuple[Column, ...] = ()  # attributes, in the order of `keys`
    members: Members | None = None
    traits: TraitValues | None = None  # with trait files: every contact's, at their as_of

    def answer(self, contact_id: str, when: datetime) -> dict[str, Any] | None:
        """The contact view as the API writes `ContactView.to_dict()` (through `plain`), or
        None where ws.contact must answer (an unknown id too: its error names close ids)."""
        if not self.servable or self.keys is None or self.ids is None:
            return None
        key = typed_contact_key(contact_id, self.integer_ids)
        at = None if key is None else self.keys.find(key)
        if at is None:
            return None
        found = self.ids[at].as_py()
        memberships = self.members.of(str(found)) if self.members is not None else {}
        answer: dict[str, Any] = {
            "contact_id": plain(jsonable(found)),
            "as_of": iso(when),
            "attributes": {c.name: c.value(at) for c in self.columns},
            "traits": {},
        }
        if self.traits is not None:
            answer["traits"] = self.traits.of(found)
            answer["traits_as_of"] = iso(self.traits.as_of)
        answer["segments"] = memberships.get("segments", [])
        answer["audiences"] = memberships.get("audiences", [])
        return answer


def read_version(con: duckdb.DuckDBPyConnection, store: Store) -> tuple[Any, ...]:
    """What the contact view depends on, as a value: equal versions give equal answers."""
    files = tuple(str(r[0]) for r in con.execute(_FILES).fetchall())
    indexed = store.has_table(con, "member_index")
    latest: tuple[Any, ...] = ()
    rows: tuple[Any, ...] = ()
    if indexed:
        latest = tuple(sorted(member_index.latest(con).items()))
        rows = tuple(con.execute(_INDEX_SUM).fetchall()[0])
    return files, indexed, latest, rows, fingerprint(store.root)


def load(store: Store, source: TraitSource | None = None) -> View:
    """A new view of the workspace as its catalog is now; with trait files, their values at
    this instant, computed by `source` (without one, the view leaves lookups to ws.contact).
    A trait file with a problem raises its DefinitionError."""
    root = store.root
    if not (root / CATALOG_FILE).exists():
        return View(version=(), servable=False)
    store.read_lease()  # lake files retired while this reads them stay until it ends
    with store.connect(read_only=True) as con:
        version = read_version(con, store)
        files, indexed, _, _, traits = version
        latest = member_index.latest(con) if indexed else {}
        rows = member_index.every_row(con) if indexed else None
    if not files or not all(info.indexed for info in latest.values()):
        return View(version=version, servable=False)
    if traits and source is None:
        return View(version=version, servable=False)
    # First: a trait file with a problem fails the load before the contacts are read.
    values = TraitValues.compute(source) if traits and source is not None else None
    paths = [root / f for f in files]
    contacts, same = _contacts(paths)
    if not same:
        return View(version=version, servable=False)
    integer = pa.types.is_integer(pq.read_schema(paths[0]).field("contact_id").type)
    keys, order = SortedKeys.build(contacts.column("contact_id"))
    contacts = contacts.take(order).combine_chunks()
    return View(
        version=version,
        servable=True,
        integer_ids=integer,
        keys=keys,
        ids=contacts.column("contact_id").chunk(0) if len(keys) else pa.array([]),
        columns=tuple(
            Column(name, contacts.column(name).chunk(0) if len(keys) else pa.array([]))
            for name in contacts.column_names
            if name != "contact_id"
        ),
        members=_members(rows, latest) if rows is not None else None,
        traits=values,
    )


def _members(rows: pa.Table, latest: dict[str, member_index.Latest]) -> Members:
    """The index rows of segments that have a latest snapshot, by contact then segment."""
    frame = pl.from_arrow(rows)
    assert isinstance(frame, pl.DataFrame)
    frame = frame.filter(pl.col("segment").is_in(list(latest))).sort("contact_id", "segment")
    keys, order = SortedKeys.build(frame.get_column("contact_id").to_arrow())
    frame = frame[order.to_numpy()]
    names = sorted(latest)
    rendered: list[tuple[str, dict[str, Any] | None]] = [
        (name.removeprefix(AUDIENCE_PREFIX), None)
        if name.startswith(AUDIENCE_PREFIX)
        else (
            name,
            {"snapshot_id": latest[name].snapshot_id, "as_of": iso(latest[name].as_of)},
        )
        for name in names
    ]
    instants = frame.get_column("since").unique().sort()
    labels = pl.concat([frame.get_column("arm"), frame.get_column("agent")]).drop_nulls()
    labels = labels.unique().sort()

    def codes(column: str, values: pl.Series) -> np.ndarray:
        found = frame.get_column(column).replace_strict(
            values, pl.int_range(len(values), eager=True), default=-1, return_dtype=pl.Int32
        )
        return np.asarray(found.fill_null(-1).to_numpy(), dtype=np.int32)

    return Members(
        keys=keys,
        segment=codes("segment", pl.Series(names)),
        since=codes("since", instants),
        arm=codes("arm", labels),
        agent=codes("agent", labels),
        rendered=rendered,
        instants=[iso(at.replace(tzinfo=UTC)) for at in instants.to_list()],
        labels=labels.to_list(),
    )


def _contacts(paths: Sequence[Path]) -> tuple[pa.Table, bool]:
    """The contacts table as the contact view reads it, and whether every attribute's type
    converts to the same Python value through Arrow as through DuckDB's rows."""
    con = database.cursor()
    try:
        rel = con.sql(parquet_scan(paths).sql("duckdb"))
        same = all(_SAME_VALUES.fullmatch(str(t)) for t in rel.types)
        return rel.to_arrow_table(), same
    finally:
        con.close()
