"""Memberships over time: history, intervals, members on a past day, edits and static lists."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duckseg import DefinitionError, FixedClock, Workspace


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws", clock=FixedClock(utc("2026-07-01 00:00")))
    pq.write_table(
        pa.table(
            {
                "contact_id": ["a", "b", "c"],
                "email": ["a@x.com", "b@x.com", "c@x.com"],
                "country": ["IN"] * 3,
            }
        ),
        tmp_path / "contacts.parquet",
    )
    ws.ingest("contacts", [tmp_path / "contacts.parquet"])
    # a buys in January and April, b in March, c never.
    pq.write_table(
        pa.table(
            {
                "contact_id": ["a", "b", "a"],
                "event": ["purchase"] * 3,
                "ts": pa.array(
                    [datetime(2026, 1, 10), datetime(2026, 3, 10), datetime(2026, 4, 10)],
                    pa.timestamp("us"),
                ),
            }
        ),
        tmp_path / "events.parquet",
    )
    ws.ingest("events", [tmp_path / "events.parquet"])
    (ws.root / "segments" / "recent.yaml").write_text(
        "where: {performed: purchase, within: 30d}\n", encoding="utf-8"
    )
    return ws


def build_monthly(ws: Workspace) -> None:
    for day in ("2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"):
        ws.build("recent", as_of=day)


def test_history_counts_and_diffs(ws: Workspace) -> None:
    build_monthly(ws)
    history = ws.history("recent")
    assert history["count"].to_list() == [1, 0, 1, 1, 0]
    assert history["entered"].to_list() == [1, 0, 1, 1, 0]
    assert history["exited"].to_list() == [0, 1, 0, 1, 1]
    ids = history["snapshot_id"].to_list()
    diff = ws.diff("recent", from_id=ids[2], to_id=ids[3])
    assert (diff.entered, diff.exited) == (["a"], ["b"])


def test_intervals_and_members_on_a_past_day(ws: Workspace) -> None:
    build_monthly(ws)
    intervals = ws.intervals("recent").sort(["contact_id", "entered_at"])
    rows = [
        (r["contact_id"], r["entered_at"], r["exited_at"]) for r in intervals.iter_rows(named=True)
    ]
    assert rows == [
        ("a", utc("2026-01-31 00:00"), utc("2026-02-28 00:00")),
        ("a", utc("2026-04-30 00:00"), utc("2026-05-31 00:00")),
        ("b", utc("2026-03-31 00:00"), utc("2026-04-30 00:00")),
    ]
    assert ws.members_on("recent", "2026-04-01")["contact_id"].to_list() == ["b"]
    assert ws.members_on("recent", "2026-05-01")["contact_id"].to_list() == ["a"]
    assert ws.members_on("recent", "2026-06-15").is_empty()


def test_a_backtest_slots_into_the_intervals(ws: Workspace) -> None:
    ws.build("recent", as_of="2026-01-31")
    ws.build("recent", as_of="2026-03-31")
    ws.build("recent", as_of="2026-02-28")  # built last, but it sits between the two
    assert ws.history("recent")["count"].to_list() == [1, 0, 1]
    assert ws.snapshot("recent").as_of == utc("2026-03-31 00:00")
    assert [r["contact_id"] for r in ws.intervals("recent").iter_rows(named=True)] == ["a", "b"]


def test_history_across_a_definition_edit(ws: Workspace) -> None:
    ws.build("recent", as_of="2026-04-30")
    (ws.root / "segments" / "recent.yaml").write_text(
        "where: {performed: purchase, within: 90d}\n", encoding="utf-8"
    )
    assert ws.list_segments()[0]["definition_changed"] is True
    snap = ws.build("recent", as_of="2026-04-30")
    assert (snap.count, snap.entered, snap.exited) == (2, 1, 0)
    history = ws.history("recent")
    assert history["definition_hash"].n_unique() == 2
    assert ws.list_segments()[0]["definition_changed"] is False


def test_members_of_an_old_snapshot(ws: Workspace) -> None:
    build_monthly(ws)
    first = ws.history("recent")["snapshot_id"].to_list()[0]
    assert ws.members("recent", snapshot=first)["contact_id"].to_list() == ["a"]
    assert ws.members("recent").is_empty()


def test_static_segment_history_and_reference(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("email\nA@X.com\n", encoding="utf-8")
    (tmp_path / "two.csv").write_text("contact_id\nc\n", encoding="utf-8")
    ws.static_change("picked", "create", tmp_path / "one.csv", key="email")
    ws.clock = FixedClock(utc("2026-07-02 00:00"))
    ws.static_change("picked", "add", tmp_path / "two.csv")
    history = ws.history("picked")
    assert history["count"].to_list() == [1, 2] and history["entered"].to_list() == [1, 1]
    assert ws.diff("picked").entered == ["c"]
    (ws.root / "segments" / "picked_buyers.yaml").write_text(
        "where:\n  all:\n    - {in_segment: picked}\n    - {performed: purchase}\n",
        encoding="utf-8",
    )
    assert ws.preview("picked_buyers", as_of="2026-07-01").sample["contact_id"].to_list() == ["a"]
    assert ws.dependency_order() == ["picked_buyers", "recent"]


def test_build_all_orders_references_first_and_reports_cycles(ws: Workspace) -> None:
    segs = ws.root / "segments"
    (segs / "a_uses_z.yaml").write_text("where: {in_segment: z_base}\n", encoding="utf-8")
    (segs / "z_base.yaml").write_text(
        "where: {attr: country, op: is, value: IN}\n", encoding="utf-8"
    )
    order = ws.dependency_order()
    assert order.index("z_base") < order.index("a_uses_z")
    built = ws.build_all(as_of="2026-05-31")
    assert [s.segment for s in built] == order
    (segs / "z_base.yaml").write_text("where: {not_in_segment: a_uses_z}\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="cycle: a_uses_z -> z_base -> a_uses_z"):
        ws.build_all(as_of="2026-05-31")
