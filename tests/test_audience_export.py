"""Audience exports: exported arms only, arm and agent columns, changes, sends, frequency caps."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from duckseg import Workspace
from duckseg.audiences.result import AudienceSnapshot
from duckseg.export import PLATFORMS
from tests.audienceshop import make_audience_shop, write_audience
from tests.exportshop import column, read_csv, run_cli

SPLIT = """\
include: [gold, vips]
consent: false
split:
  salt: s-2026
  arms: {holdout: 1, a: 1}
assign:
  agents: {ravi: 1, meera: 1}
"""
T1, T2 = "2026-06-20T00:00:00Z", "2026-06-27T00:00:00Z"  # exactly 7 days apart


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    ws = make_audience_shop(tmp_path / "shop")
    write_audience(ws, "split", SPLIT)
    return ws


def build(ws: Workspace, name: str, as_of: str) -> AudienceSnapshot:
    snap = ws.audience_build(name, as_of=as_of)
    assert isinstance(snap, AudienceSnapshot)
    return snap


def arms_of(ws: Workspace, name: str) -> dict[str, str]:
    return {r["contact_id"]: r["arm"] for r in ws.audience(name).to_dicts()}


def test_csv_holds_exported_arms_with_arm_and_agent(shop: Workspace) -> None:
    build(shop, "split", T1)
    arms = arms_of(shop, "split")
    assert set(arms.values()) == {"holdout", "a"}
    result = shop.audience_export("split", "csv", columns="tier")
    rows = read_csv(result.files[0])
    assert rows[0] == ["contact_id", "arm", "agent", "tier"]
    assert set(column(rows, "contact_id")) == {c for c, a in arms.items() if a != "holdout"}
    assert set(column(rows, "arm")) == {"a"}
    agents = {r["contact_id"]: r["agent"] for r in shop.audience("split").to_dicts()}
    assert dict(zip(column(rows, "contact_id"), column(rows, "agent"), strict=True)) == {
        c: agents[c] for c in column(rows, "contact_id")
    }
    assert result.manifest["arms"] == ["a"]
    assert result.manifest["segment"] == "audience:split"
    assert result.rows == result.manifest["members"] == len(rows) - 1
    everyone = shop.audience_export("split", "parquet", include_holdout=True)
    table = pq.read_table(everyone.files[0])
    assert table.num_rows == len(arms)
    assert table.column_names[:3] == ["contact_id", "arm", "agent"]


@pytest.mark.parametrize("fmt", PLATFORMS)
def test_ad_platform_files_hold_only_exported_arms(shop: Workspace, fmt: str) -> None:
    build(shop, "split", T1)
    arms = arms_of(shop, "split")
    result = shop.audience_export("split", fmt)
    sent = pq.read_table(shop.root / _state_file(shop, result.export_id))
    assert set(sent.column("contact_id").to_pylist()) <= {
        c for c, a in arms.items() if a != "holdout"
    }
    assert result.manifest["audience_rows"] == sent.num_rows
    assert all(a == "a" for c, a in arms.items() if c in sent.column("contact_id").to_pylist())


def _state_file(ws: Workspace, export_id: str) -> str:
    with ws.store.connect() as con:
        (path,) = con.execute(
            "SELECT path FROM export_state WHERE export_id = ?", [export_id]
        ).fetchall()[0]
    return str(path)


def test_changes_are_per_audience(shop: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_audience(shop, "buy", "include: [buyers]\nconsent: false\n")
    build(shop, "buy", "2026-05-15T00:00:00Z")
    first = shop.audience_export("buy", "csv", changes=True)
    assert (first.manifest["adds"], first.manifest["removes"]) == (2, 0)  # c04, c09
    build(shop, "buy", "2026-06-30T00:00:00Z")
    w = ["-w", str(shop.root), "--json"]
    result = run_cli(capsys, "audience", "export", "buy", "--format", "csv", "--changes", *w)
    assert result.code == 0, result.err
    manifest = json.loads(result.out)
    assert (manifest["adds"], manifest["removes"]) == (3, 2)
    rows = read_csv(Path(manifest["path"]) / manifest["files"][0]["path"])
    assert rows[0][:4] == ["change", "contact_id", "arm", "agent"]
    assert {(r[0], r[1]) for r in rows[1:]} == {
        ("add", "c01"), ("add", "c02"), ("add", "c03"), ("remove", "c04"), ("remove", "c09"),
    }  # fmt: skip


def test_frequency_cap_counts_distinct_snapshots_sent_in_the_window(shop: Workspace) -> None:
    write_audience(shop, "promo", "include: [vips]\nconsent: false\n")
    write_audience(
        shop,
        "capped",
        "include: [gold, vips]\nconsent: false\nfrequency_cap: {max: 2, within: 7d}\n",
    )
    build(shop, "promo", T1)
    shop.audience_export("promo", "csv")
    shop.audience_export("promo", "parquet")  # the same snapshot again: not another send
    assert build(shop, "capped", T2).count == 10
    build(shop, "promo", "2026-06-21T00:00:00Z")
    shop.audience_export("promo", "csv")  # a second snapshot sent: c09 and c11 reach the cap
    snap = build(shop, "capped", T2)
    assert set(shop.audience("capped")["contact_id"].to_list()) == {f"c0{n}" for n in range(1, 9)}
    assert snap.funnel is not None and snap.funnel["capped"] == 2


def test_frequency_cap_window_is_closed_below_and_open_above(shop: Workspace) -> None:
    write_audience(shop, "promo", "include: [vips]\nconsent: false\n")
    write_audience(
        shop, "capped", "include: [vips]\nconsent: false\nfrequency_cap: {max: 1, within: 7d}\n"
    )
    build(shop, "promo", T2)  # as_of == the capped build's as_of: outside [as_of - 7d, as_of)
    shop.audience_export("promo", "csv")
    assert build(shop, "capped", T2).count == 2
    early = build(shop, "promo", T1)  # exactly as_of - 7d: inside (a backtest: not the latest)
    shop.audience_export("promo", "csv", snapshot=early.snapshot_id)
    assert build(shop, "capped", T2).count == 0
    assert build(shop, "capped", "2026-06-27T00:00:01Z").count == 0
    assert build(shop, "capped", "2026-06-19T23:59:59Z").count == 2  # before any send


def test_holdout_is_never_sent_so_never_capped(shop: Workspace) -> None:
    write_audience(
        shop,
        "capped",
        "include: [gold, vips]\nconsent: false\nfrequency_cap: {max: 1, within: 7d}\n",
    )
    build(shop, "split", T1)
    arms = arms_of(shop, "split")
    shop.audience_export("split", "csv")
    build(shop, "capped", T2)
    assert set(shop.audience("capped")["contact_id"].to_list()) == {
        c for c, a in arms.items() if a == "holdout"
    }


def test_the_segment_export_refuses_an_audience(
    shop: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    build(shop, "split", T1)
    result = run_cli(capsys, "export", "audience:split", "--format", "meta", "-w", str(shop.root))
    assert result.code == 2
    assert "audience:split is an audience snapshot" in result.err
    assert "duckseg audience export" in result.err
