"""GET /contacts/{id} from memory (docs/memberships.md, "Contact lookups").

The server keeps a read-only copy of what the contact view reads: the contacts table
sorted by `contact_id`, and the member index sorted by `contact_id`, with every segment's
latest snapshot. A lookup is two binary searches and a few row conversions.

The copy is replaced when the catalog changes. Every request compares the catalog files'
`stat` with the one the copy was loaded under (no file is opened); when it differs, the
catalog's version (contacts files, latest snapshots, index state and size, trait files) is
read, and only a new version is loaded again. A load builds a whole new `View` and swaps
one reference, so a request sees the old view or the new, never half of one.

Anything the copy cannot answer exactly as `ws.contact(id)` does is left to it: an unknown
id (its did-you-mean reads every id), a workspace with traits (their values are at the
request's `as_of`, now), a segment the index has not caught up with, and an attribute
of a type whose Python value DuckDB and Arrow give differently.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from duckseg import db as database
from duckseg.db import parquet_scan
from duckseg.lang.time import iso, jsonable
from duckseg.state import member_index
from duckseg.state.store import CATALOG_FILE, Store
from duckseg.types import typed_contact_key

AUDIENCE_PREFIX = "audience:"
TRAITS_DIR = "traits"
# A catalog written this recently may change again without its stat changing (file times
# have a coarse clock): its version is read again until it is older than this.
RACY_NS = 1_000_000_000
# Attribute types whose Python values are the same through Arrow as through DuckDB's rows.
_SAME_VALUES = re.compile(
    r"(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT"
    r"|DOUBLE|VARCHAR|DATE|TIMESTAMP|TIMESTAMP WITH TIME ZONE|DECIMAL\(\d+,\d+\))(\[\])*"
)
_FILES = "SELECT path FROM lake_files WHERE kind = 'contacts' ORDER BY landing_id, path"

Stamp = tuple[tuple[int, int, int, int] | None, ...]


def stamp(root: Path) -> Stamp:
    """The catalog's files (and the traits folder) as `stat` sees them: cheap, opens nothing."""
    found: list[tuple[int, int, int, int] | None] = []
    for path in (root / CATALOG_FILE, root / f"{CATALOG_FILE}.wal", root / TRAITS_DIR):
        try:
            st = os.stat(path)
        except OSError:
            found.append(None)
            continue
        found.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(found)


def _newest_ns(at: Stamp) -> int:
    return max((max(s[2], s[3]) for s in at if s is not None), default=0)


def _has_traits(root: Path) -> bool:
    folder = root / TRAITS_DIR
    return folder.is_dir() and any(
        p.suffix in (".yaml", ".yml") and p.is_file() for p in folder.iterdir()
    )


@dataclass(frozen=True)
class View:
    """One version of the workspace, as the contact view reads it. Read-only once built."""

    version: tuple[Any, ...]
    servable: bool  # False: every lookup goes to ws.contact
    integer_ids: bool = False
    keys: Any = None  # sorted contact ids: numpy int64, or a polars Series of text
    contacts: pa.Table | None = None  # attributes, in the order of `keys`
    member_keys: pl.Series | None = None  # member-index contact ids (text), sorted
    members: pa.Table | None = None  # segment, since, arm, agent in that order
    latest: dict[str, member_index.Latest] | None = None

    def answer(self, contact_id: str, when: datetime) -> dict[str, Any] | None:
        """The contact view as `ContactView.to_dict()` gives it, or None where ws.contact must
        answer (an unknown id included: its error names the closest ids)."""
        if not self.servable or self.contacts is None:
            return None
        key = typed_contact_key(contact_id, self.integer_ids)
        if key is None:
            return None
        at = _find(self.keys, key)
        if at is None:
            return None
        record = self.contacts.slice(at, 1).to_pylist()[0]
        return {
            "contact_id": jsonable(key),
            "as_of": iso(when),
            "attributes": {k: jsonable(v) for k, v in record.items()},
            "traits": {},
            **self._memberships(str(key)),
        }

    def _memberships(self, key: str) -> dict[str, list[dict[str, Any]]]:
        segments: list[dict[str, Any]] = []
        audiences: list[dict[str, Any]] = []
        if self.member_keys is None or self.members is None or self.latest is None:
            return {"segments": segments, "audiences": audiences}
        lo = int(self.member_keys.search_sorted(key, side="left"))
        hi = int(self.member_keys.search_sorted(key, side="right"))
        rows = self.members.slice(lo, hi - lo).to_pylist() if hi > lo else []
        # The order of ws.contact: segment names sorted, then split by kind.
        for row in sorted(rows, key=lambda r: str(r["segment"])):
            name = str(row["segment"])
            info = self.latest.get(name)
            if info is None:
                continue  # rows of a segment whose snapshots are gone
            since = iso(row["since"].replace(tzinfo=UTC))
            if name.startswith(AUDIENCE_PREFIX):
                audiences.append(
                    {
                        "audience": name.removeprefix(AUDIENCE_PREFIX),
                        "arm": row["arm"],
                        "agent": row["agent"],
                        "since": since,
                    }
                )
            else:
                segments.append(
                    {
                        "segment": name,
                        "since": since,
                        "snapshot_id": info.snapshot_id,
                        "as_of": iso(info.as_of),
                    }
                )
        return {"segments": segments, "audiences": audiences}


