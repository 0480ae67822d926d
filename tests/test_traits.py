"""Traits (computed attributes) and percentiles against hand-computed members.

The lake is the one of tests/test_semantics.py (events on window edges, after
as_of, with missing amounts); every expected set below is worked out by hand from
its rows, as the comments say.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from duckseg import Segment
from duckseg.errors import DefinitionError
from tests.cases import CONTACTS, EVENTS
from tests.lakefixture import MiniLake, make_lake

TS = pa.timestamp("us")

# Per contact, from EVENTS up to as_of (2026-03-31 12:00):
#   purchases  c1: 200 (as_of - 90d exactly), 100, a missing amount (03-30 09:00)
#              c2: 50 (one microsecond before as_of - 90d); its 1000 is after as_of
#              c3: 300.25 (category ""), 300.25, 10.0        c5: 5.0 (03-30 13:00)
#   c4, c6, c7, c8 bought nothing.
TRAITS: dict[str, Any] = {
    "spend": {"of": "purchase", "value": {"fn": "sum", "prop": "amount"}},
    "orders": {"of": "purchase", "value": {"fn": "count"}},
    "orders_90d": {"of": "purchase", "within": "90d", "value": {"fn": "count"}},
    "last_amount": {"of": "purchase", "value": {"fn": "last_value", "prop": "amount"}},
    "first_category": {"of": "purchase", "value": {"fn": "first_value", "prop": "category"}},
    "last_purchase": {"of": "purchase", "value": {"fn": "last_time"}},
    "average_amount": {"of": "purchase", "value": {"fn": "avg", "prop": "amount"}},
    "amounts": {"of": "purchase", "value": {"fn": "count_distinct", "prop": "amount"}},
    "shoe_spend": {
        "of": "purchase",
        "where": {"prop": "category", "op": "is", "value": "shoes", "case_sensitive": False},
        "value": {"fn": "sum", "prop": "amount"},
    },
}
EVERYONE = {"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"}
BOUGHT_NOTHING = {"c4", "c6", "c7", "c8"}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> MiniLake:
    big = Segment.from_dict({"name": "big", "where": {"trait": "spend", "op": "gte", "value": 300}})
    return make_lake(
        tmp_path_factory.mktemp("traits"),
        CONTACTS,
        EVENTS,
        segments={"big": big},
        traits=TRAITS,
    )


TRAIT_CASES: list[tuple[str, Any, set[str]]] = [
    # spend: c1 300, c2 50, c3 610.5, c5 5, everyone else 0
    ("sum gt", {"trait": "spend", "op": "gt", "value": 100}, {"c1", "c3"}),
    ("sum of nothing is 0", {"trait": "spend", "op": "is", "value": 0}, BOUGHT_NOTHING),
    ("count is 0 without events", {"trait": "orders", "op": "is", "value": 0}, BOUGHT_NOTHING),
    # within 90d: c1's purchase at exactly as_of - 90d counts, c2's a microsecond earlier not
    ("count within", {"trait": "orders_90d", "op": "gte", "value": 3}, {"c1", "c3"}),
    ("count within edge", {"trait": "orders_90d", "op": "is", "value": 0}, BOUGHT_NOTHING | {"c2"}),
    # last_value skips c1's latest purchase (no amount): 100; c2 50; c3 10; c5 5
    ("last_value", {"trait": "last_amount", "op": "gt", "value": 50}, {"c1"}),
    ("last_value missing", {"trait": "last_amount", "op": "is_not_set"}, BOUGHT_NOTHING),
    # first categories: c1 "Shoes", c2 "bags", c3 "" (a value like any other), c5 "socks"
    ("first_value text", {"trait": "first_category", "op": "is", "value": ""}, {"c3"}),
    (
        "first_value negative op includes missing",
        {"trait": "first_category", "op": "is_not", "value": "bags"},
        EVERYONE - {"c2"},
    ),
    ("last_time", {"trait": "last_purchase", "op": "within_last", "value": "7d"}, {"c1", "c5"}),
    # averages: c1 150, c2 50, c3 203.5, c5 5; missing without a present amount
    ("avg", {"trait": "average_amount", "op": "lt", "value": 100}, {"c2", "c5"}),
    (
        "not avg is exact",
        {"not": {"trait": "average_amount", "op": "lt", "value": 100}},
        EVERYONE - {"c2", "c5"},
    ),
    ("count_distinct", {"trait": "amounts", "op": "is", "value": 2}, {"c1", "c3"}),
    # shoes ignoring case: c1 100 + 200, c3 300.25
    (
        "trait with where",
        {"trait": "shoe_spend", "op": "between", "value": [300, 300.25]},
        {"c1", "c3"},
    ),
    ("nested segment reads a trait", {"in_segment": "big"}, {"c1", "c3"}),
    (
        "trait beside an event condition",
        {"all": [{"trait": "orders", "op": "gte", "value": 1}, {"not_performed": "login"}]},
        {"c2", "c3", "c5"},
    ),
    # -- percentiles: population of spend is all 8 contacts (0 is a value)
    ("top_percent", {"trait": "spend", "op": "top_percent", "value": 50}, {"c1", "c2", "c3", "c5"}),
    (
        "bottom_percent ties all in",
        {"trait": "spend", "op": "bottom_percent", "value": 50},
        BOUGHT_NOTHING,
    ),
    # orders: c1 3, c3 3, c2 1, c5 1, four 0s; 12.5% of 8 is 1: no one is above the two 3s
    ("top_percent ties", {"trait": "orders", "op": "top_percent", "value": 12.5}, {"c1", "c3"}),
    # 62.5% of 8 is 5: the 1s have four values below them, fewer than 5
    (
        "bottom_percent decimal",
        {"trait": "orders", "op": "bottom_percent", "value": 62.5},
        EVERYONE - {"c1", "c3"},
    ),
    # total_spent of 7 contacts (c3 missing): 28% of 7 is 1.96, so at most one above
    ("attr top_percent", {"attr": "total_spent", "op": "top_percent", "value": 28}, {"c1", "c6"}),
    (
        "missing never in a percentile",
        {"not": {"attr": "total_spent", "op": "top_percent", "value": 100}},
        {"c3"},
    ),
    # c5 (Mumbai) spent 0.0 of total_spent: last among everyone, though alone in Mumbai
    (
        "population is everyone",
        {
            "all": [
                {"attr": "city", "op": "is", "value": "Mumbai"},
                {"attr": "total_spent", "op": "top_percent", "value": 50},
            ]
        },
        set(),
    ),
    (
        "population is everyone, bottom",
        {
            "all": [
                {"attr": "city", "op": "is", "value": "Mumbai"},
                {"attr": "total_spent", "op": "bottom_percent", "value": 15},
            ]
        },
        {"c5"},
    ),
]


@pytest.mark.parametrize(
    ("case", "where", "expected"), TRAIT_CASES, ids=[c[0] for c in TRAIT_CASES]
)
def test_trait_condition(lake: MiniLake, case: str, where: Any, expected: set[str]) -> None:
    assert lake.members(where) == expected, case


def test_traits_are_point_in_time(lake: MiniLake) -> None:
    # c2's 1000 purchase lands on 2026-04-01 00:00: counted from then on only.
    where = {"trait": "spend", "op": "gt", "value": 1000}
    assert lake.members(where) == set()
    assert lake.members(where, as_of=datetime.fromisoformat("2026-04-01T00:00:00+00:00")) == {"c2"}


def _values_lake(tmp: Path, values: list[float | None], traits: Any = None) -> MiniLake:
    ids = [f"p{i:03d}" for i in range(len(values))]
    contacts = pa.table({"contact_id": ids, "score": pa.array(values, pa.float64())})
    events = pa.table(
        {
            "contact_id": pa.array([], pa.string()),
            "event": pa.array([], pa.string()),
            "ts": pa.array([], TS),
        }
    )
    return make_lake(tmp, contacts, events, traits=traits)


def test_percentile_cut_is_exact(tmp_path: Path) -> None:
    """P = 28, N = 275: the top 28% is exactly 77 contacts (0.28 * 275 in floating point is
    77.00000000000001, which would let a 78th in)."""
    lake = _values_lake(tmp_path, [float(i) for i in range(275)])
    members = lake.members({"attr": "score", "op": "top_percent", "value": 28})
    assert len(members) == 77
    assert members == {f"p{i:03d}" for i in range(198, 275)}
    assert len(lake.members({"attr": "score", "op": "bottom_percent", "value": 28})) == 77


def test_percentile_population_leaves_out_nan_and_missing(tmp_path: Path) -> None:
    lake = _values_lake(tmp_path, [float("nan"), None, 1.0, 2.0, 2.0])
    # population 1, 2, 2 (N = 3): 50% of 3 is 1.5, 30% is 0.9
    assert lake.members({"attr": "score", "op": "top_percent", "value": 50}) == {"p003", "p004"}
    assert lake.members({"attr": "score", "op": "bottom_percent", "value": 30}) == {"p002"}
    # one value below each 2, fewer than 1.5
    assert lake.members({"attr": "score", "op": "bottom_percent", "value": 50}) == {
        "p002",
        "p003",
        "p004",
    }
    assert lake.members({"attr": "score", "op": "top_percent", "value": 100}) == {
        "p002",
        "p003",
        "p004",
    }


def test_last_and_first_value_ties_take_the_greatest(tmp_path: Path) -> None:
    at = datetime(2026, 3, 1, 10, 0)
    earlier = datetime(2026, 2, 1, 10, 0)
    rows = [
        ("t1", earlier, None, None),  # earliest, but no amount: first_value looks past it
        ("t1", at, 5.0, "a"),
        ("t1", at, 7.0, "b"),
        ("t2", earlier, 1.0, "z"),
        ("t2", at, 3.0, "y"),
        ("t2", at, 2.0, "x"),
    ]
    events = pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "event": ["purchase"] * len(rows),
            "ts": pa.array([r[1] for r in rows], TS),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
            "category": [r[3] for r in rows],
        }
    )
    contacts = pa.table({"contact_id": ["t1", "t2"]})
    traits = {
        "first_amount": {"of": "purchase", "value": {"fn": "first_value", "prop": "amount"}},
        "last_amount": {"of": "purchase", "value": {"fn": "last_value", "prop": "amount"}},
        "last_category": {"of": "purchase", "value": {"fn": "last_value", "prop": "category"}},
    }
    lake = make_lake(tmp_path, contacts, events, traits=traits)
    assert lake.members({"trait": "first_amount", "op": "is", "value": 7}) == {"t1"}
    assert lake.members({"trait": "first_amount", "op": "is", "value": 1}) == {"t2"}
    assert lake.members({"trait": "last_amount", "op": "is", "value": 7}) == {"t1"}
    assert lake.members({"trait": "last_amount", "op": "is", "value": 3}) == {"t2"}
    assert lake.members({"trait": "last_category", "op": "is", "value": "b"}) == {"t1"}
    assert lake.members({"trait": "last_category", "op": "is", "value": "y"}) == {"t2"}


def test_traits_join_the_shared_fact_pass(lake: MiniLake) -> None:
    """A trait is one more aggregate of the one events pass, not a scan of its own."""
    sql = lake.sql(
        {
            "all": [
                {"trait": "spend", "op": "gt", "value": 1},
                {"trait": "last_amount", "op": "gt", "value": 1},
                {"performed": "purchase", "count": {"op": "gte", "value": 2}},
            ]
        }
    )
    assert sql.count("FROM events") == 1
    # the trait `orders` and `performed: purchase` share one COUNT column
    shared = lake.sql(
        {"all": [{"trait": "orders", "op": "gt", "value": 1}, {"performed": "purchase"}]}
    )
    assert shared.count("COUNT(*)") == 1


def test_percentiles_add_one_pass_over_contacts(lake: MiniLake) -> None:
    sql = lake.sql(
        {
            "all": [
                {"trait": "spend", "op": "top_percent", "value": 10},
                {"trait": "spend", "op": "bottom_percent", "value": 90},
                {"attr": "total_spent", "op": "top_percent", "value": 5},
            ]
        }
    )
    assert sql.count("contact_ranks AS (") == 1
    assert sql.count("FROM contacts") == 2  # the ranks' pass and the members'


DEFINITION_ERRORS: list[tuple[str, dict[str, Any], Any, str]] = [
    (
        "named like an attribute",
        {"city": {"of": "purchase", "value": {"fn": "count"}}},
        {"trait": "city", "op": "is", "value": 1},
        "traits/city.yaml: trait city has the name of a contact attribute",
    ),
    (
        "unknown event",
        {"x": {"of": "purchas", "value": {"fn": "count"}}},
        {"trait": "x", "op": "gt", "value": 1},
        "traits/x.yaml: of: unknown event purchas (did you mean purchase?)",
    ),
    (
        "unknown property",
        {"x": {"of": "purchase", "value": {"fn": "sum", "prop": "amout"}}},
        {"trait": "x", "op": "gt", "value": 1},
        "traits/x.yaml: value.prop: unknown event property amout (did you mean amount?)",
    ),
    (
        "fn does not fit the property",
        {"x": {"of": "purchase", "value": {"fn": "sum", "prop": "category"}}},
        {"trait": "x", "op": "gt", "value": 1},
        "traits/x.yaml: value.fn: sum needs a numeric property; category is text",
    ),
    (
        "op does not fit the trait",
        {"x": {"of": "purchase", "value": {"fn": "last_value", "prop": "category"}}},
        {"trait": "x", "op": "gt", "value": 1},
        "<dict>: where.op: op gt is not valid for trait x (text)",
    ),
    (
        "unknown trait",
        {"spend": {"of": "purchase", "value": {"fn": "sum", "prop": "amount"}}},
        {"trait": "spnd", "op": "gt", "value": 1},
        "<dict>: where.trait: unknown trait spnd (did you mean spend?)",
    ),
    (
        "percentile on text",
        {},
        {"attr": "city", "op": "top_percent", "value": 10},
        "<dict>: where.op: op top_percent is not valid for attribute city (text)",
    ),
    (
        "percentile of 0",
        {},
        {"attr": "total_spent", "op": "top_percent", "value": 0},
        "<dict>: where.value: expected a percentage with 0 < P <= 100, got 0",
    ),
    (
        "percentile over 100",
        {},
        {"attr": "total_spent", "op": "bottom_percent", "value": 100.5},
        "<dict>: where.value: expected a percentage with 0 < P <= 100, got 100.5",
    ),
    (
        "percentile with too many decimals",
        {},
        {"attr": "total_spent", "op": "top_percent", "value": 12.1234567},
        "<dict>: where.value: a percentage has at most 6 decimals, got 12.1234567",
    ),
    (
        "trait in an event where",
        {"spend": {"of": "purchase", "value": {"fn": "sum", "prop": "amount"}}},
        {"performed": "purchase", "where": {"trait": "spend", "op": "gt", "value": 1}},
        "<dict>: where.where.trait: a trait is a value per contact, not per event",
    ),
    (
        "percentile in an event where",
        {},
        {
            "performed": "purchase",
            "where": {"prop": "amount", "op": "top_percent", "value": 10},
        },
        "<dict>: where.where.op: top_percent ranks contacts: use it on an attribute or a trait",
    ),
]


@pytest.mark.parametrize(
    ("case", "traits", "where", "message"),
    DEFINITION_ERRORS,
    ids=[c[0] for c in DEFINITION_ERRORS],
)
def test_definition_errors_name_the_file_and_path(
    tmp_path: Path, case: str, traits: dict[str, Any], where: Any, message: str
) -> None:
    lake = make_lake(tmp_path, CONTACTS, EVENTS, traits=traits)
    with pytest.raises(DefinitionError) as caught:
        segment = Segment.from_dict({"name": "t", "where": where}, source="<dict>")
        lake.resolver().resolve(segment)
    assert any(str(p).startswith(message) for p in caught.value.problems), (
        case,
        caught.value.problems,
    )


TRAIT_FILE_ERRORS: list[tuple[str, Any, str]] = [
    ("count with a prop", {"of": "a", "value": {"fn": "count", "prop": "amount"}}, "value.prop"),
    ("sum without a prop", {"of": "a", "value": {"fn": "sum"}}, "value"),
    ("unknown fn", {"of": "a", "value": {"fn": "median", "prop": "amount"}}, "value.fn"),
    ("no of", {"value": {"fn": "count"}}, ""),
    ("unknown key", {"of": "a", "value": {"fn": "count"}, "window": "7d"}, "window"),
    (
        "attr in the where",
        {"of": "a", "where": {"attr": "city", "op": "is_set"}, "value": {"fn": "count"}},
        "where.attr",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "path"), TRAIT_FILE_ERRORS, ids=[c[0] for c in TRAIT_FILE_ERRORS]
)
def test_trait_file_shape_errors(case: str, body: Any, path: str) -> None:
    from duckseg.lang.traits import TraitDefinition

    with pytest.raises(DefinitionError) as caught:
        TraitDefinition.from_dict(body, "traits/t.yaml", "t")
    assert [p.path for p in caught.value.problems] == [path], case
    assert all(p.source == "traits/t.yaml" for p in caught.value.problems)


def test_percentile_population_is_not_cut_to_the_candidates(lake: MiniLake) -> None:
    """A percentile of last_amount (missing without purchases) beside a condition that only
    buyers meet: the population is still every contact with a value."""
    where = {
        "all": [
            {"performed": "purchase", "within": "7d"},
            {"trait": "last_amount", "op": "bottom_percent", "value": 30},
        ]
    }
    # last amounts: c5 5, c3 10, c2 50, c1 100 (N = 4): 30% of 4 is 1.2, so the bottom
    # 30% is c5 and c3 (one value below it); of them only c5 bought in the last 7 days
    assert lake.members(where) == {"c5"}
    alone = {"trait": "last_amount", "op": "bottom_percent", "value": 30}
    assert lake.members(alone) == {"c3", "c5"}
