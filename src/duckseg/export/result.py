"""What an export returns: where it wrote, how many rows, and its manifest."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from duckseg.export.writer import MANIFEST_FILE


@dataclass(frozen=True)
class ExportResult:
    """One export: its folder, data files and manifest (`manifest.json` in `path`)."""

    export_id: str
    segment: str
    format: str
    snapshot_id: str
    as_of: datetime
    path: Path  # the output folder
    rows: int  # rows in the data files, all files together
    skipped: Mapping[str, int]
    warnings: tuple[str, ...]
    manifest: Mapping[str, Any] = field(repr=False)

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST_FILE

    @property
    def files(self) -> list[Path]:
        """The data files, in manifest order."""
        return [self.path / entry["path"] for entry in self.manifest["files"]]

    def to_dict(self) -> dict[str, Any]:
        """The manifest plus the output folder (`path`)."""
        return {**self.manifest, "path": str(self.path)}

    def _repr_html_(self) -> str:
        skipped = ", ".join(f"{n:,} {reason}" for reason, n in self.skipped.items() if n)
        rows = "".join(
            f"<tr><td>{html.escape(str(e['path']))}</td><td>{e['rows']:,}</td>"
            f"<td>{html.escape(str(e.get('change', '')))}</td></tr>"
            for e in self.manifest["files"]
        )
        warnings = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return (
            f"<h4>{html.escape(self.segment)} &rarr; {html.escape(self.format)}</h4>"
            f"<p>{self.rows:,} rows from snapshot {html.escape(self.snapshot_id)}"
            + (f"; skipped {html.escape(skipped)}" if skipped else "")
            + f"</p><p><small>{html.escape(str(self.path))}</small></p>"
            + f"<table><tr><th>file</th><th>rows</th><th>change</th></tr>{rows}</table>"
            + (f"<ul>{warnings}</ul>" if warnings else "")
        )
