"""`duckseg doctor`: check that every file the catalog names is there and readable.

The catalog is the source of truth for the lake, the snapshots and the export
state; a file deleted or damaged behind duckseg's back makes the commands that
read it fail. Doctor lists every such file (docs/operations.md). With `repair`
it moves lost snapshots out of the history into `lost_snapshots`, so builds,
diffs and exports go on from the snapshots that remain; lost lake files cannot
be rebuilt and are only reported (land the data again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from duckseg.state.store import CATALOG_FILE, Store


@dataclass(frozen=True)
class Finding:
    kind: str  # lake_file | snapshot | export_state | leftover
    path: str  # relative to the workspace root
    detail: str
    repaired: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "detail": self.detail,
            "repaired": self.repaired,
        }


@dataclass
class DoctorReport:
    checked: dict[str, int] = field(default_factory=dict)  # files checked, by kind
    findings: list[Finding] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(f.repaired for f in self.findings)

    def summary(self) -> str:
        counted = ", ".join(
            f"{n:,} {kind.replace('_', ' ')} file(s)" for kind, n in self.checked.items()
        )
        if not self.findings:
            return f"ok: checked {counted or 'nothing (no catalog yet)'}"
        left = sum(not f.repaired for f in self.findings)
        return f"checked {counted}: {len(self.findings)} problem(s), {left} not repaired" + (
            " (duckseg doctor --repair marks lost snapshots)" if left else ""
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "checked": dict(self.checked),
            "findings": [f.to_dict() for f in self.findings],
        }


def _problem(path: Path) -> str | None:
    """Why a Parquet file cannot be used, or None when it can."""
    if not path.exists():
        return "missing"
    try:
        pq.read_metadata(path)
    except (OSError, ValueError) as exc:
        return f"unreadable: {exc}"
    return None


def examine(store: Store, repair: bool = False) -> DoctorReport:
    """Check every file the catalog names; with `repair`, mark lost snapshots."""
    report = DoctorReport()
    if not (store.root / CATALOG_FILE).exists():
        return report
    with store.connect() as con:
        tables = {
            "lake_file": "SELECT path FROM lake_files ORDER BY path",
            "snapshot": "SELECT path FROM snapshots ORDER BY path",
            "export_state": "SELECT path FROM export_state ORDER BY path",
        }
        for kind, query in tables.items():
            paths = [str(r[0]) for r in con.execute(query).fetchall()]
            report.checked[kind] = len(paths)
            for rel in paths:
                why = _problem(store.root / rel)
                if why is not None:
                    report.findings.append(Finding(kind, rel, why))
    for rel in store.leftovers():
        report.findings.append(
            Finding("leftover", rel, "left by a writer that stopped half-way; not in use")
        )
    if repair and report.findings:
        report.findings = _repair(store, report.findings)
    return report


def _repair(store: Store, findings: list[Finding]) -> list[Finding]:
    lost = [f.path for f in findings if f.kind == "snapshot"]
    with store.writer():  # also sweeps what an interrupted writer left
        if lost:
            now = datetime.now(UTC).replace(tzinfo=None)
            with store.transaction() as con:
                for rel in lost:
                    con.execute(
                        "INSERT OR IGNORE INTO lost_snapshots "
                        "SELECT snapshot_id, segment, as_of, path, ? FROM snapshots "
                        "WHERE path = ?",
                        [now, rel],
                    )
                    con.execute("DELETE FROM snapshots WHERE path = ?", [rel])
    fixed = {"snapshot", "leftover"}
    return [
        Finding(f.kind, f.path, f.detail + (" (marked lost)" if f.kind == "snapshot" else ""), True)
        if f.kind in fixed
        else f
        for f in findings
    ]
