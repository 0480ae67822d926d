"""The README's commands run as written, in a scratch folder, and do what it says."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "data" / "segments" / "inactive_loyal.yaml"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", readme(), flags=re.DOTALL | re.MULTILINE)


def console_commands() -> list[str]:
    """`$ duckseg ...` lines of the README's console blocks, in order."""
    prefix = "$ duckseg "
    return [
        line[len("$ ") :]
        for block in blocks("console")
        for line in block.splitlines()
        if line.startswith(prefix)
    ]


def test_readme_names_the_two_commands() -> None:
    (block,) = blocks("sh")
    assert [line.split("#")[0].strip() for line in block.splitlines() if line[:1] != " "] == [
        "make demo",
        "make test",
    ]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)


def test_readme_example_is_the_sample_segment() -> None:
    """The definition the README shows is the one `init --demo` puts in the workspace."""
    (block,) = blocks("yaml")
    assert block.startswith(f"# segments/{EXAMPLE.name}\n")
    assert yaml.safe_load(block) == yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_readme_commands_run(tmp_path: Path) -> None:
    commands = console_commands()
    assert commands[0] == "duckseg init shop --demo"
    assert any(c.startswith("duckseg build inactive_loyal ") for c in commands)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for command in commands:
        proc = subprocess.run(
            shlex.split(command), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
    listed = subprocess.run(
        ["duckseg", "list", "-w", "shop", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    counts = {row["segment"]: row["count"] for row in json.loads(listed.stdout)}
    # The build the README runs, and the count it states.
    assert counts["inactive_loyal"] == 137
    assert "137 members" in readme()
    # Only what the README built has a snapshot.
    assert {name for name, count in counts.items() if count is not None} == {"inactive_loyal"}
