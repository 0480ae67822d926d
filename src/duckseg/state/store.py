"""The workspace catalog (`state/catalog.duckdb`) and the workspace lock.

Writers (ingest, build, static, delete, export) hold an exclusive lock on
`state/.lock`; a second writer fails fast with "workspace is busy". Every file
under `lake/` and `state/snapshots/` is written first and then registered in the
catalog inside one transaction: the registration is the commit point. Files
that no catalog row names are leftovers of a crash and are removed by the next
writer (`sweep_orphans`), which knows there may be some from the marker file
`state/.writing` that a writer removes only when it finishes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from duckseg import db as database
from duckseg.errors import WorkspaceBusyError
from duckseg.resources import read_sql_file

CATALOG_FILE = Path("state") / "catalog.duckdb"
LOCK_FILE = Path("state") / ".lock"
WRITING_MARKER = Path("state") / ".writing"  # present while a writer runs, or after one died
TMP_SUFFIX = ".tmp"
# Folders whose files the catalog accounts for; anything unregistered there is a leftover.
MANAGED_DIRS = ("lake/contacts", "lake/events", "lake/rejects", "state/snapshots", "state/exports")


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "state").mkdir(parents=True, exist_ok=True)
        self._locked = False
        self._schema_ready = False  # catalog.sql has run on this Store's catalog
        self._shared: duckdb.DuckDBPyConnection | None = None  # see session()

    # -- lock ---------------------------------------------------------------
    @contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the workspace's write lock (re-entrant within one Store).

        A writer that stops half-way (killed, or failing) may leave unregistered
        files. The marker `state/.writing` exists while a writer runs, so the next
        writer knows when the walk over the managed folders is needed.
        """
        if self._locked:
            yield
            return
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise WorkspaceBusyError(
                    f"workspace is busy: another duckseg command is writing to {self.root}"
                ) from exc
            self._locked = True
            marker = self.root / WRITING_MARKER
            try:
                if marker.exists():
                    self.sweep_orphans()
                marker.touch()
                yield
                marker.unlink()  # not reached when the writer fails: the next one sweeps
            finally:
                self._locked = False
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- catalog connection -------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[None]:
        """Share one catalog connection for everything done inside (re-entrant).

        A command reads the catalog a dozen times (live files, snapshots, commit);
        inside a session they all use one attachment of the catalog file.
        """
        if self._shared is not None:
            yield
            return
        with self.connect() as con:
            self._shared = con
            try:
                yield
            finally:
                self._shared = None

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor whose default database is the catalog (created on first use).

        The catalog is ATTACHed to the process's DuckDB instance for as long as a
        connection to it is open, and DETACHed after, which releases the file to
        other processes.
        """
        if self._shared is not None:
            yield self._shared
            return
        path = self.root / CATALOG_FILE
        if read_only and not path.exists():
            read_only = False
        with _attached(path, read_only) as alias:
            con = database.cursor()
            try:
                con.execute(exp.Use(this=exp.to_table(alias)).sql("duckdb"))
                if not read_only and not self._schema_ready:
                    con.execute(read_sql_file("catalog.sql"))
                    self._schema_ready = True
                yield con
            finally:
                con.close()

    def has_table(self, con: duckdb.DuckDBPyConnection, name: str) -> bool:
        """Whether the catalog has a table (one opened read-only may predate some)."""
        if self._schema_ready:
            return True
        found = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND table_name = ?",
            [name],
        ).fetchall()[0][0]
        return bool(found)

    # -- lake file registry --------------------------------------------------
    def live_files(self, kind: str) -> list[Path]:
        """Absolute paths of the registered files of one kind, oldest landing first."""
        if not (self.root / CATALOG_FILE).exists():
            return []
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT path FROM lake_files WHERE kind = ? ORDER BY landing_id, path", [kind]
            ).fetchall()
        return [self.root / r[0] for r in rows]

    def event_names(self) -> frozenset[str]:
        """Event names recorded by landings (empty for a catalog that predates the record)."""
        if not (self.root / CATALOG_FILE).exists():
            return frozenset()
        with self.connect(read_only=True) as con:
            if not self.has_table(con, "event_names"):
                return frozenset()
            return frozenset(
                str(r[0]) for r in con.execute("SELECT event FROM event_names").fetchall()
            )

    def landings_of(self, hashes: Sequence[str]) -> dict[str, tuple[str, str, datetime]]:
        """For each SHA-256 that landed before: (landing_id, source as given, landed_at UTC),
        the earliest landing of that content."""
        if not hashes or not (self.root / CATALOG_FILE).exists():
            return {}
        with self.connect() as con:
            rows = con.execute(
                "SELECT f.sha256, arg_min(l.landing_id, l.landed_at), arg_min(f.source, l.landed_at),"
                " min(l.landed_at) FROM landed_files f JOIN landings l USING (landing_id)"
                " WHERE list_contains(?, f.sha256) GROUP BY f.sha256",
                [list(hashes)],
            ).fetchall()
        return {str(h): (str(lid), str(src), at) for h, lid, src, at in rows}

    def registered_paths(self, con: duckdb.DuckDBPyConnection) -> set[str]:
        rows = con.execute(
            "SELECT path FROM lake_files UNION ALL SELECT path FROM snapshots"
        ).fetchall()
        if self.has_table(con, "export_state"):
            rows += con.execute("SELECT path FROM export_state").fetchall()
        return {r[0] for r in rows}

    def sweep_orphans(self) -> list[Path]:
        """Remove files under the managed folders that the catalog does not name."""
        if not (self.root / CATALOG_FILE).exists():
            return []
        with self.connect() as con:
            live = self.registered_paths(con)
        removed = []
        for folder in MANAGED_DIRS:
            base = self.root / folder
            if not base.exists():
                continue
            for path in base.rglob("*"):
                if path.is_file() and path.relative_to(self.root).as_posix() not in live:
                    path.unlink()
                    removed.append(path)
        return removed

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


# Catalogs attached to this process's DuckDB instance: path -> [alias, read_only, users].
_attachments: dict[Path, list[Any]] = {}
_attach_lock = threading.Lock()
BUSY_WAIT_S = 10.0


@contextmanager
def _attached(path: Path, read_only: bool) -> Iterator[str]:
    """ATTACH the catalog file (once per process however many users), DETACH after the last."""
    with _attach_lock:
        entry = _attachments.get(path)
        if entry is not None:
            alias, attached_read_only, _ = entry
            if attached_read_only and not read_only:
                raise WorkspaceBusyError(
                    f"workspace is busy: {path} is open read-only in this process"
                )
            entry[2] += 1
        else:
            alias = "catalog_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
            _attach(path, alias, read_only)
            _attachments[path] = [alias, read_only, 1]
    try:
        yield alias
    finally:
        with _attach_lock:
            entry = _attachments[path]
            entry[2] -= 1
            if entry[2] == 0:
                del _attachments[path]
                con = database.cursor()
                try:
                    con.execute(exp.Detach(this=exp.var(alias)).sql("duckdb"))
                finally:
                    con.close()


def _attach(path: Path, alias: str, read_only: bool) -> None:
    # Another process may hold the catalog file for a moment; wait briefly, then say so.
    statement = exp.Attach(
        this=exp.alias_(exp.Literal.string(str(path)), alias),
        expressions=[exp.AttachOption(this=exp.var("READ_ONLY"))] if read_only else [],
    ).sql("duckdb")
    deadline = time.monotonic() + BUSY_WAIT_S
    con = database.cursor()
    try:
        while True:
            try:
                con.execute(statement)
                return
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise WorkspaceBusyError(
                        f"workspace is busy: cannot open {path}: {exc}"
                    ) from exc
                time.sleep(0.05)
    finally:
        con.close()


def tmp_path_for(final: Path) -> Path:
    """Where a file is written before it is renamed into place."""
    return final.with_name(final.name + TMP_SUFFIX)
