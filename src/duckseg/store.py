"""The workspace catalog (`state/catalog.duckdb`) and the workspace lock.

Writers (ingest, build, static, delete, export) hold an exclusive lock on
`state/.lock`; a second writer fails fast with "workspace is busy". Every file
under `lake/` and `state/snapshots/` is written first and then registered in the
catalog inside one transaction: the registration is the commit point. Files
that no catalog row names are leftovers of a crash and are removed by the next
writer (`sweep_orphans`).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from duckseg.errors import WorkspaceBusyError
from duckseg.sqlfiles import read_sql_file

CATALOG_FILE = Path("state") / "catalog.duckdb"
LOCK_FILE = Path("state") / ".lock"
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
        """Hold the workspace's write lock (re-entrant within one Store)."""
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
            try:
                self.sweep_orphans()
                yield
            finally:
                self._locked = False
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- catalog connection -------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[None]:
        """Share one catalog connection for everything done inside (re-entrant).

        A command opens the catalog a dozen times (live files, snapshots, commit);
        opening a DuckDB file costs tens of milliseconds, so a command opens it once.
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
        """A short-lived connection to the catalog (created on first use)."""
        if self._shared is not None:
            yield self._shared
            return
        path = self.root / CATALOG_FILE
        if read_only and not path.exists():
            read_only = False
        con = self._open(path, read_only)
        try:
            if not read_only and not self._schema_ready:
                con.execute(read_sql_file("catalog.sql"))
                self._schema_ready = True
            yield con
        finally:
            con.close()

    @staticmethod
    def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
        # Another process may hold the catalog file for a moment; wait briefly, then say so.
        deadline = time.monotonic() + 10.0
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise WorkspaceBusyError(
                        f"workspace is busy: cannot open {path}: {exc}"
                    ) from exc
                time.sleep(0.05)

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
            found = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'event_names'"
            ).fetchall()[0][0]
            if not found:
                return frozenset()
            return frozenset(
                str(r[0]) for r in con.execute("SELECT event FROM event_names").fetchall()
            )

    def registered_paths(self, con: duckdb.DuckDBPyConnection) -> set[str]:
        rows = con.execute(
            "SELECT path FROM lake_files UNION ALL SELECT path FROM snapshots"
        ).fetchall()
        # Export state files (a catalog opened read-only may predate the table).
        (has_exports,) = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'export_state'"
        ).fetchall()[0]
        if has_exports:
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


def tmp_path_for(final: Path) -> Path:
    """Where a file is written before it is renamed into place."""
    return final.with_name(final.name + TMP_SUFFIX)
