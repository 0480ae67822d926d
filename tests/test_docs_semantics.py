"""Every rule of docs/language.md's "Semantics in plain words" section is exercised here.

The rules are read from the page itself (the bold lead of each bullet), so a
rule added there without a check here fails this test, and so does a check for
a rule the page no longer states.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cases import CONTACTS, EVENTS
from tests.lakefixture import AS_OF, MiniLake, make_lake
from tests.test_traits import TRAITS

LANGUAGE = Path(__file__).resolve().parents[1] / "docs" / "language.md"


def stated_rules() -> list[str]:
    text = LANGUAGE.read_text(encoding="utf-8")
    section = text.split("## Semantics in plain words", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- \*\*(.+?)\*\*", section, flags=re.MULTILINE)


def missing_values(lake: MiniLake) -> None:
    everyone = lake.query("SELECT contact_id FROM contacts")
    no_city = lake.query("SELECT contact_id FROM contacts WHERE city IS NULL")
    assert no_city and not (no_city & lake.members({"attr": "city", "op": "is", "value": "Pune"}))
    assert no_city <= lake.members({"attr": "city", "op": "is_not", "value": "Pune"})
    assert lake.members(
        {"attr": "city", "op": "is_not", "value": "Pune"}
    ) == everyone - lake.members({"attr": "city", "op": "is", "value": "Pune"})


def exact_complement(lake: MiniLake) -> None:
    everyone = lake.query("SELECT contact_id FROM contacts")
    opted_in_or_unknown = lake.members({"not": {"attr": "opted_out", "op": "is_true"}})
    unknown = lake.query("SELECT contact_id FROM contacts WHERE opted_out IS NULL")
    assert unknown and unknown <= opted_in_or_unknown
    assert not unknown & lake.members({"attr": "opted_out", "op": "is_false"})
    assert opted_in_or_unknown == everyone - lake.members({"attr": "opted_out", "op": "is_true"})


def empty_text_is_a_value(lake: MiniLake) -> None:
    empty = lake.query("SELECT contact_id FROM contacts WHERE city = ''")
    assert empty and lake.members({"attr": "city", "op": "is", "value": ""}) == empty
    assert empty <= lake.members({"attr": "city", "op": "is_not", "value": "Pune"})
    assert not empty & lake.members({"attr": "city", "op": "is_set"})
    assert empty <= lake.members({"attr": "city", "op": "is_not_set"})
    no_tags = lake.query("SELECT contact_id FROM contacts WHERE len(tags) = 0")
    assert no_tags and no_tags <= lake.members({"attr": "tags", "op": "is_not_set"})


def text_ignores_case_except_is(lake: MiniLake) -> None:
    any_case = lake.query("SELECT contact_id FROM contacts WHERE lower(city) = 'pune'")
    exact = lake.query("SELECT contact_id FROM contacts WHERE city = 'pune'")
    assert exact < any_case
    assert lake.members({"attr": "city", "op": "starts_with", "value": "pu"}) == any_case
    assert lake.members({"attr": "city", "op": "is", "value": "pune"}) == exact
    folded = {"attr": "city", "op": "is", "value": "pune", "case_sensitive": False}
    assert lake.members(folded) == any_case
    strict = {"attr": "city", "op": "starts_with", "value": "pu", "case_sensitive": True}
    assert lake.members(strict) == exact
    assert lake.members({"attr": "city", "op": "matches", "value": "^pu"}) == exact


def tags_compare_exactly(lake: MiniLake) -> None:
    upper = lake.query("SELECT contact_id FROM contacts WHERE list_contains(tags, 'VIP')")
    lower = lake.query("SELECT contact_id FROM contacts WHERE list_contains(tags, 'vip')")
    assert upper and lower and not upper & lower
    assert lake.members({"attr": "tags", "op": "has", "value": "VIP"}) == upper
    assert lake.members({"attr": "tags", "op": "has", "value": "vip"}) == lower
    assert lower <= lake.members({"attr": "tags", "op": "has_none", "value": "VIP"})


def windows_include_both_ends(lake: MiniLake) -> None:
    # c1 purchased exactly at as_of - 90d; c2 one microsecond before it.
    members = lake.members(
        {
            "performed": "purchase",
            "within": "90d",
            "where": {"prop": "amount", "op": "gte", "value": 50},
        }
    )
    assert "c1" in members and "c2" not in members
    assert "c1" in lake.members(
        {"performed": "login", "within": "1s"}
    )  # c1's login is exactly at as_of
    assert lake.members({"performed": "purchase", "within": {"after": "2026-03-02"}}) == {
        "c1",
        "c3",
        "c5",
    }


def a_date_is_a_whole_day(lake: MiniLake) -> None:
    # c4 signed up at 2026-01-31 23:59:59, c5 at 2026-02-01 00:00:00 (UTC, the lake's zone).
    january = {"attr": "signup_at", "op": "between", "value": ["2026-01-01", "2026-01-31"]}
    assert "c4" in lake.members(january) and "c5" not in lake.members(january)
    after = lake.members({"attr": "signup_at", "op": "after", "value": "2026-01-31"})
    assert "c5" in after and "c4" not in after
    assert lake.members({"attr": "signup_at", "op": "is", "value": "2026-01-31"}) == {"c4"}


def counts_include_zero(lake: MiniLake) -> None:
    never = lake.query(
        "SELECT contact_id FROM contacts WHERE contact_id NOT IN (SELECT contact_id FROM events WHERE event = 'purchase')"
    )
    assert never and never <= lake.members(
        {"performed": "purchase", "count": {"op": "lt", "value": 2}}
    )
    assert lake.members(
        {"performed": "purchase", "count": {"op": "eq", "value": 0}}
    ) == lake.members({"not_performed": "purchase"})


def aggregates_over_nothing(lake: MiniLake) -> None:
    never = lake.query(
        "SELECT contact_id FROM contacts WHERE contact_id NOT IN (SELECT contact_id FROM events WHERE event = 'purchase')"
    )
    zero_sum = {
        "performed": "purchase",
        "count": {"op": "gte", "value": 0},
        "aggregate": {"fn": "sum", "prop": "amount", "op": "eq", "value": 0},
    }
    assert never <= lake.members(zero_sum)
    any_avg = {
        "performed": "purchase",
        "count": {"op": "gte", "value": 0},
        "aggregate": {"fn": "avg", "prop": "amount", "op": "gte", "value": 0},
    }
    assert not never & lake.members(any_avg)


def as_of_rule(lake: MiniLake) -> None:
    assert "c6" not in lake.members({"performed": "login"})  # its only login is after as_of
    assert "c6" in lake.members({"performed": "login"}, as_of=datetime(2026, 4, 3, tzinfo=UTC))
    assert datetime(2026, 4, 3, tzinfo=UTC) > AS_OF


def traits_over_nothing(lake: MiniLake) -> None:
    never = lake.query(
        "SELECT contact_id FROM contacts WHERE contact_id NOT IN (SELECT contact_id FROM events WHERE event = 'purchase')"
    )
    assert never and never <= lake.members({"trait": "orders", "op": "is", "value": 0})
    assert never <= lake.members({"trait": "spend", "op": "is", "value": 0})
    assert never <= lake.members({"trait": "last_amount", "op": "is_not_set"})
    assert not never & lake.members({"trait": "average_amount", "op": "gte", "value": 0})


def percentile_ties(lake: MiniLake) -> None:
    # orders: c1 and c3 3 each, c2 and c5 1 each, four contacts 0: 12.5% of 8 is 1, and
    # no one has more than the two 3s, so both are in
    assert lake.members({"trait": "orders", "op": "top_percent", "value": 12.5}) == {"c1", "c3"}
    # everyone's population: among the two contacts of one city, c5 is last by total_spent
    # of everyone, though first in its city
    mumbai = {"attr": "city", "op": "is", "value": "Mumbai"}
    top = {"attr": "total_spent", "op": "top_percent", "value": 50}
    assert lake.members(mumbai) == {"c5"} and lake.members({"all": [mumbai, top]}) == set()


CHECKS: dict[str, Callable[[MiniLake], None]] = {
    "Missing values": missing_values,
    "`not` is an exact complement": exact_complement,
    "Empty text is a value": empty_text_is_a_value,
    "Text ops ignore case, except `is` and `is_not`": text_ignores_case_except_is,
    "Tags compare exactly": tags_compare_exactly,
    "Windows include both ends": windows_include_both_ends,
    "A date is a whole day": a_date_is_a_whole_day,
    "Counts include zero": counts_include_zero,
    "Aggregates over nothing": aggregates_over_nothing,
    "`as_of`": as_of_rule,
    "Traits over nothing": traits_over_nothing,
    "Percentile ties": percentile_ties,
}


def test_every_stated_rule_has_a_check() -> None:
    assert stated_rules() == list(CHECKS)


@pytest.fixture(scope="module")
def semantic_lake(tmp_path_factory: pytest.TempPathFactory) -> MiniLake:
    return make_lake(Path(tmp_path_factory.mktemp("rules")), CONTACTS, EVENTS, traits=TRAITS)


@pytest.mark.parametrize("rule", list(CHECKS))
def test_rule(semantic_lake: MiniLake, rule: str) -> None:
    CHECKS[rule](semantic_lake)