def _find(keys: Any, key: str | int) -> int | None:
    if isinstance(keys, np.ndarray):
        if not -(2**63) <= int(key) < 2**63:
            return None
        at = int(np.searchsorted(keys, key, side="left"))
        return at if at < len(keys) and int(keys[at]) == key else None
    assert isinstance(keys, pl.Series)
    at = int(keys.search_sorted(str(key), side="left"))
    return at if at < len(keys) and keys[at] == key else None


def read_version(con: duckdb.DuckDBPyConnection, store: Store) -> tuple[Any, ...]:
    """What the contact view depends on, as a value: equal versions give equal answers."""
    files = tuple(str(r[0]) for r in con.execute(_FILES).fetchall())
    indexed = store.has_table(con, "member_index")
    latest: tuple[Any, ...] = ()
    size = 0
    if indexed:
        latest = tuple(sorted(member_index.latest(con).items()))
        size = int(con.execute("SELECT count(*) FROM member_index").fetchall()[0][0])
    return files, indexed, latest, size, _has_traits(store.root)


def load(store: Store) -> View:
    """A new view of the workspace as its catalog is now."""
    root = store.root
    if not (root / CATALOG_FILE).exists():
        return View(version=(), servable=False)
    store.read_lease()  # lake files retired while this reads them stay until it ends
    with store.connect(read_only=True) as con:
        version = read_version(con, store)
        files, indexed, _, _, traits = version
        latest = member_index.latest(con) if indexed else {}
        rows = member_index.every_row(con) if indexed else None
    if not files or traits or not all(info.indexed for info in latest.values()):
        return View(version=version, servable=False)
    paths = [root / f for f in files]
    contacts, same = _contacts(paths)
    if not same:
        return View(version=version, servable=False)
    integer = pa.types.is_integer(pq.read_schema(paths[0]).field("contact_id").type)
    contacts = contacts.take(pc.sort_indices(contacts.column("contact_id")))
    sorted_ids = contacts.column("contact_id")
    keys: Any = (
        sorted_ids.to_numpy().astype(np.int64)
        if integer
        else pl.Series(sorted_ids.cast(pa.string())).set_sorted()
    )
    member_keys, members = None, None
    if rows is not None:
        frame = pl.from_arrow(rows)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.sort("contact_id", maintain_order=True)
        member_keys = frame.get_column("contact_id").set_sorted()
        members = frame.select("segment", "since", "arm", "agent").to_arrow()
    return View(
        version=version,
        servable=True,
        integer_ids=integer,
        keys=keys,
        contacts=contacts.drop_columns(["contact_id"]),
        member_keys=member_keys,
        members=members,
        latest=latest,
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


@dataclass(frozen=True)
class _Loaded:
    stamp: Stamp
    racy: bool  # the stamp may hide a later write: read the version again
    view: View


class ContactLookup:
    """The current view of one workspace, reloaded when its catalog changes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def fresh(self) -> View | None:
        """The view if the catalog is unchanged since it was read (one `stat`), else None:
        then `refresh`, which may read the catalog, is needed."""
        loaded = self._loaded
        if loaded is None or loaded.racy or stamp(self.store.root) != loaded.stamp:
            return None
        return loaded.view

    def refresh(self) -> View:
        """The view of the catalog as it is now: the one held if its version is unchanged,
        else a new one, swapped in whole."""
        with self._lock:
            loaded = self._loaded
            now = stamp(self.store.root)
            if loaded is not None and not loaded.racy and now == loaded.stamp:
                return loaded.view
            # Stamp first, then read: a write after the stamp changes the stamp again.
            racy = time.time_ns() - _newest_ns(now) < RACY_NS
            view: View | None = None
            if loaded is not None and (self.store.root / CATALOG_FILE).exists():
                with self.store.connect(read_only=True) as con:
                    if read_version(con, self.store) == loaded.view.version:
                        view = loaded.view
            if view is None:
                view = load(self.store)
            self._loaded = _Loaded(now, racy, view)
            return view
