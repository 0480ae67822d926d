"""Faults and hostile use of a workspace: exports into managed folders, half-done deletes,
lost files, busy writers, failing commits, and terminal output that tries to rewrite itself."""

from __future__ import annotations

import os
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duckseg import Workspace
from duckseg.cli_common import clean
from duckseg.errors import DucksegError, InputError, WorkspaceBusyError
from duckseg.state.store import WRITING_MARKER, Store, _attach
from tests.exportshop import LATE, land_contacts, make_shop, run_cli

EXAMPLES = 2000 if os.environ.get("DUCKSEG_FUZZ") == "1" else 200


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    return make_shop(tmp_path / "shop")


# -- exports never land in managed folders; the sweep removes only journaled files ---------


@pytest.mark.parametrize("inside", ["lake", "lake/contacts/mine", "state", "state/exports/x"])
def test_export_into_a_managed_folder_is_refused(shop: Workspace, inside: str) -> None:
    shop.build("gold", as_of=LATE)
    with pytest.raises(InputError, match=r"which duckseg manages"):
        shop.export("gold", "csv", out=shop.root / inside)


def test_the_sweep_leaves_files_nobody_journaled(shop: Workspace) -> None:
    shop.build("gold", as_of=LATE)
    users = [shop.root / "lake" / "contacts" / "notes.csv", shop.root / "state" / "mine.txt"]
    for path in users:
        path.write_text("mine", encoding="utf-8")
    leftover = shop.root / "state" / "snapshots" / "gold" / "dead.parquet"
    leftover.write_bytes(b"half")
    (shop.root / WRITING_MARKER).write_text("state/snapshots/gold/dead.parquet\n../escape\n")
    shop.build("buyers", as_of=LATE)  # finds the journal of a dead writer and sweeps
    assert not leftover.exists()
    assert all(path.read_text(encoding="utf-8") == "mine" for path in users)


# -- delete: history first, the definition last; a second delete finishes ---------------


