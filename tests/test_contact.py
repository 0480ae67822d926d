"""The contact view: attributes, current segments with since-when (the first snapshot of the
unbroken run holding the contact), audiences, unknown ids; the member index against the
snapshot history."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pyarrow as pa

from duckseg import Workspace
from duckseg.state import member_index
from duckseg.state.memberships import intervals
from duckseg.state.snapshots import PendingSnapshot


def _static(ws: Workspace, members: list[str], at: datetime) -> None:
    pending = PendingSnapshot(
        "picked", "static", at, "h", "-- static", "static", pa.table({"contact_id": members})
    )
    with ws.store.writer():
        ws.snapshots.commit([pending], at)


def _since(ws: Workspace, cid: str) -> dict[str, str]:
    return {s["segment"]: s["since"] for s in ws.contact(cid).to_dict()["segments"]}


def test_since_is_the_start_of_the_unbroken_run(sample_ws: Workspace) -> None:
    day = lambda d: datetime(2026, 6, d, tzinfo=UTC)  # noqa: E731
    _static(sample_ws, ["c00001", "c00002"], day(1))
    _static(sample_ws, ["c00002"], day(3))  # c00001 leaves
    _static(sample_ws, ["c00001", "c00002"], day(5))  # and comes back
    assert _since(sample_ws, "c00001")["picked"] == "2026-06-05T00:00:00Z"
    assert _since(sample_ws, "c00002")["picked"] == "2026-06-01T00:00:00Z"
    assert "picked" not in _since(sample_ws, "c00003")
    # Backtests slot into the history. One at day 3 (built after the day-3 snapshot, so it
    # comes after it) holds c00001: its run now starts there.
    _static(sample_ws, ["c00001", "c00002"], day(3))
    assert _since(sample_ws, "c00001")["picked"] == "2026-06-03T00:00:00Z"
    assert _since(sample_ws, "c00002")["picked"] == "2026-06-01T00:00:00Z"
    # One at day 4 without c00002 splits c00002's run: it has been a member since day 5.
    _static(sample_ws, ["c00001"], day(4))
    assert _since(sample_ws, "c00001")["picked"] == "2026-06-03T00:00:00Z"
    assert _since(sample_ws, "c00002")["picked"] == "2026-06-05T00:00:00Z"


def test_the_index_agrees_with_the_history_after_builds_and_backtests(
    sample_ws: Workspace,
) -> None:
    for as_of in ("2026-05-01", "2026-06-30", "2026-06-01", "2026-06-15"):
        sample_ws.build_many(["inactive_loyal", "at_risk"], as_of=as_of)
    for name in ("inactive_loyal", "at_risk"):
        runs = intervals(sample_ws.root, sample_ws.snapshots.history(name))
        current = {
            r["contact_id"]: r["entered_at"]
            for r in runs.filter(runs["exited_at"].is_null()).to_dicts()
        }
        with sample_ws.store.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT contact_id, since FROM member_index WHERE segment = ?", [name]
            ).fetchall()
        assert {cid: since.replace(tzinfo=UTC) for cid, since in rows} == current


def test_a_segment_the_index_missed_is_read_from_its_history(sample_ws: Workspace) -> None:
    sample_ws.build("vip", as_of="2026-05-01")
    sample_ws.build("vip", as_of="2026-06-30")
    member = sample_ws.snapshot("vip").to_polars()["contact_id"][0]
    expected = _since(sample_ws, member)
    with sample_ws.store.connect() as con:  # as a catalog written before the index was
        member_index.forget(con, "vip")
    assert _since(sample_ws, member) == expected


def test_attributes_audiences_and_html(sample_ws: Workspace) -> None:
    sample_ws.build("gold_oman", as_of="2026-06-30")
    member = sample_ws.snapshot("gold_oman").to_polars()["contact_id"][0]
    at = datetime(2026, 6, 30, tzinfo=UTC)
    table = pa.table({"contact_id": [member], "arm": ["b"], "agent": ["meera"]})
    with sample_ws.store.writer():
        sample_ws.snapshots.commit(
            [PendingSnapshot("audience:eid", "audience", at, "h", "--", "duckdb", table)], at
        )
    view = sample_ws.contact(member)
    con = sample_ws.connect()
    try:
        tier, country = con.execute(
            "SELECT tier, country FROM contacts WHERE contact_id = ?", [member]
        ).fetchall()[0]
    finally:
        con.close()
    assert (view.attributes["tier"], view.attributes["country"]) == (tier, country)
    assert [s.segment for s in view.segments] == ["gold_oman"]
    assert [(a.audience, a.arm, a.agent) for a in view.audiences] == [("eid", "b", "meera")]
    assert set(view.traits) == set(sample_ws.traits(names=None).columns) - {"contact_id"}
    assert "gold_oman" in view._repr_html_() and "meera" in view._repr_html_()


def test_cli_contact(sample_ws: Workspace) -> None:
    sample_ws.build("vip", as_of="2026-06-30")
    base = [sys.executable, "-m", "duckseg", "contact", "-w", str(sample_ws.root)]
    run = lambda *a: subprocess.run([*base, *a], capture_output=True, text=True, timeout=120)  # noqa: E731
    doc = json.loads(run("c00005", "--json").stdout)
    # as_of differs (the process runs on the system clock): the rest is the same view.
    assert doc["segments"] == sample_ws.contact("c00005").to_dict()["segments"]
    assert doc["attributes"] == sample_ws.contact("c00005").to_dict()["attributes"]
    assert set(doc) == {"contact_id", "as_of", "attributes", "traits", "segments", "audiences"}
    text = run("c00005")
    assert text.returncode == 0 and "in vip since" in text.stdout
    unknown = run("c00005x")
    assert unknown.returncode == 2 and "did you mean c00005?" in unknown.stderr


def test_traits_are_the_contacts_values_at_as_of(sample_ws: Workspace) -> None:
    """A trait file in the workspace shows in the contact view, counted by hand from the events."""
    (sample_ws.root / "traits").mkdir(exist_ok=True)
    (sample_ws.root / "traits" / "purchases_30d.yaml").write_text(
        "of: purchase\nwithin: 30d\nvalue: {fn: count}\n", encoding="utf-8"
    )
    as_of = sample_ws.as_of()
    con = sample_ws.connect()
    try:
        cid, expected = con.execute(
            "SELECT contact_id, count(*) FROM events WHERE event = 'purchase' "
            "AND ts >= ?::TIMESTAMPTZ - INTERVAL 30 DAY AND ts <= ?::TIMESTAMPTZ "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
            [as_of, as_of],
        ).fetchall()[0]
    finally:
        con.close()
    assert sample_ws.contact(cid).traits["purchases_30d"] == expected
