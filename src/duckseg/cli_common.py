"""What every verb module of the command line shares: the consoles, the options that
several verbs take (one definition each), safe printing, JSON output and opening the
workspace. It imports no engine, so `duckseg --help` starts fast."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from duckseg.lang.time import iso

if TYPE_CHECKING:
    # The engines load only when a verb needs them, so `--help` starts fast.
    from duckseg.api.workspace import Workspace

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

WorkspaceOpt = Annotated[Path, typer.Option("-w", "--workspace", help="workspace folder")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="ISO date or timestamp (workspace zone if no offset)")
]
WaitOpt = Annotated[
    float,
    typer.Option("--wait", help="wait up to SECONDS for another writer to finish", min=0),
]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="snapshot id (default: the one before --to)")
]
ToOpt = Annotated[str | None, typer.Option("--to", help="snapshot id (default: latest)")]
SnapshotOpt = Annotated[
    str | None, typer.Option("--snapshot", help="snapshot id (default: the latest)")
]

# The options `export` and `audience export` share (docs/exports.md).
FormatOpt = Annotated[str, typer.Option("--format", help="csv|parquet|meta|google|tiktok|linkedin")]
ColumnsOpt = Annotated[
    str | None,
    typer.Option("--columns", help="csv/parquet: attributes, comma-separated (default: all)"),
]
ChangesOpt = Annotated[
    bool,
    typer.Option("--changes", help="only adds and removes since the last export to this format"),
]
IncludeOptedOutOpt = Annotated[
    bool,
    typer.Option(
        "--include-opted-out", help="do not apply [consent] exclude_when to ad-platform files"
    ),
]
MaxRowsOpt = Annotated[
    int | None,
    typer.Option("--max-rows", help="rows per ad-platform file (default: the platform's limit)"),
]

# Characters that would reorder or rewrite what a terminal shows (bidi overrides, escapes).
_UNSAFE = {
    cp: f"\\u{cp:04x}"
    for cp in [
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
    if chr(cp) not in "\n"
}


def clean(text: str) -> str:
    """Text safe to show on a terminal; data files keep values as they are."""
    return text.translate(_UNSAFE)


def say(console: Console, *parts: str | tuple[str, str]) -> None:
    """Print text as text: no markup, control and bidi characters shown escaped."""
    console.print(
        Text.assemble(
            *((clean(p), "") if isinstance(p, str) else (clean(p[0]), p[1]) for p in parts)
        )
    )


def cells(*values: object) -> list[Text]:
    return [Text(clean("" if v is None else str(v)).replace("\n", "\\n")) for v in values]


def print_json(value: Any) -> None:
    """One JSON document on stdout, flushed so a reader of a long-running verb sees it."""
    sys.stdout.write(json.dumps(value, default=_jsonable, indent=2) + "\n")
    sys.stdout.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    if not enabled:
        yield lambda _label, _done, _total: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def update(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        yield update


def open_workspace(path: Path, wait: float = 0.0) -> Workspace:
    from duckseg.api.workspace import Workspace

    ws = Workspace.open(path)
    ws.store.wait_s = wait
    return ws


def warn(text: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(text)}", highlight=False)


def warn_if_stale(ws: Workspace, as_of: datetime) -> None:
    warning = ws.stale_warning(as_of)
    if warning:
        warn(warning)


def keep_whole(table: Table, index: int, values: list[str]) -> None:
    """Names and ids are never cut to an ambiguous prefix: their column is as wide as the
    longest (other columns wrap instead) and folds only past the terminal's width."""
    column = table.columns[index]
    column.min_width = max((len(v) for v in values), default=0) or None
    column.no_wrap = True
    column.overflow = "fold"
