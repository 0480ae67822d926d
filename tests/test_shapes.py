"""Member queries that need no contact attribute and match no contact without events read the
fact table alone; every other one walks the contacts. Both shapes give the same members."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import duckseg.compiler as compiler
from duckseg import Segment
from duckseg.compiler.rewrites import lower
from duckseg.compiler.shapes import facts_only, matches_without_events
from duckseg.timewin import TimeContext
from tests.lakefixture import AS_OF, MiniLake, make_lake

HOUR = 3_600_000_000  # microseconds
AS_OF_US = int(AS_OF.timestamp() * 1_000_000)


@pytest.fixture
def lake(tmp_path: Path) -> MiniLake:
    contacts = pa.table(
        {"contact_id": ["a", "b", "c", "d", "e"], "city": ["Pune", None, "Pune", "Delhi", None]}
    )
    rows = [
        ("a", "cart", 10, 100.0),
        ("a", "buy", 5, 40.0),
        ("b", "cart", 30, None),
        ("b", "cart", 2000, 5.0),
        ("c", "buy", 3, 700.0),
        ("c", "buy", 50, 10.0),
        ("e", "open", 1, None),
    ]
    events = pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "ts": pa.array([AS_OF_US - r[2] * HOUR for r in rows], pa.timestamp("us")),
            "amount": [r[3] for r in rows],
        }
    )
    return make_lake(tmp_path, contacts, events)


CASES: list[tuple[str, Any, bool | None]] = [
    # (name, where, does a contact without events match?)
    ("performed", {"performed": "cart"}, False),
    ("not_performed", {"not_performed": "cart"}, True),
    ("count_lt", {"performed": "buy", "count": {"op": "lt", "value": 2}}, True),
    ("count_between_0", {"performed": "buy", "count": {"op": "between", "value": [0, 1]}}, True),
    ("count_between_1", {"performed": "buy", "count": {"op": "between", "value": [1, 3]}}, False),
    (
        "sum_lte",
        {
            "performed": "buy",
            "count": {"op": "gte", "value": 0},
            "aggregate": {"fn": "sum", "prop": "amount", "op": "lte", "value": 50},
        },
        True,
    ),
    (
        "avg",
        {
            "performed": "buy",
            "count": {"op": "gte", "value": 0},
            "aggregate": {"fn": "avg", "prop": "amount", "op": "lt", "value": 1000},
        },
        False,
    ),
    ("last", {"last_performed": "buy", "within": "7d"}, False),
    (
        "cart_not_buy",
        {
            "all": [
                {"performed": "cart", "within": "48h"},
                {"not_performed": "buy", "within": "48h"},
            ]
        },
        False,
    ),
    ("either", {"any": [{"performed": "cart"}, {"not_performed": "open"}]}, True),
    ("neither", {"not": {"any": [{"not_performed": "cart"}, {"performed": "buy"}]}}, False),
    (
        "attribute",
        {"all": [{"attr": "city", "op": "is", "value": "Pune"}, {"performed": "buy"}]},
        False,
    ),
    ("attribute_or", {"any": [{"attr": "city", "op": "is_set"}, {"performed": "buy"}]}, None),
]


def _tree(lake: MiniLake, where: Any) -> Any:
    tree = lake.resolver().resolve(Segment.from_dict({"name": "t", "where": where})).tree
    assert tree is not None
    return lower(tree)


@pytest.mark.parametrize(("name", "where", "expected"), CASES, ids=[c[0] for c in CASES])
def test_matches_without_events(
    lake: MiniLake, name: str, where: Any, expected: bool | None
) -> None:
    tree = _tree(lake, where)
    assert matches_without_events(tree) is expected
    assert facts_only(tree) is (expected is False and name != "attribute")


@pytest.mark.parametrize(("name", "where", "expected"), CASES, ids=[c[0] for c in CASES])
def test_both_shapes_give_the_same_members(
    lake: MiniLake, monkeypatch: pytest.MonkeyPatch, name: str, where: Any, expected: bool | None
) -> None:
    chosen = lake.members(where)
    monkeypatch.setattr(compiler, "facts_only", lambda tree: False)
    assert "LEFT JOIN" in lake.sql(where)
    assert lake.members(where) == chosen
    # Only contacts with events, or every contact: the shapes differ where it matters.
    assert chosen <= {"a", "b", "c", "e"} or expected is not False


def test_facts_only_query_reads_no_contacts(lake: MiniLake) -> None:
    sql = lake.sql({"performed": "cart", "within": "48h"})
    assert "FROM event_facts" in sql and "contacts" not in sql
    assert lake.members({"performed": "cart", "within": "48h"}) == {"a", "b"}


def _build(lake: MiniLake, wheres: dict[str, Any]) -> Any:
    trees = {}
    for name, where in wheres.items():
        tree = lake.resolver().resolve(Segment.from_dict({"name": name, "where": where})).tree
        assert tree is not None
        trees[name] = tree
    return compiler.compile_build(trees, TimeContext.create(AS_OF, "UTC"))


def _members(lake: MiniLake, build: Any, name: str) -> set[Any]:
    return {r[0] for r in lake.con.execute(build.standalone(name).sql("duckdb")).fetchall()}


BIG_BUYERS = {
    "any": [
        {"attr": "city", "op": "is", "value": "Delhi"},
        {
            "performed": "buy",
            "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 500},
        },
    ]
}


def test_a_pass_read_only_by_positive_tests_keeps_candidates_only(
    lake: MiniLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _build(lake, {"big": BIG_BUYERS, "carts": {"performed": "cart", "within": "48h"}})
    facts = build.facts.sql("duckdb")
    assert "AS event_facts WHERE" in facts  # the candidate filter around the pass
    filtered = {n: _members(lake, build, n) for n in ("big", "carts")}
    assert filtered == {"big": {"c", "d"}, "carts": {"a", "b"}}
    monkeypatch.setattr(compiler, "matches_without_events", lambda node: None)
    plain = _build(lake, {"big": BIG_BUYERS, "carts": {"performed": "cart", "within": "48h"}})
    assert "AS event_facts WHERE" not in plain.facts.sql("duckdb")
    assert {n: _members(lake, plain, n) for n in ("big", "carts")} == filtered


def test_a_fact_that_a_negative_test_reads_keeps_every_contact(lake: MiniLake) -> None:
    build = _build(lake, {"buyers": {"performed": "buy"}, "never": {"not_performed": "buy"}})
    assert "AS event_facts WHERE" not in build.facts.sql("duckdb")
    assert _members(lake, build, "never") == {"b", "d", "e"}
    assert _members(lake, build, "buyers") == {"a", "c"}
