"""The reference reading of audiences (SPEC 11) on hand-built worlds, worked out by hand.

These pin the reference's own reading of `limit` before it judges the build: the
order, ties by contact_id in both directions, missing and NaN values last, and a
trait read at as_of.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from tests.reference.audiences import audience_members, limited, order_values
from tests.reference.evaluator import InvalidDefinition, World

AS_OF = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
VALUES: dict[str | int, object] = {"a": 3, "b": 1, "c": 3, "d": None, "e": math.nan, "f": 2}


@pytest.mark.parametrize(
    ("descending", "expected"),
    [
        (False, ["b", "f", "a", "c", "d", "e"]),  # 1, 2, 3 (a before c), then d and e
        (True, ["a", "c", "f", "b", "d", "e"]),  # 3 (still a before c), 2, 1, then d and e
    ],
)
def test_limit_order_ties_by_contact_id_and_missing_last(
    descending: bool, expected: list[str]
) -> None:
    assert limited(set(VALUES), 6, VALUES, descending) == expected
    assert limited(set(VALUES), 3, VALUES, descending) == expected[:3]


def test_without_order_by_the_first_contact_ids() -> None:
    assert limited({"c", "a", "b"}, 2) == ["a", "b"]


def _world() -> World:
    events: list[dict[str, object]] = [
        {"contact_id": "a", "event": "purchase", "ts": datetime(2026, 3, 1, tzinfo=UTC)},
        {"contact_id": "b", "event": "purchase", "ts": datetime(2026, 3, 2, tzinfo=UTC)},
        {"contact_id": "b", "event": "purchase", "ts": datetime(2026, 4, 2, tzinfo=UTC)},
        {"contact_id": "c", "event": "purchase", "ts": datetime(2026, 4, 3, tzinfo=UTC)},
        {"contact_id": "c", "event": "purchase", "ts": datetime(2026, 4, 4, tzinfo=UTC)},
    ]
    return World(
        contacts={"a": {"city": "Pune"}, "b": {}, "c": {}, "d": {}},
        events=events,
        attr_types={"city": "text"},
        prop_types={},
        traits={
            "orders": {"of": "purchase", "value": {"fn": "count"}},
            "last_buy": {"of": "purchase", "value": {"fn": "last_time"}},
        },
    )


def test_a_trait_is_read_at_as_of() -> None:
    # As of 03-31: a and b bought once, c's purchases are still ahead (0), d never bought.
    assert order_values("orders", _world(), AS_OF)[1] == {"a": 1, "b": 1, "c": 0, "d": 0}
    everyone = {"name": "all", "where": {"attr": "city", "op": "is_not", "value": "x"}}
    audience = {
        "name": "top",
        "include": ["all"],
        "consent": False,
        "limit": {"max": 3, "order_by": "last_buy", "descending": True},
    }
    # b's last purchase by as_of is 03-02, a's 03-01; c and d have none: c by contact_id.
    got = audience_members(audience, _world(), AS_OF, {"all": everyone})
    assert got == {"b": ("all", None), "a": ("all", None), "c": ("all", None)}


def test_order_by_must_be_a_number_date_or_timestamp() -> None:
    with pytest.raises(InvalidDefinition, match="city is text"):
        order_values("city", _world(), AS_OF)
    with pytest.raises(InvalidDefinition, match="unknown attribute or trait"):
        order_values("nothing", _world(), AS_OF)