def test_a_failed_delete_leaves_the_segment_whole(
    shop: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.build("gold", as_of=LATE)

    def unwritable(self: Store) -> Any:
        raise DucksegError("could not write the catalog state/catalog.duckdb: read-only")

    monkeypatch.setattr(Store, "transaction", unwritable)
    with pytest.raises(DucksegError, match="could not write the catalog"):
        shop.delete("gold")
    monkeypatch.undo()
    assert (shop.root / "segments" / "gold.yaml").exists()
    assert len(shop.snapshots.history("gold")) == 1
    shop.members("gold")  # still whole


def test_deleting_again_finishes_a_half_done_delete(shop: Workspace) -> None:
    shop.build("gold", as_of=LATE)
    path = shop.snapshots.file(shop.snapshots.history("gold")[0])
    (shop.root / "segments" / "gold.yaml").unlink()  # as an older delete left it
    assert shop.delete("gold") == 1
    assert shop.snapshots.history("gold") == [] and not path.exists()
    with pytest.raises(InputError, match="unknown segment gold"):
        shop.delete("gold")


# -- doctor ------------------------------------------------------------------------------


def test_a_lost_snapshot_is_named_and_doctor_lets_builds_go_on(shop: Workspace) -> None:
    shop.build("gold", as_of="2026-06-01T00:00:00Z")
    lost = shop.snapshots.latest("gold")
    assert lost is not None
    (shop.root / lost.path).unlink()
    with pytest.raises(DucksegError, match=f"is missing: {lost.path}"):
        shop.build("gold", as_of=LATE)
    report = shop.doctor()
    assert not report.healthy
    assert [(f.kind, f.path, f.detail) for f in report.findings] == [
        ("snapshot", lost.path, "missing")
    ]
    repaired = shop.doctor(repair=True)
    assert repaired.healthy and repaired.findings[0].repaired
    snap = shop.build("gold", as_of=LATE)
    assert snap.count == 8 and snap.entered == 8  # no snapshot before it any more
    assert shop.doctor().findings == []


def test_doctor_reports_lost_lake_files_on_the_command_line(
    shop: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    events = shop.store.live_files("events")[0]
    events.unlink()
    result = run_cli(capsys, "doctor", "-w", str(shop.root))
    assert result.code == 1
    assert f"found: {shop.store.relative(events)}: missing" in result.out
    failed = run_cli(capsys, "build", "gold", "-w", str(shop.root))
    assert failed.code == 1 and shop.store.relative(events) in failed.err
    assert "run duckseg doctor" in failed.err


# -- writers: --wait queues, a failing commit says what failed ---------------------------


def test_wait_queues_behind_another_writer(shop: Workspace) -> None:
    other = Store(shop.root)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with other.writer():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        with pytest.raises(WorkspaceBusyError, match="use --wait SECONDS"):
            shop.build("gold", as_of=LATE)
        shop.store.wait_s = 10.0
        threading.Timer(0.5, release.set).start()
        started = time.monotonic()
        assert shop.build("gold", as_of=LATE).count == 8
        assert time.monotonic() - started >= 0.4
    finally:
        release.set()
        thread.join()


class _FullDisk:
    """A catalog connection whose commit fails as on a full disk, ending the transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def commit(self) -> None:
        self._con.rollback()
        raise duckdb.IOException("could not write file: No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def test_a_failing_catalog_commit_says_what_failed(
    shop: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Store.connect

    @contextmanager
    def connect(self: Store, read_only: bool = False) -> Iterator[Any]:
        with real(self, read_only) as con:
            yield _FullDisk(con)

    monkeypatch.setattr(Store, "connect", connect)
    with pytest.raises(DucksegError) as info:
        shop.build("gold", as_of=LATE)
    monkeypatch.undo()
    message = str(info.value)
    assert "No space left on device" in message and "cannot rollback" not in message
    assert "could not write the catalog" in message
    assert shop.snapshots.history("gold") == []


# -- terminal output -----------------------------------------------------------------------


def test_terminal_output_escapes_control_and_bidi_characters(
    shop: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pa.table({"contact_id": ["evil\u202e\x1b[31mred"], "city": ["Odd"]})
    land_contacts(shop, table)
    (shop.root / "segments" / "odd.yaml").write_text(
        "where: {attr: city, op: is, value: Odd}\n", encoding="utf-8"
    )
    shop.build("odd", as_of=LATE)
    result = run_cli(capsys, "diff", "odd", "-w", str(shop.root))
    assert result.code == 0, result.err
    assert "\u202e" not in result.out and "\x1b" not in result.out
    assert "entered: evil\\u202e\\u001b[31mred" in result.out
    members = shop.members("odd")  # data keeps values as they are
    assert members["contact_id"].to_list() == ["evil\u202e\x1b[31mred"]


def test_bracketed_text_survives_rich(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.init(tmp_path / "plain")
    land_contacts(ws, pa.table({"contact_id": ["a", "b"], "email": ["a@x.com", "b@x.com"]}))
    (ws.root / "segments" / "all.yaml").write_text("where: {all: []}\n", encoding="utf-8")
    ws.build("all")
    result = run_cli(capsys, "export", "all", "--format", "meta", "-w", str(ws.root))
    assert result.code == 0, result.err
    assert "no [consent] exclude_when is set" in result.err


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text())
def test_nothing_printed_can_steer_the_terminal(text: str) -> None:
    shown = clean(text)
    steering = {c for c in shown if unicodedata.category(c) == "Cc" and c != "\n"}
    bidi = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert not steering and not (set(shown) & bidi)
    assert shown.count("\n") == text.count("\n")


def test_a_catalog_that_cannot_be_opened_is_not_called_busy(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "catalog.duckdb"  # as a read-only or vanished folder leaves it
    with pytest.raises(DucksegError) as info:
        _attach(path, "catalog_unopenable", False)
    assert not isinstance(info.value, WorkspaceBusyError)
    assert str(info.value).startswith(f"cannot open the catalog {path}")
