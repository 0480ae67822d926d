"""The workspace's [duckdb] settings reach every connection duckseg opens."""

from __future__ import annotations

from pathlib import Path

import duckdb

from duckseg import Workspace
from duckseg import db as database


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT current_setting('threads')").fetchone()
    assert row is not None
    return int(row[0])


def test_duckdb_settings_apply_to_lake_catalog_and_landing_connections(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "plain")
    default_threads = _threads(database.cursor())
    wanted = 1 if default_threads != 1 else 2
    ws = Workspace.init(tmp_path / "ws")
    config = ws.root / "duckseg.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + f"\n[duckdb]\nthreads = {wanted}\n", encoding="utf-8"
    )
    ws = Workspace.open(ws.root)
    lake = ws.connect()
    try:
        assert _threads(lake) == wanted
    finally:
        lake.close()
    catalog_cursor = database.cursor()  # what the catalog, snapshots and memberships use
    assert _threads(catalog_cursor) == wanted
    landing = database.private_instance(str(tmp_path / "spill"))
    try:
        assert _threads(landing) == wanted
    finally:
        landing.close()
    Workspace.open(tmp_path / "plain")  # another workspace brings back its own settings
    assert _threads(database.cursor()) == default_threads
