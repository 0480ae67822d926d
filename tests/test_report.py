"""Comparative reports: every table checked against an independent computation, config errors,
choosing snapshots, the output folder and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duckseg import FixedClock, InputError, Workspace
from duckseg.report import SCHEMAS, Report
from duckseg.report.metrics import BASE, NOT_SET, OTHER
from tests.reportshop import AS_OF, CONFIG, NOW, SEGMENTS, build_shop


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_shop(tmp_path_factory.mktemp("shop") / "ws")


@pytest.fixture(scope="module")
def report(shop: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Report:
    out = tmp_path_factory.mktemp("report") / "out"
    return shop.report(["big_spenders", "pune", "lapsed"], out=out, config=CONFIG)


def events_frame(shop: Workspace) -> pl.DataFrame:
    return pl.read_parquet(shop.root.parent / "events.parquet")


def members(shop: Workspace, name: str) -> set[str]:
    return set(shop.members(name)["contact_id"].to_list())


# -- the tables --------------------------------------------------------------------------


def test_every_table_is_written_with_its_documented_schema(report: Report) -> None:
    for name, schema in SCHEMAS.items():
        table = pq.read_table(report.path / f"{name}.parquet")
        assert table.schema.equals(schema, check_metadata=False), name
        for f in table.schema:
            assert (f.metadata or {}).get(b"description"), f"{name}.{f.name} is undocumented"
        assert table.num_rows == report.tables[name].num_rows
    manifest = json.loads((report.path / "report.json").read_text(encoding="utf-8"))
    assert [s["segment"] for s in manifest["snapshots"]] == ["big_spenders", "pune", "lapsed"]
    assert set(manifest["schemas"]) == set(SCHEMAS)
    assert manifest["rows"]["overlap"] == 9
    assert any(key.startswith("metric buyers_30d") for key in manifest["queries"])
    assert (report.path / "report.html").exists()


def test_sizes_and_shares(report: Report, shop: Workspace) -> None:
    rows = {r["population"]: r for r in report.segments.to_dicts()}
    assert rows[BASE]["members"] == 300 and rows[BASE]["is_base"]
    for name in SEGMENTS:
        assert rows[name]["members"] == len(members(shop, name)) == shop.snapshot(name).count
        assert rows[name]["share_of_contacts"] == pytest.approx(rows[name]["members"] / 300)
        assert rows[name]["as_of"] == AS_OF
    assert rows["pune"]["definition"] == 'city is "Pune"'
    assert rows["lapsed"]["definition"] == (
        "performed purchase and did not perform purchase in the last 30 days"
    )
    assert rows["big_spenders"]["owner"] == "growth"
    assert not rows["big_spenders"]["definition_changed"]


def test_overlap_counts_and_jaccard(report: Report, shop: Workspace) -> None:
    sets = {name: members(shop, name) for name in SEGMENTS}
    for row in report.overlap.to_dicts():
        a, b = sets[row["segment_a"]], sets[row["segment_b"]]
        assert row["overlap"] == len(a & b)
        assert row["jaccard"] == pytest.approx(len(a & b) / len(a | b))
        assert row["share_of_a"] == pytest.approx(len(a & b) / len(a))


def test_breakdowns_shares_buckets_and_lift(report: Report, shop: Workspace) -> None:
    frame = report.breakdowns
    contacts = shop.members("pune")  # current attributes of pune's members
    assert set(frame["attribute"].unique()) == {"city", "plan", "tags", "opted_out"}
    pune_city = frame.filter((pl.col("attribute") == "city") & (pl.col("population") == "pune"))
    assert pune_city.filter(pl.col("value") == "Pune")["share"].item() == 1.0
    assert pune_city["members"].sum() == contacts.height  # buckets partition the members
    everyone = pl.read_parquet(shop.root.parent / "contacts.parquet")
    base = frame.filter((pl.col("attribute") == "city") & (pl.col("population") == BASE))
    shown = set(base["value"].to_list())
    assert NOT_SET in shown and OTHER in shown  # top_values 4 of 7 cities, some missing
    assert (
        base.filter(pl.col("value") == NOT_SET)["members"].item() == everyone["city"].null_count()
    )
    for row in frame.filter(~pl.col("is_base")).to_dicts():
        if row["base_share"]:
            assert row["lift"] == pytest.approx(row["share"] / row["base_share"])
    # tags: a member counts under each of its tags; members without tags are "(not set)"
    tags = frame.filter((pl.col("attribute") == "tags") & (pl.col("population") == BASE))
    vip = sum("vip" in t for t in everyone["tags"].to_list())
    assert tags.filter(pl.col("value") == "vip")["members"].item() == vip
    no_tags = sum(not t for t in everyone["tags"].to_list())
    assert tags.filter(pl.col("value") == NOT_SET)["members"].item() == no_tags
    # booleans break down as text
    opted = frame.filter((pl.col("attribute") == "opted_out") & (pl.col("population") == BASE))
    assert set(opted["value"].to_list()) == {"true", "false"}


def _metric(report: Report, name: str, population: str) -> dict[str, Any]:
    rows = report.metrics.filter(
        (pl.col("metric") == name) & (pl.col("population") == population)
    ).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_event_metrics_match_a_polars_computation(report: Report, shop: Workspace) -> None:
    ev = events_frame(shop)
    purchases = ev.filter(pl.col("event") == "purchase")
    until = pl.lit(AS_OF)
    everyone = set(pl.read_parquet(shop.root.parent / "contacts.parquet")["contact_id"])
    for name in ("pune", "lapsed", BASE):
        ids = everyone if name == BASE else members(shop, name)
        mine = pl.col("contact_id").is_in(list(ids))
        recent = purchases.filter(
            mine & (pl.col("ts") >= until - timedelta(days=30)) & (pl.col("ts") <= until)
        )
        reach = _metric(report, "buyers_30d", name)
        assert reach["members_with_event"] == recent["contact_id"].n_unique()
        assert reach["value"] == pytest.approx(recent["contact_id"].n_unique() / len(ids))

        logins = ev.filter(
            mine
            & (pl.col("event") == "login")
            & (pl.col("ts") >= until - timedelta(days=90))
            & (pl.col("ts") <= until)
        )
        assert _metric(report, "logins", name)["value"] == pytest.approx(logins.height / len(ids))

        spend = purchases.filter(
            mine & (pl.col("ts") >= until - timedelta(days=90)) & (pl.col("ts") <= until)
        )["amount"].sum()
        assert _metric(report, "revenue", name)["value"] == pytest.approx(spend / len(ids))

        basket = purchases.filter(mine & (pl.col("ts") <= until))["amount"].mean()
        assert _metric(report, "basket", name)["value"] == pytest.approx(basket)

        big = purchases.filter(mine & (pl.col("ts") <= until) & (pl.col("amount") > 300))
        row = _metric(report, "big_orders", name)
        assert row["value"] == pytest.approx(big["contact_id"].n_unique() / len(ids))
        assert row["label"] == "Placed an order over 300"

        after = purchases.filter(
            mine & (pl.col("ts") > until) & (pl.col("ts") <= until + timedelta(days=14))
        )
        conv = _metric(report, "converted", name)
        assert conv["value"] == pytest.approx(after["contact_id"].n_unique() / len(ids))
        assert conv["window_start"] == AS_OF and conv["window_end"] == AS_OF + timedelta(days=14)
        assert conv["complete"]  # the clock is past the end of the window


def test_lift_is_value_over_the_base(report: Report) -> None:
    frame = report.metrics
    assert frame.filter(pl.col("is_base"))["lift"].to_list() == [1.0] * 6
    for row in frame.filter(~pl.col("is_base")).to_dicts():
        base = _metric(report, row["metric"], BASE)["value"]
        assert row["base_value"] == base
        assert row["lift"] == (pytest.approx(row["value"] / base) if base else None)
    # lapsed members by definition bought nothing in the last 30 days
    assert _metric(report, "buyers_30d", "lapsed")["value"] == 0.0


def test_size_over_time_with_entered_and_exited(report: Report, shop: Workspace) -> None:
    frame = report.size_over_time
    for name in SEGMENTS:
        rows = frame.filter(pl.col("segment") == name).to_dicts()
        history = shop.snapshots.history(name)
        assert [r["snapshot_id"] for r in rows] == [h.snapshot_id for h in history]
        assert [r["in_report"] for r in rows] == [False, False, True]
        for row, info, before in zip(rows, history, [None, *history[:-1]], strict=True):
            entered, exited = shop.snapshots.diff(before, info)
            assert (row["entered"], row["exited"]) == (entered.num_rows, exited.num_rows)
            assert row["members"] == info.count


def test_conversion_window_still_open_is_marked(shop: Workspace, tmp_path: Path) -> None:
    ws = Workspace.open(shop.root, clock=FixedClock(AS_OF + timedelta(days=3)))
    cfg = {"metrics": [{"name": "c", "kind": "conversion", "event": "purchase", "days": 14}]}
    rep = ws.report(["pune"], out=tmp_path / "r", config=cfg)
    assert not any(rep.metrics["complete"].to_list())
    assert "window still open" in rep.html_path.read_text(encoding="utf-8")


def test_chosen_snapshots_and_mixed_as_of(shop: Workspace, tmp_path: Path) -> None:
    first = shop.snapshots.history("pune")[0]
    rep = shop.report([f"pune@{first.snapshot_id}", "lapsed"], out=tmp_path / "r", config=CONFIG)
    seg = {r["population"]: r for r in rep.segments.to_dicts()}
    assert seg["pune"]["snapshot_id"] == first.snapshot_id
    assert seg["pune"]["as_of"] == first.as_of
    reach = rep.metrics.filter(pl.col("metric") == "buyers_30d")
    # the base is evaluated at each as_of the report uses, and lift compares like with like
    bases = reach.filter(pl.col("is_base"))
    assert sorted(bases["as_of"].to_list()) == sorted([first.as_of, AS_OF])
    pune = reach.filter(pl.col("population") == "pune").to_dicts()[0]
    base_then = bases.filter(pl.col("as_of") == first.as_of)["value"].item()
    assert pune["base_value"] == base_then
    # a Snapshot object works too, and no segments means every built segment
    by_obj = shop.report([shop.snapshot("pune")], out=tmp_path / "o")
    assert by_obj.segment_names == ["pune"]
    everything = shop.report([], out=tmp_path / "all")
    assert everything.segment_names == sorted(SEGMENTS)


def test_defaults_pick_text_breakdowns_and_frequent_events(shop: Workspace, tmp_path: Path) -> None:
    rep = shop.report(["pune", "lapsed"], out=tmp_path / "r")
    assert set(rep.breakdowns["attribute"].unique()) == {"city", "plan"}  # never email
    metrics = rep.metrics.filter(pl.col("is_base"))
    assert set(metrics["metric"].to_list()) == {"login_30d", "email_open_30d", "purchase_30d"}
    assert set(metrics["kind"].to_list()) == {"reach"}


def test_default_output_folders(shop: Workspace) -> None:
    first = shop.report(["pune"])
    second = shop.report(["pune"])
    assert first.path == shop.root / "reports" / "20260720T000000Z"
    assert second.path == shop.root / "reports" / "20260720T000000Z-2"
    named = shop.report(["pune"], config={"name": "weekly"})
    again = shop.report(["lapsed"], config={"name": "weekly"})
    assert named.path == again.path == shop.root / "reports" / "weekly"
    seg = pl.read_parquet(again.path / "segments.parquet")
    assert seg["population"].to_list() == ["lapsed", BASE]  # replaced, not mixed


def test_a_failed_report_writes_nothing(
    shop: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckseg.report.build as build

    def broken(_report: Report) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "render_page", broken)
    with pytest.raises(RuntimeError):
        shop.report(["pune"], out=tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_report_object_converts_and_renders(report: Report) -> None:
    assert report.to_polars("overlap").height == 9
    assert report.to_arrow("metrics").schema.equals(SCHEMAS["metrics"])
    assert report.to_pandas("segments").shape[0] == 4
    with pytest.raises(KeyError):
        report.to_polars("nope")
    html = report._repr_html_()
    assert "Test report" in html and "<details>" in html and "metric-bar" in html
    data = report.to_dict()
    json.dumps(data)
    assert data["html"].endswith("report.html") and len(data["segments"]) == 4


def test_html_page_is_self_contained(report: Report) -> None:
    page = report.html_path.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for forbidden in ("http://", "https://", "<script", "<link", "<img", "@import", "url("):
        assert forbidden not in page, forbidden
    for marker in ('id="summary"', 'id="size"', 'id="overlap"', 'id="metrics"', 'id="breakdowns"'):
        assert marker in page
    assert page.count('class="chart-line"') == 3
    assert page.count('class="heat-cell"') == 9
    assert page.count('class="metric-bar"') == 6 * 3
    assert "Spent over 5k" in page and "Members: city is &quot;Pune&quot;." in page


def test_names_and_text_are_escaped(shop: Workspace, tmp_path: Path) -> None:
    rep = shop.report(["pune"], out=tmp_path / "r", config={"title": "<b>Q3</b> & more"})
    page = rep.html_path.read_text(encoding="utf-8")
    assert "<b>Q3</b>" not in page and "&lt;b&gt;Q3&lt;/b&gt; &amp; more" in page


# -- choosing segments: errors -------------------------------------------------------


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        (["nope"], "unknown segment nope"),
        (["pune@20200101T000000000000-abcdef"], "no snapshot 20200101T000000000000-abcdef"),
        (["pune", "pune"], "segment pune is listed twice"),
    ],
)
def test_bad_segment_choices(shop: Workspace, segments: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        shop.report(segments)


def test_a_segment_never_built(shop: Workspace, tmp_path: Path) -> None:
    (shop.root / "segments" / "fresh.yaml").write_text(
        "where: {attr: plan, op: is, value: pro}\n", encoding="utf-8"
    )
    try:
        with pytest.raises(InputError, match="no snapshot yet for segment fresh") as info:
            shop.report(["fresh"])
        assert "duckseg build fresh" in str(info.value)
    finally:
        (shop.root / "segments" / "fresh.yaml").unlink()


# -- config errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("colour: red\n", "report.yaml: colour: unknown key 'colour'"),
        ("breakdown: [city]\n", "(did you mean breakdowns?)"),
        (
            "metrics:\n  - {name: a, kind: reach, event: purchase, dayz: 3}\n",
            "report.yaml: metrics[0].dayz: unknown key 'dayz'",
        ),
        (
            "metrics:\n  - {name: a, kind: conversion, event: purchase, days: 7, within: 30d}\n",
            "metrics[0].within: unknown key 'within'",
        ),
        (
            "metrics:\n  - {name: a, kind: raech, event: purchase}\n",
            "metrics[0].kind: unknown metric kind 'raech' (did you mean reach?)",
        ),
        ("metrics:\n  - {name: a, event: purchase}\n", "metrics[0]: missing kind"),
        (
            "metrics:\n  - {name: a, kind: conversion, event: purchase}\n",
            "metrics[0].days: missing",
        ),
        (
            "metrics:\n  - {name: a, kind: conversion, event: purchase, days: 0}\n",
            "metrics[0].days: Input should be greater than 0",
        ),
        (
            "metrics:\n  - {name: a, kind: reach, event: purchse}\n",
            "report.yaml: metrics[0].event: unknown event purchse (did you mean purchase?)",
        ),
        (
            "metrics:\n  - {name: a, kind: reach, event: [login, purchse]}\n",
            "metrics[0].event[1]: unknown event purchse",
        ),
        (
            "metrics:\n  - {name: a, kind: reach, event: purchase, within: 30x}\n",
            "metrics[0].within: expected a duration",
        ),
        (
            "metrics:\n  - name: a\n    kind: reach\n    event: purchase\n"
            "    where: {prop: amout, op: gt, value: 1}\n",
            "metrics[0].where.prop: unknown event property amout (did you mean amount?)",
        ),
        (
            "metrics:\n  - {name: a, kind: sum, event: purchase, prop: amout}\n",
            "metrics[0].prop: unknown event property amout (did you mean amount?)",
        ),
        (
            "metrics:\n  - {name: a, kind: avg, event: purchase, prop: channel}\n",
            "metrics[0].prop: avg needs a number property; channel is text",
        ),
        (
            "metrics:\n  - {name: a, kind: reach, event: login}\n"
            "  - {name: a, kind: reach, event: purchase}\n",
            "metrics[1].name: metric a is listed twice",
        ),
        (
            "breakdowns: [cty]\n",
            "report.yaml: breakdowns[0]: unknown attribute or trait cty (did you mean city?)",
        ),
        ("top_values: 0\n", "top_values: Input should be greater than or equal to 1"),
        ("name: ../escape\n", "name: expected a name of letters, digits, _ and -"),
        ("metrics: [\n", "report.yaml: line"),
        ("- a\n- b\n", "expected a mapping"),
    ],
)
def test_config_errors_name_the_file_and_path(
    shop: Workspace, tmp_path: Path, config: str, expected: str
) -> None:
    path = tmp_path / "report.yaml"
    path.write_text(config, encoding="utf-8")
    with pytest.raises(InputError) as info:
        shop.report(["pune"], out=tmp_path / "out", config=path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)
    assert not (tmp_path / "out").exists()


def test_missing_config_file(shop: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        shop.report(["pune"], config=tmp_path / "nope.yaml")


# -- command line ----------------------------------------------------------------------


def test_cli_report_json_and_exit_codes(shop: Workspace, tmp_path: Path) -> None:
    config = tmp_path / "report.yaml"
    config.write_text(
        "title: From the CLI\nmetrics:\n  - {name: buyers, kind: reach, event: purchase, within: 30d}\n",
        encoding="utf-8",
    )
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "duckseg", "report", "pune", "lapsed", "-w", str(shop.root)]
    proc = subprocess.run(
        [*cmd, "--out", str(out), "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["title"] == "From the CLI" and data["path"] == str(out)
    assert [s["population"] for s in data["segments"]] == ["pune", "lapsed", BASE]
    assert data["tables"]["metrics"] == 3
    assert (out / "report.html").exists() and (out / "metrics.parquet").exists()

    config.write_text("metrics:\n  - {name: a, kind: reach, event: purchse}\n", encoding="utf-8")
    bad = subprocess.run(
        [*cmd, "--out", str(tmp_path / "bad"), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert f"{config}: metrics[0].event: unknown event purchse" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_static_and_empty_segments_without_events(tmp_path: Path) -> None:
    """Integer ids, no events at all, a static list, and a segment nobody is in."""
    pq.write_table(
        pa.table({"contact_id": [1, 2, 3, 4], "plan": ["free", "pro", "pro", None]}),
        tmp_path / "contacts.parquet",
    )
    ws = Workspace.init(tmp_path / "ws", clock=FixedClock(NOW))
    ws.ingest("contacts", [tmp_path / "contacts.parquet"])
    (tmp_path / "list.csv").write_text("contact_id\n2\n4\n", encoding="utf-8")
    ws.static_change("uploaded", "create", tmp_path / "list.csv")
    (ws.root / "segments" / "nobody.yaml").write_text(
        "where: {attr: plan, op: is, value: enterprise}\n", encoding="utf-8"
    )
    ws.build("nobody")
    rep = ws.report(["uploaded", "nobody"], out=tmp_path / "r")
    seg = {r["population"]: r for r in rep.segments.to_dicts()}
    assert seg["uploaded"]["members"] == 2 and seg["nobody"]["members"] == 0
    assert seg["uploaded"]["definition"] == "a static list of contacts"
    overlap = {(r["segment_a"], r["segment_b"]): r for r in rep.overlap.to_dicts()}
    assert overlap[("nobody", "nobody")]["jaccard"] is None
    assert overlap[("uploaded", "nobody")]["overlap"] == 0
    plan = rep.breakdowns.filter(pl.col("population") == "uploaded")
    assert dict(zip(plan["value"], plan["members"], strict=True)) == {
        "pro": 1,
        "free": 0,
        NOT_SET: 1,
    }
    assert rep.metrics.height == 0  # no events: no default metrics
    page = rep.html_path.read_text(encoding="utf-8")
    assert "No metrics" in page and "nobody" in page
