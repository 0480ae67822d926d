"""The workspace catalog (`state/catalog.duckdb`) and the workspace lock.

Writers (ingest, build, static, delete, export) hold an exclusive lock on
`state/.lock`; a second writer fails with "workspace is busy", or waits for
it up to `wait_s` seconds (`--wait`). Every file under `lake/` and
`state/snapshots/` is written first and then registered in the catalog inside
one transaction: the registration is the commit point. Before a writer creates
(or retires) such a file it appends the path to its journal, `state/.writing`,
which it removes only when it finishes; the next writer finds a journal left
by one that died and removes the journaled files that no catalog row names
(`sweep_orphans`). Nothing else is ever removed: a file a user put there stays.

Readers see one version of the lake (docs/operations.md): a process that reads
the list of lake files first takes a shared lock on `state/.readers` and keeps
it until it ends. A lake file that a landing replaces is retired, not removed
(`retired_files`); a writer removes retired files only when it can take that
lock exclusively, when no reader is left that may still be reading them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from duckseg import db as database
from duckseg.errors import DucksegError, WorkspaceBusyError
from duckseg.resources import read_sql_file

CATALOG_FILE = Path("state") / "catalog.duckdb"
LOCK_FILE = Path("state") / ".lock"
WRITING_MARKER = Path("state") / ".writing"  # present while a writer runs, or after one died
READERS_FILE = Path("state") / ".readers"  # shared-locked by every process reading the lake
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
        self.wait_s = 0.0  # how long a writer waits for another to finish (--wait)
        self._leased = False  # holds a share of the readers lock (read_lease)

    # -- lock ---------------------------------------------------------------
    @contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the workspace's write lock (re-entrant within one Store).

        A writer that stops half-way (killed, or failing) may leave unregistered
        files; its journal `state/.writing` names every one it may have created.
        """
        if self._locked:
            yield
            return
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._lock(fd)
            self._locked = True
            marker = self.root / WRITING_MARKER
            try:
                if marker.exists():
                    self.sweep_orphans()
                marker.write_bytes(b"")
                yield
                with contextlib.suppress(DucksegError, OSError):
                    self.remove_retired()  # best effort: the next writer tries again
                marker.unlink()  # not reached when the writer fails: the next one sweeps
            finally:
                self._locked = False
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _lock(self, fd: int) -> None:
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    waited = f"waited {self.wait_s:g} s" if self.wait_s else "use --wait SECONDS"
                    raise WorkspaceBusyError(
                        f"workspace is busy: another duckseg command is writing to "
                        f"{self.root} ({waited})"
                    ) from exc
                time.sleep(0.1)

    def read_lease(self) -> None:
        """Hold the shared readers lock for as long as this Store lives (one descriptor per
        workspace and process): files retired meanwhile stay until it is let go."""
        with _attach_lock:
            if self._leased:
                return
            entry = _reader_fds.get(self.root)
            if entry is None:
                try:
                    fd = os.open(self.root / READERS_FILE, os.O_RDWR | os.O_CREAT, 0o644)
                except OSError:
                    return  # a read-only workspace: no writer can retire anything either
                fcntl.flock(fd, fcntl.LOCK_SH)
                entry = _reader_fds[self.root] = [fd, 0]
            entry[1] += 1
            self._leased = True
            weakref.finalize(self, _release_lease, self.root)

    def remove_retired(self) -> list[str]:
        """Remove retired lake files if no other process is reading the lake."""
        if not (self.root / CATALOG_FILE).exists():
            return []
        with self.connect() as con:
            if not self.has_table(con, "retired_files"):
                return []
            retired = [str(r[0]) for r in con.execute("SELECT path FROM retired_files").fetchall()]
        if not retired:
            return []
        with _attach_lock:
            entry = _reader_fds.get(self.root)
            own = entry[0] if entry is not None else None
            fd = (
                own
                if own is not None
                else os.open(self.root / READERS_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            )
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return []  # someone may still read them: a later writer removes them
                for rel in retired:
                    (self.root / rel).unlink(missing_ok=True)
            finally:
                if own is not None:
                    fcntl.flock(fd, fcntl.LOCK_SH)  # back to reading (a conversion may drop it)
                else:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
        # Outside the readers lock: a reader waiting for it may hold the catalog meanwhile.
        with self.transaction() as con:
            con.execute("DELETE FROM retired_files")
        return retired

    def journal(self, *paths: Path) -> None:
        """Record files this writer is about to create or retire, durably, before it does."""
        lines = "".join(self.relative(p) + "\n" for p in paths)
        with (self.root / WRITING_MARKER).open("a", encoding="utf-8") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())

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

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One catalog transaction. A failure says what failed (a full disk at the commit,
        say), not what a rollback of an already aborted transaction then complains of."""
        with self.connect() as con:
            con.begin()
            try:
                yield con
                con.commit()
            except BaseException as exc:
                with contextlib.suppress(duckdb.Error):  # a failed commit already ended it
                    con.rollback()
                if isinstance(exc, duckdb.Error):
                    raise DucksegError(
                        f"could not write the catalog {CATALOG_FILE.as_posix()}: {exc}; "
                        "nothing was changed"
                    ) from exc
                raise

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
        self.read_lease()
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT path FROM lake_files WHERE kind = ? ORDER BY landing_id, path", [kind]
            ).fetchall()
        missing = [r[0] for r in rows if not (self.root / r[0]).exists()]
        if missing:
            raise DucksegError(
                f"{len(missing)} lake file(s) the catalog names are missing: "
                f"{', '.join(missing[:5])}; run duckseg doctor"
            )
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
        if self.has_table(con, "retired_files"):
            rows += con.execute("SELECT path FROM retired_files").fetchall()
        if self.has_table(con, "export_state"):
            rows += con.execute("SELECT path FROM export_state").fetchall()
        return {r[0] for r in rows}

    def leftovers(self) -> list[str]:
        """Files a writer that stopped journaled, which no catalog row names (relative)."""
        marker = self.root / WRITING_MARKER
        try:
            journaled = marker.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        if not journaled or not (self.root / CATALOG_FILE).exists():
            return []
        with self.connect() as con:
            live = self.registered_paths(con)
        return [
            rel
            for rel in dict.fromkeys(journaled)
            if any(rel.startswith(folder + "/") for folder in MANAGED_DIRS)
            and ".." not in Path(rel).parts
            and rel not in live
            and (self.root / rel).is_file()
        ]

    def sweep_orphans(self) -> list[Path]:
        """Remove the files a dead writer journaled that the catalog does not name."""
        removed = []
        for rel in self.leftovers():
            (self.root / rel).unlink()
            removed.append(self.root / rel)
        return removed

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


# Catalogs attached to this process's DuckDB instance: path -> [alias, read_only, users].
_attachments: dict[Path, list[Any]] = {}
_attach_lock = threading.RLock()
# Workspace root -> this process's open descriptor of state/.readers, shared-locked.
_reader_fds: dict[Path, list[int]] = {}  # [descriptor, Stores holding it]


def _release_lease(root: Path) -> None:
    with _attach_lock:
        entry = _reader_fds.get(root)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del _reader_fds[root]
            os.close(entry[0])  # releases the shared lock


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
                if "conflicting lock" not in str(exc).lower():
                    # Not another process: a read-only file or folder, a full disk. Say so.
                    raise DucksegError(f"cannot open the catalog {path}: {exc}") from exc
                if time.monotonic() > deadline:
                    raise WorkspaceBusyError(
                        f"workspace is busy: cannot open {path}: {exc}"
                    ) from exc
                time.sleep(0.05)
    finally:
        con.close()


def tmp_path_for(final: Path) -> Path:
    """Where a file is written before it is renamed into place."""
    return final.with_name(final.name + TMP_SUFFIX)
