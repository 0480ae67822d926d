"""When the in-memory contact lookup loads again (docs/memberships.md, "Contact lookups").

Every request compares the `stat` of the catalog, its write-ahead log and the trait files
with the one the view was loaded under (no file is opened). When it differs, the catalog's
version is read, and only a new version is loaded again; so are trait values older than
the configured max age.

A load swaps one reference, so a request sees the old view or the new, never half of one.
Without trait files a request that finds the catalog changed waits for the load (it is
short). A load that computes trait values takes longer: where an earlier view can answer,
it runs in a thread of its own and the earlier view answers until the new one is swapped in;
if that load fails (a trait file with an error, say), the earlier view stays, and the error
is logged. A load that fails otherwise leaves every request to ws.contact, which names the
problem; the next change to the catalog or the trait files brings another try.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from duckseg.lang.traits import TRAITS_DIR, trait_files
from duckseg.serve.lookup import View, load, read_version
from duckseg.serve.traits import TraitSource
from duckseg.state.store import CATALOG_FILE, Store

# A catalog written this recently may change again without its stat changing (file times
# have a coarse clock): its version is read again until it is older than this.
RACY_NS = 1_000_000_000
LOG = logging.getLogger("duckseg.serve")

Stat = tuple[int, int, int, int] | None
Stamp = tuple[tuple[str, Stat], ...]


def _stat(path: Path | str) -> Stat:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def stamp(root: Path) -> Stamp:
    """The catalog, its write-ahead log, the traits folder and each trait file as `stat`
    sees them: cheap, opens nothing (an edit in place changes only the file's own stat)."""
    found = [
        (str(name), _stat(root / name))
        for name in (CATALOG_FILE, f"{CATALOG_FILE}.wal", TRAITS_DIR)
    ]
    if found[-1][1] is not None:
        try:
            entries = sorted(os.scandir(root / TRAITS_DIR), key=lambda e: e.name)
        except OSError:
            entries = []
        for entry in entries:
            if entry.name.endswith((".yaml", ".yml")):
                found.append((entry.name, _stat(entry.path)))
    return tuple(found)


def _newest_ns(at: Stamp) -> int:
    return max((max(s[2], s[3]) for _, s in at if s is not None), default=0)


@dataclass(frozen=True)
class _Loaded:
    stamp: Stamp
    racy: bool  # the stamp may hide a later write: read the version again
    view: View
    due: float  # time.monotonic() after which it loads again though nothing changed


class ContactLookup:
    """The current view of one workspace, reloaded when its catalog or trait files change,
    and when its trait values are older than `traits_max_age_s`."""

    def __init__(
        self,
        store: Store,
        source: TraitSource | None = None,
        traits_max_age_s: float = math.inf,
    ) -> None:
        self.store = store
        self.source = source
        self.max_age = traits_max_age_s
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._building: threading.Thread | None = None

    def fresh(self) -> View | None:
        """The view if it may answer without reading the catalog (one `stat`), else None:
        then `refresh`, which may read the catalog, is needed."""
        loaded = self._loaded
        if loaded is None:
            return None
        if self._building is not None:
            return loaded.view  # the next view is on its way; this one answers meanwhile
        if loaded.racy or time.monotonic() >= loaded.due or stamp(self.store.root) != loaded.stamp:
            return None
        return loaded.view

    def refresh(self) -> View:
        """The view of the catalog as it is now: the one held if its version is unchanged,
        else a new one, swapped in whole (the one held meanwhile, while trait values are
        computed for the new one)."""
        with self._lock:
            loaded = self._loaded
            if loaded is not None and self._building is not None:
                return loaded.view
            now = stamp(self.store.root)
            due = loaded is not None and time.monotonic() >= loaded.due
            if loaded is not None and not loaded.racy and now == loaded.stamp and not due:
                return loaded.view
            # Stamp first, then read: a write after the stamp changes the stamp again.
            racy = time.time_ns() - _newest_ns(now) < RACY_NS
            if loaded is not None and not due and self._unchanged(loaded.view):
                self._loaded = replace(loaded, stamp=now, racy=racy)
                return loaded.view
            if loaded is not None and loaded.view.servable and trait_files(self.store.root):
                self._building = threading.Thread(
                    target=self._build, args=(now, racy, loaded), name="duckseg-view", daemon=True
                )
                self._building.start()
                return loaded.view
            self._loaded = self._load(now, racy)
            return self._loaded.view

    def wait(self, timeout: float | None = None) -> View | None:
        """The view once a load in its own thread is done (None before the first load)."""
        building = self._building
        if building is not None:
            building.join(timeout)
        loaded = self._loaded
        return loaded.view if loaded is not None else None

    def _build(self, at: Stamp, racy: bool, earlier: _Loaded) -> None:
        loaded = earlier
        try:
            loaded = self._load(at, racy, earlier)
        finally:
            with self._lock:
                self._loaded = loaded
                self._building = None

    def _load(self, at: Stamp, racy: bool, earlier: _Loaded | None = None) -> _Loaded:
        """A new view; where it fails, `earlier` if given, else one that leaves lookups to
        ws.contact."""
        started = time.monotonic()
        try:
            view = load(self.store, self.source)
        except Exception as exc:
            if earlier is not None:
                # Kept whole until the workspace changes again or the max age comes round.
                LOG.warning("contact lookups keep the earlier view: %s", exc)
                return _Loaded(at, racy, earlier.view, started + self.max_age)
            # ws.contact answers meanwhile, and says what is wrong; the next change to the
            # catalog or the trait files brings another try.
            view = View(version=(), servable=False)
        due = started + self.max_age if view.traits is not None else math.inf
        return _Loaded(at, racy, view, due)

    def _unchanged(self, view: View) -> bool:
        if not (self.store.root / CATALOG_FILE).exists():
            return False
        with self.store.connect(read_only=True) as con:
            return read_version(con, self.store) == view.version
