"""SIGKILL at random moments: the lake and the snapshots stay whole.

A landing or build killed at any point leaves the workspace as it was before
the command or as it is after it completes, never in between: no row lost or
doubled, the latest snapshot readable, leftovers swept by the next writer.
`make test` runs a few trials; `make fuzz` (DUCKSEG_FUZZ=1) runs many.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duckseg import Workspace
from duckseg.state import faults
from duckseg.state.store import Store

TRIALS = 25 if os.environ.get("DUCKSEG_FUZZ") == "1" else 3
AS_OF = "2026-06-30T18:00:00Z"
BATCH = 120_000


def _events(n: int, offset: int) -> pa.Table:
    start = datetime(2026, 1, 1)
    return pa.table(
        {
            "contact_id": [f"c{(i * 7919) % 5000}" for i in range(offset, offset + n)],
            "event": [("purchase", "login", "page_view")[i % 3] for i in range(offset, offset + n)],
            "ts": pa.array(
                [start + timedelta(minutes=i % 250_000) for i in range(offset, offset + n)],
                pa.timestamp("us"),
            ),
            "event_id": [f"e{i}" for i in range(offset, offset + n)],
            "amount": [float(i % 97) for i in range(offset, offset + n)],
        }
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "ws"
    ws = Workspace.init(root)
    contacts = root.parent / "contacts.parquet"
    pq.write_table(
        pa.table(
            {"contact_id": [f"c{i}" for i in range(5000)], "spend": [float(i) for i in range(5000)]}
        ),
        contacts,
    )
    ws.ingest("contacts", [contacts])
    first = root.parent / "events-0.parquet"
    pq.write_table(_events(BATCH, 0), first)
    ws.ingest("events", [first])
    for i in range(2):
        pq.write_table(_events(BATCH, (i + 1) * BATCH), root.parent / f"events-{i + 1}.parquet")
    for name, where in {
        "buyers": "{performed: purchase, within: 90d, count: {op: gte, value: 3}}",
        "big": "{all: [{attr: spend, op: gt, value: 1000}, {not_performed: login, within: 7d}]}",
        "sum": "{performed: purchase, aggregate: {fn: sum, prop: amount, op: gt, value: 500}}",
    }.items():
        (root / "segments" / f"{name}.yaml").write_text(f"where: {where}\n", encoding="utf-8")
    ws.build_all(as_of=AS_OF)
    return root


def _copy(base: Path, tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(base, root)
    return root


def _kill_after(args: list[str], delay: float, env: dict[str, str] | None = None) -> int | None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "duckseg", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    return proc.returncode


def _event_count(root: Path) -> int:
    con = Workspace.open(root).connect()
    try:
        return int(con.sql("SELECT count(*) FROM events").fetchall()[0][0])
    finally:
        con.close()


def _unregistered(root: Path) -> list[Path]:
    store = Store(root)
    with store.connect(read_only=True) as con:
        live = store.registered_paths(con)
    return [
        p
        for folder in ("lake", "state/snapshots")
        for p in (root / folder).rglob("*")
        if p.is_file() and p.relative_to(root).as_posix() not in live
    ]


@pytest.mark.parametrize("trial", range(TRIALS))
def test_killed_ingest_lands_all_or_nothing(base: Path, tmp_path: Path, trial: int) -> None:
    root = _copy(base, tmp_path)
    before = _event_count(root)
    delay = random.Random(trial).uniform(0.3, 4.0)
    code = _kill_after(
        ["ingest", "events", str(base.parent / "events-1.parquet"), "-w", str(root)], delay
    )
    after = _event_count(root)
    assert after in (before, before + BATCH), (
        f"trial {trial}: {after} events after kill at {delay:.2f}s (code {code})"
    )
    with Store(root).writer():
        pass  # the next writer sweeps what the killed one left
    assert _unregistered(root) == []
    # The workspace still works: the same batch lands (or is all duplicates if it had landed;
    # landing the same content again then needs allow_repeat).
    report = Workspace.open(root).ingest(
        "events", [base.parent / "events-1.parquet"], allow_repeat=True
    )
    assert report.rows_landed + report.duplicates == BATCH
    assert _event_count(root) == before + BATCH


SEGMENTS = ("buyers", "big", "sum")
BUILD = ["build", "--all", "--as-of", "2026-07-15T00:00:00Z"]


def _widen(root: Path) -> None:
    """A definition that now matches contacts it did not: the build has feed rows to append."""
    (root / "segments" / "buyers.yaml").write_text(
        "where: {performed: purchase, within: 365d, count: {op: gte, value: 3}}\n",
        encoding="utf-8",
    )


def _phases(trace: Path) -> list[str]:
    return trace.read_text(encoding="utf-8").split() if trace.exists() else []


def _feed_agrees(root: Path) -> int:
    """Replaying each segment's feed gives its latest snapshot, and the member index holds
    exactly those members; returns the number of feed rows."""
    ws = Workspace.open(root)
    rows = ws.changes().rows.to_pylist()
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    index = Store(root)
    for name in SEGMENTS:
        info = ws.snapshots.latest(name)
        assert info is not None
        members = set(ws.snapshots.members(info).column("contact_id").to_pylist())
        assert ws.snapshots.members(info).num_rows == info.count
        replayed: set[str] = set()
        for r in (r for r in rows if r["segment"] == name):
            (replayed.add if r["change"] == "entered" else replayed.discard)(r["contact_id"])
        assert replayed == members, f"{name}: the feed and the latest snapshot disagree"
        assert {r["snapshot_id"] for r in rows if r["segment"] == name} <= {
            i.snapshot_id for i in ws.snapshots.history(name)
        }
        with index.connect(read_only=True) as con:
            indexed = {
                r[0]
                for r in con.execute(
                    "SELECT contact_id FROM member_index WHERE segment = ?", [name]
                ).fetchall()
            }
            (state,) = con.execute(
                "SELECT snapshot_id FROM member_index_state WHERE segment = ?", [name]
            ).fetchall()
        assert indexed == members and state[0] == info.snapshot_id
    return len(rows)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_killed_build_keeps_previous_snapshot_or_commits_all(
    base: Path, tmp_path: Path, trial: int
) -> None:
    root = _copy(base, tmp_path)
    ws = Workspace.open(root)
    previous = {name: ws.snapshots.latest(name) for name in SEGMENTS}
    feed_before = _feed_agrees(root)
    _widen(root)
    trace = tmp_path / "phases"
    delay = random.Random(1000 + trial).uniform(0.3, 3.0)
    _kill_after([*BUILD, "-w", str(root)], delay, {"DUCKSEG_TRACE_PHASES": str(trace)})
    latest = {name: ws.snapshots.latest(name) for name in previous}
    moved = {name for name in previous if latest[name] != previous[name]}
    assert moved in (set(), set(previous)), f"trial {trial}: a build committed only {moved}"
    # Where the kill landed decides what is there: committed, or nothing at all.
    reached = _phases(trace)
    assert (moved == set(previous)) == (faults.COMMITTED in reached), f"{reached}, moved {moved}"
    for info in latest.values():
        assert info is not None
        assert ws.snapshots.members(info).num_rows == info.count
    feed_after = _feed_agrees(root)
    assert (feed_after > feed_before) == bool(moved)
    with Store(root).writer():
        pass
    assert _unregistered(root) == []


@pytest.mark.parametrize("phase", faults.PHASES)
def test_build_killed_at_each_commit_phase_keeps_feed_and_snapshots_together(
    base: Path, tmp_path: Path, phase: str
) -> None:
    root = _copy(base, tmp_path)
    ws = Workspace.open(root)
    previous = {name: ws.snapshots.latest(name) for name in SEGMENTS}
    feed_before = _feed_agrees(root)
    _widen(root)
    trace = tmp_path / "phases"
    code = _kill_after(
        [*BUILD, "-w", str(root)],
        120.0,  # the process kills itself at the phase long before this
        {"DUCKSEG_TRACE_PHASES": str(trace), "DUCKSEG_KILL_AT": phase},
    )
    # The kill landed at that phase, inside the commit, and nowhere else.
    assert code == -signal.SIGKILL
    reached = _phases(trace)
    assert reached == list(faults.PHASES[: faults.PHASES.index(phase) + 1])
    latest = {name: ws.snapshots.latest(name) for name in SEGMENTS}
    committed = phase == faults.COMMITTED
    assert all((latest[n] != previous[n]) == committed for n in SEGMENTS)
    feed_after = _feed_agrees(root)
    assert (feed_after > feed_before) == committed
    # The next build commits normally and the feed still agrees with the snapshots.
    Workspace.open(root).build_all(as_of="2026-07-20T00:00:00Z")
    _feed_agrees(root)
    assert _unregistered(root) == []
