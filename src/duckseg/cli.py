"""The `duckseg` command line: a thin typer layer over `Workspace`."""

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

from duckseg import cli_memberships
from duckseg.cli_audiences import audience_app, print_audience_report
from duckseg.errors import BadInputError, DucksegError, InputError
from duckseg.lang.time import iso
from duckseg.types import DIALECT_NAMES

if TYPE_CHECKING:
    # The engines load only when a verb needs them, so `--help` starts fast.
    from duckseg.api.workspace import Workspace

app = typer.Typer(
    help="duckseg: segments of customer data, compiled to DuckDB SQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
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
MAX_PROBLEMS_SHOWN = 50  # an error list longer than this is summarised
MAX_LINE = 2000  # characters of one message line


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


def _clean(text: str) -> str:
    """Text safe to show on a terminal; data files keep values as they are."""
    return text.translate(_UNSAFE)


def _say(console: Console, *parts: str | tuple[str, str]) -> None:
    """Print text as text: no markup, control and bidi characters shown escaped."""
    console.print(
        Text.assemble(
            *((_clean(p), "") if isinstance(p, str) else (_clean(p[0]), p[1]) for p in parts)
        )
    )


def _cells(*values: object) -> list[Text]:
    return [Text(_clean("" if v is None else str(v)).replace("\n", "\\n")) for v in values]


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=_jsonable, indent=2) + "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
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


def _open(path: Path, wait: float = 0.0) -> Workspace:
    from duckseg.api.workspace import Workspace

    ws = Workspace.open(path)
    ws.store.wait_s = wait
    return ws


def _warn_if_stale(ws: Workspace, as_of: datetime) -> None:
    warning = ws.stale_warning(as_of)
    if warning:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)


