"""The shapes a segment's query takes, and that every one of them gives the same members.

- In a build, a member query reads the shared fact table: the contacts LEFT JOINed to it, or
  the fact table alone when the segment reads no attribute and no contact without events
  can match it, or the contacts alone when it has no event condition.
- On its own, a segment that tests attributes and events asks each event condition as a
  semi-join on the events (an OR's positive event conditions as a UNION arm).
- A fact pass read only by conditions that no contact without events meets keeps only the
  contacts for which one of them holds; with many facts, the passes are several, joined.
- first / last performed tests are lowered to counts of events in windows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from sqlglot import exp

import duckseg.compiler as compiler
from duckseg import Segment
from duckseg.compiler import CompiledBuild, compile_build, rewrites, semijoin
from duckseg.compiler.rewrites import lower
from duckseg.compiler.shapes import count_from_one, facts_only, matches_without_events
from duckseg.db import cursor as connect
from duckseg.db import regex_error
from duckseg.engines.duckdb import bind_lake, read_catalog
from duckseg.lang import ir
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext
from duckseg.types import Catalog
from tests.cases import ARROW_TYPES, EXAMPLES, cell
from tests.lakefixture import AS_OF, MiniLake, make_lake
from tests.reference import strategies as refs
from tests.reference.evaluator import World, evaluate

HOUR = 3_600_000_000  # microseconds
AS_OF_US = int(AS_OF.timestamp() * 1_000_000)


@pytest.fixture
def lake(tmp_path: Path) -> MiniLake:
    contacts = pa.table(
        {
            "contact_id": ["a", "b", "c", "d", "e"],
            "city": ["Pune", None, "Pune", "Delhi", None],
            "tags": pa.array(
                [["VIP"], None, [None, "beta"], ["VIP", None], []], pa.list_(pa.string())
            ),
        }
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
    ("count_neq_1", {"performed": "buy", "count": {"op": "neq", "value": 1}}, True),
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
        "count_distinct_eq_0",
        {
            "performed": "cart",
            "count": {"op": "gte", "value": 0},
            "aggregate": {"fn": "count_distinct", "prop": "amount", "op": "eq", "value": 0},
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
    (
        "max_of_nothing",
        {
            "performed": "cart",
            "count": {"op": "lt", "value": 5},
            "aggregate": {"fn": "max", "prop": "amount", "op": "lt", "value": 50},
        },
        False,
    ),
    ("last", {"last_performed": "buy", "within": "7d"}, False),
    ("first_after", {"first_performed": "buy", "after": "now-3h"}, False),
    ("not_last", {"not": {"last_performed": "cart", "before": "now-1d"}}, True),
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
    ("empty_all", {"all": []}, True),
    (
        "attribute",
        {"all": [{"attr": "city", "op": "is", "value": "Pune"}, {"performed": "buy"}]},
        False,
    ),
    ("attribute_or", {"any": [{"attr": "city", "op": "is_set"}, {"performed": "buy"}]}, None),
    (
        "tag_or_spend",
        {
            "any": [
                {"attr": "tags", "op": "has", "value": "VIP"},
                {
                    "performed": "buy",
                    "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 500},
                },
                {"last_performed": "cart", "within": "2d"},
            ]
        },
        None,
    ),
    (
        "tag_or_never",
        {"any": [{"attr": "tags", "op": "has_none", "value": "VIP"}, {"not_performed": "buy"}]},
        True,
    ),
    (
        "not_attribute_and_event",
        {
            "not": {
                "all": [{"attr": "city", "op": "is_not", "value": "Pune"}, {"performed": "cart"}]
            }
        },
        True,
    ),
]
IDS = [c[0] for c in CASES]


def _tree(lake: MiniLake, where: Any) -> ir.Node:
    tree = lake.resolver().resolve(Segment.from_dict({"name": "t", "where": where})).tree
    assert tree is not None
    return tree


def _build(lake: MiniLake, wheres: dict[str, Any]) -> CompiledBuild:
    trees = {name: _tree(lake, where) for name, where in wheres.items()}
    return compile_build(trees, TimeContext.create(AS_OF, lake.zone))


def _alone(lake: MiniLake, build: CompiledBuild, name: str) -> set[Any]:
    return lake.query(build.standalone(name).sql("duckdb"))


def _shared(lake: MiniLake, build: CompiledBuild) -> dict[str, set[Any]]:
    """Each segment's members as a build of several computes them: the shared tables (facts,
    member flags) made once."""
    shared = build.shared()
    for table, query in shared:
        lake.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {query.sql('duckdb')}")
    try:
        return {name: lake.query(query.sql("duckdb")) for name, query in build.members.items()}
    finally:
        for table, _ in reversed(shared):
            lake.con.execute(f"DROP TABLE IF EXISTS {table}")


def _plain_build(lake: MiniLake, wheres: dict[str, Any]) -> CompiledBuild:
    """The general shape everywhere: contacts LEFT JOIN the complete fact table."""
    with (
        mock.patch.object(compiler, "facts_only", lambda tree: False),
        mock.patch.object(compiler, "matches_without_events", lambda node: None),
    ):
        build = _build(lake, wheres)
    return CompiledBuild(build.facts, build.members, flags=build.flags)


# -- the static checks ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "where", "expected"), CASES, ids=IDS)
def test_matches_without_events(
    lake: MiniLake, name: str, where: Any, expected: bool | None
) -> None:
    tree = lower(_tree(lake, where))
    assert matches_without_events(tree) is expected
    reads_attributes = name.startswith(("attribute", "tag", "not_attribute"))
    assert facts_only(tree) is (expected is False and not reads_attributes)


def test_a_static_list_depends_on_the_contact(tmp_path: Path) -> None:
    lake = make_lake(
        tmp_path,
        pa.table({"contact_id": ["a", "b"]}),
        pa.table(
            {
                "contact_id": ["a"],
                "event": ["buy"],
                "ts": pa.array([AS_OF_US - HOUR], pa.timestamp("us")),
            }
        ),
        static={"picked": ["b"]},
    )
    where = {"all": [{"in_segment": "picked"}, {"performed": "buy"}]}
    assert matches_without_events(lower(_tree(lake, where))) is False
    assert not facts_only(lower(_tree(lake, where)))
    assert matches_without_events(lower(_tree(lake, {"in_segment": "picked"}))) is None
    assert lake.members({"any": [{"in_segment": "picked"}, {"performed": "buy"}]}) == {"a", "b"}


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("gte", 1, True),
        ("gt", 0, True),
        ("gte", 0, True),
        ("gte", 2, None),
        ("gt", 1, None),
        ("neq", 0, True),
        ("neq", 1, None),
        ("eq", 0, False),
        ("eq", 1, None),
        ("lt", 1, False),
        ("lte", 0, False),
        ("lt", 2, None),
        ("between", [0, 0], False),
        ("between", [0, 2], None),
        ("between", [1, 9], None),
    ],
)
def test_count_from_one(op: str, value: Any, expected: bool | None) -> None:
    values = tuple(value) if isinstance(value, list) else (value,)
    assert count_from_one(ir.Compare(ir.CompareOp(op), values)) is expected


# -- every shape gives the same members -------------------------------------------------


@pytest.mark.parametrize(("name", "where", "expected"), CASES, ids=IDS)
def test_every_shape_gives_the_same_members(
    lake: MiniLake, name: str, where: Any, expected: bool | None
) -> None:
    build = _build(lake, {name: where})
    alone = _alone(lake, build, name)
    assert _shared(lake, build)[name] == alone
    plain = _plain_build(lake, {name: where})
    assert "LEFT JOIN" in plain.standalone(name).sql("duckdb") or not plain.facts
    assert _alone(lake, plain, name) == alone
    if expected is False:  # only contacts with events: the shapes differ where it matters
        assert alone <= {"a", "b", "c", "e"}


def test_one_list_value_is_a_contains_test(lake: MiniLake) -> None:
    """NULL elements never match, and never make the test unknown (`not` stays exact)."""
    has = {"attr": "tags", "op": "has", "value": "VIP"}
    assert "ARRAY_CONTAINS" in lake.sql(has)
    assert lake.members(has) == {"a", "d"}
    assert lake.members({"not": has}) == {"b", "c", "e"}
    assert lake.members({"attr": "tags", "op": "has_all", "value": ["VIP", "VIP"]}) == {"a", "d"}
    assert lake.members({"attr": "tags", "op": "has_none", "value": "VIP"}) == {"b", "c", "e"}
    assert "&&" in lake.sql({"attr": "tags", "op": "has", "value": ["VIP", "beta"]})


# -- the shape each segment takes -------------------------------------------------------


def _tables(query: exp.Expr) -> set[str]:
    return {t.name for t in query.find_all(exp.Table)}


def test_attribute_only_segments_read_the_contacts_alone(lake: MiniLake) -> None:
    build = _build(
        lake, {"pune": {"attr": "city", "op": "is", "value": "Pune"}, "carts": CASES[0][1]}
    )
    assert _tables(build.members["pune"]) == {"contacts"}  # no join to the build's facts
    assert _tables(build.standalone("pune")) == {"contacts"}
    assert _shared(lake, build)["pune"] == {"a", "c"}


def test_event_only_segments_read_the_fact_table_alone(lake: MiniLake) -> None:
    where = {"performed": "cart", "within": "48h"}
    sql = lake.sql(where)
    assert "FROM event_facts" in sql and "contacts" not in sql
    assert lake.members(where) == {"a", "b"}


def test_alone_an_event_condition_is_a_semi_join(lake: MiniLake) -> None:
    where = {
        "all": [
            {"attr": "city", "op": "is", "value": "Pune"},
            {"performed": "buy"},
            {"not_performed": "cart", "within": "48h"},
            {"performed": "buy", "count": {"op": "gte", "value": 2}},
        ]
    }
    query = sqlglot.parse_one(lake.sql(where), read="duckdb")
    assert _tables(query) == {"contacts", "events"}
    assert not list(query.find_all(exp.Join)) and not list(query.find_all(exp.CTE))
    subqueries = [s for s in query.find_all(exp.Select) if s is not query]
    # performed / not_performed: existence, no grouping; a count needs a group and a HAVING
    assert sorted(s.args.get("group") is not None for s in subqueries) == [False, False, True]
    assert len(list(query.find_all(exp.Not))) >= 1
    assert lake.members(where) == {"c"}


def test_alone_an_or_of_event_conditions_is_a_union(lake: MiniLake) -> None:
    where = CASES[IDS.index("tag_or_spend")][1]
    query = sqlglot.parse_one(lake.sql(where), read="duckdb")
    union = query.find(exp.Union)
    assert union is not None and union.args.get("distinct")
    arms = list(union.find_all(exp.Select))
    assert {next(iter(_tables(a))) for a in arms} == {"contacts", "events"}
    assert len(arms) == 3
    assert lake.members(where) == {"a", "b", "c", "d"}


def test_alone_a_negative_or_is_not_a_union(lake: MiniLake) -> None:
    where = CASES[IDS.index("tag_or_never")][1]
    assert "UNION" not in lake.sql(where)
    assert lake.members(where) == {"b", "c", "d", "e"}


# -- fact passes --------------------------------------------------------------------------

BIG_BUYERS = {
    "any": [
        {"attr": "city", "op": "is", "value": "Delhi"},
        {
            "performed": "buy",
            "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 500},
        },
    ]
}


def test_a_pass_read_only_by_positive_tests_keeps_candidates_only(lake: MiniLake) -> None:
    wheres = {"big": BIG_BUYERS, "carts": {"performed": "cart", "within": "48h"}}
    build = _build(lake, wheres)
    assert build.facts is not None and "AS event_facts WHERE" in build.facts.sql("duckdb")
    filtered = _shared(lake, build)
    assert filtered == {"big": {"c", "d"}, "carts": {"a", "b"}}
    plain = _plain_build(lake, wheres)
    assert plain.facts is not None and "AS event_facts WHERE" not in plain.facts.sql("duckdb")
    assert _shared(lake, plain) == filtered
    assert {n: _alone(lake, build, n) for n in wheres} == filtered


def test_a_fact_that_a_negative_test_reads_keeps_every_contact(lake: MiniLake) -> None:
    build = _build(lake, {"buyers": {"performed": "buy"}, "never": {"not_performed": "buy"}})
    assert build.facts is not None and "AS event_facts WHERE" not in build.facts.sql("duckdb")
    assert _shared(lake, build) == {"never": {"b", "d", "e"}, "buyers": {"a", "c"}}


SEVERAL = {
    # a pass per event name: a contact in one pass has no row in the others
    "carts_no_buy": {
        "all": [{"performed": "cart", "within": "48h"}, {"not_performed": "buy", "within": "48h"}]
    },
    "big": BIG_BUYERS,
    "opened": {"performed": "open"},
    "never_opened": {"not_performed": "open"},
    "cart_or_open": {"any": [{"performed": "cart"}, {"performed": "open", "within": "1d"}]},
    "few_buys": {"performed": "buy", "count": {"op": "lt", "value": 2}},
}


@pytest.mark.parametrize("per_pass", [1, 2, 16])
def test_several_passes_joined_give_the_same_members(lake: MiniLake, per_pass: int) -> None:
    with mock.patch.object(compiler, "MAX_FACTS_PER_PASS", per_pass):
        build = _build(lake, SEVERAL)
        plain = _plain_build(lake, SEVERAL)
    assert build.facts is not None
    if per_pass < 16:
        assert "pass_1" in build.facts.sql("duckdb")
        # the carts pass (only positive tests read it) keeps candidates only
        assert "AS event_facts WHERE" in build.facts.sql("duckdb")
    assert _tables(build.members["carts_no_buy"]) == {"event_facts"}
    assert _tables(build.members["cart_or_open"]) == {"event_facts"}
    shared = _shared(lake, build)
    assert shared == _shared(lake, plain)
    assert shared == {name: _alone(lake, build, name) for name in SEVERAL}
    assert shared["carts_no_buy"] == {"b"}  # a bought 5 hours ago
    assert shared["cart_or_open"] == {"a", "b", "e"}
    assert shared["never_opened"] == {"a", "b", "c", "d"}
    assert shared["few_buys"] == {"a", "b", "d", "e"}


def test_a_condition_reads_its_count_and_aggregate_from_one_pass(lake: MiniLake) -> None:
    """A window after as_of is empty: every such fact would start a pass of its own."""
    later = {
        "performed": "cart",
        "within": {"after": "2026-04-05"},
        "aggregate": {"fn": "count_distinct", "prop": "amount", "op": "neq", "value": 1},
    }
    wheres = {"later": later, "carts": {"performed": "cart"}, "big": BIG_BUYERS}
    with mock.patch.object(compiler, "MAX_FACTS_PER_PASS", 1):
        build = _build(lake, wheres)
    assert _shared(lake, build) == {"later": set(), "carts": {"a", "b"}, "big": {"c", "d"}}


def test_many_facts_of_one_stretch_are_one_pass(lake: MiniLake) -> None:
    wheres: dict[str, Any] = {f"buys_{n}d": {"performed": "buy", "within": f"{n}d"} for n in (1, 2)}
    wheres["twice_3d"] = {"performed": "buy", "within": "3d", "count": {"op": "gte", "value": 2}}
    with mock.patch.object(compiler, "MAX_FACTS_PER_PASS", 2):
        build = _build(lake, wheres)
    assert build.facts is not None and "pass_" not in build.facts.sql("duckdb")
    assert _shared(lake, build) == {"buys_1d": {"a", "c"}, "buys_2d": {"a", "c"}, "twice_3d": {"c"}}


# -- first / last performed as counts -----------------------------------------------------

T_US = AS_OF_US - 30 * 24 * HOUR  # now-30d: 1 March 12:00 UTC
DAY_START_US = T_US - 17 * HOUR - 30 * 60_000_000  # 1 March 00:00 in Kolkata (UTC+5:30)


@pytest.fixture
def edges(tmp_path: Path) -> MiniLake:
    logins = {
        "at_t": [T_US],
        "before_t": [T_US - 1],
        "before_t_and_now": [T_US - 1, AS_OF_US],
        "before_t_and_future": [T_US - 1, AS_OF_US + 1],
        "future": [AS_OF_US + 24 * HOUR],
        "day_start": [DAY_START_US],
        "around_day_start": [DAY_START_US - 1, DAY_START_US + 1],
        "early": [DAY_START_US - 1],
        "never": [],
    }
    rows = [(cid, ts) for cid, times in logins.items() for ts in times]
    events = pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "event": ["login"] * len(rows),
            "ts": pa.array([r[1] for r in rows], pa.timestamp("us")),
        }
    )
    contacts = pa.table(
        {"contact_id": list(logins), "tier": ["x" if c == "never" else "y" for c in logins]}
    )
    return make_lake(tmp_path, contacts, events, "Asia/Kolkata")


BEFORE_T = {"before_t", "before_t_and_future", "day_start", "around_day_start", "early"}
SINCE_DAY_START = {"at_t", "before_t", "before_t_and_now", "before_t_and_future", "day_start"}
TIME_TESTS: list[tuple[Any, set[str]]] = [
    ({"last_performed": "login", "before": "now-30d"}, BEFORE_T),
    ({"last_performed": "login", "within": "30d"}, {"at_t", "before_t_and_now"}),
    ({"last_performed": "login", "after": "now-30d"}, {"before_t_and_now"}),
    ({"first_performed": "login", "before": "now-30d"}, BEFORE_T | {"before_t_and_now"}),
    ({"first_performed": "login", "within": "30d"}, {"at_t"}),
    ({"first_performed": "login", "after": "now-30d"}, set()),
    # a date is the start of that day in the workspace zone (SPEC 6.2)
    ({"last_performed": "login", "before": "2026-03-01"}, {"early"}),
    ({"first_performed": "login", "before": "2026-03-01"}, {"around_day_start", "early"}),
    ({"last_performed": "login", "after": "2026-02-28"}, SINCE_DAY_START | {"around_day_start"}),
    # as_of - 1mo: 31 March 17:30 in Kolkata, clamped to 28 February
    (
        {"first_performed": "login", "within": "1mo"},
        SINCE_DAY_START | {"around_day_start", "early"},
    ),
]


@pytest.mark.parametrize(("where", "expected"), TIME_TESTS, ids=[str(w) for w, _ in TIME_TESTS])
def test_time_tests_as_counts_give_the_same_members(
    edges: MiniLake, where: Any, expected: set[str]
) -> None:
    tier = {"attr": "tier", "op": "is", "value": "x"}
    wheres = {"t": where, "t_not": {"not": where}, "t_or": {"any": [where, tier]}}
    build = _build(edges, wheres)
    kept = tuple(r for r in rewrites.RULES if r is not rewrites.times_as_windows)
    with (
        mock.patch.object(compiler, "lower", lambda tree: rewrites.lower(tree, kept)),
        mock.patch.object(semijoin, "SEMI_JOIN_RULES", ()),
    ):
        as_times = _build(edges, wheres)  # the time of the first / last event, tested
    first_after = "first_performed" in where and "after" in where
    alone_sql = build.standalone("t_not").sql("duckdb")
    assert "MAX(" not in alone_sql and ("MIN(" in alone_sql) == first_after
    everyone = edges.query("SELECT contact_id FROM contacts")
    expected_sets = {"t": expected, "t_not": everyone - expected, "t_or": expected | {"never"}}
    for name, members in expected_sets.items():
        assert _alone(edges, build, name) == members, name
        assert _alone(edges, as_times, name) == members, name
        assert _shared(edges, build)[name] == members, name
        assert _shared(edges, as_times)[name] == members, name


# -- builds of several segments against the reference evaluator ------------------------


def _engine_build(
    world: World, definitions: dict[str, dict[str, Any]], tmp: Path
) -> tuple[dict[str, set[Any]], dict[str, set[Any]]]:
    """Every dynamic segment of `definitions` built together, with passes of two facts each
    (members over the shared tables), and each on its own (standalone)."""
    people = {cid: dict(attrs) for cid, attrs in world.contacts.items()}
    for event in world.events:
        people.setdefault(event["contact_id"], {})  # as a landing does
    contacts: dict[str, Any] = {"contact_id": pa.array(list(people), pa.string())}
    for name, kind in world.attr_types.items():
        values = [cell(people[cid].get(name), kind) for cid in people]
        contacts[name] = pa.array(values, ARROW_TYPES[kind])
    events: dict[str, Any] = {
        "contact_id": pa.array([e["contact_id"] for e in world.events], pa.string())
    }
    for name, kind in world.prop_types.items():
        values = [cell(e.get(name), kind) for e in world.events]
        events[name] = pa.array(values, ARROW_TYPES[kind])
    events["event"] = pa.array([e["event"] for e in world.events], pa.string())
    times = [cell(e["ts"], "timestamp") for e in world.events]
    events["ts"] = pa.array(times, pa.timestamp("us"))
    pq.write_table(pa.table(contacts), tmp / "contacts.parquet")
    pq.write_table(pa.table(events), tmp / "events.parquet")
    static = []
    for name, ids in world.static_members.items():
        path = tmp / f"static-{name}.parquet"
        pq.write_table(pa.table({"contact_id": pa.array(sorted(ids), pa.string())}), path)
        static.append((name, path))
    con = connect()
    try:
        bind_lake(con, [tmp / "contacts.parquet"], [tmp / "events.parquet"], static)
        seen = read_catalog(con)
        names = frozenset(refs.EVENT_NAMES) | seen.event_names
        catalog = Catalog(seen.attributes, seen.properties, names)
        segs = {n: Segment.from_dict({"name": n, **body}) for n, body in definitions.items()}
        resolver = Resolver(catalog, world.zone, segs.get, list(segs), regex_error=regex_error)
        trees = {}
        for name, seg in segs.items():
            tree = resolver.resolve(seg).tree
            if tree is not None:
                trees[name] = tree
        with mock.patch.object(compiler, "MAX_FACTS_PER_PASS", 2):
            build = compile_build(trees, TimeContext.create(refs.AS_OF, world.zone))
        for table, query in build.shared():
            con.execute(f"CREATE TEMP TABLE {table} AS {query.sql('duckdb')}")
        shared = {n: _ids(con, q.sql("duckdb")) for n, q in build.members.items()}
        for table, _ in reversed(build.shared()):
            con.execute(f"DROP TABLE {table}")
        alone = {n: _ids(con, build.standalone(n).sql("duckdb")) for n in trees}
        return shared, alone
    finally:
        con.close()


def _ids(con: Any, sql: str) -> set[Any]:
    return {row[0] for row in con.execute(sql).fetchall()}


@settings(
    max_examples=max(EXAMPLES // 3, 10),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=refs.worlds(), family=refs.segment_families())
def test_a_build_of_several_segments_matches_the_reference(
    world: World, family: tuple[dict[str, dict[str, Any]], str]
) -> None:
    definitions, _ = family
    with tempfile.TemporaryDirectory() as tmp:
        shared, alone = _engine_build(world, definitions, Path(tmp))
    for name in shared:
        expected = evaluate(definitions[name], world, refs.AS_OF, definitions)
        assert shared[name] == expected, f"{name} in a build: {definitions[name]}"
        assert alone[name] == expected, f"{name} alone: {definitions[name]}"
