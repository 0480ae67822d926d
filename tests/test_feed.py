"""The change feed: rows appended with each build, consumers, output formats, audiences."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from duckseg import Workspace
from duckseg.state.snapshots import PendingSnapshot

DUCKSEG = [sys.executable, "-m", "duckseg"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DUCKSEG, *args], capture_output=True, text=True, timeout=120)


def _rows(ws: Workspace, **kwargs: object) -> list[dict[str, object]]:
    return ws.changes(advance=False, **kwargs).records()  # type: ignore[arg-type]


def test_first_build_enters_every_member_and_later_builds_append_the_diff(
    sample_ws: Workspace,
) -> None:
    first = sample_ws.build("inactive_loyal", as_of="2026-05-01")
    rows = _rows(sample_ws)
    assert [r["seq"] for r in rows] == list(range(1, first.count + 1))
    assert {r["change"] for r in rows} == {"entered"}
    assert sorted(r["contact_id"] for r in rows) == sorted(first.to_polars()["contact_id"])
    assert {(r["segment"], r["snapshot_id"], r["as_of"]) for r in rows} == {
        ("inactive_loyal", first.snapshot_id, "2026-05-01T00:00:00Z")
    }
    sample_ws.build("inactive_loyal", as_of="2026-06-30")
    diff = sample_ws.diff("inactive_loyal")
    later = _rows(sample_ws, since=rows[-1]["seq"])
    assert [r["seq"] for r in later] == list(range(first.count + 1, first.count + len(later) + 1))
    assert sorted(r["contact_id"] for r in later if r["change"] == "entered") == diff.entered
    assert sorted(r["contact_id"] for r in later if r["change"] == "exited") == diff.exited
    assert later, "the sample's inactive_loyal segment changes between May and June"


def test_a_backtest_appends_nothing_and_an_equal_as_of_appends(sample_ws: Workspace) -> None:
    sample_ws.build("at_risk", as_of="2026-06-30")
    count = len(_rows(sample_ws))
    sample_ws.build("at_risk", as_of="2026-03-01")  # earlier: a backtest
    assert len(_rows(sample_ws)) == count
    again = sample_ws.build("at_risk", as_of="2026-06-30")  # at the latest as_of: a build
    assert (again.entered, again.exited) == (0, 0)
    assert len(_rows(sample_ws)) == count


def test_segments_and_limit_filter_the_rows(sample_ws: Workspace) -> None:
    sample_ws.build_many(["vip", "at_risk"], as_of="2026-06-30")
    only = _rows(sample_ws, segments=["at_risk"], limit=3)
    assert len(only) == 3 and {r["segment"] for r in only} == {"at_risk"}
    seqs = [r["seq"] for r in _rows(sample_ws, segments=["at_risk"])]
    assert seqs == sorted(seqs) and seqs[:3] == [r["seq"] for r in only]


def test_a_consumer_starts_at_the_beginning_and_moves_only_past_what_it_got(
    sample_ws: Workspace,
) -> None:
    sample_ws.build("vip", as_of="2026-06-30")
    total = len(_rows(sample_ws))
    page = sample_ws.changes(consumer="crm", limit=5)
    assert [r["seq"] for r in page.records()] == [1, 2, 3, 4, 5]
    unacked = sample_ws.changes(consumer="crm", limit=5, advance=False)
    assert [r["seq"] for r in unacked.records()] == [6, 7, 8, 9, 10]
    again = sample_ws.changes(consumer="crm", limit=5, advance=False)
    assert again.records() == unacked.records()  # not acknowledged: the same rows again
    sample_ws.acknowledge(again)
    rest = sample_ws.changes(consumer="crm")
    assert rest.records()[0]["seq"] == 11 and rest.last_seq == total
    assert sample_ws.changes(consumer="crm").rows.num_rows == 0
    assert sample_ws.changes(consumer="other", limit=1).records()[0]["seq"] == 1


def test_static_segment_changes_reach_the_feed(sample_ws: Workspace, tmp_path: Path) -> None:
    csv = tmp_path / "ids.csv"
    csv.write_text("contact_id\nc00001\nc00002\n", encoding="utf-8")
    sample_ws.static_change("picked", "create", csv)
    csv.write_text("contact_id\nc00002\n", encoding="utf-8")
    sample_ws.static_change("picked", "remove", csv)
    rows = [(r["contact_id"], r["change"]) for r in _rows(sample_ws, segments=["picked"])]
    assert rows == [("c00001", "entered"), ("c00002", "entered"), ("c00002", "exited")]


def test_audience_snapshots_carry_their_arm(sample_ws: Workspace) -> None:
    """An audience build commits a snapshot of (contact_id, arm, agent) under `audience:NAME`;
    a contact moved to another arm exits the old one and enters the new one."""

    def commit(as_of: datetime, arms: dict[str, str]) -> None:
        members = pa.table(
            {
                "contact_id": sorted(arms),
                "arm": [arms[c] for c in sorted(arms)],
                "agent": ["ravi"] * len(arms),
            }
        )
        pending = PendingSnapshot(
            "audience:diwali", "audience", as_of, "h", "--", "duckdb", members
        )
        with sample_ws.store.writer():
            sample_ws.snapshots.commit([pending], as_of)

    commit(datetime(2026, 6, 1, tzinfo=UTC), {"c1": "a", "c2": "holdout"})
    commit(datetime(2026, 6, 2, tzinfo=UTC), {"c1": "b", "c2": "holdout", "c3": "a"})
    rows = [(r["contact_id"], r["change"], r["arm"]) for r in _rows(sample_ws)]
    assert rows == [
        ("c1", "entered", "a"),
        ("c2", "entered", "holdout"),
        ("c1", "entered", "b"),
        ("c3", "entered", "a"),
        ("c1", "exited", "a"),
    ]


@pytest.fixture
def built(sample_ws: Workspace) -> Path:
    sample_ws.build_many(["vip", "gold_oman"], as_of="2026-06-30")
    return sample_ws.root


def test_cli_consumer_cursor_moves_once_the_output_is_complete(built: Path) -> None:
    w = ["-w", str(built)]
    first = json.loads(run("changes", "--consumer", "sync", "--limit", "4", "--json", *w).stdout)
    assert (first["since"], first["last_seq"]) == (0, 4)
    # Output that cannot be written (--out names a folder): exit 1, the cursor stays.
    failed = run("changes", "--consumer", "sync", "--format", "csv", "--out", str(built), *w)
    assert failed.returncode == 1, failed.stderr
    second = json.loads(run("changes", "--consumer", "sync", "--limit", "2", "--json", *w).stdout)
    assert [c["seq"] for c in second["changes"]] == [5, 6]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_cli_writes_each_format_whole(built: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"feed.{fmt}"
    proc = run("changes", "vip", "--format", fmt, "--out", str(out), "-w", str(built))
    assert proc.returncode == 0, proc.stderr
    expected = Workspace.open(built).changes(segments=["vip"], advance=False).records()
    if fmt == "jsonl":
        got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert got == expected
        return
    table = pacsv.read_csv(out) if fmt == "csv" else pq.read_table(out)
    assert table.column("seq").to_pylist() == [r["seq"] for r in expected]
    assert table.column("contact_id").to_pylist() == [r["contact_id"] for r in expected]
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "3", "--consumer", "x"], "give --since or --consumer, not both"),
        (["--format", "xml", "--out", "f"], "unknown format 'xml'"),
        (["--format", "csv"], "--format csv needs --out FILE"),
        (["--limit", "0"], "expected a positive number of rows"),
        (["--consumer", "two words"], "not a consumer name"),
    ],
)
def test_cli_bad_options_exit_2(built: Path, args: list[str], message: str) -> None:
    proc = run("changes", *args, "-w", str(built))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_an_audience_build_appends_its_members_with_their_arm(sample_ws: Workspace) -> None:
    sample_ws.audience_build("festival_push", as_of="2026-06-30")
    members = sample_ws.audience("festival_push")
    rows = _rows(sample_ws, segments=["audience:festival_push"])
    assert {r["change"] for r in rows} == {"entered"}
    assert sorted((r["contact_id"], r["arm"]) for r in rows) == sorted(
        zip(members["contact_id"].to_list(), members["arm"].to_list(), strict=True)
    )
    first = members.row(0, named=True)
    (seen,) = sample_ws.contact(first["contact_id"]).audiences
    assert (seen.audience, seen.arm, seen.agent) == ("festival_push", first["arm"], first["agent"])


def _listed(name: str, members: pa.Array | list[str], at: datetime) -> PendingSnapshot:
    table = pa.table({"contact_id": members})
    return PendingSnapshot(name, "static", at, "h", "-- static", "static", table)


def test_one_commit_of_many_snapshots_appends_each_ones_rows_in_turn(
    sample_ws: Workspace,
) -> None:
    day = lambda d: datetime(2026, 6, d, tzinfo=UTC)  # noqa: E731
    ints = lambda *v: pa.array(v, pa.int64())  # noqa: E731
    with sample_ws.store.writer():
        sample_ws.snapshots.commit(
            [
                _listed("nums", ints(2, 9, 10), day(2)),
                _listed("texts", ["a", "b"], day(2)),
                _listed("more", ints(1, 3), day(2)),
            ],
            day(2),
        )
        sample_ws.snapshots.commit(
            [
                _listed("nums", ints(9, 10, 11), day(3)),
                _listed("more", ints(1), day(1)),  # a backtest: no rows, the index rebuilt
                _listed("texts", ["a", "c"], day(3)),
            ],
            day(3),
        )
    rows = _rows(sample_ws)
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    # Each snapshot's rows together, in the order committed; within one, entered first,
    # then by contact_id as its files type it (integers numerically: 2, 9, 10).
    assert [(r["segment"], r["change"], str(r["contact_id"])) for r in rows] == [
        ("nums", "entered", "2"),
        ("nums", "entered", "9"),
        ("nums", "entered", "10"),
        ("texts", "entered", "a"),
        ("texts", "entered", "b"),
        ("more", "entered", "1"),
        ("more", "entered", "3"),
        ("nums", "entered", "11"),
        ("nums", "exited", "2"),
        ("texts", "entered", "c"),
        ("texts", "exited", "b"),
    ]
    with sample_ws.store.connect(read_only=True) as con:
        index = con.execute(
            "SELECT segment, contact_id, since FROM member_index ORDER BY ALL"
        ).fetchall()
    assert [(s, c, at.day) for s, c, at in index if s in ("nums", "texts", "more")] == [
        ("more", "1", 1),  # in the backtest and the snapshot after it
        ("more", "3", 2),
        ("nums", "10", 2),
        ("nums", "11", 3),
        ("nums", "9", 2),
        ("texts", "a", 2),
        ("texts", "c", 3),
    ]
