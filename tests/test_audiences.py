"""Audience builds: members at send time, limit order, arms and agents, history, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duckseg import Workspace
from duckseg.audiences.result import AudienceSnapshot
from duckseg.errors import DefinitionError
from tests.audienceshop import expected_pick, make_audience_shop, write_audience
from tests.exportshop import EARLY, LATE, run_cli

GOLD_OR_VIPS_NOT_BUYERS = {"c04", "c05", "c06", "c07", "c08", "c09", "c11"}
OPTED_OUT = {"c03", "c07"}


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    return make_audience_shop(tmp_path / "shop")


def build(ws: Workspace, name: str, as_of: str = LATE) -> AudienceSnapshot:
    snap = ws.audience_build(name, as_of=as_of)
    assert isinstance(snap, AudienceSnapshot)
    return snap


def ids(ws: Workspace, name: str) -> set[str]:
    return set(ws.audience(name)["contact_id"].to_list())


def test_members_are_the_union_minus_exclusions_and_consent(shop: Workspace) -> None:
    write_audience(shop, "push", "include: [gold, vips]\nexclude: [buyers]\n")
    snap = build(shop, "push")
    assert ids(shop, "push") == GOLD_OR_VIPS_NOT_BUYERS - OPTED_OUT
    assert snap.count == 6 and snap.entered == 6 and snap.exited == 0
    assert snap.funnel == {
        "included": 10,  # gold c01..c08 and the static vips c09, c11
        "excluded": 3,  # buyers c01..c03
        "in_other_audience": 0,
        "opted_out": 1,  # c07 (c03 already left as a buyer)
        "capped": 0,
        "eligible": 6,
        "limited": 0,
        "members": 6,
    }
    assert snap.arms == {"all": 6} and snap.agents == {}
    frame = shop.audience("push")
    assert frame.columns == ["contact_id", "arm", "agent"]
    assert frame["agent"].null_count() == 6


def test_consent_false_keeps_opted_out_contacts(shop: Workspace) -> None:
    write_audience(shop, "push", "include: [gold, vips]\nexclude: [buyers]\nconsent: false\n")
    build(shop, "push")
    assert ids(shop, "push") == GOLD_OR_VIPS_NOT_BUYERS


def test_limit_orders_descending_with_ties_by_contact_id(shop: Workspace) -> None:
    write_audience(
        shop,
        "top",
        "include: [gold, vips]\nexclude: [buyers]\n"
        "limit: {max: 2, order_by: spend, descending: true}\n",
    )
    snap = build(shop, "top")
    # c11 110, then c06 and c08 tie at 80: c06 comes first by contact_id.
    assert ids(shop, "top") == {"c11", "c06"}
    assert snap.funnel is not None and snap.funnel["limited"] == 4


def test_limit_ascending_puts_missing_and_nan_last(shop: Workspace) -> None:
    write_audience(
        shop, "low", "include: [gold, vips]\nexclude: [buyers]\nlimit: {max: 5, order_by: spend}\n"
    )
    build(shop, "low")
    # c04 40, c06 80, c08 80, c11 110, then c05 (missing) before c09 (NaN) by contact_id.
    assert ids(shop, "low") == {"c04", "c06", "c08", "c11", "c05"}


def test_limit_by_a_trait_reads_it_at_the_builds_as_of(shop: Workspace) -> None:
    (shop.root / "traits" / "last_purchase.yaml").write_text(
        "of: purchase\nvalue: {fn: last_time}\n", encoding="utf-8"
    )
    write_audience(
        shop,
        "recent",
        "include: [gold, vips]\nconsent: false\n"
        "limit: {max: 3, order_by: last_purchase, descending: true}\n",
    )
    late = build(shop, "recent")
    # As of LATE: c01, c02 and c03 bought on 06-20, c04 and c09 on 05-01.
    assert ids(shop, "recent") == {"c01", "c02", "c03"}
    assert late.limit is not None and "by trait last_purchase" in late.limit
    early = build(shop, "recent", as_of=EARLY)
    # As of EARLY the June purchases are still ahead: c04 and c09, then the missing by id.
    assert set(early.to_arrow().column("contact_id").to_pylist()) == {"c04", "c09", "c01"}


def test_limit_without_order_by_keeps_the_first_contact_ids(shop: Workspace) -> None:
    write_audience(shop, "first", "include: [gold]\nconsent: false\nlimit: {max: 3}\n")
    build(shop, "first")
    assert ids(shop, "first") == {"c01", "c02", "c03"}


SPLIT = """\
include: [gold, vips]
consent: false
split:
  salt: s-2026
  arms: {holdout: 1, a: 2, b: 3}
assign:
  agents: {ravi: 1, meera: 2}
