"""The `duckseg` command line: a thin typer layer over `Workspace`.

The verbs live in one module per family (cli_data, cli_segments, cli_outputs,
cli_memberships, cli_audiences); this module holds the app, registers them in the order
`duckseg --help` lists them, and turns duckseg's errors into messages and exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer

from duckseg import cli_data, cli_memberships, cli_outputs, cli_segments
from duckseg.cli_audiences import audience_app
from duckseg.cli_common import clean
from duckseg.errors import BadInputError, DucksegError

app = typer.Typer(
    help="duckseg: segments of customer data, compiled to DuckDB SQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

MAX_PROBLEMS_SHOWN = 50  # an error list longer than this is summarised
MAX_LINE = 2000  # characters of one message line

# Set up and land, define and build, read out, operate: the order of `duckseg --help`.
VERBS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("init", cli_data.init),
    ("ingest", cli_data.ingest),
    ("attributes", cli_data.attributes),
    ("traits", cli_data.traits),
    ("check", cli_segments.check),
    ("compile", cli_segments.compile_),
    ("preview", cli_segments.preview),
    ("build", cli_segments.build),
    ("refresh", cli_segments.refresh),
    ("watch", cli_data.watch),
    ("list", cli_segments.list_),
    ("delete", cli_segments.delete),
    ("diff", cli_outputs.diff),
    ("report", cli_outputs.report),
    ("export", cli_outputs.export),
    ("demo", cli_data.demo),
    ("doctor", cli_data.doctor),
)

for _name, _verb in VERBS:
    app.command(_name)(_verb)
cli_memberships.register(app)
app.add_typer(audience_app, name="audience")
app.add_typer(cli_segments.static_app, name="static")


def _error_text(exc: DucksegError) -> str:
    """The message, each line bounded and a long list of problems summarised."""
    lines = (
        [str(p) for p in exc.problems] if isinstance(exc, BadInputError) else str(exc).splitlines()
    )
    shown = [
        clean(line if len(line) <= MAX_LINE else line[:MAX_LINE] + " ...")
        for line in lines[:MAX_PROBLEMS_SHOWN]
    ]
    if len(lines) > MAX_PROBLEMS_SHOWN:
        shown.append(f"... and {len(lines) - MAX_PROBLEMS_SHOWN:,} more problems")
    return "\n".join(shown)


def main() -> None:
    # Usage errors are typer's (exit 2); duckseg's own errors print their problems, one per line.
    try:
        app()
    except DucksegError as exc:
        sys.stderr.write(_error_text(exc) + "\n")
        sys.exit(exc.exit_code)
    except Exception as exc:  # the last line of defence: say what broke, exit 1
        text = clean(f"unexpected failure: {type(exc).__name__}: {exc}")
        sys.stderr.write(text[:MAX_LINE] + "\n")
        sys.exit(1)
