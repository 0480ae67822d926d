"""The verbs of memberships in use: changes, deliver, contact, explain, serve
(docs/memberships.md). `duckseg.cli` registers them on its app."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from duckseg.cli_common import (
    AsOfOpt,
    JsonOpt,
    WorkspaceOpt,
    err,
    open_workspace,
    out,
    print_json,
)
from duckseg.errors import InputError
from duckseg.lang.time import iso

if TYPE_CHECKING:
    from duckseg.api.changes import FeedFormat


def changes(
    segments: Annotated[list[str] | None, typer.Argument(help="segments (default: all)")] = None,
    since: Annotated[int | None, typer.Option("--since", help="rows after this seq")] = None,
    consumer: Annotated[
        str | None,
        typer.Option("--consumer", help="rows after this consumer's cursor, which then advances"),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="at most this many rows")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl|csv|parquet, written to --out")
    ] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="file for --format")] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Change feed: who entered and exited which segment, in seq order."""
    from duckseg.api import changes as feed_changes

    chosen = _feed_format(fmt, out_file, as_json)
    ws = open_workspace(workspace)
    batch = ws.changes(since, consumer, segments or [], limit, advance=False)
    if chosen is not None and out_file is not None:
        feed_changes.write(batch, chosen, out_file)
        err.print(f"{batch.rows.num_rows:,} rows written to {escape(str(out_file))}")
    elif as_json:
        print_json(batch.to_dict())
    else:
        table = Table("seq", "segment", "contact", "change", "as of", "arm")
        for row in batch.records():
            cells = (row["seq"], row["segment"], row["contact_id"], row["change"], row["as_of"])
            table.add_row(*(escape(str(c)) for c in cells), escape(row["arm"] or ""))
        out.print(table)
        out.print(f"{batch.rows.num_rows:,} rows after seq {batch.after}")
        sys.stdout.flush()
    # The output is complete: only now does the consumer's cursor move.
    ws.acknowledge(batch)


def _feed_format(fmt: str | None, out_file: Path | None, as_json: bool) -> FeedFormat | None:
    from duckseg.api.changes import FeedFormat

    if fmt is None:
        if out_file is not None:
            raise InputError.single("--out", "--out needs --format jsonl|csv|parquet")
        return None
    try:
        chosen = FeedFormat(fmt)
    except ValueError as exc:
        raise InputError.single(
            "--format", f"unknown format {fmt!r}", hint="choose jsonl, csv or parquet"
        ) from exc
    if out_file is None:
        raise InputError.single("--format", f"--format {fmt} needs --out FILE")
    if as_json:
        raise InputError.single("--json", "give --json or --format, not both")
    return chosen


def deliver(
    consumer: Annotated[str, typer.Option("--consumer", help="the consumer whose rows to send")],
    webhook: Annotated[str, typer.Option("--webhook", help="URL to POST each batch to")],
    batch: Annotated[int, typer.Option("--batch", help="rows per request")] = 500,
    secret_env: Annotated[
        str | None,
        typer.Option("--secret-env", help="environment variable holding the HMAC secret"),
    ] = None,
    segments: Annotated[
        list[str] | None, typer.Option("--segment", help="only these segments (repeatable)")
    ] = None,
    attempts: Annotated[int, typer.Option("--attempts", help="tries per batch")] = 6,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per request")] = 10.0,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """POST a consumer's pending feed rows to a webhook in signed, idempotent batches."""
    from duckseg.api.deliver import Retry, deliver

    secret = None
    if secret_env is not None:
        value = os.environ.get(secret_env)
        if not value:
            raise InputError.single("--secret-env", f"environment variable {secret_env} is not set")
        secret = value.encode()
    if attempts < 1 or timeout <= 0:
        raise InputError.single("--attempts", "expected at least 1 attempt and a timeout above 0")
    result = deliver(
        open_workspace(workspace),
        consumer,
        webhook,
        batch_size=batch,
        secret=secret,
        segments=segments or [],
        retry=Retry(attempts=attempts, timeout=timeout),
    )
    if as_json:
        print_json(result.to_dict())
        return
    out.print(
        f"{escape(consumer)}: {result.rows:,} rows in {result.batches:,} batches delivered "
        f"({result.retries} retries); cursor at seq {result.last_seq}",
        highlight=False,
    )


def contact(
    contact_id: Annotated[str, typer.Argument(metavar="ID", help="the contact's id")],
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """One contact: attributes, traits, current segments (since when) and audiences."""
    view = open_workspace(workspace).contact(contact_id, as_of=as_of)
    if as_json:
        print_json(view.to_dict())
        return
    out.print(f"[bold]contact {escape(str(view.contact_id))}[/bold]")
    table = Table("attribute", "value")
    for name, value in {**view.attributes, **view.traits}.items():
        table.add_row(escape(name), escape("" if value is None else str(value)))
    out.print(table)
    if not view.segments:
        out.print("in no segment")
    for seg in view.segments:
        out.print(f"in [bold]{escape(seg.segment)}[/bold] since {iso(seg.since)}")
    for aud in view.audiences:
        out.print(
            f"in audience [bold]{escape(aud.audience)}[/bold]: arm {escape(str(aud.arm))}, "
            f"agent {escape(str(aud.agent))}"
        )


def explain(
    segment: Annotated[str, typer.Argument(help="segment name or a YAML file")],
    contact_id: Annotated[str, typer.Argument(metavar="ID", help="the contact's id")],
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Why a contact is or is not in a segment: each condition, its result and evidence."""
    from rich.tree import Tree

    result = open_workspace(workspace).explain(segment, contact_id, as_of=as_of)
    if as_json:
        print_json(result.to_dict())
        return

    def label(node: Any) -> str:
        mark = "[green]✓[/green]" if node.result else "[red]✗[/red]"
        facts = escape(node.facts())
        text = f"{mark} {escape(str(node.evidence['condition']))}"
        return text + (f" [dim]({facts})[/dim]" if facts else "")

    def grow(parent: Tree, node: Any) -> None:
        branch = parent.add(label(node))
        for line in node.lines():
            branch.add(f"[dim]{escape(line)}[/dim]")
        for child in node.children:
            grow(branch, child)

    verdict = "is a member" if result.result else "is not a member"
    tree = Tree(
        f"[bold]{escape(str(result.contact_id))}[/bold] {verdict} of "
        f"[bold]{escape(result.segment)}[/bold] at {iso(result.as_of)}"
    )
    grow(tree, result.tree)
    out.print(tree, soft_wrap=False)


def serve(
    host: Annotated[str, typer.Option("--host", help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port to listen on")] = 8765,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Read-only HTTP JSON API over the workspace (OpenAPI at /docs)."""
    from duckseg.serve.run import serve as run_server  # FastAPI and uvicorn load only here

    ws = open_workspace(workspace)
    url = f"http://{host}:{port}"
    if as_json:  # where it listens, once, before serving
        print_json({"workspace": str(ws.root), "url": url, "docs": url + "/docs"})
    else:
        err.print(f"serving {escape(str(ws.root))} on {escape(url)} (docs at /docs)")
    run_server(ws, ws.config, host, port)


def register(app: typer.Typer) -> None:
    app.command()(changes)
    app.command()(deliver)
    app.command()(contact)
    app.command()(explain)
    app.command()(serve)
