"""The compiled query reads only what it needs: Parquet row groups outside the event
names and the window of a segment are skipped, not scanned and filtered.

The lake stores events sorted by (event, ts) in small row groups; the compiler puts
a filter on event names and the earliest window start on the events scan. DuckDB's
JSON profile says how many row groups and rows each scan read; these tests check
those numbers against the rows in the files (no timings).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duckseg import FixedClock, Segment, Workspace
from duckseg.ingest.land import land

AS_OF = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
NAMES = ("page_view", "session_start", "email_sent", "add_to_cart", "purchase", "refund")
PER_NAME = 8_192  # 4 row groups of 2048 rows per event name
ROW_GROUP = 2_048
CONTACTS = 300
SPAN_MINUTES = 2 * 365 * 24 * 60  # two years of history before as_of


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("pruning")
    raw = root / "raw"
    raw.mkdir()
    ids = [f"c{i:03d}" for i in range(CONTACTS)]
    pq.write_table(
        pa.table(
            {"contact_id": ids, "city": ["Pune" if i % 3 else "Mumbai" for i in range(CONTACTS)]}
        ),
        raw / "contacts.parquet",
    )
    rows = len(NAMES) * PER_NAME
    start = AS_OF.replace(tzinfo=None).timestamp() - SPAN_MINUTES * 60
    step = SPAN_MINUTES * 60 / PER_NAME
    events = pa.table(
        {
            "contact_id": [ids[(i * 7) % CONTACTS] for i in range(rows)],
            "event": [NAMES[i % len(NAMES)] for i in range(rows)],
            "ts": pa.array(
                [
                    datetime.fromtimestamp(start + (i // len(NAMES)) * step, UTC).replace(
                        tzinfo=None
                    )
                    for i in range(rows)
                ],
                pa.timestamp("us"),
            ),
            "amount": [float(i % 500) for i in range(rows)],
        }
    )
    pq.write_table(events, raw / "events.parquet")  # interleaved names: no order to exploit
    workspace = Workspace.init(root / "ws", clock=FixedClock(AS_OF))
    land(workspace.store, "contacts", [raw / "contacts.parquet"])
    land(workspace.store, "events", [raw / "events.parquet"], row_group_size=ROW_GROUP)
    return workspace


def _walk(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _scans_of_events(profile: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The profile's table-scan nodes that read the lake's events files."""
    scans = []
    for node in _walk(profile):
        info = node.get("extra_info")
        if not isinstance(info, Mapping):
            continue
        files = str(info.get("Filename(s)", "")) + str(info.get("File Filters", ""))
        if "events" in files and ("rows_scanned" in node or "operator_rows_scanned" in node):
            scans.append(node)
    return scans


def _rows_scanned(node: Mapping[str, Any]) -> int:
    return int(node.get("rows_scanned", node.get("operator_rows_scanned", 0)))


def profiled(ws: Workspace, where: Any, tmp_path: Path) -> tuple[int, list[Mapping[str, Any]]]:
    """Run a definition's compiled SQL with JSON profiling: (members, events scans)."""
    sql = ws.compile(Segment.from_dict({"name": "probe", "where": where}), as_of=AS_OF)
    output = tmp_path / "profile.json"
    con = ws.connect()
    try:
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute("SET profiling_output = ?", [str(output)])
        members = len(con.execute(sql).fetchall())
        con.execute("PRAGMA disable_profiling")
    finally:
        con.close()
    scans = _scans_of_events(json.loads(output.read_text(encoding="utf-8")))
    assert scans, "the profile shows no scan of the events files"
    return members, scans


def lake_events(ws: Workspace) -> tuple[int, int]:
    """(rows, row groups) in the live events files."""
    files = [pq.ParquetFile(p).metadata for p in ws.store.live_files("events")]
    return sum(m.num_rows for m in files), sum(m.num_row_groups for m in files)


def test_lake_is_sorted_in_small_row_groups(ws: Workspace) -> None:
    rows, groups = lake_events(ws)
    assert rows == len(NAMES) * PER_NAME
    assert groups >= rows // ROW_GROUP


