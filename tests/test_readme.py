"""The README's commands run as written (in a scratch folder), and its Python API example works."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).parent


def console_commands() -> list[str]:
    """`$ duckseg ...` lines of the README's console blocks, in order."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL)
    return [
        line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ duckseg ")
    ]


def test_readme_has_the_quickstart() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    assert len(console_commands()) >= 5


def test_readme_commands_run(tmp_path: Path) -> None:
    # The files the README lands are the reader's own; small stand-ins are made here.
    (tmp_path / "people.csv").write_text("contact_id,city\nx1,Pune\n", encoding="utf-8")
    (tmp_path / "events-2026-06.csv").write_text(
        "contact_id,event,ts,event_id\nx1,login,2026-06-01T10:00:00Z,readme-1\n", encoding="utf-8"
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for command in console_commands():
        args = shlex.split(command)
        proc = subprocess.run(
            args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"


def test_readme_python_example(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    code = re.search(r"## Python API\n\n```python\n(.*?)```", text, flags=re.DOTALL)
    assert code is not None
    from duckseg import Workspace

    Workspace.init(tmp_path / "shop", demo=True)
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        namespace: dict[str, object] = {}
        exec(compile(code.group(1), "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    snap = namespace["snap"]
    assert snap.count >= 0


@pytest.mark.parametrize(
    "verb",
    [
        "init",
        "ingest",
        "attributes",
        "check",
        "compile",
        "preview",
        "build",
        "list",
        "diff",
        "delete",
        "static",
        "demo",
    ],
)
def test_every_cli_verb_is_documented(verb: str) -> None:
    table = README.read_text(encoding="utf-8").split("## The command line", 1)[1]
    assert f"`{verb}" in table
