"""The documentation in README.md and docs/ checks itself against the program.

- every relative link and #anchor resolves, and no page points outside the repository;
- docs/cli.md is what docs/generate_cli.py writes from the command line's own definitions;
- docs/language.md names every condition kind, operator, window form, duration unit and
  value type the language has, and its YAML examples check out on the bundled sample;
- the Python examples of docs/python-api.md run, and print what their comments say;
- the report config, the export test vectors, the dialect table and the duckseg.toml keys
  of the pages match the code;
- every number in a "How fast" section is one of benchmarks/RESULTS.md's.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import re
import shlex
import tempfile
import textwrap
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

import duckseg as ds

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.glob("*.md"))
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SAMPLE_AS_OF = "2026-06-30T18:00:00Z"


# -- what the package says: the one place this file reads duckseg's internals ---------------
# (repoint these imports when modules move)


def language_vocabulary() -> dict[str, list[str]]:
    """Every name the definition language accepts, by kind."""
    from duckseg.lang import ir, model, spec
    from duckseg.lang import time as timewin
    from duckseg.types import ValueType

    return {
        "condition kinds": list(model.KIND_KEYS),
        "definition keys": list(spec.TOP_KEYS),
        "attribute ops": [op.value for op in ir.Op],
        "comparison ops": [op.value for op in ir.CompareOp],
        "aggregate functions": [fn.value for fn in ir.AggFn],
        "window forms": [
            cls.__name__.removeprefix("Window").lower()
            for cls in typing.get_args(ir.Window)
            if cls is not ir.WindowSpan  # lifecycle periods: built by the compiler, never written
        ],
        "duration units": [unit.value for unit in timewin.Unit],
        "value types": [t.value for t in ValueType if t is not ValueType.OTHER],
    }


def config_keys() -> dict[str, list[str]]:
    """duckseg.toml: section -> keys."""
    from duckseg.config import Config

    sections = Config.model_fields.items()
    return {name: list(field.annotation.model_fields) for name, field in sections}


def load_config_file(path: Path) -> object:
    from duckseg.config import load_config

    return load_config(path)


def dialect_names() -> list[str]:
    from duckseg.types import DIALECT_NAMES

    return list(DIALECT_NAMES)


def export_platforms() -> dict[str, tuple[str, ...]]:
    """Ad-platform format -> its upload file's headers."""
    from duckseg.export.platforms import PLATFORMS

    return {name: spec.headers for name, spec in PLATFORMS.items()}


def normalizer(platform: str, field: str) -> Callable[..., object]:
    """The function that normalises one identity field for one platform."""
    from duckseg.export import normalize as n

    functions = {
        ("meta", "email"): n.meta_email,
        ("meta", "phone"): n.meta_phone,
        ("meta", "fn"): n.meta_fn,
        ("meta", "ln"): n.meta_ln,
        ("meta", "zip"): n.meta_zip,
        ("google", "email"): n.google_email,
        ("google", "phone"): n.google_phone,
        ("google", "first name"): n.google_name,
        ("google", "last name"): n.google_name,
        ("tiktok", "email"): n.tiktok_email,
        ("tiktok", "phone"): n.tiktok_phone,
        ("linkedin", "email"): n.linkedin_email,
    }
    return functions[(platform.lower(), field)]


def report_vocabulary() -> tuple[dict[str, list[str]], list[str]]:
    """Report tables -> their columns, and the metric kinds."""
    from duckseg.report import SCHEMAS
    from duckseg.report.metrics import MetricKind

    return {t: list(s.names) for t, s in SCHEMAS.items()}, [k.value for k in MetricKind]


# -- reading Markdown ------------------------------------------------------------------------

FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", flags=re.DOTALL | re.MULTILINE)


def code_blocks(path: Path, language: str) -> list[str]:
    """The fenced blocks of one language, in order (those inside list items dedented)."""
    text = path.read_text(encoding="utf-8")
    return [textwrap.dedent(body) for lang, body in FENCE.findall(text) if lang == language]


def prose(text: str) -> str:
    """The text without fenced code, inline code and HTML comments."""
    text = FENCE.sub("", text)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    return re.sub(r"`[^`\n]*`", "", text)


