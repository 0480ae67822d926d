"""`duckseg demo`: the main job, end to end, on the bundled sample."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from duckseg.api.sample import sample_as_of
from duckseg.api.workspace import Workspace
from duckseg.config import CONFIG_FILE
from duckseg.lang.time import iso

DEFAULT_DIR = Path("demo-workspace")
DEMO_EXPORT = ("vip", "meta")  # segment, format: the upload file the demo writes


def run_demo(directory: Path | None = None, console: Console | None = None) -> dict[str, Any]:
    """Create a fresh workspace, land the sample, build every example segment at the sample's
    as_of, export the vip segment as a Meta upload file and write a report of them all."""
    root = directory or DEFAULT_DIR
    if root.exists() and (root / CONFIG_FILE).exists():
        shutil.rmtree(root)  # a previous demo run: start again from nothing
    ws = Workspace.init(root, demo=True)
    as_of = sample_as_of()
    snaps = ws.build_all(as_of=as_of)
    by_name = {row["segment"]: row for row in ws.list_segments()}
    upload = ws.export(DEMO_EXPORT[0], DEMO_EXPORT[1])
    report = ws.report()
    result: dict[str, Any] = {
        "workspace": str(ws.root),
        "as_of": iso(as_of),
        "segments": [
            {**s.to_dict(), "description": by_name[s.segment].get("description")} for s in snaps
        ],
        "export": upload.to_dict(),
        "report": str(report.html_path),
    }
    if console is not None:
        table = Table(
            "segment", "members", "description", title=f"duckseg demo: segments as of {iso(as_of)}"
        )
        for s in snaps:
            description = by_name[s.segment].get("description") or ""
            table.add_row(escape(s.segment), f"{s.count:,}", escape(description))
        console.print(table)
        skipped = ", ".join(f"{n:,} {reason}" for reason, n in upload.skipped.items() if n)
        # Paths and descriptions are text, not markup: "[draft]" must print as written.
        console.print(
            escape(
                f"export: {upload.segment} -> {upload.format}, {upload.rows:,} rows"
                + (f" (skipped {skipped})" if skipped else "")
                + f", in {upload.path}"
            ),
            highlight=False,
        )
        console.print(escape(f"report: {report.html_path}"), highlight=False)
        console.print(escape(f"workspace: {ws.root}"))
    return result
