"""Reports that mix static and dynamic segments: the report's as_of, bases per as_of, a time
axis whose labels never overlap, and an output folder replaced all or nothing."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from duckseg import FixedClock, InputError, Workspace
from duckseg.report.metrics import BASE
from duckseg.report.svg import LABEL_CHAR_PX, Series, line_chart

AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)
LATER = FixedClock(datetime(2029, 1, 15, tzinfo=UTC))  # years after the sample's events


@pytest.fixture
def mixed(sample_ws: Workspace, tmp_path: Path) -> Workspace:
    ws = Workspace.open(sample_ws.root, clock=LATER)
    for months in (3, 2, 1, 0):
        ws.build("vip", as_of=AS_OF - timedelta(days=30 * months))
    ids = ws.members("vip")["contact_id"].head(40).to_list()
    (tmp_path / "list.csv").write_text(
        "contact_id\n" + "\n".join(map(str, ids)) + "\n", encoding="utf-8"
    )
    ws.static_change("uploaded", "create", tmp_path / "list.csv")
    return ws


def test_a_static_snapshot_does_not_set_the_reports_as_of(mixed: Workspace, tmp_path: Path) -> None:
    rep = mixed.report(["vip", "uploaded"], out=tmp_path / "r")
    assert rep.as_of == AS_OF
    assert rep.metrics.height > 0, "default metrics are the events just before the as_of"
    assert set(rep.metrics["as_of"].to_list()) == {AS_OF}
    page = rep.html_path.read_text(encoding="utf-8")
    header = page.split("<section")[0]
    assert "as of 30 Jun 2026, 18:00 UTC" in header and "as of 15 Jan 2029" not in header
    assert "Not drawn: uploaded" in page


def test_lifts_are_against_the_base_at_the_same_as_of(mixed: Workspace, tmp_path: Path) -> None:
    older = mixed.snapshots.history("vip")[0]
    (mixed.root / "segments" / "pune.yaml").write_text(
        "where: {attr: city, op: is, value: Pune}\n", encoding="utf-8"
    )
    mixed.build("pune", as_of=AS_OF)
    rep = mixed.report([f"vip@{older.snapshot_id}", "pune", "uploaded"], out=tmp_path / "r")
    rows = rep.metrics
    bases = {
        (r["metric"], r["as_of"]): r["value"] for r in rows.filter(pl.col("is_base")).to_dicts()
    }
    for row in rows.filter(~pl.col("is_base")).to_dicts():
        assert row["base_value"] == bases[(row["metric"], row["as_of"])]
    assert {r["as_of"] for r in rows.filter(pl.col("population") == "vip").to_dicts()} == {
        older.as_of
    }
    page = rep.html_path.read_text(encoding="utf-8")
    assert f"{BASE} {older.as_of:%Y-%m-%d}" in page and f"{BASE} {AS_OF:%Y-%m-%d}" in page


def tick_labels(svg: str) -> list[tuple[float, str]]:
    found = re.findall(r'<text x="([0-9.]+)" y="[0-9.]+" text-anchor="middle"[^>]*>([^<]+)<', svg)
    return [(float(x), label) for x, label in found]


@pytest.mark.parametrize(
    "times",
    [
        # five snapshots in one week and one decades later
        [datetime(1998, 3, d, tzinfo=UTC) for d in range(1, 6)]
        + [datetime(2026, 1, 1, tzinfo=UTC)],
        [datetime(2026, 6, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(6)],
        [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d * d) for d in range(30)],
    ],
)
def test_axis_labels_never_overlap(times: list[datetime]) -> None:
    svg = line_chart([Series("a", "#000", [(t, i) for i, t in enumerate(times)])])
    labels = tick_labels(svg)
    assert labels and labels[-1][1]
    for (x1, a), (x2, b) in itertools.pairwise(labels):
        assert x1 + len(a) * LABEL_CHAR_PX / 2 <= x2 - len(b) * LABEL_CHAR_PX / 2, (a, b)


def test_a_report_replaces_its_folder_all_or_nothing(
    mixed: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckseg.report.build as build

    target = tmp_path / "weekly"
    mixed.report(["vip"], out=target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def broken(_report: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "render_page", broken)
    with pytest.raises(RuntimeError):
        mixed.report(["uploaded"], out=target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["weekly", "list.csv", "ws"])
    monkeypatch.undo()
    mixed.report(["uploaded"], out=target)
    seg = pl.read_parquet(target / "segments.parquet")
    assert seg["population"].to_list() == ["uploaded", BASE]


def test_a_folder_that_is_not_a_report_is_never_replaced(mixed: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(InputError, match=r"not an earlier report: notes\.txt"):
        mixed.report(["vip"], out=target)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_a_swap_that_fails_half_way_leaves_the_earlier_report(
    mixed: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    target = tmp_path / "weekly"
    mixed.report(["vip"], out=target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    real = os.replace
    calls = []

    def flaky(src: object, dst: object) -> None:
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError("device busy")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError, match="device busy"):
        mixed.report(["uploaded"], out=target)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["weekly", "list.csv", "ws"])
