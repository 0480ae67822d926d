"""Each operator and condition kind against a hand-written DuckDB query (SPEC section 6).

The fixture puts values exactly on the edges that matter: events at as_of - 90d
and one microsecond earlier, at as_of and after it, missing and empty values.
"""

from __future__ import annotations

import math
import operator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tests.cases import CASES, CONTACTS, EVENTS, TS, dt
from tests.lakefixture import AS_OF, MiniLake, make_lake


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> MiniLake:
    return make_lake(
        Path(tmp_path_factory.mktemp("lake")), CONTACTS, EVENTS, static={"uploaded": ["c2", "c7"]}
    )


@pytest.mark.parametrize(("case", "where", "reference"), CASES, ids=[c[0] for c in CASES])
def test_condition_matches_hand_written_sql(
    lake: MiniLake, case: str, where: Any, reference: str
) -> None:
    expected = lake.query(reference)
    got = lake.members(where)
    assert got == expected, (
        f"{case}: compiled {sorted(got)} != reference {sorted(expected)}\n{lake.sql(where)}"
    )


def test_fixture_is_not_trivial(lake: MiniLake) -> None:
    # Guard against a reference query that matches everyone or no one for every case.
    sizes = {case: len(lake.query(ref)) for case, _, ref in CASES}
    assert sum(1 for n in sizes.values() if 0 < n < 8) > len(CASES) * 0.7


def test_events_after_as_of_never_count(lake: MiniLake) -> None:
    # c2's 1000.00 purchase is after as_of; c6's only login is after as_of.
    assert "c2" not in lake.members(
        {"performed": "purchase", "where": {"prop": "amount", "op": "gt", "value": 500}}
    )
    assert "c6" not in lake.members({"performed": "login"})
    later = datetime(2026, 4, 3, tzinfo=UTC)
    assert "c6" in lake.members({"performed": "login"}, as_of=later)


def test_not_is_exact_complement_for_every_case(lake: MiniLake) -> None:
    everyone = lake.query("SELECT contact_id FROM contacts")
    for _case, where, _ in CASES:
        assert lake.members({"not": where}) == everyone - lake.members(where)


def test_dates_against_instants_follow_the_workspace_zone(tmp_path: Path) -> None:
    # 2026-01-31T20:00Z is already 1 February in Asia/Kolkata (+05:30).
    contacts = pa.table(
        {
            "contact_id": ["a", "b"],
            "seen_at": pa.array([dt("2026-01-31 20:00:00"), dt("2026-01-31 18:00:00")], TS),
        }
    )
    events = pa.table(
        {"contact_id": ["a"], "event": ["login"], "ts": pa.array([dt("2026-01-31 20:00:00")], TS)}
    )
    kolkata = make_lake(tmp_path / "k", contacts, events, zone="Asia/Kolkata")
    utc = make_lake(tmp_path / "u", contacts, events, zone="UTC")
    cond = {"attr": "seen_at", "op": "after", "value": "2026-01-31"}
    assert kolkata.members(cond) == {"a"}
    assert utc.members(cond) == set()
    window = {"performed": "login", "within": {"between": ["2026-02-01", "2026-02-01"]}}
    assert kolkata.members(window, as_of=datetime(2026, 3, 1, tzinfo=UTC)) == {"a"}
    assert utc.members(window, as_of=datetime(2026, 3, 1, tzinfo=UTC)) == set()


def test_as_of_is_the_default_now_for_relative_values(lake: MiniLake) -> None:
    assert AS_OF.tzinfo is UTC
    earlier = datetime(2026, 3, 25, 0, 0, tzinfo=UTC)
    cond = {"attr": "signup_at", "op": "within_last", "value": "7d"}
    assert lake.members(cond, as_of=earlier) == {"c1", "c2"}


@pytest.mark.parametrize(
    ("amounts", "fn", "op", "value"),
    [
        ([858.34, 1141.66], "sum", "gt", 2000),
        ([858.34, 1141.66], "sum", "gte", 2000),
        ([858.34, 1141.66], "avg", "gt", 1000),
        ([858.34, 1141.66], "avg", "lte", 1000),
        ([1015.93, 1820.46, 380.51], "sum", "gte", 3216.9),
        ([1015.93, 1820.46, 380.51], "sum", "lt", 3216.9),
        ([200.9, 1259.08, 1447.55, 593.48], "sum", "eq", 3501.01),
        ([-465.12, 1028.03, 1904.98, -1156.01], "avg", "gte", 327.97),
    ],
)
def test_float_sums_are_the_same_in_any_row_order(
    tmp_path: Path, amounts: list[float], fn: str, op: str, value: float
) -> None:
    """Contact "a" has the amounts in the given order, "b" in the reverse one, and both
    get the correctly rounded sum (math.fsum, as the reference evaluator). DuckDB's FSUM
    over the rows as they come gave 2000.0000000000002 for 858.34 + 1141.66 (exactly
    halfway between two doubles; 2000.0 reversed) and 3216.8999999999996 for the second
    list; its FAVG gave 1000.0000000000001."""
    day = dt("2026-03-01 00:00:00")
    rows = [("a", x, i) for i, x in enumerate(amounts)]
    rows += [("b", x, i) for i, x in enumerate(reversed(amounts))]
    contacts = pa.table({"contact_id": ["a", "b"]})
    events = pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "event": ["purchase"] * len(rows),
            "ts": pa.array([day + timedelta(hours=r[2]) for r in rows], TS),
            "amount": pa.array([r[1] for r in rows], pa.float64()),
        }
    )
    lake = make_lake(tmp_path, contacts, events)
    total = math.fsum(amounts) / (1 if fn == "sum" else len(amounts))
    holds = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
    holds["eq"] = operator.eq
    expected = {"a", "b"} if holds[op](total, value) else set()
    where = {
        "performed": "purchase",
        "aggregate": {"fn": fn, "prop": "amount", "op": op, "value": value},
    }
    assert lake.members(where) == expected
