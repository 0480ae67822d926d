"""`duckseg report --audience`: each arm against the holdout, with intervals and in words."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from duckseg import Workspace
from tests.audienceshop import make_audience_shop, write_audience
from tests.exportshop import run_cli

SPLIT = """\
include: [gold, vips]
consent: false
split:
  salt: s-2026
  arms: {holdout: 1, a: 1}
"""
CONFIG = """\
metrics:
  - {name: bought, kind: conversion, event: purchase, days: 7}
  - {name: orders, kind: events_per_member, event: purchase}
"""
PURCHASED_JUNE_20 = {"c01", "c02", "c03"}  # tests/exportshop.py
PURCHASES = {"c04": 1, "c09": 1}  # before 2026-06-15


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    ws = make_audience_shop(tmp_path / "shop")
    write_audience(ws, "split", SPLIT)
    (tmp_path / "report.yaml").write_text(CONFIG, encoding="utf-8")
    return ws


def test_arms_against_holdout(
    shop: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.audience_build("split", as_of="2026-06-15T00:00:00Z")
    arms = {r["contact_id"]: r["arm"] for r in shop.audience("split").to_dicts()}
    w = ["-w", str(shop.root)]
    config = str(tmp_path / "report.yaml")
    result = run_cli(capsys, "report", "--audience", "split", "--config", config, *w, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    rows = {(r["metric"], r["arm"]): r for r in data["arms"]}
    assert [arm for metric, arm in rows if metric == "bought"] == ["holdout", "a"]
    members = {arm: [c for c, a in arms.items() if a == arm] for arm in ("holdout", "a")}
    bought = {arm: sum(c in PURCHASED_JUNE_20 for c in ids) for arm, ids in members.items()}
    for arm, ids in members.items():
        row = rows[("bought", arm)]
        assert row["members"] == len(ids) and row["members_with_event"] == bought[arm]
        assert row["value"] == pytest.approx(bought[arm] / len(ids))
        low, high = proportion_confint(bought[arm], len(ids), method="wilson")
        assert (row["low"], row["high"]) == pytest.approx((low, high))
        assert row["complete"] is True
    a = rows[("bought", "a")]
    low, high = confint_proportions_2indep(
        bought["a"], len(members["a"]), bought["holdout"], len(members["holdout"]),
        method="newcomb", compare="diff",
    )  # fmt: skip
    assert (a["difference_low"], a["difference_high"]) == pytest.approx((low, high))
    assert a["distinguishable"] == (low > 0 or high < 0)
    assert rows[("bought", "holdout")]["difference"] is None

    per_member = {
        arm: np.array([float(PURCHASES.get(c, 0)) for c in ids]) for arm, ids in members.items()
    }
    orders = rows[("orders", "a")]
    assert orders["value"] == pytest.approx(per_member["a"].mean())
    welch = CompareMeans(DescrStatsW(per_member["a"]), DescrStatsW(per_member["holdout"]))
    low, high = welch.tconfint_diff(usevar="unequal")
    assert (orders["difference_low"], orders["difference_high"]) == pytest.approx((low, high))

    page = Path(data["html"]).read_text(encoding="utf-8")
    assert "<svg" in page and "Arms against the holdout" in page
    words = "distinguishable from zero" if a["distinguishable"] else "not distinguishable"
    assert words in page
    assert (Path(data["path"]) / "arms.parquet").exists()


def test_an_open_conversion_window_is_marked(
    shop: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.audience_build("split", as_of="2026-06-28T00:00:00Z")  # the clock reads 2026-07-01
    report = shop.audience_report("split", config=tmp_path / "report.yaml")
    bought = [r for r in report.rows if r["metric"] == "bought"]
    assert bought and all(r["complete"] is False for r in bought)
    assert "incomplete" in report.html_path.read_text(encoding="utf-8")
    text = run_cli(capsys, "report", "--audience", "split", "-w", str(shop.root))
    assert text.code == 0, text.err


def test_unknown_audience_and_segments_with_audience(
    shop: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    w = ["-w", str(shop.root)]
    missing = run_cli(capsys, "report", "--audience", "splt", *w)
    assert missing.code == 2 and "unknown audience splt (did you mean split?)" in missing.err
    both = run_cli(capsys, "report", "gold", "--audience", "split", *w)
    assert both.code == 2 and "not both" in both.err


def test_a_segment_report_of_everything_leaves_audiences_out(shop: Workspace) -> None:
    shop.build("gold", as_of="2026-06-15T00:00:00Z")
    shop.audience_build("split", as_of="2026-06-15T00:00:00Z")
    report = shop.report()
    assert report.segment_names == ["gold", "vips"]
