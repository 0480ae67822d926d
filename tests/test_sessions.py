"""One DuckDB instance per process: the catalog is released between commands, work tables
stay with their connection, and a writer's leftovers are found without walking the workspace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from duckseg import Workspace
from duckseg.state.store import CATALOG_FILE, WRITING_MARKER, Store

AS_OF = "2026-06-30T18:00:00Z"
LATER = "2026-07-05T18:00:00Z"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    (tmp_path / "contacts.csv").write_text(
        "contact_id,city\na,Pune\nb,Pune\nc,Delhi\nd,\n", encoding="utf-8"
    )
    (tmp_path / "events.csv").write_text(
        "contact_id,event,ts\n"
        "a,purchase,2026-06-29T10:00:00Z\n"
        "b,purchase,2026-07-04T10:00:00Z\n"
        "c,open,2026-06-01T10:00:00Z\n",
        encoding="utf-8",
    )
    ws.ingest("contacts", [tmp_path / "contacts.csv"])
    ws.ingest("events", [tmp_path / "events.csv"])
    segments = ws.root / "segments"
    (segments / "pune.yaml").write_text(
        "where: {attr: city, op: is, value: Pune}\n", encoding="utf-8"
    )
    (segments / "buyers.yaml").write_text(
        "where: {performed: purchase, within: 3d}\n", encoding="utf-8"
    )
    (segments / "quiet.yaml").write_text("where: {not_performed: open}\n", encoding="utf-8")
    return ws


def test_another_process_can_write_the_catalog_while_a_workspace_is_open(
    ws: Workspace,
) -> None:
    ws.build("pune", as_of=AS_OF)
    ws.list_segments()
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        "con.execute('CREATE TABLE probe AS SELECT 1 AS x'); con.execute('DROP TABLE probe')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ws.root / CATALOG_FILE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert ws.build("pune", as_of=AS_OF).count == 2  # and this process can still write


def test_work_tables_belong_to_their_connection(ws: Workspace) -> None:
    first, second = ws.connect(), ws.connect()
    try:
        first.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")
        names = {r[0] for r in second.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "scratch" not in names
        for con in (first, second):
            assert con.sql("SELECT count(*) FROM contacts").fetchall() == [(4,)]
    finally:
        first.close()
        second.close()
    # Commands that make work tables can run again and again in one process.
    for _ in range(2):
        ws.preview("pune", as_of=AS_OF)
        ws.build_all(as_of=AS_OF)
        ws.report(["pune", "buyers"], out=ws.root / "reports" / "twice")


def test_build_all_counts_changes_per_segment(ws: Workspace) -> None:
    first = {s.info.segment: s for s in ws.build_all(as_of=AS_OF)}
    assert {n: (s.count, s.entered, s.exited) for n, s in first.items()} == {
        "buyers": (1, 1, 0),  # a
        "pune": (2, 2, 0),
        "quiet": (3, 3, 0),  # a, b, d
    }
    later = {s.info.segment: s for s in ws.build_all(as_of=LATER)}
    assert {n: (s.count, s.entered, s.exited) for n, s in later.items()} == {
        "buyers": (1, 1, 1),  # b in, a out
        "pune": (2, 0, 0),
        "quiet": (3, 0, 0),
    }
    # A backtest is compared with the snapshot before it in as_of order, not the latest:
    # the earliest one has nothing before it, so its members all entered.
    backtest = ws.build("buyers", as_of="2026-06-30T09:00:00Z")
    assert (backtest.count, backtest.entered, backtest.exited) == (1, 1, 0)
    assert ws.diff("buyers").entered == ["b"]


def test_a_snapshot_records_its_own_sql_whatever_else_was_built(ws: Workspace) -> None:
    snaps = ws.build_all(as_of=AS_OF)
    for snap in snaps:
        assert snap.info.compiled_sql == ws.compile(snap.info.segment, as_of=AS_OF)


def test_leftovers_are_swept_only_after_a_writer_that_did_not_finish(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    stray = ws.root / "state" / "snapshots" / "pune" / "stray.parquet"
    stray.parent.mkdir(parents=True, exist_ok=True)
    calls: list[int] = []
    sweep = Store.sweep_orphans
    monkeypatch.setattr(Store, "sweep_orphans", lambda self: calls.append(1) or sweep(self))

    stray.write_bytes(b"x")
    ws.build("pune", as_of=AS_OF)  # the last writer finished: nothing to look for
    assert calls == [] and stray.exists()
    assert not (ws.root / WRITING_MARKER).exists()

    def fail(*_: object) -> None:
        ws.store.journal(stray)  # as a writer does before it writes a file
        raise RuntimeError("crash")

    monkeypatch.setattr(ws.snapshots, "commit", fail)
    with pytest.raises(RuntimeError, match="crash"):
        ws.build("pune", as_of=AS_OF)
    assert (ws.root / WRITING_MARKER).exists()
    monkeypatch.undo()
    monkeypatch.setattr(Store, "sweep_orphans", lambda self: calls.append(1) or sweep(self))

    mine = stray.with_name("mine.parquet")  # nobody journaled it: never swept
    mine.write_bytes(b"y")
    ws.build("pune", as_of=AS_OF)  # follows a writer that failed: sweeps what it journaled
    assert calls == [1] and not stray.exists() and mine.exists()
    assert not (ws.root / WRITING_MARKER).exists()
