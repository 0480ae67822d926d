"""Hostile definition files: bombs, bad encodings, duplicate keys, names that lie.

Each attack is refused with exit 2 naming the file (and the line or path), at
once and in bounded memory, and never takes down verbs about other segments.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duckseg import DefinitionError, Segment, Workspace
from duckseg.api.workspace import PartialBuildError
from duckseg.lang.loader import Limits, load_yaml

DUCKSEG = [sys.executable, "-m", "duckseg"]
EXAMPLES = 500 if os.environ.get("DUCKSEG_FUZZ") == "1" else 40
AS_OF = "2026-06-30"
GOOD = "where: {attr: city, op: is, value: Pune}\n"


def alias_bomb(levels: int) -> str:
    """Each level lists the one before ten times: 10**levels nodes from a few bytes a level."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + f"\nwhere: {{attr: city, op: is, value: *a{levels - 1}}}\n"


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A memory ceiling for the child: a bomb that expanded would die here instead of passing.
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [*DUCKSEG, *args, "-w", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )


@pytest.fixture
def ws(sample_ws: Workspace) -> Workspace:
    (sample_ws.root / "segments" / "pune.yaml").write_text(GOOD, encoding="utf-8")
    return sample_ws


def write(ws: Workspace, name: str, content: str | bytes) -> Path:
    path = ws.root / "segments" / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# -- bombs ---------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [18, 40])
def test_alias_bomb_is_refused_by_every_verb(ws: Workspace, levels: int) -> None:
    text = alias_bomb(levels)
    assert len(text) < 3_000
    write(ws, "bomb.yaml", text)
    for verb in (["check"], ["build", "--all", "--as-of", AS_OF], ["preview", "bomb"]):
        proc = run(ws.root, *verb)
        assert proc.returncode == 2, (verb, proc.stderr)
        assert "segments/bomb.yaml: line" in proc.stderr
        assert "more than 100,000 nodes once its aliases are expanded" in proc.stderr
    listed = run(ws.root, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "expanded" in listed.stdout and '"segment": "pune"' in listed.stdout


def test_value_bomb_prints_bounded_errors(ws: Workspace) -> None:
    levels = "\n".join(f"b{i}: &b{i} [*b{i - 1}, *b{i - 1}]" for i in range(1, 12))
    text = f'b0: &b0 ["ten"]\n{levels}\nwhere: {{attr: total_spent, op: is, value: *b11}}\n'
    write(ws, "vbomb.yaml", text)
    # 2**11 values fit the node limit: each is a type error, and the output stays short.
    proc = run(ws.root, "check", "vbomb")
    assert proc.returncode == 2
    assert len(proc.stderr) < 20_000


def test_node_limit_comes_from_the_workspace_config(ws: Workspace) -> None:
    with (ws.root / "duckseg.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[limits]\ndefinition_nodes = 10\ndefinition_bytes = 5000\n")
    write(ws, "wide.yaml", "where: {any: [" + ", ".join(["{attr: city, op: is_set}"] * 5) + "]}")
    proc = run(ws.root, "check", "wide")
    assert proc.returncode == 2 and "more than 10 nodes" in proc.stderr
    write(ws, "big.yaml", GOOD + "#" * 6000 + "\n")
    proc = run(ws.root, "check", "big")
    assert proc.returncode == 2 and "larger than the 5,000 bytes" in proc.stderr


def test_recursive_alias_and_deep_nesting_say_what_happened() -> None:
    with pytest.raises(DefinitionError, match="refers to a node that contains it"):
        load_yaml("where: &a {all: [*a]}\n", "x.yaml")
    deep = "where: " + "[" * 500 + "]" * 500 + "\n"
    with pytest.raises(DefinitionError, match="nested more than 200 levels deep") as info:
        load_yaml(deep, "x.yaml")
    assert "not valid YAML" not in str(info.value)
    chain = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 400))
    with pytest.raises(DefinitionError, match="once its aliases are expanded"):
        load_yaml(chain, "x.yaml")


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.integers(1, 60), st.integers(2, 12))
def test_any_alias_fanout_is_bounded(levels: int, fanout: int) -> None:
    lines = ["a0: &a0 [x]"] + [
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]" for i in range(1, levels)
    ]
    expanded = sum(fanout**i for i in range(levels)) + levels  # sequences and scalars, about
    try:
        load_yaml("\n".join(lines), "x.yaml", Limits(max_nodes=1000))
    except DefinitionError as exc:
        assert "nodes" in str(exc) or "levels" in str(exc)
    else:
        assert expanded <= 3000


# -- encodings and values ------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"where: {attr: city, op: is, value: \xff\xfe}\n", "is not UTF-8 text"),
        (GOOD.encode("utf-16"), "is UTF-16 text"),
    ],
)
def test_bad_encoding_is_a_definition_error(ws: Workspace, content: bytes, message: str) -> None:
    write(ws, "broken.yaml", content)
    proc = run(ws.root, "check")
    assert proc.returncode == 2 and "segments/broken.yaml: " in proc.stderr
    assert message in proc.stderr


