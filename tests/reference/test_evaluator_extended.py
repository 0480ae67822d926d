"""Hand-worked worlds for SPEC 6.3 first/last windows, 6.8 to 6.11.

Every expected member set is worked out by hand in the comments beside it:
window forms for first_performed / last_performed, sequences, lifecycle
periods, traits and percentiles, to the microsecond and in non-UTC zones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from tests.reference.evaluator import (
    ContactId,
    InvalidDefinition,
    World,
    evaluate,
    shift,
    trait_types,
    trait_values,
)
from tests.reference.strategies import ATTR_TYPES, PROP_TYPES

AS_OF = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)  # 17:30 in Kolkata, 08:00 in New York
US = timedelta(microseconds=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def _t(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return moment.astimezone(UTC)


def _ev(cid: str, ts: datetime, name: str = "purchase", **props: object) -> dict[str, object]:
    return {"contact_id": cid, "event": name, "ts": ts, **props}


def _world(
    events: list[dict[str, object]],
    contacts: Mapping[ContactId, dict[str, object]] | None = None,
    zone: str = "UTC",
    traits: dict[str, dict[str, object]] | None = None,
    event_names: frozenset[str] | None = None,
) -> World:
    return World(
        contacts=dict(contacts or {}),
        events=events,
        attr_types=dict(ATTR_TYPES),
        prop_types=dict(PROP_TYPES),
        zone=zone,
        traits=traits or {},
        event_names=event_names,
    )


def _members(
    where: object,
    world: World,
    as_of: datetime = AS_OF,
    segments: Mapping[str, Mapping[str, object]] | None = None,
) -> set[ContactId]:
    return evaluate({"name": "t", "where": where}, world, as_of, segments or {})


def _universe(world: World) -> set[ContactId]:
    found: set[ContactId] = set(world.contacts)
    for event in world.events:
        cid = event["contact_id"]
        assert isinstance(cid, str | int)
        found.add(cid)
    return found


# ------------------------------------------------- first / last with every window

# Purchases; the zone of most cases is Asia/Kolkata (UTC+05:30).
FIRST_LAST = [
    _ev("a", _t("2026-02-28T18:30:00Z")),  # 1 March 00:00 IST
    _ev("a", _t("2026-03-24T18:29:59.999999Z")),  # 24 March 23:59:59.999999 IST
    _ev("b", _t("2026-02-28T18:29:59.999999Z")),  # 28 February 23:59:59.999999 IST
    _ev("b", _t("2026-03-24T18:30:00Z")),  # 25 March 00:00 IST
    _ev("c", AS_OF - 30 * D),  # 2026-03-01T12:00Z (1 March 17:30 IST)
    _ev("d", AS_OF - 30 * D - US),
    _ev("g", _t("2026-02-28T12:00:00Z")),  # as_of - 1mo (28 February 17:30 IST)
    _ev("g", AS_OF),
    _ev("h", _t("2026-02-28T11:59:59.999999Z")),
    _ev("e", AS_OF + US),  # after as_of: never counts
]
FIRST_LAST_CONTACTS: dict[ContactId, dict[str, object]] = {"f": {}}


@pytest.mark.parametrize(
    ("cond", "zone", "expected"),
    [
        # 30d: the chosen time in [2026-03-01T12:00Z, as_of]. Last times: a 24 Mar,
        # b 24 Mar, c on the lower edge, d 1 µs before it, g as_of, h 28 Feb.
        ({"last_performed": "purchase", "within": "30d"}, "Asia/Kolkata", {"a", "b", "c", "g"}),
        # First times: only c's first purchase is in the window (a has a later one
        # inside, but its first is not: within tests the time, it filters nothing).
        ({"first_performed": "purchase", "within": "30d"}, "Asia/Kolkata", {"c"}),
        # {last: 1mo}: as_of - 1mo = 28 February 17:30 IST = 12:00Z; g's first is
        # on that edge, h's 1 µs before it.
        (
            {"first_performed": "purchase", "within": {"last": "1mo"}},
            "Asia/Kolkata",
            {"a", "b", "c", "d", "g"},
        ),
        # In New York as_of is 08:00 EDT; 28 February 08:00 EST is 13:00Z, so
        # g (12:00Z) and h fall out and b (18:29Z) stays.
        (
            {"first_performed": "purchase", "within": {"last": "1mo"}},
            "America/New_York",
            {"a", "b", "c", "d"},
        ),
        # {between: dates} in Kolkata: first dates a 1 Mar, b 28 Feb, c 1 Mar,
        # d 1 Mar, g 28 Feb, h 28 Feb -> a, c, d.
        (
            {"first_performed": "purchase", "within": {"between": ["2026-03-01", "2026-03-24"]}},
            "Asia/Kolkata",
            {"a", "c", "d"},
        ),
        # Last dates in Kolkata: a 24 Mar (in, to the last µs of the day), b 25 Mar
        # (out), c and d 1 Mar, g 31 Mar (out), h 28 Feb (out).
        (
            {"last_performed": "purchase", "within": {"between": ["2026-03-01", "2026-03-24"]}},
            "Asia/Kolkata",
            {"a", "c", "d"},
        ),
        # The same dates in UTC: b's last (2026-03-24T18:30Z) is on 24 March there.
        (
            {"last_performed": "purchase", "within": {"between": ["2026-03-01", "2026-03-24"]}},
            "UTC",
            {"a", "b", "c", "d"},
        ),
        # {between: instants} is inclusive at both ends; now is as_of (g's last).
        (
            {"last_performed": "purchase", "within": {"between": ["2026-03-24T18:30:00Z", "now"]}},
            "Asia/Kolkata",
            {"b", "g"},
        ),
        # {before: date} ends when 1 March begins in Kolkata (2026-02-28T18:30Z):
        # firsts of b, g, h are before; a's first is exactly then, so not before.
        (
            {"first_performed": "purchase", "within": {"before": "2026-03-01"}},
            "Asia/Kolkata",
            {"b", "g", "h"},
        ),
        # In UTC 1 March begins at 00:00Z, so a's first (18:30Z on 28 Feb) is before.
        (
            {"first_performed": "purchase", "within": {"before": "2026-03-01"}},
            "UTC",
            {"a", "b", "g", "h"},
        ),
        ({"last_performed": "purchase", "within": {"before": "2026-03-01"}}, "Asia/Kolkata", {"h"}),
        # {before: now-7d}: last < 2026-03-24T12:00Z: c, d, h.
        (
            {"last_performed": "purchase", "within": {"before": "now-7d"}},
            "Asia/Kolkata",
            {"c", "d", "h"},
        ),
        # {after: date} starts when 25 March begins in Kolkata: b's last is exactly
        # then (in), a's is the µs before (out), g's is as_of.
        (
            {"last_performed": "purchase", "within": {"after": "2026-03-24"}},
            "Asia/Kolkata",
            {"b", "g"},
        ),
        # {after: instant} is strict: b's first is the bound itself.
        (
            {"first_performed": "purchase", "within": {"after": "2026-02-28T18:29:59.999999Z"}},
            "Asia/Kolkata",
            {"a", "c", "d"},
        ),
        # A YAML-native date bound works the same (first date after 28 Feb in IST).
        (
            {"first_performed": "purchase", "within": {"after": date(2026, 2, 28)}},
            "Asia/Kolkata",
            {"a", "c", "d"},
        ),
    ],
)
def test_first_and_last_with_every_window_form(
    cond: dict[str, object], zone: str, expected: set[ContactId]
) -> None:
    world = _world(FIRST_LAST, FIRST_LAST_CONTACTS, zone=zone)
    assert _members(cond, world) == expected
    # not is exact; e (only a later event) and f (none) are in the complement.
    assert _members({"not": cond}, world) == _universe(world) - expected


def test_first_within_tests_the_time_it_does_not_filter_events() -> None:
    world = _world(FIRST_LAST, FIRST_LAST_CONTACTS, zone="Asia/Kolkata")
    # a performed within 30d (24 March), but its first purchase (1 March IST,
    # 2026-02-28T18:30Z) is before the window.
    assert "a" in _members({"performed": "purchase", "within": "30d"}, world)
    assert "a" not in _members({"first_performed": "purchase", "within": "30d"}, world)


def test_first_and_last_window_errors() -> None:
    world = _world(FIRST_LAST)
    for within in (
        {"between": ["2026-03-24", "2026-03-01"]},
        {"last": "1mo", "before": "now"},
        {"around": "now"},
        "0d",
    ):
        with pytest.raises(InvalidDefinition):
            _members({"last_performed": "purchase", "within": within}, world)


# ------------------------------------------------------------------- sequences

T0 = AS_OF - 2 * D
VIEW, BUY, CART = "page_view", "purchase", "cart_abandoned"
SEQUENCE_EVENTS = [
    # The SPEC's own example: A at 0h, A at 10h, B at 11h matches "A then B within 2h".
    _ev("spec", T0, VIEW),
    _ev("spec", T0 + 10 * H, VIEW),
    _ev("spec", T0 + 11 * H, BUY),
    _ev("late", T0, VIEW),  # B 11h after the only A
    _ev("late", T0 + 11 * H, BUY),
    _ev("exact", T0, VIEW),  # B exactly 2h after A: <= then_within
    _ev("exact", T0 + 2 * H, BUY),
    _ev("over", T0, VIEW),  # 2h and 1 µs
    _ev("over", T0 + 2 * H + US, BUY),
    _ev("same", T0, VIEW),  # the same instant is not in order
    _ev("same", T0, BUY),
    _ev("reverse", T0, BUY),
    _ev("reverse", T0 + H, VIEW),
    _ev("future", AS_OF, VIEW),  # B after as_of
    _ev("future", AS_OF + US, BUY),
]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([{"performed": VIEW}, {"performed": BUY}], {"spec", "late", "exact", "over"}),
        (
            [{"performed": VIEW}, {"performed": BUY, "then_within": "2h"}],
            {"spec", "exact"},
        ),
        # the same length in other fixed units
        (
            [{"performed": VIEW}, {"performed": BUY, "then_within": "7200s"}],
            {"spec", "exact"},
        ),
        (
            [{"performed": VIEW}, {"performed": BUY, "then_within": "120m"}],
            {"spec", "exact"},
        ),
        # 11h: late's B is exactly 11h after its A, over's 2h + 1µs is well within
        (
            [{"performed": VIEW}, {"performed": BUY, "then_within": "11h"}],
            {"spec", "late", "exact", "over"},
        ),
        ([{"performed": BUY}, {"performed": VIEW}], {"reverse"}),
        # a list of names: any of them; same at T0 has both, still not in order.
        ([{"performed": [VIEW, BUY]}, {"performed": BUY}], {"spec", "late", "exact", "over"}),
    ],
)
def test_sequence_two_steps(steps: list[dict[str, object]], expected: set[ContactId]) -> None:
    world = _world(SEQUENCE_EVENTS, {"quiet": {}})
    assert _members({"sequence": steps}, world) == expected
    assert _members({"not": {"sequence": steps}}, world) == _universe(world) - expected


def test_sequence_finds_a_later_chain_over_three_steps() -> None:
    events = [
        # chain A(0h) -> B(0h30) fails at C (6h is 5h30 after B); A(5h) -> B(5h30) -> C(6h) holds
        _ev("later", T0, VIEW),
        _ev("later", T0 + 0.5 * H, CART),
        _ev("later", T0 + 5 * H, VIEW),
        _ev("later", T0 + 5.5 * H, CART),
        _ev("later", T0 + 6 * H, BUY),
        # B is 1h30 after A: no chain
        _ev("slow", T0, VIEW),
        _ev("slow", T0 + 1.5 * H, CART),
        _ev("slow", T0 + 2 * H, BUY),
        # C is 30 minutes after a B that is 30 minutes after A, but A is the same
        # instant as B: not in order
        _ev("tied", T0, VIEW),
        _ev("tied", T0, CART),
        _ev("tied", T0 + 0.5 * H, BUY),
        # every gap exactly on the limit
        _ev("edges", T0, VIEW),
        _ev("edges", T0 + H, CART),
        _ev("edges", T0 + 2 * H, BUY),
    ]
    steps = [
        {"performed": VIEW},
        {"performed": CART, "then_within": "1h"},
        {"performed": BUY, "then_within": "1h"},
    ]
    world = _world(events)
    assert _members({"sequence": steps}, world) == {"later", "edges"}
    # Without a limit on the last step, B(0h30) -> C(6h) joins the first chains.
    loose = [*steps[:2], {"performed": BUY}]
    assert _members({"sequence": loose}, world) == {"later", "edges"}
    no_limits = [{"performed": VIEW}, {"performed": CART}, {"performed": BUY}]
    assert _members({"sequence": no_limits}, world) == {"later", "slow", "edges"}


def test_sequence_of_one_event_name_needs_two_events_in_order() -> None:
    events = [
        _ev("twice", T0),
        _ev("twice", T0 + timedelta(seconds=1)),
        _ev("tied", T0),
        _ev("tied", T0),
        _ev("once", T0),
    ]
    steps = [{"performed": BUY}, {"performed": BUY, "then_within": "1s"}]
    assert _members({"sequence": steps}, _world(events)) == {"twice"}


def test_sequence_window_holds_every_step_and_where_is_per_step() -> None:
    events = [
        # with within: 1d, [as_of - 1d, as_of]
        _ev("inside", AS_OF - D, VIEW, category="books"),
        _ev("inside", AS_OF, BUY),
        _ev("first_out", AS_OF - D - US, VIEW, category="books"),
        _ev("first_out", AS_OF - H, BUY),
        _ev("toys", AS_OF - H, VIEW, category="toys"),
        _ev("toys", AS_OF - 0.5 * H, BUY),
    ]
    world = _world(events)
    books = {"prop": "category", "op": "is", "value": "books"}
    steps = [{"performed": VIEW, "where": books}, {"performed": BUY}]
    assert _members({"sequence": steps, "within": "1d"}, world) == {"inside"}
    assert _members({"sequence": steps}, world) == {"inside", "first_out"}
    plain = [{"performed": VIEW}, {"performed": BUY}]
    assert _members({"sequence": plain, "within": "1d"}, world) == {"inside", "toys"}
    # A date window in Kolkata: as_of - 1d - 1µs is 30 March 17:29 IST, as_of 31 March.
    kolkata = _world(events, zone="Asia/Kolkata")
    on_30th = {"between": ["2026-03-30", "2026-03-30"]}
    assert _members({"sequence": plain, "within": on_30th}, kolkata) == set()
    from_30th = {"after": "2026-03-29"}
    assert _members({"sequence": plain, "within": from_30th}, kolkata) == {
        "inside",
        "first_out",
        "toys",
    }


@pytest.mark.parametrize(
    "cond",
    [
        {"sequence": [{"performed": VIEW}]},
        {"sequence": []},
        {"sequence": {"performed": VIEW}},
        {"sequence": [{"performed": VIEW, "then_within": "1h"}, {"performed": BUY}]},
        {"sequence": [{"performed": VIEW}, {"performed": BUY, "then_within": "1mo"}]},
        {"sequence": [{"performed": VIEW}, {"performed": BUY, "then_within": "1y"}]},
        {"sequence": [{"performed": VIEW}, {"performed": BUY, "then_within": "0h"}]},
        {"sequence": [{"performed": VIEW}, {"performed": BUY, "within": "1d"}]},
        {"sequence": [{"performed": VIEW}, {"where": {"prop": "qty", "op": "is_set"}}]},
        {"sequence": [{"performed": VIEW}, {"performed": []}]},
        {"sequence": [{"performed": VIEW}, {"performed": BUY}], "within": "0d"},
        {"sequence": [{"performed": VIEW}, {"performed": BUY}], "count": {"op": "gte"}},
    ],
)
def test_sequence_errors(cond: dict[str, object]) -> None:
    with pytest.raises(InvalidDefinition):
        _members(cond, _world(SEQUENCE_EVENTS))


# ------------------------------------------------------------------- lifecycle


def test_boundaries_are_one_subtraction_of_k_months() -> None:
    utc = ZoneInfo("UTC")
    # "from 31 March by 1mo, 28 February, 31 January, 31 December"
    assert shift(AS_OF, -1, "mo", utc) == _t("2026-02-28T12:00:00Z")
    assert shift(AS_OF, -2, "mo", utc) == _t("2026-01-31T12:00:00Z")
    assert shift(AS_OF, -3, "mo", utc) == _t("2025-12-31T12:00:00Z")
    # not 28 February - 1mo
    assert shift(shift(AS_OF, -1, "mo", utc), -1, "mo", utc) == _t("2026-01-28T12:00:00Z")


# Periods of every: 1mo, periods: 3 at as_of in UTC:
#   P1 [2026-02-28T12:00Z, as_of], P2 [2026-01-31T12:00Z, 2026-02-28T12:00Z),
#   P3 [2025-12-31T12:00Z, 2026-01-31T12:00Z).
B1, B2, B3 = _t("2026-02-28T12:00:00Z"), _t("2026-01-31T12:00:00Z"), _t("2025-12-31T12:00:00Z")
REGULAR = [
    # monthly: one in each period
    _ev("monthly", _t("2026-03-15T00:00:00Z")),
    _ev("monthly", _t("2026-02-15T00:00:00Z")),
    _ev("monthly", _t("2026-01-15T00:00:00Z")),
    # on the boundaries: each belongs to the more recent period (P1, P2, P3)
    _ev("on_bounds", B1),
    _ev("on_bounds", B2),
    _ev("on_bounds", B3),
    # a µs before each: P2, P3, and before P3; nothing in P1
    _ev("before_bounds", B1 - US),
    _ev("before_bounds", B2 - US),
    _ev("before_bounds", B3 - US),
    # 29 January is in P3 (b2 is 31 January); 28 February - 1mo would put it in P2
    _ev("clamp", _t("2026-03-15T00:00:00Z")),
    _ev("clamp", _t("2026-01-29T12:00:00Z")),
    _ev("clamp", _t("2026-01-01T00:00:00Z")),
    # two in P1, two in P2, one in P3; as_of itself is in P1
    _ev("twice", AS_OF),
    _ev("twice", B1),
    _ev("twice", _t("2026-02-01T00:00:00Z")),
    _ev("twice", _t("2026-02-27T00:00:00Z")),
    _ev("twice", _t("2026-01-01T00:00:00Z")),
    # after as_of, then one in P2 only
    _ev("future", AS_OF + US),
    _ev("future", _t("2026-02-15T00:00:00Z")),
    # logins do not count for purchase
    _ev("logins", _t("2026-03-15T00:00:00Z"), "login"),
    _ev("logins", _t("2026-02-15T00:00:00Z"), "login"),
    _ev("logins", _t("2026-01-15T00:00:00Z"), "login"),
]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # P1..P3 each once: monthly, on_bounds, twice (P3 once)
        ({}, {"monthly", "on_bounds", "twice"}),
        # clamp: P1 and P3; before_bounds: P2 and P3; future: P2
        ({"min_periods": 2}, {"monthly", "on_bounds", "twice", "clamp", "before_bounds"}),
        (
            {"min_periods": 1},
            {"monthly", "on_bounds", "twice", "clamp", "before_bounds", "future"},
        ),
        ({"times": 2}, set()),
        ({"times": 2, "min_periods": 2}, {"twice"}),
        ({"min_periods": 3, "times": 1}, {"monthly", "on_bounds", "twice"}),
    ],
)
def test_performed_regularly(extra: dict[str, object], expected: set[ContactId]) -> None:
    cond = {"performed_regularly": "purchase", "every": "1mo", "periods": 3, **extra}
    world = _world(REGULAR, {"quiet": {}})
    assert _members(cond, world) == expected
    assert _members({"not": cond}, world) == _universe(world) - expected


def test_performed_regularly_with_fixed_periods_and_where() -> None:
    # every 7d, periods 2: P1 [as_of - 7d, as_of], P2 [as_of - 14d, as_of - 7d)
    events = [
        _ev("both", AS_OF - 7 * D, amount=5.0),  # on b1: P1
        _ev("both", AS_OF - 7 * D - US, amount=5.0),  # P2
        _ev("edge", AS_OF - 14 * D, amount=5.0),  # on b2: P2
        _ev("edge", AS_OF, amount=5.0),
        _ev("outside", AS_OF - 14 * D - US, amount=5.0),  # before P2
        _ev("outside", AS_OF, amount=5.0),
        _ev("small", AS_OF - D, amount=1.0),
        _ev("small", AS_OF - 8 * D, amount=5.0),
    ]
    world = _world(events)
    cond = {"performed_regularly": "purchase", "every": "7d", "periods": 2}
    assert _members(cond, world) == {"both", "edge", "small"}
    big = {"prop": "amount", "op": "gt", "value": 2}
    assert _members({**cond, "where": big}, world) == {"both", "edge"}
    assert _members({**cond, "every": "1w"}, world) == {"both", "edge", "small"}


def test_performed_regularly_periods_follow_the_zone() -> None:
    # In New York as_of is 31 March 08:00 EDT; b1 = 28 February 08:00 EST = 13:00Z.
    # 12:30Z on 28 February is in P1 in UTC (b1 12:00Z) but in P2 in New York.
    events = [_ev("ny", _t("2026-02-28T12:30:00Z")), _ev("ny", _t("2026-03-15T00:00:00Z"))]
    cond = {"performed_regularly": "purchase", "every": "1mo", "periods": 2}
    assert _members(cond, _world(events)) == set()
    assert _members(cond, _world(events, zone="America/New_York")) == {"ny"}
    # Kolkata: b1 = 28 February 17:30 IST = 12:00Z, as in UTC.
    assert _members(cond, _world(events, zone="Asia/Kolkata")) == set()


# stopped / restarted with recent 30d: recent = [2026-03-01T12:00Z, as_of].
R30 = AS_OF - 30 * D


@pytest.mark.parametrize(
    ("events", "cond", "expected"),
    [
        # prior 30d: the span is [2026-01-30T12:00Z, 2026-03-01T12:00Z).
        (
            [
                _ev("stopped", _t("2026-02-15T00:00:00Z")),
                _ev("still", _t("2026-02-15T00:00:00Z")),
                _ev("still", _t("2026-03-20T00:00:00Z")),
                _ev("recent_edge", R30),  # in recent: not stopped
                _ev("span_top", R30 - US),  # in the span
                _ev("span_edge", R30 - 30 * D),  # the span's closed lower end
                _ev("too_old", R30 - 30 * D - US),
                _ev("future_only", AS_OF + US),
            ],
            {"stopped_performing": "purchase", "recent": "30d", "prior": "30d"},
            {"stopped", "span_top", "span_edge"},
        ),
        # recent 1mo, prior 1mo: (as_of - 1mo) - 1mo = 28 February - 1mo = 28 January,
        # not as_of - 2mo = 31 January; 29 January is in the span.
        (
            [
                _ev("late_jan", _t("2026-01-29T12:00:00Z")),
                _ev("jan_28", _t("2026-01-28T12:00:00Z")),
                _ev("jan_27", _t("2026-01-27T12:00:00Z")),
                _ev("feb_28", _t("2026-02-28T12:00:00Z")),  # as_of - 1mo: recent
            ],
            {"stopped_performing": "purchase", "recent": "1mo", "prior": "1mo"},
            {"late_jan", "jan_28"},
        ),
        # restarted, recent 7d, gap 30d: recent [2026-03-24T12:00Z, as_of],
        # gap [2026-02-22T12:00Z, 2026-03-24T12:00Z), before the gap < 2026-02-22T12:00Z.
        (
            [
                _ev("back", _t("2026-02-01T00:00:00Z")),
                _ev("back", _t("2026-03-25T00:00:00Z")),
                _ev("no_old", _t("2026-03-25T00:00:00Z")),
                _ev("in_gap", _t("2026-02-01T00:00:00Z")),
                _ev("in_gap", _t("2026-03-01T00:00:00Z")),
                _ev("in_gap", _t("2026-03-25T00:00:00Z")),
                _ev("gap_edge", _t("2026-02-22T12:00:00Z")),  # in the gap
                _ev("gap_edge", AS_OF),
                _ev("edges", _t("2026-02-22T11:59:59.999999Z")),  # before the gap
                _ev("edges", _t("2026-03-24T12:00:00Z")),  # in recent
                _ev("gap_top", _t("2026-01-01T00:00:00Z")),
                _ev("gap_top", _t("2026-03-24T11:59:59.999999Z")),  # in the gap
                _ev("gap_top", AS_OF),
                _ev("old_only", _t("2026-02-01T00:00:00Z")),
                _ev("future", _t("2026-02-01T00:00:00Z")),
                _ev("future", AS_OF + US),
            ],
            {"restarted_performing": "purchase", "recent": "7d", "gap": "30d"},
            {"back", "edges"},
        ),
    ],
)
def test_stopped_and_restarted(
    events: list[dict[str, object]], cond: dict[str, object], expected: set[ContactId]
) -> None:
    world = _world(events, {"never": {}})
    assert _members(cond, world) == expected
    assert _members({"not": cond}, world) == _universe(world) - expected


def test_lifecycle_where_and_event_lists() -> None:
    events = [
        _ev("a", _t("2026-02-15T00:00:00Z"), "login"),
        _ev("a", _t("2026-03-20T00:00:00Z"), "purchase", amount=1.0),
    ]
    world = _world(events)
    stopped = {"stopped_performing": "login", "recent": "30d", "prior": "30d"}
    assert _members(stopped, world) == {"a"}
    assert _members({**stopped, "stopped_performing": ["login", "purchase"]}, world) == set()
    big = {"prop": "amount", "op": "gt", "value": 5}
    both = {**stopped, "stopped_performing": ["login", "purchase"], "where": {"not": big}}
    assert _members(both, world) == set()
    # {not: amount lt 5} keeps the login (no amount) and drops the purchase (1.0):
    # the login in the prior span remains, nothing qualifies in recent
    not_small = {"not": {"prop": "amount", "op": "lt", "value": 5}}
    assert _members({**both, "where": not_small}, world) == {"a"}


@pytest.mark.parametrize(
    "cond",
    [
        {"performed_regularly": "purchase", "every": "1mo", "periods": 2, "min_periods": 3},
        {"performed_regularly": "purchase", "every": "1mo", "periods": 0},
        {"performed_regularly": "purchase", "every": "1mo", "periods": 2, "min_periods": 0},
        {"performed_regularly": "purchase", "every": "1mo", "periods": 2, "times": 0},
        {"performed_regularly": "purchase", "every": "1mo", "periods": -1},
        {"performed_regularly": "purchase", "every": "1mo", "periods": "3"},
        {"performed_regularly": "purchase", "every": "1mo", "periods": True},
        {"performed_regularly": "purchase", "every": "1mo", "periods": 2.0},
        {"performed_regularly": "purchase", "every": "1mo"},
        {"performed_regularly": "purchase", "periods": 3},
        {"performed_regularly": "purchase", "every": "0d", "periods": 3},
        {"performed_regularly": "purchase", "every": "1mo", "periods": 3, "within": "1y"},
        {"stopped_performing": "purchase", "recent": "30d"},
        {"stopped_performing": "purchase", "prior": "30d"},
        {"stopped_performing": "purchase", "recent": "30d", "gap": "30d"},
        {"restarted_performing": "purchase", "recent": "7d", "prior": "30d"},
        {"restarted_performing": "purchase", "recent": "7 days", "gap": "30d"},
        {"restarted_performing": [], "recent": "7d", "gap": "30d"},
    ],
)
def test_lifecycle_errors(cond: dict[str, object]) -> None:
    with pytest.raises(InvalidDefinition):
        _members(cond, _world(REGULAR))


# ---------------------------------------------------------------------- traits

T1, T2 = AS_OF - 3 * D, AS_OF - D
TRAIT_EVENTS = [
    _ev("p", T1, amount=10.0, qty=1, category="books"),
    _ev("p", T2, amount=2.5, qty=2, category="toys"),
    _ev("p", T2, amount=7.5, category="books"),  # same instant as the one above
    _ev("p", AS_OF - 2 * D, "login"),
    _ev("p", AS_OF + D, amount=1000.0, qty=9, category="zzz"),  # after as_of
    _ev("q", AS_OF - 400 * D, amount=1.0),  # outside 365d
    _ev("q", AS_OF - 5 * D, amount=None, qty=3, category=None),
    _ev("r", AS_OF - D, "login"),
    # two purchases at the same first (and last) instant
    _ev("t", T1, amount=3.0, qty=4, category="a"),
    _ev("t", T1, amount=4.0, qty=3, category="b"),
]
TRAIT_CONTACTS: dict[ContactId, dict[str, object]] = {"s": {}}
TRAITS: dict[str, dict[str, object]] = {
    "n_purchases": {"of": "purchase", "value": {"fn": "count"}},
    "spend": {"of": "purchase", "value": {"fn": "sum", "prop": "amount"}},
    "spend_365": {
        "description": "spent in the last year",
        "of": "purchase",
        "within": "365d",
        "value": {"fn": "sum", "prop": "amount"},
    },
    "qty_total": {"of": "purchase", "value": {"fn": "sum", "prop": "qty"}},
    "avg_amount": {"of": "purchase", "value": {"fn": "avg", "prop": "amount"}},
    "max_qty": {"of": "purchase", "value": {"fn": "max", "prop": "qty"}},
    "min_amount": {"of": "purchase", "value": {"fn": "min", "prop": "amount"}},
    "kinds": {"of": "purchase", "value": {"fn": "count_distinct", "prop": "category"}},
    "first_seen": {"of": ["purchase", "login"], "value": {"fn": "first_time"}},
    "last_seen": {"of": "purchase", "value": {"fn": "last_time"}},
    "first_amount": {"of": "purchase", "value": {"fn": "first_value", "prop": "amount"}},
    "last_amount": {"of": "purchase", "value": {"fn": "last_value", "prop": "amount"}},
    "last_category": {"of": "purchase", "value": {"fn": "last_value", "prop": "category"}},
    "first_qty": {"of": "purchase", "value": {"fn": "first_value", "prop": "qty"}},
    "big_orders": {
        "of": "purchase",
        "where": {"prop": "amount", "op": "gte", "value": 5},
        "value": {"fn": "count"},
    },
}
NONE4 = {"p": None, "q": None, "r": None, "s": None, "t": None}


def _trait_world(**changes: object) -> World:
    world = _world(TRAIT_EVENTS, TRAIT_CONTACTS, traits=TRAITS)
    for key, value in changes.items():
        setattr(world, key, value)
    return world


def test_trait_values_worked_by_hand() -> None:
    values = trait_values(_trait_world(), AS_OF)
    assert set(values) == set(TRAITS)
    # p: three purchases up to as_of (10.0 at T1; 2.5 and 7.5 at T2); the one after
    # as_of never counts. q: 1.0 400 days ago and one without amount. t: 3.0, 4.0.
    assert values["n_purchases"] == {"p": 3, "q": 2, "r": 0, "s": 0, "t": 2}
    assert values["spend"] == {"p": 20.0, "q": 1.0, "r": 0, "s": 0, "t": 7.0}
    assert values["spend_365"] == {"p": 20.0, "q": 0, "r": 0, "s": 0, "t": 7.0}
    assert values["qty_total"] == {"p": 3, "q": 3, "r": 0, "s": 0, "t": 7}
    assert all(type(v) is int for v in values["qty_total"].values())
    assert values["avg_amount"] == {**NONE4, "p": 20.0 / 3, "q": 1.0, "t": 3.5}
    assert values["max_qty"] == {**NONE4, "p": 2, "q": 3, "t": 4}
    assert values["min_amount"] == {**NONE4, "p": 2.5, "q": 1.0, "t": 3.0}
    # '' would count; missing (q's None) does not
    assert values["kinds"] == {"p": 2, "q": 0, "r": 0, "s": 0, "t": 2}
    # first_seen reads logins too: r's only event is a login
    assert values["first_seen"] == {**NONE4, "p": T1, "q": AS_OF - 400 * D, "r": T2, "t": T1}
    assert values["last_seen"] == {**NONE4, "p": T2, "q": AS_OF - 5 * D, "t": T1}
    # first: p's earliest with an amount is T1; q's is 400 days ago (1.0);
    # t has 3.0 and 4.0 at the same first instant: the greatest wins.
    assert values["first_amount"] == {**NONE4, "p": 10.0, "q": 1.0, "t": 4.0}
    # last: p has 2.5 and 7.5 at T2 -> 7.5; q's latest has no amount, so the
    # earlier 1.0; t's only instant again gives 4.0.
    assert values["last_amount"] == {**NONE4, "p": 7.5, "q": 1.0, "t": 4.0}
    # p at T2: "toys" > "books"; q has no category at all
    assert values["last_category"] == {**NONE4, "p": "toys", "t": "b"}
    # p's T1 has qty 1; t's tie: qty 4 and 3 -> 4 (the value, not the event order)
    assert values["first_qty"] == {**NONE4, "p": 1, "q": 3, "t": 4}
    assert values["big_orders"] == {"p": 2, "q": 0, "r": 0, "s": 0, "t": 0}


def test_trait_types() -> None:
    assert trait_types(_trait_world()) == {
        "n_purchases": "integer",
        "spend": "float",
        "spend_365": "float",
        "qty_total": "integer",
        "avg_amount": "float",
        "max_qty": "integer",
        "min_amount": "float",
        "kinds": "integer",
        "first_seen": "timestamp",
        "last_seen": "timestamp",
        "first_amount": "float",
        "last_amount": "float",
        "last_category": "text",
        "first_qty": "integer",
        "big_orders": "integer",
    }


def test_traits_are_point_in_time() -> None:
    later = trait_values(_trait_world(), AS_OF + 2 * D)
    assert later["n_purchases"]["p"] == 4
    assert later["last_category"]["p"] == "zzz"
    earlier = trait_values(_trait_world(), T1 - US)
    assert earlier["n_purchases"] == {"p": 0, "q": 2, "r": 0, "s": 0, "t": 0}


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({"trait": "spend", "op": "gt", "value": 5}, {"p", "t"}),
        # sum without events is 0, a value: it matches lt
        ({"trait": "spend", "op": "lt", "value": 5}, {"q", "r", "s"}),
        ({"trait": "spend_365", "op": "is", "value": 0}, {"q", "r", "s"}),
        # avg without values is missing: never matches a positive op
        ({"trait": "avg_amount", "op": "lt", "value": 100}, {"p", "q", "t"}),
        ({"trait": "avg_amount", "op": "is_not_set"}, {"r", "s"}),
        ({"trait": "avg_amount", "op": "is_not", "value": 1.0}, {"p", "r", "s", "t"}),
        ({"trait": "n_purchases", "op": "is_set"}, {"p", "q", "r", "s", "t"}),
        ({"trait": "n_purchases", "op": "between", "value": [2, 3]}, {"p", "q", "t"}),
        # "last order amount over 50" style: the greatest at the last instant
        ({"trait": "last_amount", "op": "gt", "value": 5}, {"p"}),
        ({"trait": "last_amount", "op": "gte", "value": 4}, {"p", "t"}),
        ({"trait": "last_category", "op": "is", "value": "toys"}, {"p"}),
        ({"trait": "last_category", "op": "is_not", "value": "toys"}, {"q", "r", "s", "t"}),
        ({"trait": "last_category", "op": "contains", "value": "OY"}, {"p"}),
        ({"trait": "last_seen", "op": "within_last", "value": "7d"}, {"p", "q", "t"}),
        ({"trait": "last_seen", "op": "within_last", "value": "3d"}, {"p", "t"}),
        ({"trait": "first_seen", "op": "before", "value": "2026-01-01"}, {"q"}),
        ({"trait": "first_seen", "op": "is", "value": "2026-03-30"}, {"r"}),
        ({"trait": "kinds", "op": "is", "value": 0}, {"q", "r", "s"}),
        ({"trait": "max_qty", "op": "gte", "value": 3}, {"q", "t"}),
    ],
)
def test_trait_conditions(cond: dict[str, object], expected: set[ContactId]) -> None:
    world = _trait_world()
    assert _members(cond, world) == expected
    assert _members({"not": cond}, world) == _universe(world) - expected


def test_float_trait_sums_are_exact_and_order_free() -> None:
    amounts = [0.1, 0.2, 0.3, 1e16, -1e16]
    traits = {"spend": TRAITS["spend"]}
    for order in (amounts, amounts[::-1], sorted(amounts)):
        events = [_ev("a", AS_OF - D, amount=x) for x in order]
        world = _world(events, traits=traits)
        # the exact sum of the five doubles, correctly rounded, is 0.6 in every
        # order (a plain left-to-right sum gives 0.0 in the first order, 0.6 reversed)
        assert trait_values(world, AS_OF)["spend"]["a"] == 0.6
        assert _members({"trait": "spend", "op": "gt", "value": 0.5}, world) == {"a"}


def test_traits_from_nested_segments_share_as_of() -> None:
    world = _trait_world()
    segments: dict[str, Mapping[str, object]] = {
        "spenders": {"name": "spenders", "where": {"trait": "spend", "op": "gte", "value": 7}},
        "recent_spenders": {
            "name": "recent_spenders",
            "where": {
                "all": [
                    {"in_segment": "spenders"},
                    {"trait": "last_seen", "op": "after", "value": "now-2d"},
                ]
            },
        },
    }
    assert _members({"in_segment": "recent_spenders"}, world, segments=segments) == {"p"}
    # Two days later the purchase of 1000 counts and T2 is three days back.
    later = AS_OF + 2 * D
    assert _members({"in_segment": "spenders"}, world, later, segments) == {"p", "t"}
    assert _members({"in_segment": "recent_spenders"}, world, later, segments) == {"p"}
    assert _members({"in_segment": "recent_spenders"}, world, later + 2 * D, segments) == set()


def test_unknown_events_are_checked_only_against_known_names() -> None:
    refunds = {"refunds": {"of": "refund", "value": {"fn": "count"}}}
    world = _world(TRAIT_EVENTS, TRAIT_CONTACTS, traits=refunds)
    assert _members({"trait": "refunds", "op": "is", "value": 0}, world) == {
        "p",
        "q",
        "r",
        "s",
        "t",
    }
    known = _world(TRAIT_EVENTS, traits=refunds, event_names=frozenset({"purchase", "login"}))
    with pytest.raises(InvalidDefinition, match="unknown event"):
        _members({"trait": "refunds", "op": "is", "value": 0}, known)
    with pytest.raises(InvalidDefinition):
        trait_values(known, AS_OF)


@pytest.mark.parametrize(
    "trait",
    [
        {"of": "purchase", "value": {"fn": "sum", "prop": "category"}},
        {"of": "purchase", "value": {"fn": "avg", "prop": "category"}},
        {"of": "purchase", "value": {"fn": "min", "prop": "category"}},
        {"of": "purchase", "value": {"fn": "sum", "prop": "nope"}},
        {"of": "purchase", "value": {"fn": "count", "prop": "amount"}},
        {"of": "purchase", "value": {"fn": "first_time", "prop": "amount"}},
        {"of": "purchase", "value": {"fn": "last_time", "prop": "amount"}},
        {"of": "purchase", "value": {"fn": "sum"}},
        {"of": "purchase", "value": {"fn": "last_value"}},
        {"of": "purchase", "value": {"fn": "count_distinct"}},
        {"of": "purchase", "value": {"fn": "median", "prop": "amount"}},
        {"of": "purchase", "value": {"fn": "count", "op": "gt"}},
        {"of": "purchase", "value": {"fn": "count", "prop": None}},
        {"of": "purchase", "value": "count"},
        {"value": {"fn": "count"}},
        {"of": "purchase"},
        {"of": [], "value": {"fn": "count"}},
        {"of": "purchase", "value": {"fn": "count"}, "count": {"op": "gte", "value": 1}},
        {"of": "purchase", "where": {"prop": "nope", "op": "is_set"}, "value": {"fn": "count"}},
        {"of": "purchase", "within": "0d", "value": {"fn": "count"}},
    ],
)
def test_invalid_traits(trait: dict[str, object]) -> None:
    world = _world(TRAIT_EVENTS, traits={"bad": trait})
    with pytest.raises(InvalidDefinition):
        _members({"trait": "bad", "op": "is_set"}, world)
    with pytest.raises(InvalidDefinition):
        trait_values(world, AS_OF)


@pytest.mark.parametrize(
    "cond",
    [
        {"trait": "nope", "op": "is_set"},
        {"trait": "spend", "op": "contains", "value": "1"},
        {"trait": "spend", "op": "gt", "value": "ten"},
        {"trait": "last_seen", "op": "gt", "value": 5},
        {"trait": "last_category", "op": "gt", "value": 5},
        {"trait": "n_purchases", "op": "is_true"},
        {"attr": "spend", "op": "gt", "value": 5},
    ],
)
def test_invalid_trait_conditions(cond: dict[str, object]) -> None:
    with pytest.raises(InvalidDefinition):
        _members(cond, _trait_world())


def test_a_trait_named_like_an_attribute_is_an_error() -> None:
    world = _world(TRAIT_EVENTS, traits={"city": {"of": "purchase", "value": {"fn": "count"}}})
    with pytest.raises(InvalidDefinition, match="attribute"):
        _members({"trait": "city", "op": "gt", "value": 1}, world)
    # The attribute itself still reads the contacts.
    assert _members({"attr": "city", "op": "is_not_set"}, world) == _universe(world)


# ----------------------------------------------------------------- percentiles


def _scores(values: Mapping[str, object]) -> World:
    return _world([], {cid: {"lead_score": v} for cid, v in values.items()})


def test_spec_example_p28_of_275_cuts_exactly_77() -> None:
    # values 1..275: top 28% is "(275 - v) * 100 < 28 * 275 = 7700", so v > 198:
    # 199..275, 77 contacts; 0.28 * 275 = 77.00000000000001 would admit v = 198.
    world = _scores({f"c{v}": v for v in range(1, 276)})
    top = {f"c{v}" for v in range(199, 276)}
    assert len(top) == 77
    for p in (28, 28.0):
        assert _members({"attr": "lead_score", "op": "top_percent", "value": p}, world) == top
        bottom = _members({"attr": "lead_score", "op": "bottom_percent", "value": p}, world)
        assert bottom == {f"c{v}" for v in range(1, 78)}


def test_a_float_percent_is_the_decimal_it_is_written_as() -> None:
    # N = 1000, P = 0.1: 100 * count < 100 -> count = 0 -> only the greatest.
    # Read as its binary value (0.1000000000000000055...) it would admit count = 1.
    world = _scores({f"c{v}": v for v in range(1, 1001)})
    assert _members({"attr": "lead_score", "op": "top_percent", "value": 0.1}, world) == {"c1000"}
    assert Fraction(0.1) * 1000 > 100


@pytest.mark.parametrize(
    ("op", "p", "expected"),
    [
        # values a 10, b 20, c 20, d 30; N = 4; missing, NaN and no-row contacts excluded
        ("top_percent", 50, {"b", "c", "d"}),  # greater: d 0, b/c 1 < 2, a 3
        ("top_percent", 25, {"d"}),  # count < 1
        ("top_percent", 30, {"b", "c", "d"}),  # count < 1.2
        ("top_percent", 26, {"b", "c", "d"}),  # count < 1.04
        ("top_percent", 0.5, {"d"}),
        ("top_percent", 100, {"a", "b", "c", "d"}),
        ("top_percent", 75, {"b", "c", "d"}),  # count < 3
        ("top_percent", 75.5, {"a", "b", "c", "d"}),  # count < 3.02
        ("bottom_percent", 25, {"a"}),  # less: a 0, b/c 1, d 3
        ("bottom_percent", 50, {"a", "b", "c"}),
        ("bottom_percent", 100, {"a", "b", "c", "d"}),
    ],
)
def test_percentile_ties_and_missing(op: str, p: float, expected: set[ContactId]) -> None:
    world = _world(
        [_ev("events_only", AS_OF)],
        {
            "a": {"total_spent": 10.0},
            "b": {"total_spent": 20.0},
            "c": {"total_spent": 20.0},
            "d": {"total_spent": 30.0},
            "none": {"total_spent": None},
            "nan": {"total_spent": float("nan")},
            "no_key": {},
        },
    )
    cond = {"attr": "total_spent", "op": op, "value": p}
    assert _members(cond, world) == expected
    # not is exact: the contacts without a value are in the complement
    assert _members({"not": cond}, world) == _universe(world) - expected


def test_the_population_is_everyone_even_when_nested() -> None:
    contacts: dict[ContactId, dict[str, object]] = {
        "pune_low": {"city": "Pune", "lead_score": 1},
        "pune_high": {"city": "Pune", "lead_score": 90},
        "mumbai_top": {"city": "Mumbai", "lead_score": 100},
        "mumbai_mid": {"city": "Mumbai", "lead_score": 50},
    }
    world = _world([], contacts)
    # top 25% of everyone (N = 4): count greater < 1 -> only mumbai_top
    top = {"attr": "lead_score", "op": "top_percent", "value": 25}
    pune = {"attr": "city", "op": "is", "value": "Pune"}
    assert _members({"all": [pune, top]}, world) == set()
    segments = {"top": {"name": "top", "where": top}}
    assert _members({"all": [pune, {"in_segment": "top"}]}, world, segments=segments) == set()
    # top 50%: count greater < 2 -> mumbai_top, pune_high
    half = {**top, "value": 50}
    assert _members({"all": [pune, half]}, world) == {"pune_high"}
    assert _members({"any": [{"not": pune}, {"not": half}]}, world) == {
        "pune_low",
        "mumbai_top",
        "mumbai_mid",
    }


def test_percentiles_of_traits() -> None:
    world = _trait_world()
    # spend: p 20, q 1, r 0, s 0, t 7; N = 5 (sums are never missing).
    # top 40%: count greater < 2 -> p (0), t (1)
    assert _members({"trait": "spend", "op": "top_percent", "value": 40}, world) == {"p", "t"}
    # bottom 40%: count less < 2 -> r, s (0 less), q (2 less) out
    assert _members({"trait": "spend", "op": "bottom_percent", "value": 40}, world) == {"r", "s"}
    # avg_amount: p 6.67, q 1.0, t 3.5; N = 3; r and s missing never match.
    # bottom 34%: 100 * less < 102 -> less <= 1: q, t
    assert _members({"trait": "avg_amount", "op": "bottom_percent", "value": 34}, world) == {
        "q",
        "t",
    }
    assert _members({"trait": "n_purchases", "op": "top_percent", "value": 20}, world) == {"p"}


@pytest.mark.parametrize(
    "cond",
    [
        {"attr": "lead_score", "op": "top_percent", "value": 0},
        {"attr": "lead_score", "op": "top_percent", "value": -5},
        {"attr": "lead_score", "op": "top_percent", "value": 100.5},
        {"attr": "lead_score", "op": "top_percent", "value": 101},
        {"attr": "lead_score", "op": "bottom_percent", "value": "10"},
        {"attr": "lead_score", "op": "bottom_percent", "value": True},
        {"attr": "lead_score", "op": "bottom_percent", "value": float("nan")},
        {"attr": "lead_score", "op": "top_percent"},
        {"attr": "lead_score", "op": "top_percent", "value": [10]},
        {"attr": "city", "op": "top_percent", "value": 10},
        {"attr": "city", "op": "top_percent", "value": 10, "case_sensitive": True},
        {"attr": "signup_at", "op": "top_percent", "value": 10},
        {"attr": "birthday", "op": "bottom_percent", "value": 10},
        {"attr": "opted_out", "op": "top_percent", "value": 10},
        {"attr": "tags", "op": "top_percent", "value": 10},
        {"trait": "last_seen", "op": "top_percent", "value": 10},
        {"trait": "last_category", "op": "top_percent", "value": 10},
        {"attr": "nope", "op": "top_percent", "value": 10},
    ],
)
def test_percentile_errors(cond: dict[str, object]) -> None:
    with pytest.raises(InvalidDefinition):
        _members(cond, _trait_world())