def test_event_name_prunes_row_groups(ws: Workspace, tmp_path: Path) -> None:
    members, scans = profiled(ws, {"performed": "refund"}, tmp_path)
    rows, groups = lake_events(ws)
    scanned = sum(_rows_scanned(s) for s in scans)
    assert members > 0
    # One name of six: its rows, plus at most a row group on either side.
    assert scanned <= PER_NAME + 2 * ROW_GROUP < rows
    if "row_groups_scanned" in scans[0]:
        assert sum(int(s["row_groups_scanned"]) for s in scans) < groups


def test_window_prunes_within_an_event_name(ws: Workspace, tmp_path: Path) -> None:
    members, scans = profiled(ws, {"performed": "purchase", "within": "7d"}, tmp_path)
    scanned = sum(_rows_scanned(s) for s in scans)
    assert members > 0
    # 7 days of two years of purchases sit in the last row group or two of that name.
    assert scanned <= 2 * ROW_GROUP
    assert scanned < PER_NAME


def test_not_performed_reads_only_its_event(ws: Workspace, tmp_path: Path) -> None:
    where = {
        "all": [
            {"attr": "city", "op": "is", "value": "Pune"},
            {"not_performed": "add_to_cart", "within": "30d"},
        ]
    }
    members, scans = profiled(ws, where, tmp_path)
    rows, _ = lake_events(ws)
    assert 0 < members < CONTACTS
    assert sum(_rows_scanned(s) for s in scans) <= 2 * ROW_GROUP < rows


def test_several_conditions_read_their_names_and_earliest_window(
    ws: Workspace, tmp_path: Path
) -> None:
    where = {
        "any": [
            {"performed": "purchase", "within": "7d"},
            {"performed": "refund", "within": "90d", "count": {"op": "gte", "value": 2}},
        ]
    }
    _, scans = profiled(ws, where, tmp_path)
    rows, _ = lake_events(ws)
    scanned = sum(_rows_scanned(s) for s in scans)
    # Both names from the earliest window start (90 days): well under the two names in full.
    assert scanned < 2 * PER_NAME
    assert scanned < rows // 3


def test_pruned_scan_returns_the_same_members(ws: Workspace) -> None:
    sql = ws.compile(
        Segment.from_dict({"name": "probe", "where": {"performed": "purchase", "within": "7d"}}),
        as_of=AS_OF,
    )
    con = ws.connect()
    try:
        got = {r[0] for r in con.execute(sql).fetchall()}
        expected = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT contact_id FROM read_parquet(?) WHERE event = 'purchase' "
                "AND ts BETWEEN TIMESTAMP '2026-06-23 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'",
                [[str(p) for p in ws.store.live_files("events")]],
            ).fetchall()
        }
    finally:
        con.close()
    assert got == expected
    assert got


def test_sequence_steps_read_their_names_and_window(ws: Workspace, tmp_path: Path) -> None:
    where = {
        "sequence": [
            {"performed": "add_to_cart"},
            {"performed": "purchase", "then_within": "2d"},
        ],
        "within": "7d",
    }
    _, scans = profiled(ws, where, tmp_path)
    # Each step scans its own name from the window's start: a row group or two each.
    assert sum(_rows_scanned(s) for s in scans) <= 4 * ROW_GROUP < 2 * PER_NAME


def test_lifecycle_reads_its_periods_only(ws: Workspace, tmp_path: Path) -> None:
    where = {
        "any": [
            {"performed_regularly": "purchase", "every": "1w", "periods": 2},
            {"stopped_performing": "refund", "recent": "7d", "prior": "7d"},
        ]
    }
    _, scans = profiled(ws, where, tmp_path)
    # Two weeks of two names, in one pass: no scan of all history.
    assert sum(_rows_scanned(s) for s in scans) <= 4 * ROW_GROUP < 2 * PER_NAME


def test_last_performed_between_reads_from_the_window_on(ws: Workspace, tmp_path: Path) -> None:
    where = {"last_performed": "purchase", "within": {"between": ["now-30d", "now-1h"]}}
    members, scans = profiled(ws, where, tmp_path)
    assert members > 0
    # From 30 days back, not the two years of purchases a last time would need.
    assert sum(_rows_scanned(s) for s in scans) <= 2 * ROW_GROUP < PER_NAME
