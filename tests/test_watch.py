"""watch: each inbox file lands exactly once, in arrival order, then segments refresh.

SIGKILL at random moments, then a restart: no file lost, none landed twice.
`make test` runs a few trials; `make fuzz` (DUCKSEG_FUZZ=1) runs 20.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from duckseg import Workspace
from duckseg.api.watch import Step, Watcher, every_seconds
from duckseg.cli import app
from duckseg.errors import InputError
from duckseg.ingest.land import land
from duckseg.state import inbox as records

TRIALS = 20 if os.environ.get("DUCKSEG_FUZZ") == "1" else 3
FILES = 6


def events_csv(path: Path, index: int, rows: int = 50) -> None:
    lines = ["contact_id,event,ts,event_id"]
    lines += [
        f"c{i % 7},purchase,2026-01-{1 + i % 28:02d}T10:00:00Z,e{index}-{i}" for i in range(rows)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def drop(inbox: Path, kind: str, name: str, text: str | None = None, mtime: int = 0) -> Path:
    path = inbox / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        events_csv(path, mtime)
    else:
        path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1_700_000_000_000_000_000 + mtime, 1_700_000_000_000_000_000 + mtime))
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    (ws.root / "segments" / "buyers.yaml").write_text(
        "where: {performed: purchase}\n", encoding="utf-8"
    )
    return ws


def landings(ws: Workspace) -> list[tuple[str, list[str]]]:
    with ws.store.connect() as con:
        rows = con.execute("SELECT kind, sources FROM landings ORDER BY landing_id").fetchall()
    return [(str(kind), [Path(s).name for s in sources]) for kind, sources in rows]


def test_one_pass_lands_in_arrival_order_and_refreshes(ws: Workspace, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "events", "b.csv", mtime=2)
    drop(inbox, "contacts", "people.csv", "contact_id,city\nc1,Pune\nc2,Delhi\n", mtime=1)
    drop(inbox, "events", "a.csv", mtime=3)
    drop(inbox, "events", "broken.csv", "contact_id,event\nc1,x\n", mtime=4)
    drop(inbox, "events", ".hidden.csv", "not yet", mtime=0)
    drop(inbox, "events", "c.csv.part", "still being written", mtime=0)
    steps: list[Step] = []
    assert Watcher(ws, inbox, steps.append).run(every=60, once=True) == 0
    assert [(s.step, s.file) for s in steps[1:-1]] == [
        ("landed", "contacts/people.csv"),
        ("landed", "events/b.csv"),
        ("landed", "events/a.csv"),
        ("failed", "events/broken.csv"),
        ("refreshed", None),
    ]
    assert landings(ws) == [
        ("contacts", ["people.csv"]),
        ("events", ["b.csv"]),
        ("events", ["a.csv"]),
    ]
    assert sorted(p.name for p in (inbox / "landed" / "events").iterdir()) == ["a.csv", "b.csv"]
    reason = (inbox / "failed" / "events" / "broken.csv.reason").read_text(encoding="utf-8")
    assert "broken.csv" in reason and "ts" in reason
    assert sorted(p.name for p in (inbox / "events").iterdir()) == [".hidden.csv", "c.csv.part"]
    latest = ws.snapshots.latest("buyers")
    assert latest is not None and latest.count == 7
    assert steps[-2].detail["built"] == 1


def test_a_file_landed_before_a_kill_is_moved_not_landed_again(
    ws: Workspace, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    path = drop(inbox, "events", "a.csv", mtime=1)
    # As if killed after the landing's commit and before the move.
    digest = records.landed_as(ws.store, "events/a.csv", "x")
    assert digest is None
    from duckseg.api.watch import _sha256

    land(ws.store, "events", [path], on_commit=records.recorder("events/a.csv", _sha256(path)))
    steps: list[Step] = []
    Watcher(ws, inbox, steps.append).run(every=60, once=True)
    assert steps[1].step == "moved" and steps[1].detail["already"] is True
    assert len(landings(ws)) == 1
    assert (inbox / "landed" / "events" / "a.csv").exists()
    # The same name with other content is a new file; a clash in landed/ keeps both.
    drop(inbox, "events", "a.csv", mtime=2)
    (inbox / "events" / "a.csv").write_text("contact_id,event,ts\nc9,login,2026-01-01\n")
    Watcher(ws, inbox, steps.append).run(every=60, once=True)
    assert len(landings(ws)) == 2
    assert len(list((inbox / "landed" / "events").iterdir())) == 2


def test_every_takes_fixed_units() -> None:
    assert every_seconds("60s") == 60 and every_seconds("2m") == 120
    with pytest.raises(InputError, match="fixed unit"):
        every_seconds("1mo")
    with pytest.raises(InputError, match="--every"):
        every_seconds("soon")


def test_cli_json_lines(ws: Workspace, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "events", "a.csv", mtime=1)
    result = CliRunner().invoke(app, ["watch", str(inbox), "--once", "--json", "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["step"] for line in lines] == ["started", "landed", "refreshed", "stopped"]
    assert lines[1]["file"] == "events/a.csv" and lines[1]["landed"] == 50


def _watch(ws: Path, inbox: Path, *extra: str, capture: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "duckseg", "watch", str(inbox), "-w", str(ws), *extra],
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_sigterm_finishes_the_step_and_exits_0(ws: Workspace, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "events", "a.csv", mtime=1)
    proc = _watch(ws.root, inbox, "--every", "1s", "--json", capture=True)
    assert proc.stdout is not None
    seen: list[dict[str, Any]] = []
    with proc.stdout:
        for line in proc.stdout:
            seen.append(json.loads(line))
            if seen[-1]["step"] == "refreshed":
                proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert seen[-1]["step"] == "stopped"
    assert (inbox / "landed" / "events" / "a.csv").exists()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("watch") / "ws"
    Workspace.init(root)
    (root / "segments" / "buyers.yaml").write_text(
        "where: {performed: purchase, count: {op: gte, value: 3}}\n", encoding="utf-8"
    )
    return root


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_loses_nothing_and_lands_nothing_twice(
    base: Path, tmp_path: Path, trial: int
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(base, root)
    inbox = tmp_path / "inbox"
    for i in range(FILES):
        drop(inbox, "events", f"batch-{i}.csv", mtime=i)
    chance = random.Random(trial)
    proc = _watch(root, inbox, "--every", "1s")
    time.sleep(chance.uniform(0.5, 4.0))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    # Started again: one pass finishes the work.
    again = _watch(root, inbox, "--once")
    assert again.wait(timeout=120) == 0
    ws = Workspace.open(root)
    assert [name for _, (name,) in landings(ws)] == [f"batch-{i}.csv" for i in range(FILES)]
    assert sorted(p.name for p in (inbox / "events").iterdir()) == []
    landed = sorted(p.name for p in (inbox / "landed" / "events").iterdir())
    assert landed == [f"batch-{i}.csv" for i in range(FILES)]
    con = ws.connect()
    try:
        assert con.sql("SELECT count(*) FROM events").fetchall()[0][0] == 50 * FILES
    finally:
        con.close()
    latest = ws.snapshots.latest("buyers")
    assert latest is not None and latest.count == 7
