"""A build of many facts splits its events scan into passes by event names and by time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import duckseg.compiler as compiler
from duckseg import Segment
from duckseg.compiler import compile_build
from duckseg.lang.time import TimeContext
from tests.lakefixture import AS_OF, MiniLake, make_lake

DAY = 86_400_000_000  # microseconds


@pytest.fixture
def lake(tmp_path: Path) -> MiniLake:
    start = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
    ids = [f"c{i}" for i in range(12)]
    rows: dict[str, list[Any]] = {"contact_id": [], "event": [], "ts": [], "amount": []}
    for day in range(0, 450, 3):  # purchases and views every third day for 15 months
        for i, cid in enumerate(ids):
            if (day + i) % 5 == 0:
                rows["contact_id"].append(cid)
                rows["event"].append("purchase" if i % 2 else "view")
                rows["ts"].append(start + day * DAY + i * 3_600_000_000)
                rows["amount"].append(float(day % 7) * 10.5)
    events = pa.table(
        {
            "contact_id": rows["contact_id"],
            "event": rows["event"],
            "ts": pa.array(rows["ts"], pa.timestamp("us")),
            "amount": rows["amount"],
        }
    )
    return make_lake(tmp_path, pa.table({"contact_id": ids}), events)


DEFINITIONS: dict[str, Any] = {
    "last_spring": {"performed": "purchase", "within": {"between": ["2025-03-01", "2025-04-15"]}},
    "last_summer": {
        "performed": "purchase",
        "within": {"between": ["2025-07-01", "2025-08-31"]},
        "count": {"op": "gte", "value": 2},
    },
    "recent": {"performed": "purchase", "within": "30d"},
    "recent_spend": {
        "performed": "purchase",
        "within": "90d",
        "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 40},
    },
    "ever": {"last_performed": "purchase", "before": "2025-06-01"},
    "viewers": {"performed": "view", "within": {"between": ["2025-02-01", "2025-02-28"]}},
    "viewers_late": {"not_performed": "view", "within": "60d"},
}


def _trees(lake: MiniLake, names: Any = DEFINITIONS) -> dict[str, Any]:
    trees = {}
    for name in names:
        where = DEFINITIONS[name]
        tree = lake.resolver().resolve(Segment.from_dict({"name": name, "where": where})).tree
        assert tree is not None
        trees[name] = tree
    return trees


def test_disjoint_windows_of_one_event_get_passes_of_their_own(
    lake: MiniLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiler, "MAX_FACTS_PER_PASS", 1)
    ctx = TimeContext.create(AS_OF, "UTC")
    build = compile_build(_trees(lake, [n for n in DEFINITIONS if n != "ever"]), ctx)
    assert build.facts is not None
    passes = {c.alias: c.this for c in build.facts.args["with_"].expressions}
    scans = sorted(
        (sorted(e.name for e in p.find_all(compiler.exp.Literal) if e.is_string))
        for p in passes.values()
    )
    # purchase: spring alone, summer alone, the overlapping 30d and 90d windows together;
    # view: February alone, the last 60 days alone.
    assert len(passes) == 5, scans
    # A first / last test reads the whole history, which then holds every window of its event.
    build = compile_build(_trees(lake), ctx)
    assert build.facts is not None
    assert len(build.facts.args["with_"].expressions) == 3


def test_split_passes_give_the_members_of_one_pass(
    lake: MiniLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = TimeContext.create(AS_OF, "UTC")
    trees = _trees(lake)

    def members() -> dict[str, set[Any]]:
        build = compile_build(trees, ctx)
        out = {}
        for name in trees:
            sql = build.standalone(name).sql("duckdb")
            out[name] = {r[0] for r in lake.con.execute(sql).fetchall()}
        return out

    together = members()
    monkeypatch.setattr(compiler, "MAX_FACTS_PER_PASS", 1)
    assert members() == together
    assert any(together.values()) and not all(len(m) == 12 for m in together.values())
