"""Sequences, lifecycle conditions and first/last with any window, against members worked
out by hand from the language's words (docs/language.md).

Times sit on the edges that matter: two events at the same instant, events exactly
`then_within` apart and one microsecond more, on period boundaries, on month ends that
clamp (31 March - 1mo is 28 February), after as_of, and in New York, where a period
boundary moves with daylight saving time. Each case also checks `not`, the exact complement.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tests.lakefixture import MiniLake, make_lake

TS = pa.timestamp("us")

# (contact, event, ts as naive UTC, category)
_EVENTS: list[tuple[str, str, str, str | None]] = [
    # -- sequences: view, cart, buy --------------------------------------------------
    ("s1", "view", "2026-03-01 10:00:00", "shoes"),
    ("s1", "cart", "2026-03-01 10:30:00", None),
    ("s1", "buy", "2026-03-02 09:00:00", None),
    ("s2", "view", "2026-03-01 00:00:00", None),  # too early for cart within 1h ...
    ("s2", "view", "2026-03-01 10:00:00", None),  # ... but this one is exactly 1h before
    ("s2", "cart", "2026-03-01 11:00:00", None),
    ("s3", "view", "2026-03-05 12:00:00", None),  # the same instant: not in order
    ("s3", "cart", "2026-03-05 12:00:00", None),
    ("s4", "view", "2026-03-10 12:00:00", None),
    ("s4", "cart", "2026-03-10 13:00:00", None),  # exactly 1h later
    ("s5", "view", "2026-03-10 12:00:00", None),
    ("s5", "cart", "2026-03-10 13:00:00.000001", None),  # 1h and a microsecond later
    ("s6", "cart", "2026-03-01 12:00:00", None),  # the wrong order
    ("s6", "view", "2026-03-02 12:00:00", None),
    ("s7", "view", "2026-03-24 11:59:59.999999", None),  # just before as_of - 7d
    ("s7", "cart", "2026-03-25 11:00:00", None),
    ("s8", "view", "2026-03-30 12:00:00", None),
    ("s8", "cart", "2026-03-31 12:00:00.000001", None),  # after as_of
    ("s9", "view", "2026-03-01 10:00:00", "books"),
    ("s9", "cart", "2026-03-01 10:30:00", None),
    ("s9", "buy", "2026-03-01 10:30:00", None),  # the same instant as the cart
    ("s9", "buy", "2026-03-05 10:00:00", None),
    ("s10", "view", "2026-03-24 12:00:00", None),  # exactly as_of - 7d
    ("s10", "cart", "2026-03-24 12:00:01", None),
    # -- performed_regularly: purchase. UTC periods of 1mo from as_of 2026-03-31 12:00:
    # P1 [02-28 12:00, as_of], P2 [01-31 12:00, 02-28 12:00), P3 [12-31 12:00, 01-31 12:00).
    # New York (as_of 08:00 EDT): the boundaries are 13:00 UTC on the same days.
    ("r1", "purchase", "2026-03-15 10:00:00", None),
    ("r1", "purchase", "2026-02-15 10:00:00", None),
    ("r1", "purchase", "2026-01-15 10:00:00", None),
    ("r2", "purchase", "2026-02-28 12:00:00", None),  # UTC P1 (boundary); New York P2
    ("r2", "purchase", "2026-01-10 10:00:00", None),
    ("r3", "purchase", "2026-03-20 10:00:00", None),
    ("r3", "purchase", "2026-01-31 12:00:00", None),  # UTC P2 (boundary); New York P3
    ("r3", "purchase", "2025-12-31 11:59:59.999999", None),  # before P3 in both
    ("r4", "purchase", "2026-03-20 10:00:00", None),
    ("r4", "purchase", "2026-03-21 10:00:00", None),
    ("r4", "purchase", "2026-02-10 10:00:00", None),
    ("r4", "purchase", "2026-02-11 10:00:00", None),
    ("r4", "purchase", "2026-01-10 10:00:00", None),
    ("r5", "purchase", "2026-03-31 12:00:00.000001", None),  # after as_of
    ("r5", "purchase", "2026-02-01 10:00:00", None),
    ("r5", "purchase", "2026-01-01 10:00:00", None),
    ("r6", "purchase", "2026-03-20 10:00:00", None),
    ("r6", "purchase", "2026-01-30 12:00:00", None),  # P3: as_of - 2mo is 31 January, not 28th
    ("r7", "purchase", "2026-03-31 12:00:00", None),  # as_of itself: P1
    ("r7", "purchase", "2025-12-31 12:00:00", None),  # UTC P3 (boundary); New York before P3
    # -- stopped / restarted: order. recent 30d [03-01 12:00, as_of]; prior or gap 60d
    # [12-31 12:00, 03-01 12:00); before the gap: < 12-31 12:00.
    ("t1", "order", "2026-02-01 10:00:00", None),
    ("t2", "order", "2026-02-01 10:00:00", None),
    ("t2", "order", "2026-03-01 12:00:00", None),  # the first instant of recent
    ("t3", "order", "2025-12-31 11:59:59.999999", None),
    ("t4", "order", "2025-12-31 12:00:00", None),  # the first instant of prior
    ("t5", "order", "2026-01-29 12:00:00", None),  # in (as_of - 1mo) - 1mo, not as_of - 2mo
    ("u1", "order", "2026-03-10 10:00:00", None),
    ("u1", "order", "2025-11-01 10:00:00", None),
    ("u2", "order", "2026-03-10 10:00:00", None),
    ("u2", "order", "2026-02-01 10:00:00", None),
    ("u2", "order", "2025-11-01 10:00:00", None),
    ("u3", "order", "2026-03-10 10:00:00", None),
    ("u4", "order", "2026-03-10 10:00:00", None),
    ("u4", "order", "2025-12-31 12:00:00", None),  # in the gap
    ("u5", "order", "2026-03-01 12:00:00", None),
    ("u5", "order", "2025-12-31 11:59:59.999999", None),  # just before the gap
    ("u6", "order", "2026-04-01 10:00:00", None),  # after as_of
    ("u6", "order", "2025-11-01 10:00:00", None),
    # -- first / last: payment ---------------------------------------------------------
    ("f1", "payment", "2026-01-10 00:00:00", None),
    ("f1", "payment", "2026-01-31 23:00:00", None),
    ("f2", "payment", "2026-01-10 00:00:00", None),
    ("f2", "payment", "2026-02-01 00:00:00", None),
    ("f3", "payment", "2025-12-31 23:59:59", None),
    ("f4", "payment", "2026-01-01 00:00:00", None),
    ("f5", "payment", "2026-01-15 10:00:00", None),
    ("f5", "payment", "2026-04-02 10:00:00", None),  # after as_of
    ("f6", "payment", "2026-03-15 10:00:00", None),
]

EVENTS = pa.table(
    {
        "contact_id": [e[0] for e in _EVENTS],
        "event": [e[1] for e in _EVENTS],
        "ts": pa.array([datetime.fromisoformat(e[2]) for e in _EVENTS], TS),
        "category": [e[3] for e in _EVENTS],
    }
)
CONTACTS = pa.table({"contact_id": sorted({e[0] for e in _EVENTS} | {"n0"})})
EVERYONE = set(CONTACTS.column("contact_id").to_pylist())

SEQ = [{"performed": "view"}, {"performed": "cart", "then_within": "1h"}]
R = {"performed_regularly": "purchase", "every": "1mo"}

# (name, zone, definition, members)
CASES: list[tuple[str, str, Any, set[str]]] = [
    ("sequence within 1h", "UTC", {"sequence": SEQ}, {"s1", "s2", "s4", "s9", "s10"}),
    (
        "sequence in order",
        "UTC",
        {"sequence": [{"performed": "view"}, {"performed": "cart"}]},
        {"s1", "s2", "s4", "s5", "s7", "s9", "s10"},
    ),
    (
        "sequence in a window",
        "UTC",
        {"sequence": [{"performed": "view"}, {"performed": "cart"}], "within": "7d"},
        {"s10"},
    ),
    (
        "sequence of three with where",
        "UTC",
        {
            "sequence": [
                {"performed": "view", "where": {"prop": "category", "op": "is", "value": "shoes"}},
                {"performed": "cart", "then_within": "1h"},
                {"performed": "buy", "then_within": "1d"},
            ]
        },
        {"s1"},
    ),
    (
        "sequence of three, last step unbounded",
        "UTC",
        {"sequence": [*SEQ, {"performed": "buy"}]},
        {"s1", "s9"},
    ),
    (
        "sequence step of several names",
        "UTC",
        {"sequence": [{"performed": ["view", "cart"]}, {"performed": "buy", "then_within": "1d"}]},
        {"s1", "s9"},
    ),
    ("regularly 3 months", "UTC", {**R, "periods": 3}, {"r1", "r4"}),
    (
        "regularly 2 of 3 months",
        "UTC",
        {**R, "periods": 3, "min_periods": 2},
        {"r1", "r2", "r3", "r4", "r5", "r6", "r7"},
    ),
    ("regularly 2 months", "UTC", {**R, "periods": 2}, {"r1", "r3", "r4"}),
    ("regularly twice a month", "UTC", {**R, "periods": 2, "times": 2}, {"r4"}),
    (
        "regularly twice in any month",
        "UTC",
        {**R, "periods": 3, "min_periods": 1, "times": 2},
        {"r4"},
    ),
    ("regularly 1 month", "UTC", {**R, "periods": 1}, {"r1", "r2", "r3", "r4", "r6", "r7"}),
    ("regularly 2 months new york", "America/New_York", {**R, "periods": 2}, {"r1", "r4"}),
    (
        "regularly 2 of 3 months new york",
        "America/New_York",
        {**R, "periods": 3, "min_periods": 2},
        {"r1", "r2", "r3", "r4", "r5", "r6"},
    ),
    (
        "stopped 30d after 60d",
        "UTC",
        {"stopped_performing": "order", "recent": "30d", "prior": "60d"},
        {"t1", "t4", "t5"},
    ),
    (
        "stopped 1mo after 1mo",
        "UTC",
        {"stopped_performing": "order", "recent": "1mo", "prior": "1mo"},
        {"t1", "t5"},
    ),
    (
        "restarted 30d after 60d",
        "UTC",
        {"restarted_performing": "order", "recent": "30d", "gap": "60d"},
        {"u1", "u5"},
    ),
    (
        "last between dates",
        "UTC",
        {"last_performed": "payment", "within": {"between": ["2026-01-01", "2026-01-31"]}},
        {"f1", "f4", "f5"},
    ),
    (
        "first between dates",
        "UTC",
        {"first_performed": "payment", "within": {"between": ["2026-01-01", "2026-01-31"]}},
        {"f1", "f2", "f4", "f5"},
    ),
    (
        "first within before",
        "UTC",
        {"first_performed": "payment", "within": {"before": "2026-01-10"}},
        {"f3", "f4"},
    ),
    (
        "last within after",
        "UTC",
        {"last_performed": "payment", "within": {"after": "2026-01-31"}},
        {"f2", "f6"},
    ),
    (
        "last within last 1mo",
        "UTC",
        {"last_performed": "payment", "within": {"last": "1mo"}},
        {"f6"},
    ),
    ("first within 30d", "UTC", {"first_performed": "payment", "within": "30d"}, {"f6"}),
    (
        "first within after",
        "UTC",
        {"first_performed": "payment", "within": {"after": "2026-01-31"}},
        {"f6"},
    ),
    (
        "last between relative",
        "UTC",
        {"last_performed": "payment", "within": {"between": ["now-90d", "now-30d"]}},
        {"f1", "f2", "f3", "f4", "f5"},
    ),
    (
        "last between dates new york",
        "America/New_York",
        # 31 January ends at 05:00 UTC on 1 February there: f2's payment is in it.
        {"last_performed": "payment", "within": {"between": ["2026-01-01", "2026-01-31"]}},
        {"f1", "f2", "f5"},
    ),
]


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MiniLake]:
    return {
        zone: make_lake(Path(tmp_path_factory.mktemp("patterns")), CONTACTS, EVENTS, zone=zone)
        for zone in ("UTC", "America/New_York")
    }


@pytest.mark.parametrize(("case", "zone", "where", "expected"), CASES, ids=[c[0] for c in CASES])
def test_members(
    lakes: dict[str, MiniLake], case: str, zone: str, where: Any, expected: set[str]
) -> None:
    lake = lakes[zone]
    assert lake.members(where) == expected
    assert lake.members({"not": where}) == EVERYONE - expected


def test_a_build_of_every_case_shares_its_tables(lakes: dict[str, MiniLake]) -> None:
    """All cases in one build: lifecycle counts join the shared fact pass, segments that
    walk the contacts read the member flags, and every segment keeps its members."""
    from sqlglot import exp

    from duckseg import Segment
    from duckseg.compiler import compile_build, to_sql
    from duckseg.db import create_temp
    from duckseg.lang.time import TimeContext
    from tests.lakefixture import AS_OF

    lake = lakes["UTC"]
    cases = [(n, w, e) for n, zone, w, e in CASES if zone == "UTC"]
    expected: dict[str, set[str]] = {}
    trees = {}
    for index, (_, where, members) in enumerate(cases):
        for name, condition, want in (
            (f"s{index}", where, members),
            (f"n{index}", {"not": where}, EVERYONE - members),
            (f"o{index}", {"any": [where, cases[index - 1][1]]}, members | cases[index - 1][2]),
        ):
            tree = lake.resolver().resolve(Segment.from_dict({"name": name, "where": condition}))
            assert tree.tree is not None
            trees[name], expected[name] = tree.tree, want
    build = compile_build(trees, TimeContext.create(AS_OF, "UTC"))
    assert build.facts is not None and build.flags is not None
    for table, query in build.shared():
        create_temp(lake.con, table, query, "TABLE")
    try:
        for name, query in build.members.items():
            assert lake.query(to_sql(query)) == expected[name], name
    finally:  # the lake serves the other tests of this module
        for table, _ in build.shared():
            lake.con.execute(exp.Drop(tables=[exp.to_table(table)], kind="TABLE").sql("duckdb"))