def headings(text: str) -> list[str]:
    return [m.group(2) for m in re.finditer(r"^(#{1,6}) +(.+?) *#*$", FENCE.sub("", text), re.M)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in headings(path.read_text(encoding="utf-8")):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def section(path: Path, title: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^(#+) {re.escape(title)}\n", text, flags=re.MULTILINE)
    assert match is not None, f"{path.name} has no section {title!r}"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.MULTILINE)
    return rest[: end.start()] if end else rest


def links(path: Path) -> Iterator[str]:
    for match in re.finditer(r"\]\(([^)\s]+)\)", prose(path.read_text(encoding="utf-8"))):
        yield match.group(1)


# -- 1. links and anchors ------------------------------------------------------------------


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_and_anchors_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):  # https:, mailto:: not checked here
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (page.parent / file_part).resolve() if file_part else page
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with that anchor in {resolved.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_every_page_is_linked_from_the_index_and_the_readme() -> None:
    index = set(links(DOCS / "index.md"))
    readme = {t.removeprefix("docs/") for t in links(README)}
    for page in PAGES:
        if page.name != "index.md":
            assert page.name in index, f"docs/index.md does not link {page.name}"
        assert page.name in readme, f"README.md does not link docs/{page.name}"


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pages_document_the_project_itself(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for outside in ("SPEC.md", "EXPORT-RULES.md", "STYLE.md", "../shared", "/work/"):
        assert outside not in text, f"{page.name} mentions {outside}"


def test_the_anchor_rule() -> None:
    assert slug("`not` is an exact complement") == "not-is-an-exact-complement"
    assert slug("Incremental sync: `--changes`") == "incremental-sync---changes"
    assert slug("`first_performed` and `last_performed`") == "first_performed-and-last_performed"


# -- 2. the command-line reference ------------------------------------------------------------


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_cli", DOCS / "generate_cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert page == generator().render(), (
        "docs/cli.md is out of date with the command line: run `make docs` "
        "(or `python docs/generate_cli.py`) and commit the result"
    )


def test_cli_reference_has_every_command() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    cli = generator()
    for path, _ in cli.walk(cli.command_tree(), ()):
        assert f"## `duckseg {' '.join(path)}`" in page


# -- 3. the definition language ------------------------------------------------------------


LANGUAGE = DOCS / "language.md"


@pytest.mark.parametrize("kind", list(language_vocabulary()))
def test_language_page_names_every_part(kind: str) -> None:
    text = LANGUAGE.read_text(encoding="utf-8")
    where = {
        "attribute ops": section(LANGUAGE, "Operators"),
        "comparison ops": section(LANGUAGE, "`aggregate`"),
        "aggregate functions": section(LANGUAGE, "`aggregate`"),
        "window forms": section(LANGUAGE, "Windows"),
        "duration units": section(LANGUAGE, "Durations"),
    }.get(kind, text)
    for name in language_vocabulary()[kind]:
        if kind == "window forms":
            assert f"{{{name}: " in where, f"window form {name} is not in the Windows section"
        elif kind == "duration units":
            assert f"| `{name}` |" in where, f"unit {name} is not in the Durations table"
        else:
            assert f"`{name}`" in where, f"{kind}: {name} is not documented in language.md"
    if kind == "window forms":
        assert "`within: 90d`" in text or "| `90d` |" in where


def language_examples() -> list[dict[str, Any]]:
    """Every YAML example of language.md, as a definition (a bare condition is wrapped)."""
    kinds = set(language_vocabulary()["condition kinds"])
    examples = []
    for block in code_blocks(LANGUAGE, "yaml"):
        raw = yaml.safe_load(block)
        if kinds & set(raw):
            raw = {"where": raw}
        examples.append({**raw, "name": "example"})
    return examples


def test_language_examples_check_out(sample_workspace_dir: Path) -> None:
    ws = ds.Workspace.open(sample_workspace_dir)
    examples = language_examples()
    assert len(examples) > 20
    for example in examples:
        pv = ws.preview(ds.Segment.from_dict(example), as_of=SAMPLE_AS_OF, limit=0)
        assert pv.count >= 0  # it resolved, compiled and ran; the counts are the sample's
    inactive_loyal = ws.preview(ds.Segment.from_dict(examples[0]), as_of=SAMPLE_AS_OF, limit=0)
    assert inactive_loyal.count == ws.preview("inactive_loyal", as_of=SAMPLE_AS_OF).count == 137


# -- 4. the Python API examples -----------------------------------------------------------------

PYTHON_API = DOCS / "python-api.md"
PRINTS = re.compile(r"^\s*print\(.*\)\s+# (.+)$", flags=re.MULTILINE)


def test_python_api_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocks run in order in one namespace; a `print(...)  # text` prints that text
    (a trailing `...` means "begins with")."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # Workspace.demo() goes here
    namespace: dict[str, Any] = {}
    blocks = code_blocks(PYTHON_API, "python")
    assert len(blocks) >= 8
    for number, block in enumerate(blocks, start=1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, f"docs/python-api.md, python block {number}", "exec"), namespace)
        printed = out.getvalue()
        for expected in PRINTS.findall(block):
            wanted = expected.removesuffix("...").strip()
            assert wanted in printed, f"block {number} should print {expected!r}, got {printed!r}"
    assert namespace["snap"].count == 804
    assert namespace["pv"].count == 24
    assert namespace["up"].rows == 747
    assert namespace["rep"].html_path.is_file()


# -- the other pages against the code -----------------------------------------------------------


def test_every_toml_example_is_a_valid_config(tmp_path: Path) -> None:
    blocks = [b for page in PAGES for b in code_blocks(page, "toml")]
    assert len(blocks) >= 5
    for block in blocks:
        path = tmp_path / "duckseg.toml"
        path.write_text(block, encoding="utf-8")
        load_config_file(path)


def test_data_model_page_has_every_config_key() -> None:
    page = DOCS / "data-model.md"
    text = page.read_text(encoding="utf-8")
    for name, keys in config_keys().items():
        part = section(page, f"`[{name}]`")
        for key in keys:
            assert re.search(rf"^{key} = ", part, flags=re.MULTILINE), f"[{name}] {key}"
    assert "## duckseg.toml" in text


def test_reports_page_has_every_column_and_metric() -> None:
    page = DOCS / "reports.md"
    columns, kinds = report_vocabulary()
    table = section(page, "Table columns")
    for name, names in columns.items():
        row = next(line for line in table.splitlines() if f"`{name}.parquet`" in line)
        for column in names:
            assert f"`{column}`" in row, f"{name}.{column} is not in reports.md"
    metrics = section(page, "What a report computes")
    for kind in kinds:
        assert f"| `{kind}` |" in metrics


def test_reports_config_runs_on_the_sample(sample_ws: ds.Workspace, tmp_path: Path) -> None:
    (block,) = [b for b in code_blocks(DOCS / "reports.md", "yaml") if b.startswith("# report")]
    config = tmp_path / "report.yaml"
    config.write_text(block, encoding="utf-8")
    sample_ws.build_many(["vip", "inactive_loyal", "at_risk"])
    rep = sample_ws.report(["vip", "inactive_loyal", "at_risk"], config=config, out=tmp_path / "r")
    assert rep.metrics["metric"].n_unique() == 8
    assert set(rep.breakdowns["attribute"].unique()) == {"city", "tier", "tags"}
    assert rep.path == tmp_path / "r"


def test_exports_page_has_every_format_and_header() -> None:
    text = (DOCS / "exports.md").read_text(encoding="utf-8")
    for name, headers in export_platforms().items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` | "))
        assert " ".join(f"`{h}`" for h in headers) in row, f"{name} headers"
        assert f"### {name}\n" in text.lower(), f"exports.md has no section on {name}'s rules"


def export_vectors() -> list[tuple[str, str, str, str, str, str]]:
    rows = []
    for line in section(DOCS / "exports.md", "Test vectors").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[2].startswith('`"'):
            platform, field, raw, country, normal, digest = cells
            rows.append(
                (
                    platform,
                    field,
                    json.loads(raw.strip("`")),
                    country,
                    normal.strip("`"),
                    digest.strip("`"),
                )
            )
    return rows


def test_export_vectors_hold() -> None:
    vectors = export_vectors()
    assert len(vectors) == 10
    for platform, field, raw, country, normal, digest in vectors:
        normalise = normalizer(platform, field)
        got = normalise(raw, country) if country else normalise(raw)
        assert got == normal, f"{platform} {field}: {raw!r} -> {got!r}, docs say {normal!r}"
        assert hashlib.sha256(normal.encode()).hexdigest() == digest, f"{platform} {field}"


def test_spark_page_has_every_dialect() -> None:
    table = section(DOCS / "spark.md", "`compile --dialect`")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [line.split("`")[1] for line in rows] == dialect_names()


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_speeds_come_from_the_benchmark_results(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    if "## How fast" not in text:
        return
    results = RESULTS.read_text(encoding="utf-8")
    numbers = re.findall(r"\d[\d,]*(?:\.\d+)?", prose(section(page, "How fast")))
    assert numbers
    for number in numbers:
        assert number.replace(",", "") in results.replace(",", ""), (
            f"{page.name}: {number} is not in benchmarks/RESULTS.md"
        )


def test_first_session_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands of docs/index.md, run in-process in a scratch folder (the README's own
    commands run as real processes in test_readme.py)."""
    from typer.testing import CliRunner

    from duckseg.cli import app

    (block,) = code_blocks(DOCS / "index.md", "console")
    prefix = "$ duckseg "
    commands = [line[len(prefix) :] for line in block.splitlines() if line.startswith(prefix)]
    assert len(commands) >= 6
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(app, shlex.split(command))
        assert result.exit_code == 0, f"{command}\n{result.output}\n{result.exception!r}"
    listed = runner.invoke(app, ["list", "-w", "shop", "--json"])
    counts = {row["segment"]: row["count"] for row in json.loads(listed.stdout)}
    assert counts["vip"] == 804 and counts["inactive_loyal"] == 137
    assert (tmp_path / "shop" / "exports" / "vip" / "meta").is_dir()
