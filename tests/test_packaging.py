"""The package as users install it: what the wheel lists, and what the command line loads."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from setuptools import find_packages

from duckseg.compiler.dialects import DIALECTS
from duckseg.types import DIALECT_NAMES

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {p for p in find_packages(str(ROOT / "src")) if p.startswith("duckseg")}
    mapped = set(config["tool"]["setuptools"]["package-dir"]) - {""}
    assert found - listed == set(), "add new subpackages to [tool.setuptools] packages"
    assert listed == found | mapped


def test_dialect_names_match_the_rule_sets() -> None:
    assert tuple(DIALECTS) == DIALECT_NAMES


def test_the_command_line_starts_without_the_engines() -> None:
    """`duckseg --help` must not import DuckDB, polars, pyarrow or sqlglot."""
    code = (
        "import sys, duckseg.cli; "
        "print(sorted(m for m in ('duckdb', 'polars', 'pyarrow', 'sqlglot', 'pydantic') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_the_package_api_loads_names_on_first_use() -> None:
    code = (
        "import sys, duckseg; assert 'duckdb' not in sys.modules; "
        "ws = duckseg.Workspace; assert 'duckdb' in sys.modules; print(ws.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "duckseg.api.workspace"


def test_code_cites_only_the_projects_own_docs() -> None:
    """Comments point readers at docs/ pages that exist, never at documents outside the repo."""
    cited: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for outside in ("SPEC", "EXPORT-RULES", "STYLE.md", "../shared"):
            assert outside not in text, f"{path.relative_to(ROOT)} names {outside}"
        cited |= set(re.findall(r"docs/[a-z-]+\.md", text))
    missing = sorted(page for page in cited if not (ROOT / page).is_file())
    assert cited and not missing, missing
