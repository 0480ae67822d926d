"""The example segments on the bundled sample: members equal hand-written DuckDB queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckseg import Workspace
from duckseg.sample import EXAMPLE_SEGMENTS

REFERENCE_SQL = Path(__file__).resolve().parent / "reference_sql"
NAMES = sorted(p.stem for p in EXAMPLE_SEGMENTS.glob("*.yaml"))


def test_every_example_has_a_hand_written_query() -> None:
    assert NAMES and sorted(p.stem for p in REFERENCE_SQL.glob("*.sql")) == NAMES


@pytest.fixture(scope="module")
def built(sample_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    import shutil

    from duckseg.sample import sample_as_of
    from duckseg.timewin import FixedClock

    root = tmp_path_factory.mktemp("examples") / "ws"
    shutil.copytree(sample_workspace_dir, root)
    ws = Workspace.open(root, clock=FixedClock(sample_as_of()))
    ws.build_all()
    return ws


@pytest.mark.parametrize("name", NAMES)
def test_example_matches_hand_written_sql(built: Workspace, name: str) -> None:
    con = built.connect()
    try:
        expected = {
            row[0]
            for row in con.sql(
                (REFERENCE_SQL / f"{name}.sql").read_text(encoding="utf-8")
            ).fetchall()
        }
    finally:
        con.close()
    members = set(built.snapshot(name).to_arrow().column("contact_id").to_pylist())
    assert members == expected
    assert 0 < len(members) < 5000, "an example that matches no one or everyone shows nothing"
