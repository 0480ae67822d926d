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
from duckseg.audiences.result import AudienceSnapshot
from duckseg.config import CONFIG_FILE
from duckseg.errors import InputError
from duckseg.lang.time import iso

DEFAULT_DIR = Path("demo-workspace")
DEMO_EXPORT = ("vip", "meta")  # segment, format: the upload file the demo writes
DEMO_AUDIENCE = "festival_push"  # data/audiences/: a split with a holdout and two agents
DEMO_MARKER = ".duckseg-demo"  # written by the demo into the folder it created


def _clear_previous_demo(root: Path) -> None:
    """Start again from nothing when `root` is an earlier demo's folder; refuse any other
    folder that holds something: the demo never deletes what it did not create."""
    if not root.exists():
        return
    if not root.is_dir():
        raise InputError.single("--dir", f"{root} exists and is not a folder")
    if (root / DEMO_MARKER).is_file():
        shutil.rmtree(root)
        return
    if any(root.iterdir()):
        what = "a duckseg workspace" if (root / CONFIG_FILE).exists() else "not empty"
        raise InputError.single(
            "--dir",
            f"{root} is {what} and was not created by duckseg demo; nothing was changed",
            hint="give --dir a new or empty folder",
        )


def run_demo(directory: Path | None = None, console: Console | None = None) -> dict[str, Any]:
    """Create a fresh workspace, land the sample, build every example segment at the sample's
    as_of, export the vip segment as a Meta upload file and write a report of them all; then
    build the example audience and show how its members are split into arms and agents."""
    root = directory or DEFAULT_DIR
    _clear_previous_demo(root)
    root.mkdir(parents=True, exist_ok=True)
    # Marked first, so that a demo that fails half-way can still be started again.
    (root / DEMO_MARKER).write_text(
        "created by duckseg demo, which may remove this folder when run again\n", encoding="utf-8"
    )
    ws = Workspace.init(root, demo=True)
    as_of = sample_as_of()
    snaps = ws.build_all(as_of=as_of)
    by_name = {row["segment"]: row for row in ws.list_segments()}
    upload = ws.export(DEMO_EXPORT[0], DEMO_EXPORT[1])
    report = ws.report()
    audience = ws.audience_build(DEMO_AUDIENCE, as_of=as_of)
    assert isinstance(audience, AudienceSnapshot)
    result: dict[str, Any] = {
        "workspace": str(ws.root),
        "as_of": iso(as_of),
        "segments": [
            {**s.to_dict(), "description": by_name[s.segment].get("description")} for s in snaps
        ],
        "export": upload.to_dict(),
        "report": str(report.html_path),
        "audience": audience.to_dict(),
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
        arms = Table(
            "arm",
            "members",
            *(escape(a) for a in audience.agents),
            title=escape(
                f"audience {audience.audience}: {audience.count:,} members as of {iso(as_of)}"
            ),
        )
        frame = audience.to_polars()
        for arm, n in audience.arms.items():
            per_agent = [
                f"{frame.filter((frame['arm'] == arm) & (frame['agent'] == a)).height:,}"
                for a in audience.agents
            ]
            arms.add_row(escape(arm), f"{n:,}", *per_agent)
        console.print(arms)
        console.print(escape(f"workspace: {ws.root}"))
    return result
