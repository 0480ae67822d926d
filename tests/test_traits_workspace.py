"""Traits in a workspace: traits/ files, `duckseg traits`, attributes, exports, errors.

Values are checked against hand-written DuckDB queries over the sample's events.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from duckseg import Workspace
from tests.exportshop import run_cli

AS_OF = "2026-06-30T18:00:00Z"
EARLIER = "2026-01-01T00:00:00Z"

# The example traits by hand: sum of purchase amounts, purchases in 365 days, the amount
# of the latest purchase (greatest at a tie) and the first tracked event, up to as_of.
HAND_WRITTEN = """
WITH e AS (SELECT * FROM events WHERE ts <= CAST(? AS TIMESTAMP))
SELECT c.contact_id,
       (SELECT min(ts) FROM e WHERE e.contact_id = c.contact_id AND e.event IN (
            'page_view', 'product_view', 'login', 'message_received', 'message_read',
            'message_replied', 'add_to_cart', 'checkout_started', 'purchase')) AS first_seen,
       (SELECT amount FROM e WHERE e.contact_id = c.contact_id AND e.event = 'purchase'
            AND amount IS NOT NULL ORDER BY ts DESC, amount DESC LIMIT 1) AS last_order_amount,
       coalesce((SELECT sum(amount) FROM e WHERE e.contact_id = c.contact_id
            AND e.event = 'purchase'), 0) AS lifetime_spend,
       (SELECT count(*) FROM e WHERE e.contact_id = c.contact_id AND e.event = 'purchase'
            AND ts >= CAST(? AS TIMESTAMP) - INTERVAL 365 DAY) AS order_count