"""


def test_arms_and_agents_follow_the_published_rule(shop: Workspace) -> None:
    write_audience(shop, "split", SPLIT)
    snap = build(shop, "split")
    arms = [("holdout", 1), ("a", 2), ("b", 3)]
    agents = [("ravi", 1), ("meera", 2)]
    for row in shop.audience("split").iter_rows(named=True):
        assert row["arm"] == expected_pick("s-2026", row["contact_id"], arms)
        assert row["agent"] == expected_pick("s-2026:agent", row["contact_id"], agents)
    assert list(snap.arms) == ["holdout", "a", "b"]
    assert sum(snap.arms.values()) == snap.count == 10


def test_assignment_is_stable_and_independent_of_the_other_members(shop: Workspace) -> None:
    write_audience(shop, "split", SPLIT)
    write_audience(shop, "small", SPLIT.replace("[gold, vips]", "[vips]"))
    build(shop, "split")
    first = {r["contact_id"]: (r["arm"], r["agent"]) for r in shop.audience("split").to_dicts()}
    build(shop, "small")
    small = {r["contact_id"]: (r["arm"], r["agent"]) for r in shop.audience("small").to_dicts()}
    assert small == {cid: first[cid] for cid in ("c09", "c11")}
    again = build(shop, "split", as_of="2026-06-30T12:00:00Z")
    assert again.entered == again.exited == 0
    assert shop.audience_diff("split").moved == []


def test_default_salt_is_the_audience_name(shop: Workspace) -> None:
    write_audience(shop, "named", "include: [gold]\nconsent: false\nsplit: {arms: {x: 1, y: 1}}\n")
    build(shop, "named")
    for row in shop.audience("named").iter_rows(named=True):
        assert row["arm"] == expected_pick("named", row["contact_id"], [("x", 1), ("y", 1)])


def test_history_entered_exited_and_backtests(shop: Workspace) -> None:
    write_audience(shop, "buy", "include: [buyers]\nconsent: false\n")
    late = build(shop, "buy")
    assert ids(shop, "buy") == {"c01", "c02", "c03"}
    early = build(shop, "buy", as_of="2026-05-15T00:00:00Z")  # a backtest slots in before
    assert early.entered == 2 and early.exited == 0  # c04 and c09, the first in history
    assert ids(shop, "buy") == {"c01", "c02", "c03"}  # the latest is still the later as_of
    diff = shop.audience_diff("buy")
    assert diff.from_id == early.snapshot_id and diff.to_id == late.snapshot_id
    assert set(diff.entered) == {"c01", "c02", "c03"} and set(diff.exited) == {"c04", "c09"}
    assert [r["audience"] for r in shop.list_audiences()] == ["buy"]
    assert shop.list_audiences()[0]["count"] == 3


def test_exclude_audiences_reads_the_latest_snapshot_or_the_same_build(shop: Workspace) -> None:
    write_audience(shop, "first", "include: [buyers]\nconsent: false\n")
    write_audience(shop, "second", "include: [gold]\nconsent: false\nexclude_audiences: [first]\n")
    built = shop.audience_build(["second", "first"], as_of=LATE)
    assert isinstance(built, list)
    assert [s.audience for s in built] == ["first", "second"]  # the excluded one first
    assert ids(shop, "second") == {f"c0{n}" for n in range(4, 9)}
    write_audience(shop, "first", "include: [vips]\nconsent: false\n")
    build(shop, "first")
    build(shop, "second")
    assert ids(shop, "second") == {f"c0{n}" for n in range(1, 9)}


def test_an_audience_with_no_snapshot_excludes_nobody_and_says_so(shop: Workspace) -> None:
    write_audience(shop, "never", "include: [vips]\n")
    write_audience(shop, "main", "include: [gold]\nconsent: false\nexclude_audiences: [never]\n")
    snap = build(shop, "main")
    assert snap.count == 8
    assert snap.warnings == ("audience never has no snapshot yet: nobody was excluded for it",)


BAD = [
    (
        "include: [gld]\n",
        "audiences/bad.yaml: include[0]: unknown segment gld (did you mean gold?)",
    ),
    (
        "include: [gold]\nexclude: [buyer]\n",
        "audiences/bad.yaml: exclude[0]: unknown segment buyer (did you mean buyers?)",
    ),
    (
        "include: [gold]\nexclude_audiences: [otehr]\n",
        "audiences/bad.yaml: exclude_audiences[0]: unknown audience otehr (did you mean other?)",
    ),
    (
        "include: [gold]\nsplit: {arms: {a: 1, b: 0}}\n",
        "audiences/bad.yaml: split.arms.b: expected a weight (a positive integer), got 0",
    ),
    (
        "include: [gold]\nsplit: {arms: {a: 1.5, b: 1}}\n",
        "audiences/bad.yaml: split.arms.a: expected a weight (a positive integer), got 1.5",
    ),
    (
        "include: [gold]\nassign: {agents: {ravi: -1}}\n",
        "audiences/bad.yaml: assign.agents.ravi: expected a weight (a positive integer), got -1",
    ),
    (
        "include: [gold]\nsplit: {arms: {a: true}}\n",
        "audiences/bad.yaml: split.arms.a: expected a weight (a positive integer), got True",
    ),
    (
        "include: [gold]\nexclude_audiences: [bad]\n",
        "audiences/bad.yaml: exclude_audiences[0]: audience bad excludes itself",
    ),
    (
        "include: [gold]\nexclude_audiences: [other]\n",
        "audiences/bad.yaml: exclude_audiences[0]: audience bad excludes itself: "
        "bad -> other -> bad",
    ),
    (
        "include: [gold]\nlimit: {max: 5, order_by: city}\n",
        "audiences/bad.yaml: limit.order_by: city is text: order_by needs a number, date or "
        "timestamp",
    ),
    (
        "include: [gold]\nlimit: {max: 5, order_by: spnd}\n",
        "audiences/bad.yaml: limit.order_by: unknown attribute or trait spnd (did you mean spend?)",
    ),
    (
        "include: [gold]\nlimit: {max: 0}\n",
        "audiences/bad.yaml: limit.max: expected a number of members (a positive integer), got 0",
    ),
    (
        "include: [gold]\nfrequency_cap: {max: 1, within: 7 days}\n",
        "audiences/bad.yaml: frequency_cap.within: expected a duration like 90d, 48h or 3mo",
    ),
    ("includes: [gold]\n", "audiences/bad.yaml: includes: unknown key 'includes'"),
    ("include: []\n", "audiences/bad.yaml: include: expected at least one segment"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_audiences_exit_2_naming_file_and_path_and_write_nothing(
    shop: Workspace, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    write_audience(shop, "other", "include: [gold]\nexclude_audiences: [bad]\n")
    write_audience(shop, "bad", text)
    before = sorted(p.name for p in (shop.root / "state").rglob("*"))
    result = run_cli(capsys, "audience", "build", "bad", "-w", str(shop.root))
    assert result.code == 2, result.err
    assert message in result.err
    assert sorted(p.name for p in (shop.root / "state").rglob("*")) == before
    assert shop.snapshots.latest("audience:bad") is None


def test_unknown_audience_has_a_did_you_mean(shop: Workspace) -> None:
    write_audience(shop, "festival", "include: [gold]\n")
    with pytest.raises(DefinitionError, match=r"unknown audience festivl \(did you mean festival"):
        shop.audience_build("festivl")


def test_cli_build_show_list_diff_json(shop: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_audience(shop, "split", SPLIT)
    w = ["-w", str(shop.root), "--json"]
    built = run_cli(capsys, "audience", "build", "split", "--as-of", LATE, *w)
    assert built.code == 0, built.err
    (row,) = json.loads(built.out)
    assert row["audience"] == "split" and row["count"] == 10 and row["entered"] == 10
    assert list(row["arms"]) == ["holdout", "a", "b"]
    shown = json.loads(run_cli(capsys, "audience", "show", "split", *w).out)
    assert shown["snapshot_id"] == row["snapshot_id"] and len(shown["sample"]) == 10
    listed = json.loads(run_cli(capsys, "audience", "list", *w).out)
    assert listed[0]["audience"] == "split" and listed[0]["count"] == 10
    diff = json.loads(run_cli(capsys, "audience", "diff", "split", *w).out)
    assert diff["from"] is None and len(diff["entered"]) == 10
    text = run_cli(capsys, "audience", "show", "split", "-w", str(shop.root))
    assert "holdout" in text.out and "meera" in text.out


def test_the_sample_audience_splits_with_a_holdout_and_two_agents(sample_ws: Workspace) -> None:
    from duckseg.api.sample import sample_as_of

    snap = build(sample_ws, "festival_push", as_of=sample_as_of().isoformat())
    assert list(snap.arms) == ["holdout", "a", "b"] and list(snap.agents) == ["ravi", "meera"]
    assert snap.count > 1000 and all(n > 0 for n in snap.arms.values())
    assert 0.05 < snap.arms["holdout"] / snap.count < 0.15


def test_a_failed_commit_leaves_no_snapshot_and_no_file(
    shop: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckseg.state.snapshots as snapshots

    write_audience(shop, "first", "include: [buyers]\n")
    write_audience(shop, "second", "include: [gold]\n")
    written = []
    real = snapshots.pq.write_table

    def write_then_fail(table: object, where: object, **kwargs: object) -> None:
        real(table, where, **kwargs)
        written.append(where)
        if len(written) == 2:
            raise OSError("disk full")

    monkeypatch.setattr(snapshots.pq, "write_table", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        shop.audience_build(["first", "second"], as_of=LATE)
    monkeypatch.undo()
    assert shop.snapshots.latest("audience:first") is None
    assert shop.snapshots.latest("audience:second") is None
    folder = shop.root / "state" / "snapshots" / "audience"
    shop.store.sweep_orphans()  # what the next writer does with the unregistered temporary file
    assert not [p for p in folder.rglob("*") if p.is_file()]
