"""What must never happen to a user's workspace: the demo deleting it, the sample landing
into it, the same file landing twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from duckseg import Workspace
from duckseg.api.demo import DEMO_MARKER, run_demo
from duckseg.errors import InputError
from duckseg.ingest.land import land
from duckseg.state.store import Store

DUCKSEG = [sys.executable, "-m", "duckseg"]
EVENTS = "contact_id,event,ts\nc1,purchase,2026-01-01T10:00:00Z\nc2,login,2026-01-02T10:00:00Z\n"


def duckseg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DUCKSEG, *args], capture_output=True, text=True, timeout=300)


# Empty lock files (the readers' and the writer's) hold no workspace content.
LOCK_FILES = {"state/.readers", "state/.lock"}


def tree(root: Path) -> dict[str, bytes]:
    found = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    return {name: p.read_bytes() for name, p in found.items() if name not in LOCK_FILES}


def user_workspace(root: Path) -> Workspace:
    ws = Workspace.init(root)
    (root / "contacts.csv").write_text("contact_id,city\nu1,Pune\nu2,Delhi\n", encoding="utf-8")
    ws.ingest("contacts", [root / "contacts.csv"])
    (root / "segments" / "pune.yaml").write_text(
        "where: {attr: city, op: is, value: Pune}\n", encoding="utf-8"
    )
    return ws


def test_demo_refuses_a_folder_it_did_not_create(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    user_workspace(root)
    before = tree(root)
    proc = duckseg("demo", "--dir", str(root))
    assert proc.returncode == 2, proc.stderr
    assert "was not created by duckseg demo" in proc.stderr and "nothing was changed" in proc.stderr
    assert tree(root) == before


def test_demo_refuses_any_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not empty"):
        run_demo(tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_demo_starts_again_over_its_own_folder(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    first = run_demo(root)
    assert (root / DEMO_MARKER).is_file()
    (root / "scratch.txt").write_text("from the first run", encoding="utf-8")
    second = run_demo(root)
    assert not (root / "scratch.txt").exists()
    assert [s["count"] for s in first["segments"]] == [s["count"] for s in second["segments"]]


def test_init_demo_refuses_a_workspace_with_data(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    user_workspace(root)
    before = tree(root)
    proc = duckseg("init", str(root), "--demo")
    assert proc.returncode == 2, proc.stderr
    assert "already a workspace with data" in proc.stderr
    assert "1 landed lake file(s)" in proc.stderr and "1 segment definition(s)" in proc.stderr
    assert tree(root) == before


def test_init_demo_fills_a_new_or_empty_workspace(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "empty")
    ws = Workspace.init(tmp_path / "empty", demo=True)
    assert ws.segment_files() and ws.store.live_files("events")


def test_the_same_file_does_not_land_twice(tmp_path: Path) -> None:
    store = Store(tmp_path / "ws")
    src = tmp_path / "events.csv"
    src.write_text(EVENTS, encoding="utf-8")
    first = land(store, "events", [src])
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(src.read_bytes())  # the same content under another name
    lake_before = tree(store.root / "lake")
    with pytest.raises(InputError) as caught:
        land(store, "events", [copy])
    message = str(caught.value)
    assert str(copy) in message and first.landing_id in message and str(src) in message
    assert "--allow-repeat" in message
    assert tree(store.root / "lake") == lake_before
    again = land(store, "events", [copy], allow_repeat=True)
    assert again.rows_landed == 2


def test_a_file_given_twice_in_one_landing_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "ws")
    src = tmp_path / "events.csv"
    src.write_text(EVENTS, encoding="utf-8")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(src.read_bytes())
    with pytest.raises(InputError, match="given earlier in this landing"):
        land(store, "events", [src, copy])
    assert land(store, "events", [src, copy], allow_repeat=True).rows_landed == 4


def test_fingerprints_are_recorded_with_the_landing(tmp_path: Path) -> None:
    import hashlib

    store = Store(tmp_path / "ws")
    src = tmp_path / "events.csv"
    src.write_text(EVENTS, encoding="utf-8")
    report = land(store, "events", [src])
    with store.connect(read_only=True) as con:
        rows = con.execute("SELECT sha256, landing_id, source FROM landed_files").fetchall()
    assert rows == [(hashlib.sha256(src.read_bytes()).hexdigest(), report.landing_id, str(src))]


def test_ingest_verb_refuses_a_repeat_and_allows_it_when_asked(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.init(root)
    src = tmp_path / "events.csv"
    src.write_text(EVENTS, encoding="utf-8")
    assert duckseg("ingest", "events", str(src), "-w", str(root)).returncode == 0
    refused = duckseg("ingest", "events", str(src), "-w", str(root))
    assert refused.returncode == 2 and "already landed in landing" in refused.stderr
    allowed = duckseg("ingest", "events", str(src), "-w", str(root), "--allow-repeat")
    assert allowed.returncode == 0, allowed.stderr
