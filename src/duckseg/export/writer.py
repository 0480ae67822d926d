"""The pieces of an ad-platform upload, and the export manifest.

`PlatformRows` turns Arrow record batches of contacts (columns named as in
`[identity]`, plus `contact_id`) into the platform's rows, counting skips and
drops; `CsvParts` writes rows as CSV parts of at most the platform's row and
byte limits, `<stem>-part-0001.csv`, ... in UTF-8 with Unix line endings, each
under a temporary name renamed when complete. `duckseg export` streams its
members query through both (export/upload.py), one batch at a time.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from duckseg.config import IdentityConfig
from duckseg.export.base import PlatformSpec, Skip

CONTACT_ID = "contact_id"
MANIFEST_FILE = "manifest.json"
# docs/exports.md: these keys, in this order, open every manifest; any others follow.
MANIFEST_KEYS = ("segment", "format", "snapshot_id", "as_of", "rows", "skipped", "files")
_WRITE_BUFFER = 1 << 20


@dataclass(frozen=True)
class WrittenFile:
    path: str  # relative to the output folder, with "/" separators
    rows: int
    sha256: str  # of the file's bytes, lowercase hex

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "rows": self.rows, "sha256": self.sha256}


def audience_warnings(spec: PlatformSpec, rows: int) -> tuple[str, ...]:
    """A warning when an audience of `rows` rows is below the platform's minimum."""
    if rows >= spec.min_audience:
        return ()
    return (
        f"{spec.name}: {rows:,} rows is below the {spec.min_audience:,} a {spec.title} "
        "audience needs to be usable; the platform may refuse or never serve it",
    )


class PlatformRows:
    """Turns Arrow batches of contacts into one platform's rows, one batch at a time.

    Columns are named as in `[identity]` (plus `contact_id`); a mapped column
    missing from a batch means that identifier is absent. Contacts that get no
    row are counted in `skipped` by reason, values left out of written rows in
    `dropped`.
    """

    def __init__(
        self, spec: PlatformSpec, identity: IdentityConfig, *, prehashed: bool = False
    ) -> None:
        self.spec = spec
        self.prehashed = prehashed
        self.columns = {role: str(column) for role, column in identity.model_dump().items()}
        self.columns[CONTACT_ID] = CONTACT_ID
        self.skipped: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()

    def headers(self, names: Collection[str]) -> tuple[str, ...]:
        """The header row for input whose columns are `names`."""
        present = set(names)
        return self.spec.headers_for(
            {role for role, column in self.columns.items() if column in present}
        )

    def convert(
        self, batch: pa.RecordBatch, headers: Sequence[str]
    ) -> tuple[list[object], list[list[str]]]:
        """The contact ids and rows (values in `headers` order) of the contacts in
        `batch` that get a row."""
        ids: list[object] = []
        rows: list[list[str]] = []
        for attributes in _contacts(batch, self.columns):
            outcome = self.spec.row(attributes, prehashed=self.prehashed)
            if isinstance(outcome, Skip):
                self.skipped[outcome.reason] += 1
                continue
            self.dropped.update(outcome.dropped)
            ids.append(attributes.get(CONTACT_ID))
            rows.append([outcome.values[h] for h in headers])
        return ids, rows


def _contacts(batch: pa.RecordBatch, columns: Mapping[str, str]) -> Iterator[dict[str, object]]:
    """Each row of `batch` as {identity role: value} for the mapped columns it has."""
    names = set(batch.schema.names)
    values = {role: batch.column(col).to_pylist() for role, col in columns.items() if col in names}
    for i in range(batch.num_rows):
        yield {role: column[i] for role, column in values.items()}


class _LineSink:
    """A file-like target for `csv.writer` that keeps the one line just written."""

    def __init__(self) -> None:
        self.line = ""

    def write(self, text: str) -> int:
        self.line = text
        return len(text)


class CsvParts:
    """CSV parts of at most `max_rows` rows and `max_bytes` bytes each."""

    def __init__(
        self,
        out_dir: Path,
        stem: str,
        headers: Sequence[str],
        max_rows: int | None,
        max_bytes: int | None,
    ) -> None:
        self._dir = out_dir
        self._stem = stem
        self._max_rows = max_rows
        self._max_bytes = max_bytes
        self._sink = _LineSink()
        self._csv = csv.writer(self._sink, lineterminator="\n")
        self._header = self._encode(headers)
        self._done: list[WrittenFile] = []
        self._open()

    def _encode(self, fields: Sequence[str]) -> bytes:
        self._csv.writerow(fields)
        return self._sink.line.encode("utf-8")

    def _open(self) -> None:
        self._name = f"{self._stem}-part-{len(self._done) + 1:04d}.csv"
        self._tmp = self._dir / f".{self._name}.tmp"
        self._fh: IO[bytes] = open(self._tmp, "wb", buffering=_WRITE_BUFFER)  # noqa: SIM115
        self._hash = hashlib.sha256()
        self._rows = 0
        self._bytes = 0
        self._put(self._header)

    def _put(self, data: bytes) -> None:
        self._fh.write(data)
        self._hash.update(data)
        self._bytes += len(data)

    def write(self, fields: Sequence[str]) -> None:
        line = self._encode(fields)
        full_rows = self._max_rows is not None and self._rows >= self._max_rows
        full_bytes = (
            self._max_bytes is not None
            and self._rows > 0
            and self._bytes + len(line) > self._max_bytes
        )
        if full_rows or full_bytes:
            self._finish()
            self._open()
        self._put(line)
        self._rows += 1

    def _finish(self) -> None:
        self._fh.close()
        os.replace(self._tmp, self._dir / self._name)
        self._done.append(WrittenFile(self._name, self._rows, self._hash.hexdigest()))

    def write_many(self, rows: Iterable[Sequence[str]]) -> None:
        for fields in rows:
            self.write(fields)

    def close(self) -> tuple[WrittenFile, ...]:
        self._finish()
        return tuple(self._done)

    def discard(self) -> None:
        """Remove everything written so far (after a failure)."""
        self._fh.close()
        self._tmp.unlink(missing_ok=True)
        for written in self._done:
            (self._dir / written.path).unlink(missing_ok=True)


# --------------------------------------------------------------------- manifest


def write_manifest(out_dir: Path, manifest: Mapping[str, Any]) -> Path:
    """Write `manifest.json`: the docs/exports.md keys first, in their order, then any
    others. Dates and timestamps are written in ISO 8601."""
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        raise ValueError(f"manifest lacks {', '.join(missing)}")
    for entry in manifest["files"]:
        if not {"path", "rows", "sha256"} <= set(entry):
            raise ValueError(f"manifest file entry needs path, rows and sha256: {entry!r}")
    ordered = {key: manifest[key] for key in MANIFEST_KEYS}
    ordered.update((key, value) for key, value in manifest.items() if key not in ordered)
    text = json.dumps(ordered, indent=2, ensure_ascii=False, default=_json_value) + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MANIFEST_FILE
    tmp = out_dir / f".{MANIFEST_FILE}.tmp"
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)
    return path


def _json_value(value: object) -> str:
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    raise TypeError(f"cannot write {type(value).__name__} to a manifest")