FROM contacts c ORDER BY c.contact_id
"""


def _hand_written(ws: Workspace, as_of: str) -> pl.DataFrame:
    naive = ws.as_of(as_of).astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    con = ws.connect()
    try:
        frame = pl.from_arrow(con.sql(HAND_WRITTEN, params=[naive, naive]).to_arrow_table())
    finally:
        con.close()
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.mark.parametrize("as_of", [AS_OF, EARLIER])
def test_example_traits_equal_hand_written_queries(sample_ws: Workspace, as_of: str) -> None:
    got = sample_ws.traits(as_of=as_of)
    assert got.columns == [
        "contact_id",
        "first_seen",
        "last_order_amount",
        "lifetime_spend",
        "order_count",
    ]
    expected = _hand_written(sample_ws, as_of)
    assert got.height == expected.height == 5000
    for name in ("first_seen", "last_order_amount", "order_count"):
        assert got[name].to_list() == expected[name].to_list(), name
    # sums compared to the cent: the hand-written sum is a plain float sum
    diff = (got["lifetime_spend"] - expected["lifetime_spend"]).abs().max()
    assert isinstance(diff, float) and diff < 0.005
    assert got["order_count"].dtype == pl.Int64


def test_traits_are_point_in_time(sample_ws: Workspace) -> None:
    now = sample_ws.traits(as_of=AS_OF, names=["lifetime_spend"])
    before = sample_ws.traits(as_of=EARLIER, names=["lifetime_spend"])
    assert now.columns == before.columns == ["contact_id", "lifetime_spend"]
    grew = (now["lifetime_spend"] - before["lifetime_spend"]).to_list()
    assert min(grew) >= 0 and max(grew) > 0


def test_traits_verb_writes_parquet_and_json(
    sample_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "traits.parquet"
    result = run_cli(
        capsys,
        "traits",
        "-w",
        str(sample_ws.root),
        "--as-of",
        AS_OF,
        "--out",
        str(target),
        "--json",
    )
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert body["contacts"] == 5000 and body["out"] == str(target)
    assert [t["name"] for t in body["traits"]] == [
        "first_seen",
        "last_order_amount",
        "lifetime_spend",
        "order_count",
    ]
    assert body["traits"][2]["computes"] == "total amount over purchase events"
    table = pq.read_table(target)
    assert table.column_names == ["contact_id", *(t["name"] for t in body["traits"])]
    assert table.num_rows == 5000
    expected = sample_ws.traits(as_of=AS_OF)
    assert pl.from_arrow(table).equals(expected)


def test_unknown_trait_in_the_verb_is_exit_2(
    sample_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "traits", "-w", str(sample_ws.root), "--traits", "lifetime_spnd")
    assert result.code == 2
    assert "unknown trait lifetime_spnd (did you mean lifetime_spend?)" in result.err


def test_attributes_lists_traits(sample_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "attributes", "-w", str(sample_ws.root), "--json")
    assert result.code == 0, result.err
    rows = {row["name"]: row for row in json.loads(result.out)}
    assert rows["lifetime_spend"]["kind"] == "trait"
    assert rows["lifetime_spend"]["type"] == "float"
    assert rows["order_count"]["type"] == "integer"
    assert rows["city"]["kind"] == "attribute"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "of: purchase\nvalue: {fn: sum, prop: amout}\n",
            "traits/bad.yaml: value.prop: unknown event property amout (did you mean amount?)",
        ),
        (
            "of: purchase\nvalue: {fn: count, prop: amount}\n",
            "traits/bad.yaml: value.prop: count takes no prop",
        ),
        ("of: purchase\nvalue: {fn: sum}\n", "traits/bad.yaml: value: sum needs a prop"),
        ("of: [purchase\n", "traits/bad.yaml: line 2, column 1: not valid YAML"),
    ],
)
def test_a_bad_trait_file_is_exit_2_naming_file_and_path(
    sample_ws: Workspace, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    (sample_ws.root / "traits" / "bad.yaml").write_text(body, encoding="utf-8")
    for verb in ("check", "traits"):
        result = run_cli(capsys, verb, "-w", str(sample_ws.root))
        assert result.code == 2, (verb, result.out)
        assert message in result.err, (verb, result.err)


def test_a_trait_named_like_an_attribute_is_exit_2(
    sample_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample_ws.root / "traits" / "city.yaml").write_text(
        "of: purchase\nvalue: {fn: count}\n", encoding="utf-8"
    )
    result = run_cli(capsys, "check", "-w", str(sample_ws.root))
    assert result.code == 2
    assert "traits/city.yaml: trait city has the name of a contact attribute" in result.err


def test_export_columns_read_traits_at_the_snapshots_as_of(
    sample_ws: Workspace, tmp_path: Path
) -> None:
    snap = sample_ws.build("top10_spenders_stopped", as_of=EARLIER)
    result = sample_ws.export(
        "top10_spenders_stopped",
        "parquet",
        out=tmp_path / "x",
        columns="city,lifetime_spend,order_count",
    )
    assert result.manifest["columns"] == ["contact_id", "city", "lifetime_spend", "order_count"]
    written = pl.read_parquet(tmp_path / "x" / "top10_spenders_stopped.parquet")
    assert written.height == snap.count
    at_build = sample_ws.traits(as_of=EARLIER).join(
        written.select("contact_id"), on="contact_id", how="semi"
    )
    assert written["lifetime_spend"].to_list() == at_build["lifetime_spend"].to_list()
    assert written["order_count"].to_list() == at_build["order_count"].to_list()
    # later traits differ for someone: the export did not read them at now
    later = sample_ws.traits(as_of=AS_OF).join(
        written.select("contact_id"), on="contact_id", how="semi"
    )
    assert later["lifetime_spend"].to_list() != written["lifetime_spend"].to_list()


def test_export_unknown_column_names_traits_too(sample_ws: Workspace, tmp_path: Path) -> None:
    from duckseg.errors import InputError

    sample_ws.build("top10_spenders_stopped")
    with pytest.raises(InputError, match="unknown attribute or trait lifetime_spnd"):
        sample_ws.export(
            "top10_spenders_stopped", "csv", out=tmp_path / "e", columns="lifetime_spnd"
        )


def test_init_creates_an_empty_traits_folder(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "new")
    assert (ws.root / "traits").is_dir() and not list((ws.root / "traits").iterdir())


def test_changing_a_trait_changes_the_definition_hash(sample_ws: Workspace) -> None:
    seg = sample_ws.load("top10_spenders_stopped")
    before = sample_ws.definition_hash(seg)
    path = sample_ws.root / "traits" / "lifetime_spend.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "within: 365d\n", encoding="utf-8")
    assert sample_ws.definition_hash(seg) != before


def test_preview_reads_traits(sample_ws: Workspace) -> None:
    from duckseg import Segment

    seg = Segment.from_dict(
        {"name": "p", "where": {"trait": "order_count", "op": "gte", "value": 3}}
    )
    expected = _hand_written(sample_ws, AS_OF).filter(pl.col("order_count") >= 3).height
    assert sample_ws.preview(seg, as_of=datetime.fromisoformat(AS_OF)).count == expected


def test_report_breaks_down_and_averages_traits(sample_ws: Workspace, tmp_path: Path) -> None:
    sample_ws.build_many(["top10_spenders_stopped", "vip"], as_of=AS_OF)
    config = {
        "breakdowns": ["order_count", "city"],
        "metrics": [
            {"name": "spend", "kind": "avg", "trait": "lifetime_spend"},
            {"name": "spend_per_member", "kind": "sum", "trait": "lifetime_spend"},
        ],
    }
    report = sample_ws.report(["top10_spenders_stopped", "vip"], out=tmp_path / "r", config=config)
    values = sample_ws.traits(as_of=AS_OF)
    members = set(sample_ws.members("vip")["contact_id"].to_list())
    vip = values.filter(pl.col("contact_id").is_in(list(members)))
    metrics = report.to_polars("metrics")
    avg = metrics.filter((pl.col("metric") == "spend") & (pl.col("population") == "vip"))
    assert avg["value"][0] == pytest.approx(vip["lifetime_spend"].mean())
    per = metrics.filter(
        (pl.col("metric") == "spend_per_member") & (pl.col("population") == "all contacts")
    )
    assert per["value"][0] == pytest.approx(values["lifetime_spend"].sum() / values.height)
    breakdowns = report.to_polars("breakdowns").filter(pl.col("attribute") == "order_count")
    zero = breakdowns.filter((pl.col("population") == "vip") & (pl.col("value") == "0"))
    assert zero["members"][0] == vip.filter(pl.col("order_count") == 0).height


def test_report_config_errors_for_traits(sample_ws: Workspace, tmp_path: Path) -> None:
    from duckseg.errors import BadInputError

    sample_ws.build("vip", as_of=AS_OF)
    bad = [
        ({"metrics": [{"name": "x", "kind": "avg", "trait": "spnd"}]}, "metrics[0].trait"),
        ({"metrics": [{"name": "x", "kind": "avg", "trait": "first_seen"}]}, "metrics[0].trait"),
        (
            {"metrics": [{"name": "x", "kind": "sum", "trait": "lifetime_spend", "prop": "a"}]},
            "metrics[0].prop",
        ),
        ({"breakdowns": ["lifetime_spnd"]}, "breakdowns[0]"),
    ]
    for config, path in bad:
        with pytest.raises(BadInputError) as caught:
            sample_ws.report(["vip"], out=tmp_path / "r", config=config)
        assert [p.path for p in caught.value.problems] == [path], config


def test_a_bad_trait_file_stops_only_what_reads_it(
    sample_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample_ws.root / "traits" / "lifetime_spend.yaml").write_text(
        "of: purchase\nvalue: {fn: sum}\n", encoding="utf-8"
    )
    assert sample_ws.build("vip", as_of=AS_OF).count > 0
    result = run_cli(capsys, "build", "top10_spenders_stopped", "-w", str(sample_ws.root))
    assert result.code == 2
    assert "traits/lifetime_spend.yaml: value: sum needs a prop" in result.err
    both = run_cli(capsys, "traits", "-w", str(sample_ws.root), "--traits", "order_count")
    assert both.code == 0, both.err
