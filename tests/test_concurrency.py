"""Two writers on one workspace: both succeed in turn or one fails fast, never a corrupt catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duckseg import Workspace, WorkspaceBusyError
from duckseg.state.store import Store


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "duckseg", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = proc.communicate(timeout=120)
    return proc.returncode, stderr


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    contacts = tmp_path / "contacts.parquet"
    pq.write_table(
        pa.table({"contact_id": [f"c{i}" for i in range(1000)], "n": list(range(1000))}), contacts
    )
    ws.ingest("contacts", [contacts])
    for part in range(2):
        pq.write_table(
            pa.table(
                {
                    "contact_id": [f"c{i % 1000}" for i in range(60_000)],
                    "event": ["login"] * 60_000,
                    "ts": pa.array(
                        [1_780_000_000_000_000 + i for i in range(60_000)], pa.timestamp("us")
                    ),
                    "event_id": [f"p{part}-{i}" for i in range(60_000)],
                }
            ),
            tmp_path / f"events-{part}.parquet",
        )
    (ws.root / "segments" / "active.yaml").write_text(
        "where: {performed: login, count: {op: gte, value: 2}}\n", encoding="utf-8"
    )
    return ws


def test_lock_fails_fast_with_a_clear_message(ws: Workspace) -> None:
    with (
        Store(ws.root).writer(),
        pytest.raises(WorkspaceBusyError, match="workspace is busy"),
        Store(ws.root).writer(),
    ):
        pass


def test_two_ingests_at_once(ws: Workspace, tmp_path: Path) -> None:
    procs = [
        _start("ingest", "events", str(tmp_path / f"events-{i}.parquet"), "-w", str(ws.root))
        for i in range(2)
    ]
    results = [_finish(p) for p in procs]
    landed = 0
    for code, stderr in results:
        assert code in (0, 1), stderr
        if code == 1:
            assert "workspace is busy" in stderr
        else:
            landed += 60_000
    con = ws.connect()
    try:
        assert con.sql("SELECT count(*) FROM events").fetchall()[0][0] == landed
    finally:
        con.close()


def test_two_builds_at_once(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest("events", [tmp_path / "events-0.parquet"])
    procs = [
        _start("build", "--all", "-w", str(ws.root), "--as-of", "2026-12-31") for _ in range(2)
    ]
    results = [_finish(p) for p in procs]
    assert any(code == 0 for code, _ in results)
    for code, stderr in results:
        assert code == 0 or "workspace is busy" in stderr
    history = ws.snapshots.history("active")
    assert len(history) == sum(1 for code, _ in results if code == 0)
    assert all(ws.snapshots.members(h).num_rows == h.count == 1000 for h in history)