def test_one_broken_file_does_not_break_other_verbs(ws: Workspace) -> None:
    write(ws, "broken.yaml", "where: {attr: signup_at, op: before, value: 2026-02-30}\n")
    write(ws, "bad_utf8.yaml", b"where: {attr: city, op: is, value: \xc3\x28}\n")
    write(ws, "other.yaml", GOOD)
    check = run(ws.root, "check")
    assert check.returncode == 2
    assert "segments/broken.yaml: where.value" in check.stderr  # the path, not a line
    assert "segments/bad_utf8.yaml" in check.stderr  # every broken file at once
    assert "unexpected failure" not in check.stderr
    listed = run(ws.root, "list")
    assert listed.returncode == 0 and "broken" in listed.stdout
    assert run(ws.root, "build", "pune", "--as-of", AS_OF).returncode == 0
    deleted = run(ws.root, "delete", "other")
    assert deleted.returncode == 0, deleted.stderr
    assert not (ws.root / "segments" / "other.yaml").exists()
    build_all = run(ws.root, "build", "--all", "--as-of", AS_OF)
    assert build_all.returncode == 2 and "segments/broken.yaml" in build_all.stderr


def test_keep_going_builds_the_valid_and_reports_the_broken(ws: Workspace) -> None:
    write(ws, "broken.yaml", "where: {attr: no_such_attribute, op: is_set}\n")
    write(ws, "uses_broken.yaml", "where: {in_segment: broken}\n")
    with pytest.raises(PartialBuildError) as info:
        ws.build_all(as_of=AS_OF, keep_going=True)
    built = {s.segment for s in info.value.snapshots}
    assert "pune" in built and not built & {"broken", "uses_broken"}
    assert {p.source for p in info.value.problems} >= {"segments/broken.yaml"}
    proc = run(ws.root, "build", "--all", "--keep-going", "--as-of", AS_OF)
    assert proc.returncode == 2
    assert "pune" in proc.stdout and "segments/broken.yaml" in proc.stderr


def test_duplicate_keys_are_refused_with_both_lines(ws: Workspace) -> None:
    text = "where:\n  attr: city\n  op: is\n  value: Pune\n  value: Mumbai\n"
    write(ws, "dup.yaml", text)
    with pytest.raises(DefinitionError, match=r"line 5: duplicate key 'value' \(at line 4"):
        ws.load("dup")
    text = "where: {attr: city, op: is_set}\nwhere: {attr: city, op: is_not_set}\n"
    with pytest.raises(DefinitionError, match="duplicate key 'where'"):
        Segment.from_yaml_string(text)


def test_merge_keys_are_not_duplicates() -> None:
    text = "base: &b {attr: city, op: is}\nwhere: {<<: *b, value: Pune}\n"
    raw = load_yaml(text, "x.yaml")
    assert raw["where"] == {"attr": "city", "op": "is", "value": "Pune"}


# -- names -----------------------------------------------------------------------------


def test_a_name_that_disagrees_with_the_file_is_refused(ws: Workspace) -> None:
    ws.build("pune", as_of=AS_OF)
    write(ws, "other.yaml", "name: pune\n" + GOOD)
    with pytest.raises(DefinitionError, match="name pune differs from the file name other"):
        ws.build("other", as_of=AS_OF)
    assert len(ws.snapshots.history("pune")) == 1
    proc = run(ws.root, "build", "--all", "--as-of", AS_OF)
    assert proc.returncode == 2 and "segments/other.yaml: name" in proc.stderr


def test_a_file_from_elsewhere_never_writes_a_workspace_history(
    ws: Workspace, tmp_path: Path
) -> None:
    ws.build("pune", as_of=AS_OF)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pune.yaml").write_text("where: {attr: city, op: is_set}\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"is defined by segments/pune\.yaml"):
        ws.build(str(elsewhere / "pune.yaml"), as_of=AS_OF)
    with pytest.raises(DefinitionError, match=r"is defined by segments/pune\.yaml"):
        ws.build(Segment.from_dict({"name": "pune", "where": {"attr": "city", "op": "is_set"}}))
    assert len(ws.snapshots.history("pune")) == 1
    ws.preview(str(elsewhere / "pune.yaml"), as_of=AS_OF)  # reading is fine
    ws.build(str(ws.root / "segments" / "pune.yaml"), as_of=AS_OF)  # its own file is fine
    assert len(ws.snapshots.history("pune")) == 2


def test_yml_beside_yaml_is_refused_naming_both(ws: Workspace) -> None:
    write(ws, "pune.yml", "where: {attr: city, op: is_set}\n")
    with pytest.raises(DefinitionError, match=r"segments/pune\.yaml and segments/pune\.yml both"):
        ws.load("pune")
    proc = run(ws.root, "check")
    assert proc.returncode == 2 and "pune.yml" in proc.stderr


def test_error_output_is_capped(ws: Workspace) -> None:
    conds = ", ".join(f"{{attr: nope_{i}, op: is_set}}" for i in range(300))
    write(ws, "many.yaml", f"where: {{all: [{conds}]}}\n")
    proc = run(ws.root, "check", "many")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") <= 52 and "more problems" in proc.stderr