# -- verbs ------------------------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Path, typer.Argument()] = Path("."),
    demo: Annotated[
        bool, typer.Option("--demo", help="land the bundled sample and its example segments")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a workspace: duckseg.toml, segments/, traits/, lake/, state/."""
    from duckseg.api.workspace import Workspace

    ws = Workspace.init(directory, demo=demo)
    if as_json:
        _json({"workspace": str(ws.root), "segments": sorted(ws.segment_files()), "demo": demo})
        return
    _say(err, f"workspace ready at {ws.root}" + (" with the sample landed" if demo else ""))


@app.command()
def ingest(
    kind: Annotated[str, typer.Argument(help="contacts or events")],
    paths: Annotated[list[Path], typer.Argument(help="CSV, Parquet or JSON-lines files")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv|parquet|json (default: from the extension)")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="any bad row lands nothing (exit 2)")
    ] = False,
    allow_repeat: Annotated[
        bool, typer.Option("--allow-repeat", help="land files whose content has landed before")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Land contacts (upsert by contact_id) or events (append, dedupe by event_id)."""
    ws = _open(workspace, wait)
    with _progress(not as_json) as update:
        report = ws.ingest(
            kind,
            paths,
            fmt,
            strict=strict,
            allow_repeat=allow_repeat,
            progress=lambda done, total: update(f"landing {kind}", done, total),
        )
    data = {
        "landing_id": report.landing_id,
        "kind": report.kind,
        "rows_read": report.rows_read,
        "rows_landed": report.rows_landed,
        "rows_rejected": report.rows_rejected,
        "duplicates": report.duplicates,
        "contacts_created": report.contacts_created,
        "new_attributes": list(report.new_attributes),
        "rejects_path": str(report.rejects_path) if report.rejects_path else None,
        "reject_reasons": dict(report.reject_reasons),
    }
    if as_json:
        _json(data)
        return
    _say(out, f"landed {report.rows_landed:,} of {report.rows_read:,} {kind} rows")
    if report.duplicates:
        _say(out, f"skipped {report.duplicates:,} duplicate events (event_id already landed)")
    if report.contacts_created:
        _say(out, f"created {report.contacts_created:,} contacts seen only in events")
    if report.rows_rejected:
        _say(
            out,
            (f"rejected {report.rows_rejected:,} rows", "yellow"),
            f", kept with their reasons in {report.rejects_path}",
        )
        for reason, n in report.reject_reasons.items():
            _say(out, f"  {n:,} x {reason}")


@app.command()
def attributes(
    events: Annotated[
        bool, typer.Option("--events", help="event names and properties instead")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Attributes and traits (or event properties): type, fill rate, top values."""
    rows = _open(workspace).attributes(events=events)
    if as_json:
        _json(rows)
        return
    table = Table("name", "type", "filled", "top values")
    for row in rows:
        top = ", ".join(f"{t['value']} ({t['count']:,})" for t in row["top_values"])
        kind = " (trait)" if row.get("kind") == "trait" else ""
        table.add_row(*_cells(row["name"] + kind, row["type"], f"{row['fill_rate']:.0%}", top))
    out.print(table)


@app.command()
def traits(
    as_of: AsOfOpt = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="write a Parquet file: contact_id and one column per trait"),
    ] = None,
    names: Annotated[
        str | None, typer.Option("--traits", help="trait names, comma-separated (default: all)")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="contacts to print")] = 10,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Computed attributes per contact at --as-of (events after it never count)."""
    ws = _open(workspace)
    chosen = [n.strip() for n in names.split(",") if n.strip()] if names else None
    when = ws.as_of(as_of)
    values = ws.traits(as_of=when, names=chosen)
    listed = [t for t in ws.trait_list() if chosen is None or t["name"] in chosen]
    if out_file is not None:
        ws.write_traits(values, out_file)
    sample = values.head(max(limit, 0))
    if as_json:
        _json(
            {
                "as_of": when,
                "traits": listed,
                "contacts": values.height,
                "out": str(out_file) if out_file is not None else None,
                "sample": sample.to_dicts(),
            }
        )
        return
    for trait in listed:
        words = f"{trait['name']} ({trait['type']}): {trait['computes']}"
        out.print(escape(words), highlight=False)
    out.print(f"{values.height:,} contacts, as of {iso(when)}", highlight=False)
    if out_file is not None:
        out.print(f"written to {escape(str(out_file))}", highlight=False)
    if sample.height and sample.width:
        table = Table(*(escape(c) for c in sample.columns))
        for row in sample.iter_rows():
            table.add_row(*("" if v is None else escape(str(v)) for v in row))
        out.print(table)


@app.command()
def check(
    segments: Annotated[list[str] | None, typer.Argument()] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Validate definitions against the lake; every problem is listed."""
    names = _open(workspace).check(segments or [])
    if as_json:
        _json({"valid": names})
    else:
        _say(out, f"{len(names)} definition(s) valid: {', '.join(names)}")


@app.command(name="compile")
def compile_(
    segment: str,
    dialect: Annotated[str, typer.Option("--dialect", help="|".join(DIALECT_NAMES))] = "duckdb",
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Print the SQL for a segment."""
    if dialect not in DIALECT_NAMES:
        raise InputError.single(
            "--dialect",
            f"unknown dialect {dialect}",
            hint=f"choose one of {', '.join(DIALECT_NAMES)}",
        )
    ws = _open(workspace)
    sql = ws.compile(segment, dialect=dialect, as_of=as_of)
    if as_json:
        _json({"segment": segment, "dialect": dialect, "as_of": ws.as_of(as_of), "sql": sql})
        return
    sys.stdout.write(sql + "\n")


@app.command()
def preview(
    segment: Annotated[str, typer.Argument(help="segment name or a YAML file")],
    as_of: AsOfOpt = None,
    limit: Annotated[int, typer.Option("--limit")] = 10,
    against_latest: Annotated[
        bool, typer.Option("--against-latest", help="who would enter and leave")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Count and sample the members of a definition; writes nothing."""
    ws = _open(workspace)
    pv = ws.preview(segment, as_of=as_of, limit=limit, against_latest=against_latest)
    _warn_if_stale(ws, pv.as_of)
    if as_json:
        _json(pv.to_dict())
        return
    _say(out, (pv.segment, "bold"), f": {pv.count:,} contacts (as of {iso(pv.as_of)})")
    _say(out, pv.description)
    if pv.entered is not None and pv.exited is not None:
        _say(
            out,
            f"against the latest snapshot: {pv.entered.height:,} would enter, "
            f"{pv.exited.height:,} would leave",
        )
    if pv.sample.height:
        table = Table(*(escape(_clean(c)) for c in pv.sample.columns[:8]))
        for row in pv.sample.select(pv.sample.columns[:8]).iter_rows():
            table.add_row(*_cells(*row))
        out.print(table)


@app.command()
def build(
    segments: Annotated[list[str] | None, typer.Argument()] = None,
    all_: Annotated[bool, typer.Option("--all", help="every dynamic segment")] = False,
    as_of: AsOfOpt = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb|spark")] = "duckdb",
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going", help="with --all: build the valid ones, report the broken, exit 2"
        ),
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Materialise membership snapshots."""
    from duckseg.api.workspace import PartialBuildError

    ws = _open(workspace, wait)
    broken: BadInputError | None = None
    with _progress(not as_json) as update:
        if all_ or not segments:
            try:
                snaps = ws.build_all(
                    as_of=as_of, engine=engine, progress=update, keep_going=keep_going
                )
            except PartialBuildError as exc:
                snaps, broken = list(exc.snapshots), exc
        else:
            snaps = ws.build_many(segments, as_of=as_of, engine=engine, progress=update)
    if snaps:
        _warn_if_stale(ws, snaps[0].as_of)
    if as_json:
        _json([s.to_dict() for s in snaps])
    else:
        table = Table("segment", "members", "entered", "exited", "as of", "snapshot")
        _keep_whole(table, 0, [s.segment for s in snaps])
        _keep_whole(table, 5, [s.snapshot_id for s in snaps])
        for s in snaps:
            table.add_row(
                *_cells(
                    s.segment,
                    f"{s.count:,}",
                    f"{s.entered:,}",
                    f"{s.exited:,}",
                    iso(s.as_of),
                    s.snapshot_id,
                )
            )
        out.print(table)
    if broken is not None:
        raise broken


@app.command()
def refresh(
    as_of: AsOfOpt = None,
    full: Annotated[
        bool, typer.Option("--full", help="forget what earlier refreshes kept; rebuild all")
    ] = False,
    engine: Annotated[str, typer.Option("--engine", help="duckdb|spark")] = "duckdb",
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Bring every segment and audience up to as_of, rebuilding only what changed."""
    ws = _open(workspace)
    with _progress(not as_json) as update:
        result = ws.refresh(as_of=as_of, full=full, engine=engine, progress=update)
    if as_json:
        _json(result.to_dict())
        return
    table = Table("segment", "members", "entered", "exited", "action", "why", "snapshot")
    for r in result.segments:
        s = r.snapshot
        row = (s.segment, f"{s.count:,}", f"{s.entered:,}", f"{s.exited:,}", r.action.value)
        table.add_row(*(escape(v) for v in (*row, r.reason, s.snapshot_id)))
    out.print(table)
    counts = ", ".join(f"{n} {action}" for action, n in result.counts().items())
    err.print(escape(f"as of {iso(result.as_of)}: {counts}"), highlight=False)


@app.command()
def watch(
    inbox: Annotated[Path, typer.Argument(help="folder with contacts/ and events/ inside")],
    every: Annotated[str, typer.Option("--every", help="time between passes, e.g. 60s")] = "60s",
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Land new inbox files exactly once, in arrival order, then refresh; one log line a step."""
    from duckseg.api.watch import Step, Watcher, every_seconds, stop_on_signals

    seconds = every_seconds(every)
    ws = _open(workspace)

    def log(step: Step) -> None:
        line = json.dumps(step.to_dict()) if as_json else step.line()
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    with stop_on_signals() as stop:
        code = Watcher(ws, inbox.resolve(), log, stop).run(seconds, once=once)
    raise typer.Exit(code)


@app.command(name="list")
def list_(workspace: WorkspaceOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Segments with their latest count, change, build time and owner."""
    rows = _open(workspace).list_segments()
    if as_json:
        _json(rows)
        return
    table = Table("segment", "kind", "members", "delta", "as of", "built at", "owner", "note")
    _keep_whole(table, 0, [r["segment"] for r in rows])
    for r in rows:
        delta = "" if r["delta"] is None else f"{r['delta']:+,}"
        table.add_row(
            *_cells(
                r["segment"],
                r["kind"] or "broken",
                "" if r["count"] is None else f"{r['count']:,}",
                delta,
                iso(r["as_of"]) if r["as_of"] else "",
                iso(r["built_at"]) if r["built_at"] else "never",
                r["owner"] or "",
                _list_note(r),
            )
        )
    out.print(table)


def _keep_whole(table: Table, index: int, values: list[str]) -> None:
    """Names and ids are never cut to an ambiguous prefix: their column is as wide as the
    longest (other columns wrap instead) and folds only past the terminal's width."""
    column = table.columns[index]
    column.min_width = max((len(v) for v in values), default=0) or None
    column.no_wrap = True
    column.overflow = "fold"


def _list_note(row: dict[str, Any]) -> str:
    if row.get("error"):
        return str(row["error"])
    if row["file"] is None:
        return "no definition file (built from Python, or deleted with --keep-history)"
    if not row["definition_changed"]:
        return ""
    if row.get("references"):
        inputs = ", ".join(row["references"])
        return f"definition or an input ({inputs}) changed since build"
    return "definition changed since build"


@app.command()
def delete(
    segment: str,
    keep_history: Annotated[bool, typer.Option("--keep-history")] = False,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Remove a definition (and its snapshots unless --keep-history); contacts are untouched."""
    removed = _open(workspace, wait).delete(segment, keep_history=keep_history)
    if as_json:
        _json({"segment": segment, "snapshots_removed": removed})
    else:
        _say(out, f"deleted {segment}" + (f" and {removed} snapshot(s)" if removed else ""))


@app.command()
def diff(
    segment: str,
    from_: Annotated[
        str | None, typer.Option("--from", help="snapshot id (default: the one before --to)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="snapshot id (default: latest)")] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="write entered/exited rows to this CSV file")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Who entered and who exited between two snapshots."""
    result = _open(workspace).diff(segment, from_, to)
    if csv is not None:
        result.write_csv(csv)
    if as_json:
        _json(result.to_dict())
        return
    before = (
        f"{result.from_id} (as of {iso(result.from_as_of)})"
        if result.from_id and result.from_as_of
        else "nothing"
    )
    after = f"{result.to_id} (as of {iso(result.to_as_of)})" if result.to_as_of else result.to_id
    backwards = bool(result.from_as_of and result.to_as_of and result.from_as_of > result.to_as_of)
    _say(
        out,
        f"{segment}: {len(result.entered):,} entered, {len(result.exited):,} exited\n"
        f"  from {before}\n  to   {after}"
        + (
            "\n  note: --from is later than --to, so this runs backwards in time"
            if backwards
            else ""
        ),
    )
    for label, ids in (("entered", result.entered), ("exited", result.exited)):
        if ids:
            shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
            _say(out, f"  {label}: {shown}")


app.add_typer(audience_app, name="audience")

static_app = typer.Typer(
    help="Static segments: member lists from a CSV file.", no_args_is_help=True
)
app.add_typer(static_app, name="static")

CsvOpt = Annotated[Path, typer.Option("--csv", help="CSV file with a header row")]
KeyOpt = Annotated[
    str, typer.Option("--key", help="contact_id|email|phone (matched after normalisation)")
]


def _static(
    change: str, name: str, csv: Path, key: str, workspace: Path, wait: float, as_json: bool
) -> None:
    result = _open(workspace, wait).static_change(name, change, csv, key)
    if as_json:
        _json(result.to_dict())
        return
    snap = result.snapshot
    _say(
        out,
        f"{name}: {snap.count:,} members ({snap.entered:+,} entered, {snap.exited:,} exited); "
        f"{result.matched:,} contacts matched from {result.rows_read:,} rows",
    )
    if result.unmatched:
        _say(out, (f"{len(result.unmatched):,} rows matched no contact", "yellow"), ":")
        for u in result.unmatched[:50]:
            _say(out, f"  row {u.row}: {u.value!r}: {u.reason}")
        if len(result.unmatched) > 50:
            _say(out, f"  ... and {len(result.unmatched) - 50:,} more (use --json for all)")


def _static_verb(change: str, summary: str) -> None:
    """Register `duckseg static CHANGE`: the three verbs differ only in what they do to the list."""

    def verb(
        name: str,
        csv: CsvOpt,
        key: KeyOpt = "contact_id",
        workspace: WorkspaceOpt = Path("."),
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        _static(change, name, csv, key, workspace, wait, as_json)

    verb.__doc__ = summary
    static_app.command(change)(verb)


_static_verb("create", "Create a static segment whose members are the contacts the CSV names.")
_static_verb("add", "Add the contacts the CSV names.")
_static_verb("remove", "Remove the contacts the CSV names.")


@app.command()
def report(
    segments: Annotated[
        list[str] | None,
        typer.Argument(
            help="segments (latest snapshot) or NAME@SNAPSHOT_ID; none: every built one"
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="output folder (default: reports/<name or timestamp>/)"),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="report YAML: breakdowns and event metrics")
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option("--audience", help="compare this audience's arms with its holdout instead"),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Compare segments: size, overlap, breakdowns, event metrics with lift; Parquet + HTML."""
    ws = _open(workspace)
    if audience is not None:
        if segments:
            raise InputError.single("--audience", "give segments or --audience, not both")
        print_audience_report(ws.audience_report(audience, out=out_dir, config=config), as_json)
        return
    with _progress(not as_json) as update:
        result = ws.report(segments or [], out=out_dir, config=config, progress=update)
    if as_json:
        _json(result.to_dict())
        return
    table = Table("population", "members", "share", "as of", "definition")
    for row in result.to_dict()["segments"]:
        share = row["share_of_contacts"]
        table.add_row(
            *_cells(
                row["population"],
                f"{row['members']:,}",
                "" if share is None else f"{share:.1%}",
                row["as_of"] or "",
                row["definition"] or "",
            )
        )
    out.print(table)
    _say(out, f"report written to {result.path} (open {result.html_path})")


@app.command()
def export(
    segment: str,
    fmt: Annotated[str, typer.Option("--format", help="csv|parquet|meta|google|tiktok|linkedin")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="output folder (default: exports/<segment>/<format>/<snapshot_id>/)"
        ),
    ] = None,
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="snapshot id (default: the latest)")
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="csv/parquet: attributes, comma-separated (default: all)"),
    ] = None,
    changes: Annotated[
        bool,
        typer.Option(
            "--changes", help="only adds and removes since the last export to this format"
        ),
    ] = False,
    include_opted_out: Annotated[
        bool,
        typer.Option(
            "--include-opted-out", help="do not apply [consent] exclude_when to ad-platform files"
        ),
    ] = False,
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows", help="rows per ad-platform file (default: the platform's limit)"
        ),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Write a snapshot's members as csv/parquet or an ad-platform upload, with manifest.json."""
    result = _open(workspace, wait).export(
        segment,
        fmt,
        out=out_dir,
        snapshot=snapshot,
        columns=columns,
        changes=changes,
        include_opted_out=include_opted_out,
        max_rows=max_rows,
    )
    for warning in result.warnings:
        _say(err, ("warning:", "yellow"), f" {warning}")
    if as_json:
        _json(result.to_dict())
        return
    manifest = result.manifest
    what = (
        f"{manifest['adds']:,} adds and {manifest['removes']:,} removes"
        if changes
        else f"{result.rows:,} rows"
    )
    _say(
        out,
        f"{segment} -> {result.format}: {what} in {len(manifest['files'])} file(s), "
        f"snapshot {result.snapshot_id}",
    )
    skipped = ", ".join(f"{n:,} {reason}" for reason, n in result.skipped.items() if n)
    if skipped:
        _say(out, f"skipped: {skipped}")
    _say(out, f"written to {result.path}")


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="where to create the demo workspace")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The main job on the bundled sample: land, build every example segment, report, export."""
    from duckseg.api.demo import run_demo

    result = run_demo(directory, out if not as_json else None)
    if as_json:
        _json(result)


@app.command()
def doctor(
    repair: Annotated[
        bool, typer.Option("--repair", help="mark lost snapshots so that builds go on")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Verify the lake, the catalog and the snapshot files; report what is missing."""
    result = _open(workspace, wait).doctor(repair=repair)
    if as_json:
        _json(result.to_dict())
    else:
        for finding in result.findings:
            state = "repaired" if finding.repaired else "found"
            _say(out, (f"{state}: ", "yellow"), str(finding))
        _say(out, result.summary())
    if not result.healthy:
        raise typer.Exit(1)


def _error_text(exc: DucksegError) -> str:
    """The message, each line bounded and a long list of problems summarised."""
    lines = (
        [str(p) for p in exc.problems] if isinstance(exc, BadInputError) else str(exc).splitlines()
    )
    shown = [
        _clean(line if len(line) <= MAX_LINE else line[:MAX_LINE] + " ...")
        for line in lines[:MAX_PROBLEMS_SHOWN]
    ]
    if len(lines) > MAX_PROBLEMS_SHOWN:
        shown.append(f"... and {len(lines) - MAX_PROBLEMS_SHOWN:,} more problems")
    return "\n".join(shown)


cli_memberships.register(app)


def main() -> None:
    # Usage errors are typer's (exit 2); duckseg's own errors print their problems, one per line.
    try:
        app()
    except DucksegError as exc:
        sys.stderr.write(_error_text(exc) + "\n")
        sys.exit(exc.exit_code)
    except Exception as exc:  # the last line of defence: say what broke, exit 1
        text = _clean(f"unexpected failure: {type(exc).__name__}: {exc}")
        sys.stderr.write(text[:MAX_LINE] + "\n")
        sys.exit(1)
