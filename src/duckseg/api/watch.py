"""`duckseg watch INBOX`: land each new inbox file exactly once, then refresh (docs/refresh.md).

Files wait in `INBOX/contacts/` and `INBOX/events/`; each pass takes them in arrival
order (modification time, then name), lands each in its own landing, moves it to
`INBOX/landed/<kind>/` (or `INBOX/failed/<kind>/` with a `.reason` file beside it), then
refreshes every segment. The landing records the file's name and SHA-256 in the same
catalog transaction, so a watcher killed between landing and moving finds the record on
restart and only moves the file.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from duckseg.api.refresh import refresh
from duckseg.errors import BadInputError, InputError, WorkspaceBusyError
from duckseg.ingest.land import land
from duckseg.lang.time import Unit, iso, parse_duration
from duckseg.state import inbox as records

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace

KINDS = ("contacts", "events")
LANDED_DIR = "landed"
FAILED_DIR = "failed"
# Names a producer uses while it is still writing (write, then rename into place).
UNFINISHED_SUFFIXES = (".tmp", ".part", ".partial")
_SECONDS = {Unit.SECOND: 1, Unit.MINUTE: 60, Unit.HOUR: 3600, Unit.DAY: 86400, Unit.WEEK: 604800}


@dataclass(frozen=True)
class Step:
    """One thing the watcher did, logged as one line."""

    step: str  # started | landed | moved | failed | busy | refreshed | refresh_failed | stopped
    file: str | None = None  # contacts/NAME or events/NAME inside the inbox
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, Any]:
        head: dict[str, Any] = {"at": iso(self.at), "step": self.step}
        if self.file is not None:
            head["file"] = self.file
        return {**head, **self.detail}

    def line(self) -> str:
        words = [iso(self.at), self.step, *([self.file] if self.file else [])]
        words += [f"{k}={v}" for k, v in self.detail.items()]
        return " ".join(str(w) for w in words)


Log = Callable[[Step], None]


def every_seconds(text: str) -> float:
    """`--every 60s` as seconds; fixed units only (s m h d w)."""
    try:
        duration = parse_duration(text)
    except ValueError as exc:
        raise InputError.single("--every", str(exc)) from exc
    if duration.unit not in _SECONDS:
        raise InputError.single("--every", f"use a fixed unit (s m h d w), got {text!r}")
    return float(duration.amount * _SECONDS[duration.unit])


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT and SIGTERM set the returned event instead of interrupting the current step."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


class Watcher:
    def __init__(
        self, ws: Workspace, inbox: Path, log: Log, stop: threading.Event | None = None
    ) -> None:
        self.ws, self.inbox, self.log = ws, inbox, log
        self.stop = stop or threading.Event()

    def run(self, every: float, once: bool = False) -> int:
        """Pass after pass until stopped (or one pass); the exit code: 2 when a `--once`
        pass could not refresh because of a bad definition, else 0."""
        for kind in KINDS:
            (self.inbox / kind).mkdir(parents=True, exist_ok=True)
        records.prepare(self.ws.store)
        self.log(Step("started", detail={"inbox": str(self.inbox), "every_s": every}))
        ok = True
        while not self.stop.is_set():
            ok = self.run_pass()
            if once:
                break
            self._sleep(every)
        self.log(Step("stopped"))
        return 0 if ok or not once else 2

    def _sleep(self, seconds: float) -> None:
        # Short naps, not Event.wait: the signal handler then only ever sets a flag.
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0.0)))

    def run_pass(self) -> bool:
        """Land what is waiting, then refresh; False when the refresh met a bad definition."""
        for kind, path in self.pending():
            if self.stop.is_set():
                return True
            if not self.take(kind, path):
                break  # the workspace is busy: try again next pass
        if self.stop.is_set():
            return True
        return self.refresh()

    def pending(self) -> list[tuple[str, Path]]:
        """Waiting files of both kinds in arrival order: modification time, then name."""
        found = []
        for kind in KINDS:
            folder = self.inbox / kind
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                name = path.name
                if name.startswith(".") or name.endswith(UNFINISHED_SUFFIXES):
                    continue
                if path.is_file():
                    found.append((path.stat().st_mtime_ns, f"{kind}/{name}", kind, path))
        return [(kind, path) for _, _, kind, path in sorted(found)]

    def take(self, kind: str, path: Path) -> bool:
        """Land one file (or move it, when it already landed); False if the workspace is busy."""
        name = f"{kind}/{path.name}"
        try:
            digest = _sha256(path)
        except FileNotFoundError:
            return True  # taken away by its producer since the listing: nothing to do
        earlier = records.landed_as(self.ws.store, name, digest)
        if earlier is not None:
            where = self._move(path, LANDED_DIR, kind, digest)
            self.log(Step("moved", name, {"landing": earlier, "to": where, "already": True}))
            return True
        try:
            report = land(self.ws.store, kind, [path], on_commit=records.recorder(name, digest))
        except WorkspaceBusyError as exc:
            self.log(Step("busy", name, {"error": str(exc)}))
            return False
        except BadInputError as exc:
            where = self._move(path, FAILED_DIR, kind, digest, reason=str(exc))
            self.log(Step("failed", name, {"to": where, "error": str(exc)}))
            return True
        where = self._move(path, LANDED_DIR, kind, digest)
        detail = {
            "landing": report.landing_id,
            "rows": report.rows_read,
            "landed": report.rows_landed,
            "rejected": report.rows_rejected,
            "duplicates": report.duplicates,
            "to": where,
        }
        self.log(Step("landed", name, detail))
        return True

    def refresh(self) -> bool:
        started = time.monotonic()
        try:
            result = refresh(self.ws)
        except WorkspaceBusyError as exc:
            self.log(Step("busy", detail={"error": str(exc)}))
            return True
        except BadInputError as exc:
            self.log(Step("refresh_failed", detail={"error": str(exc)}))
            return False
        detail: dict[str, Any] = {"as_of": iso(result.as_of), **result.counts()}
        detail["audiences"] = len(result.audiences)
        detail["seconds"] = round(time.monotonic() - started, 3)
        self.log(Step("refreshed", detail=detail))
        return True

    def _move(
        self, path: Path, folder: str, kind: str, digest: str, reason: str | None = None
    ) -> str:
        """Move an inbox file out of the way (never over another); where it went."""
        target_dir = self.inbox / folder / kind
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / path.name
        if target.exists():
            target = target_dir / f"{path.stem}-{digest[:12]}{path.suffix}"
            n = 1
            while target.exists():
                target = target_dir / f"{path.stem}-{digest[:12]}-{n}{path.suffix}"
                n += 1
        if reason is not None:
            note = target.with_name(target.name + ".reason")
            tmp = note.with_name(note.name + ".tmp")
            tmp.write_text(reason + "\n", encoding="utf-8")
            os.replace(tmp, note)
        os.replace(path, target)
        return target.relative_to(self.inbox).as_posix()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
