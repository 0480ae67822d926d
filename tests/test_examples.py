"""The example segments on the bundled sample: members equal hand-written DuckDB queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckseg import Workspace
from duckseg.api.sample import example_names

REFERENCE_SQL = Path(__file__).resolve().parent / "reference_sql"
NAMES = example_names()


def test_every_example_has_a_hand_written_query() -> None:
    assert NAMES and sorted(p.stem for p in REFERENCE_SQL.glob("*.sql")) == NAMES


@pytest.fixture(scope="module")
def built(sample_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    import shutil

    from duckseg.api.sample import sample_as_of
    from duckseg.lang.time import FixedClock

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


def test_many_facts_split_into_passes_give_the_same_members(
    sample_workspace_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build of many segments splits its facts into one pass per set of event names."""
    import shutil

    import duckseg.compiler as compiler
    from duckseg.api.sample import sample_as_of
    from duckseg.lang.time import FixedClock

    root = tmp_path / "ws"
    shutil.copytree(sample_workspace_dir, root)
    ws = Workspace.open(root, clock=FixedClock(sample_as_of()))
    one_pass = {
        s.segment: set(s.to_arrow().column("contact_id").to_pylist()) for s in ws.build_all()
    }
    monkeypatch.setattr(compiler, "MAX_FACTS_PER_PASS", 2)
    con = ws.connect()
    try:
        names = ws.dependency_order()
        trees = {r.segment.name: r.tree for r in ws.resolve([ws.load(n) for n in names], con)}
        build = compiler.compile_build(
            {n: t for n, t in trees.items() if t is not None}, ws.time_context(None)
        )
        assert build.facts is not None and "pass_1" in build.facts.sql("duckdb")
    finally:
        con.close()
    split = {s.segment: set(s.to_arrow().column("contact_id").to_pylist()) for s in ws.build_all()}
    assert split == one_pass
