"""Segment names across verbs: one did-you-mean everywhere, every built segment listed, as_of
on both sides of a diff, and changes to referenced segments noticed."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from duckseg import Segment, Workspace
from duckseg.cli import app
from duckseg.errors import BadInputError

AS_OF = "2026-06-30T18:00:00Z"
BACKTEST = "2026-03-31T18:00:00Z"


def cli(ws: Workspace, *args: str, width: int = 200) -> str:
    result = CliRunner().invoke(app, [*args, "-w", str(ws.root)], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "call",
    [
        lambda ws: ws.export("vipp", "csv"),
        lambda ws: ws.diff("vipp"),
        lambda ws: ws.members("vipp"),
        lambda ws: ws.report(["vipp"]),
        lambda ws: ws.report(["vipp@20260101"]),
        lambda ws: ws.preview("vipp"),
        lambda ws: ws.build("vipp"),
        lambda ws: ws.compile("vipp"),
        lambda ws: ws.delete("vipp"),
    ],
    ids=[
        "export",
        "diff",
        "members",
        "report",
        "report-at",
        "preview",
        "build",
        "compile",
        "delete",
    ],
)
def test_every_verb_suggests_the_closest_segment(sample_ws: Workspace, call: object) -> None:
    sample_ws.build("vip", as_of=AS_OF)
    with pytest.raises(BadInputError) as caught:
        call(sample_ws)  # type: ignore[operator]
    assert "unknown segment vipp (did you mean vip?)" in str(caught.value)
    assert "duckseg build vipp" not in str(caught.value)


def test_export_of_a_typo_exits_2_with_did_you_mean(sample_ws: Workspace) -> None:
    sample_ws.build("vip", as_of=AS_OF)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "duckseg",
            "export",
            "vipp",
            "--format",
            "csv",
            "-w",
            str(sample_ws.root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "did you mean vip?" in proc.stderr and "build it" not in proc.stderr


def test_a_defined_segment_not_built_yet_says_build_it(sample_ws: Workspace) -> None:
    with pytest.raises(BadInputError, match="no snapshot yet for segment at_risk"):
        sample_ws.export("at_risk", "csv")


def test_a_segment_built_from_python_is_listed_and_marked(sample_ws: Workspace) -> None:
    seg = Segment.from_dict(
        {"name": "pune_only", "where": {"attr": "city", "op": "is", "value": "Pune"}}
    )
    snap = sample_ws.build(seg, as_of=AS_OF)
    rows = {r["segment"]: r for r in sample_ws.list_segments()}
    assert rows["pune_only"]["file"] is None and rows["pune_only"]["count"] == snap.count
    assert rows["pune_only"]["kind"] == "dynamic"
    text = cli(sample_ws, "list")
    assert "pune_only" in text and "no definition file" in text


def test_list_and_diff_show_as_of(sample_ws: Workspace) -> None:
    latest = sample_ws.build("vip", as_of=AS_OF)
    backtest = sample_ws.build("vip", as_of=BACKTEST)  # built last, but earlier in history
    listed = cli(sample_ws, "list")
    assert "2026-06-30T18:00:00Z" in listed
    shown = cli(sample_ws, "diff", "vip")
    assert re.search(rf"from {backtest.snapshot_id}\s+\(as of 2026-03-31T18:00:00Z\)", shown)
    assert re.search(rf"to\s+{latest.snapshot_id}\s+\(as of 2026-06-30T18:00:00Z\)", shown)
    reversed_ = cli(
        sample_ws, "diff", "vip", "--from", latest.snapshot_id, "--to", backtest.snapshot_id
    )
    assert "backwards in time" in reversed_
    data = sample_ws.diff("vip").to_dict()
    assert data["from_as_of"] < data["to_as_of"]


def test_long_names_are_never_cut_in_list(sample_ws: Workspace) -> None:
    long_a = "customers_who_bought_twice_in_the_last_quarter_in_pune_a"
    long_b = "customers_who_bought_twice_in_the_last_quarter_in_pune_b"
    for name in (long_a, long_b):
        (sample_ws.root / "segments" / f"{name}.yaml").write_text(
            "where: {attr: city, op: is, value: Pune}\n", encoding="utf-8"
        )
    text = cli(sample_ws, "list", width=80)
    assert long_a in text and long_b in text


def test_editing_a_referenced_segment_marks_its_dependents(sample_ws: Workspace) -> None:
    sample_ws.build_all(as_of=AS_OF)
    before = {r["segment"]: r for r in sample_ws.list_segments()}
    assert not before["vip_arabic"]["definition_changed"]
    vip = sample_ws.root / "segments" / "vip.yaml"
    vip.write_text(vip.read_text(encoding="utf-8").replace("5000", "6000"), encoding="utf-8")
    after = {r["segment"]: r for r in sample_ws.list_segments()}
    assert after["vip"]["definition_changed"] and after["vip_arabic"]["definition_changed"]
    assert not after["at_risk"]["definition_changed"]
    assert "an input (vip) changed since build" in cli(sample_ws, "list")
    rebuilt = sample_ws.build_all(as_of=AS_OF)
    assert rebuilt
    assert not any(r["definition_changed"] for r in sample_ws.list_segments())
