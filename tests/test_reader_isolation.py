"""Readers during a landing see one version of the lake: the files they started on stay
until they finish (docs/operations.md)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from duckseg import Workspace

READER = textwrap.dedent(
    """
    import sys
    from duckseg import Workspace
    ws = Workspace.open(sys.argv[1])
    con = ws.connect()  # binds the lake as it is now
    print(con.sql("SELECT count(*) FROM contacts").fetchall()[0][0], flush=True)
    sys.stdin.readline()  # a landing happens meanwhile
    print(con.sql("SELECT count(*) FROM contacts").fetchall()[0][0], flush=True)
    """
)


def land(ws: Workspace, ids: list[str], name: str) -> None:
    path = ws.root.parent / name
    pq.write_table(pa.table({"contact_id": ids, "city": ["x"] * len(ids)}), path)
    ws.ingest("contacts", [path])


def test_a_reader_keeps_its_version_while_a_landing_replaces_it(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    land(ws, ["a", "b"], "one.parquet")
    (first,) = ws.store.live_files("contacts")
    with subprocess.Popen(
        [sys.executable, "-c", READER, str(ws.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as reader:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "2"
        land(ws, ["c"], "two.parquet")  # replaces the contacts file the reader is reading
        assert first.exists()  # retired, not removed: a reader may still read it
        out, _ = reader.communicate("\n", timeout=60)
        assert out.strip() == "2"  # its version, whole
    land(ws, ["d"], "three.parquet")  # no reader left: retired files go
    assert not first.exists()
    assert len(ws.store.live_files("contacts")) == 1
    assert ws.doctor().findings == []
