"""A row-by-row reference evaluator for the definition language (SPEC section 6).

It reads the SPEC literally and evaluates one contact, and one event, at a time
in plain Python: no SQL, and nothing shared with the ``duckseg`` package, so that
property-based tests can compare the compiled SQL against an independent reading.

It covers every condition of SPEC 6.1 to 6.11: groups, attribute leaves, event
conditions and windows, references, sequences (6.8), lifecycle periods (6.9),
traits (6.10, ``World.traits``; ``trait_values`` gives every contact's value)
and percentiles (6.11).

Where the SPEC leaves room, the choice made here cites the sentence it rests on.
"""

from __future__ import annotations

import math
import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final, TypeAlias
from zoneinfo import ZoneInfo

from tests.reference.timevalues import (
    TIMESTAMP,
    InvalidDefinition,
    TimeValue,
    fixed_length,
    landed_time,
    parse_duration,
    parse_time_value,
    shift,
    time_keys,
    to_instant,
)

__all__ = [
    "ContactId",
    "InvalidDefinition",
    "World",
    "evaluate",
    "parse_time_value",
    "shift",
    "trait_types",
    "trait_values",
]

ContactId: TypeAlias = str | int
Members: TypeAlias = frozenset[ContactId]
Event: TypeAlias = Mapping[str, object]
Test: TypeAlias = Callable[[object], bool]

TEXT, INTEGER, FLOAT, BOOLEAN = "text", "integer", "float", "boolean"
DATE, TAGS = "date", "list of text"
NUMBER_TYPES: Final = frozenset({INTEGER, FLOAT})
TIME_TYPES: Final = frozenset({DATE, TIMESTAMP})
ALL_TYPES: Final = frozenset({TEXT, BOOLEAN, TAGS}) | NUMBER_TYPES | TIME_TYPES

OP_TYPES: Final[Mapping[str, frozenset[str]]] = {
    "is": ALL_TYPES - {TAGS},
    "is_not": ALL_TYPES - {TAGS},
    "is_set": ALL_TYPES,
    "is_not_set": ALL_TYPES,
    "contains": frozenset({TEXT}),
    "not_contains": frozenset({TEXT}),
    "starts_with": frozenset({TEXT}),
    "ends_with": frozenset({TEXT}),
    "matches": frozenset({TEXT}),
    "gt": NUMBER_TYPES | TIME_TYPES,
    "gte": NUMBER_TYPES | TIME_TYPES,
    "lt": NUMBER_TYPES | TIME_TYPES,
    "lte": NUMBER_TYPES | TIME_TYPES,
    "between": NUMBER_TYPES | TIME_TYPES,
    "before": TIME_TYPES,
    "after": TIME_TYPES,
    "within_last": TIME_TYPES,
    "is_true": frozenset({BOOLEAN}),
    "is_false": frozenset({BOOLEAN}),
    "has": frozenset({TAGS}),
    "has_all": frozenset({TAGS}),
    "has_none": frozenset({TAGS}),
}
UNARY_OPS: Final = frozenset({"is_set", "is_not_set", "is_true", "is_false"})
CASE_DEFAULTS: Final[Mapping[str, bool]] = {
    "is": True,
    "is_not": True,
    "contains": False,
    "not_contains": False,
    "starts_with": False,
    "ends_with": False,
}
COMPARE_OPS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "eq": operator.eq,
    "neq": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
AGGREGATE_FNS: Final = frozenset({"sum", "avg", "min", "max", "count_distinct"})
TRAIT_FNS: Final = AGGREGATE_FNS | {
    "count",
    "first_time",
    "last_time",
    "first_value",
    "last_value",
}
PERCENT_OPS: Final = frozenset({"top_percent", "bottom_percent"})

_NO_SEGMENTS: Final[Mapping[str, Mapping[str, object]]] = MappingProxyType({})


@dataclass
class World:
    """Contacts, events and catalog types; a missing key or ``None`` is a missing value.

    ``traits`` holds the trait files of SPEC 6.10 by name, each as YAML parses
    ``traits/NAME.yaml`` (``of``, ``where``, ``within``, ``value: {fn, prop}``).
    ``event_names`` is the catalog of known event names; ``None`` means the world
    does not know one, and then a trait's ``of`` is not checked against it.
    """

    contacts: dict[ContactId, dict[str, object]]
    events: list[dict[str, object]]
    attr_types: dict[str, str]
    prop_types: dict[str, str]
    zone: str = "UTC"
    static_members: dict[str, set[ContactId]] = field(default_factory=dict)
    traits: dict[str, dict[str, object]] = field(default_factory=dict)
    event_names: frozenset[str] | None = None


# ------------------------------------------------------------------- context


@dataclass
class _Context:
    world: World
    as_of: datetime
    zone: ZoneInfo
    segments: Mapping[str, Mapping[str, object]]
    universe: Members
    events: dict[ContactId, list[Event]]
    memo: dict[str, Members] = field(default_factory=dict)
    active: list[str] = field(default_factory=list)
    trait_memo: dict[str, dict[ContactId, object]] = field(default_factory=dict)

    def compare(self, op: str, actual: object, bound: object, typ: str) -> bool:
        if typ in TIME_TYPES:
            assert isinstance(bound, date)
            actual, bound = time_keys(landed_time(actual, typ), bound, self.zone)
        return COMPARE_OPS[op](actual, bound)

    def time(self, raw: object) -> TimeValue:
        return parse_time_value(raw, self.zone, self.as_of)

    def last(self, raw: object) -> datetime:
        amount, unit = parse_duration(raw)
        return shift(self.as_of, -amount, unit, self.zone)

    def sorted_events(self, cid: ContactId) -> list[Event]:
        """One contact's events up to as_of, in time order (the order of equal times is kept)."""
        return sorted(self.events.get(cid, ()), key=_ts)


def _mapping(raw: object, what: str) -> Mapping[str, object]:
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
        raise InvalidDefinition(f"{what}: expected a mapping, got {raw!r}")
    return raw


def _ts(event: Event) -> datetime:
    ts = event["ts"]
    assert isinstance(ts, datetime)
    return ts


def _kind(cond: Mapping[str, object], kinds: Mapping[str, frozenset[str]]) -> str:
    """The one key that names the condition kind; other keys must belong to it."""
    present = [k for k in kinds if k in cond]
    if len(present) != 1:
        raise InvalidDefinition(f"expected exactly one of {sorted(kinds)}: {dict(cond)!r}")
    extra = set(cond) - kinds[present[0]] - {present[0]}
    if extra:
        raise InvalidDefinition(f"unexpected keys {sorted(extra)} in {dict(cond)!r}")
    return present[0]


def _nonempty_list(raw: object, what: str) -> list[object]:
    """A value that may be a list; "A list value (is, is_not, has*) must not be empty"."""
    values = list(raw) if isinstance(raw, list | tuple) else [raw]
    if not values:
        raise InvalidDefinition(f"{what}: a list value must not be empty")
    return values


# --------------------------------------------------------- attribute leaves


def _absent(value: object, typ: str) -> bool:
    """``is_not_set``: NULL; for text also ''; for lists also empty (SPEC 6.2)."""
    if value is None:
        return True
    if typ == TEXT:
        return value == ""
    if typ == TAGS:
        assert isinstance(value, list | tuple)
        return len(value) == 0
    return False


def _scalar(raw: object, typ: str, ctx: _Context) -> object:
    """A definition value typed against the attribute (SPEC 6.2 "Values are typed")."""
    if typ in (TEXT, TAGS) and isinstance(raw, str):
        return raw
    if typ in NUMBER_TYPES and isinstance(raw, int | float) and not isinstance(raw, bool):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise InvalidDefinition(f"not a finite number: {raw!r}")
        return raw
    if typ == BOOLEAN and isinstance(raw, bool):
        return raw
    if typ in TIME_TYPES:
        return ctx.time(raw)
    raise InvalidDefinition(f"value {raw!r} does not fit type {typ}")


def _case_key(raw: object, case_sensitive: bool) -> object:
    # "case folding is Unicode lower-casing as DuckDB lower": Python's str.lower.
    return raw if case_sensitive or not isinstance(raw, str) else raw.lower()


def leaf_test(cond: Mapping[str, object], typ: str, ctx: _Context) -> Test:
    """The per-value test of one ``{attr|prop, op, value}`` leaf; ``None`` is missing."""
    op = cond.get("op")
    if not isinstance(op, str) or op not in OP_TYPES:
        raise InvalidDefinition(f"unknown op {op!r}")
    if typ not in OP_TYPES[op]:
        raise InvalidDefinition(f"op {op} is not valid for type {typ}")
    if (op in UNARY_OPS) == ("value" in cond):
        raise InvalidDefinition(f"op {op}: value {'not ' if op in UNARY_OPS else ''}expected")
    if "case_sensitive" in cond and (op not in CASE_DEFAULTS or typ != TEXT):
        raise InvalidDefinition(f"op {op} on {typ} takes no case_sensitive")
    sensitive = cond.get("case_sensitive", CASE_DEFAULTS.get(op, True))
    if not isinstance(sensitive, bool):
        raise InvalidDefinition(f"case_sensitive must be a boolean, got {sensitive!r}")
    raw = cond.get("value")
    # "positive ops ... never match a missing value. Negative ops (is_not,
    # not_contains, has_none) DO match a missing value."
    if op == "is_set":
        return lambda v: not _absent(v, typ)
    if op == "is_not_set":
        return lambda v: _absent(v, typ)
    if op == "is_true":
        return lambda v: v is True
    if op == "is_false":
        return lambda v: v is False
    if op in ("is", "is_not"):
        wanted = [_case_key(_scalar(x, typ, ctx), sensitive) for x in _nonempty_list(raw, op)]

        def equal(v: object) -> bool:
            if typ in TIME_TYPES:
                return any(ctx.compare("eq", v, w, typ) for w in wanted)
            return any(_case_key(v, sensitive) == w for w in wanted)

        if op == "is":
            return lambda v: v is not None and equal(v)
        return lambda v: v is None or not equal(v)
    if op in ("contains", "not_contains", "starts_with", "ends_with"):
        needle = _case_key(_scalar(raw, typ, ctx), sensitive)
        assert isinstance(needle, str)
        found: Callable[[str], bool] = {
            "contains": lambda s: needle in s,
            "not_contains": lambda s: needle in s,
            "starts_with": lambda s: s.startswith(needle),
            "ends_with": lambda s: s.endswith(needle),
        }[op]

        def text_found(v: object) -> bool:
            assert isinstance(v, str)
            key = _case_key(v, sensitive)
            assert isinstance(key, str)
            return found(key)

        if op == "not_contains":
            return lambda v: v is None or not text_found(v)
        return lambda v: v is not None and text_found(v)
    if op == "matches":
        # "true when the pattern is found anywhere in the value": re.search.
        try:
            pattern = re.compile(str(_scalar(raw, typ, ctx)))
        except re.error as exc:
            raise InvalidDefinition(f"bad pattern {raw!r}: {exc}") from None
        return lambda v: isinstance(v, str) and pattern.search(v) is not None
    if op in ("gt", "gte", "lt", "lte", "before", "after"):
        compare_op = {"before": "lt", "after": "gt"}.get(op, op)
        bound = _scalar(raw, typ, ctx)
        return lambda v: v is not None and ctx.compare(compare_op, v, bound, typ)
    if op == "between":
        low, high = _ordered_pair(raw, typ, ctx)
        return lambda v: (
            v is not None and ctx.compare("gte", v, low, typ) and ctx.compare("lte", v, high, typ)
        )
    if op == "within_last":
        # "in [as_of - duration, as_of]"; on a date attribute both ends become
        # calendar dates in the zone: "dates from date(as_of - 7d) to date(as_of)".
        lower = ctx.last(raw)
        return lambda v: (
            v is not None
            and ctx.compare("gte", v, lower, typ)
            and ctx.compare("lte", v, ctx.as_of, typ)
        )
    if op in ("has", "has_all", "has_none"):
        # "compare tags exactly (case-sensitive); a single value means a one-element list".
        tags = [_scalar(x, typ, ctx) for x in _nonempty_list(raw, op)]

        def hits(v: object) -> list[bool]:
            assert isinstance(v, list | tuple)
            return [t in v for t in tags]

        if op == "has":
            return lambda v: v is not None and any(hits(v))
        if op == "has_all":
            return lambda v: v is not None and all(hits(v))
        return lambda v: v is None or not any(hits(v))
    raise AssertionError(f"op {op} has no rule")


def _ordered_pair(raw: object, typ: str, ctx: _Context) -> tuple[object, object]:
    """``[low, high]``; "between with low > high is a definition error".

    A date-only bound against an instant bound is only checked through the
    instant's calendar date in the zone, the same rule as everywhere else.
    """
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise InvalidDefinition(f"between expects [low, high], got {raw!r}")
    low, high = (_scalar(x, typ, ctx) for x in raw)
    if isinstance(low, date) and isinstance(high, date):
        low_key, high_key = time_keys(low, high, ctx.zone)
        if low_key > high_key:
            raise InvalidDefinition(f"between: low {raw[0]!r} is after high {raw[1]!r}")
    elif COMPARE_OPS["gt"](low, high):
        raise InvalidDefinition(f"between: low {raw[0]!r} is greater than high {raw[1]!r}")
    return low, high


# ---------------------------------------------------------- event conditions


_EVENT_WHERE_KINDS: Final[Mapping[str, frozenset[str]]] = {
    "all": frozenset(),
    "any": frozenset(),
    "not": frozenset(),
    "prop": frozenset({"op", "value", "case_sensitive"}),
}


def event_test(raw: object, ctx: _Context) -> Callable[[Event], bool]:
    """A per-event condition over properties; ``not`` is the per-event complement."""
    cond = _mapping(raw, "event where")
    kind = _kind(cond, _EVENT_WHERE_KINDS)
    if kind in ("all", "any"):
        items = cond[kind]
        if not isinstance(items, list) or (kind == "any" and not items):
            raise InvalidDefinition(f"{kind}: expected a non-empty list, got {items!r}")
        tests = [event_test(item, ctx) for item in items]
        if kind == "all":
            return lambda e: all(t(e) for t in tests)
        return lambda e: any(t(e) for t in tests)
    if kind == "not":
        inner = event_test(cond["not"], ctx)
        return lambda e: not inner(e)
    name = cond["prop"]
    if not isinstance(name, str) or name not in ctx.world.prop_types:
        raise InvalidDefinition(f"unknown event property {name!r}")
    test = leaf_test(cond, ctx.world.prop_types[name], ctx)
    return lambda e: test(e.get(name))


def window_test(raw: object, ctx: _Context) -> Callable[[datetime], bool]:
    """A window of SPEC 6.4 as a test on an event time; every window ends at as_of."""
    if isinstance(raw, str):
        raw = {"last": raw}
    spec = _mapping(raw, "window")
    kind = _kind(spec, {k: frozenset() for k in ("last", "between", "before", "after")})
    as_of = ctx.as_of
    if kind == "last":
        lower = ctx.last(spec["last"])
        return lambda ts: lower <= ts <= as_of
    if kind == "between":
        low, high = _ordered_pair(spec["between"], TIMESTAMP, ctx)
        return lambda ts: (
            ctx.compare("gte", ts, low, TIMESTAMP)
            and ctx.compare("lte", ts, high, TIMESTAMP)
            and ts <= as_of
        )
    # "{before: 2026-01-31} ends when 31 January begins, {after: 2026-01-31}
    # starts when 1 February begins": strict comparison of calendar dates.
    bound = ctx.time(spec[kind])
    compare_op = "lt" if kind == "before" else "gt"
    return lambda ts: ctx.compare(compare_op, ts, bound, TIMESTAMP) and ts <= as_of


def _event_names(raw: object) -> frozenset[str]:
    names = _nonempty_list(raw, "event name")
    if not all(isinstance(n, str) and n for n in names):
        raise InvalidDefinition(f"event names must be non-empty strings: {raw!r}")
    return frozenset(n for n in names if isinstance(n, str))


def _qualifying(cond: Mapping[str, object], key: str, ctx: _Context, windowed: bool) -> Test:
    names = _event_names(cond[key])
    where = event_test(cond["where"], ctx) if "where" in cond else None
    window = window_test(cond["within"], ctx) if windowed and "within" in cond else None

    def qualifies(raw: object) -> bool:
        assert isinstance(raw, Mapping)
        ts = raw["ts"]
        assert isinstance(ts, datetime)
        return (
            raw.get("event") in names
            and (window is None or window(ts))
            and (where is None or where(raw))
        )

    return qualifies


def number_test(raw: object, what: str) -> Callable[[float | int | None], bool]:
    """``{op, value}`` of ``count`` / ``aggregate``; a missing number never matches."""
    spec = _mapping(raw, what)
    op, value = spec.get("op"), spec.get("value")
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise InvalidDefinition(f"{what}: between expects [low, high]")
        low, high = (_number(x, what) for x in value)
        if low > high:
            raise InvalidDefinition(f"{what}: between low > high")
        return lambda n: n is not None and low <= n <= high
    if not isinstance(op, str) or op not in COMPARE_OPS:
        raise InvalidDefinition(f"{what}: unknown op {op!r}")
    bound, compare = _number(value, what), COMPARE_OPS[op]
    return lambda n: n is not None and compare(n, bound)


def _number(raw: object, what: str) -> float | int:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidDefinition(f"{what}: expected a number, got {raw!r}")
    return raw


def aggregate(fn: str, values: Sequence[object]) -> float | int | None:
    """An aggregate over present values (missing ones already dropped).

    "sum and count_distinct over events whose values are all missing are 0;
    avg/min/max are then missing". Sums are exact (math.fsum is correctly
    rounded) as "Aggregates must not depend on scan order" asks. An empty
    string is a value for count_distinct: only NULL is missing there.
    """
    if fn == "count_distinct":
        return len({tuple(v) if isinstance(v, list) else v for v in values})
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(values):
        raise InvalidDefinition(f"{fn} needs numeric values")
    exact = all(isinstance(v, int) for v in numbers)
    if fn == "sum":
        return sum(numbers) if exact else math.fsum(numbers)
    if not numbers:
        return None
    if fn == "avg":
        return (sum(numbers) if exact else math.fsum(numbers)) / len(numbers)
    if fn == "min":
        return min(numbers)
    if fn == "max":
        return max(numbers)
    raise InvalidDefinition(f"unknown aggregate fn {fn!r}")


def _performed(cond: Mapping[str, object], ctx: _Context) -> Members:
    qualifies = _qualifying(cond, "performed", ctx, windowed=True)
    # "The default count (gte 1) applies whenever count is not given."
    count_ok = number_test(cond.get("count", {"op": "gte", "value": 1}), "count")
    agg: tuple[str, str, Callable[[float | int | None], bool]] | None = None
    if "aggregate" in cond:
        spec = _mapping(cond["aggregate"], "aggregate")
        fn, prop = spec.get("fn"), spec.get("prop")
        if set(spec) - {"fn", "prop", "op", "value"} or fn not in AGGREGATE_FNS:
            raise InvalidDefinition(f"bad aggregate {dict(spec)!r}")
        if not isinstance(prop, str) or prop not in ctx.world.prop_types:
            raise InvalidDefinition(f"aggregate: unknown event property {prop!r}")
        prop_type = ctx.world.prop_types[prop]
        if prop_type == TAGS or (fn != "count_distinct" and prop_type not in NUMBER_TYPES):
            raise InvalidDefinition(f"aggregate {fn} is not valid for {prop_type} {prop}")
        assert isinstance(fn, str)
        agg = (fn, prop, number_test({"op": spec.get("op"), "value": spec.get("value")}, fn))
    members: set[ContactId] = set()
    for cid in ctx.universe:
        events = [e for e in ctx.events.get(cid, ()) if qualifies(e)]
        # "Both are evaluated for every contact: a contact with no qualifying
        # events has count 0, sum and count_distinct 0, and avg/min/max missing".
        if not count_ok(len(events)):
            continue
        if agg is not None:
            fn, prop, agg_ok = agg
            present = [e[prop] for e in events if e.get(prop) is not None]
            if not agg_ok(aggregate(fn, present)):
                continue
        members.add(cid)
    return frozenset(members)


def _not_performed(cond: Mapping[str, object], ctx: _Context) -> Members:
    qualifies = _qualifying(cond, "not_performed", ctx, windowed=True)
    return frozenset(
        cid for cid in ctx.universe if not any(qualifies(e) for e in ctx.events.get(cid, ()))
    )


def _first_or_last(cond: Mapping[str, object], key: str, ctx: _Context) -> Members:
    """SPEC 6.3: the time of the first / last qualifying event must pass the test.

    Qualifying events have the name and ``where`` only: "within here tests that
    time, it does not filter events first". ``within`` takes a duration, or a
    window of 6.4 read as a test on that one time.
    """
    tests = [k for k in ("before", "after", "within") if k in cond]
    if len(tests) != 1:
        raise InvalidDefinition(f"{key}: exactly one of before / after / within, got {tests}")
    qualifies = _qualifying(cond, key, ctx, windowed=False)
    kind = tests[0]
    time_ok = window_test(cond["within"], ctx) if kind == "within" else None
    bound = None if kind == "within" else ctx.time(cond[kind])
    compare_op = "lt" if kind == "before" else "gt"
    pick = min if key == "first_performed" else max
    members: set[ContactId] = set()
    for cid in ctx.universe:
        times = [e["ts"] for e in ctx.events.get(cid, ()) if qualifies(e)]
        if times:  # "A contact who never performed E does not match."
            chosen = pick(t for t in times if isinstance(t, datetime))
            passes = (
                time_ok(chosen)
                if time_ok is not None
                else ctx.compare(compare_op, chosen, bound, TIMESTAMP)
            )
            if passes:
                members.add(cid)
    return frozenset(members)


# ----------------------------------------------------------------- sequences


_STEP_KEYS: Final = frozenset({"performed", "where", "then_within"})


@dataclass(frozen=True)
class _Step:
    qualifies: Test
    then_within: timedelta | None


def _steps(raw: object, ctx: _Context) -> list[_Step]:
    """The steps of SPEC 6.8: "at least two steps, in order".

    A step is "a name or a list of names, optional where (6.3)" and, from the
    second step on, an optional ``then_within``; nothing else (no per-step
    window, count or aggregate). "then_within takes the fixed units s m h d w
    only (mo/y there is a definition error); then_within on the first step is a
    definition error."
    """
    if not isinstance(raw, list) or len(raw) < 2:
        raise InvalidDefinition(f"sequence: expected a list of at least two steps, got {raw!r}")
    steps: list[_Step] = []
    for index, item in enumerate(raw):
        step = _mapping(item, f"sequence step {index + 1}")
        extra = set(step) - _STEP_KEYS
        if "performed" not in step or extra:
            raise InvalidDefinition(f"sequence step {index + 1}: needs performed, got {dict(step)}")
        gap: timedelta | None = None
        if "then_within" in step:
            if index == 0:
                raise InvalidDefinition("sequence: then_within on the first step")
            gap = fixed_length(*parse_duration(step["then_within"]))
        steps.append(_Step(_qualifying(step, "performed", ctx, windowed=False), gap))
    return steps


def _has_chain(events: Sequence[Event], steps: Sequence[_Step]) -> bool:
    """Whether events e1 < e2 < ... < en exist, each qualifying for its step.

    Dynamic programming over the steps: ``reached`` holds the times at which a
    chain of the steps so far can end. Whether a chain extends to an event of
    the next step depends only on the time of its last event ("strictly
    increasing times ... and ts(ei) - ts(ei-1) <= then_within"), so keeping
    every reachable end time finds every chain, "not only the earliest".
    At most steps x events x events comparisons.
    """
    reached = [_ts(e) for e in events if steps[0].qualifies(e)]
    for step in steps[1:]:
        gap = step.then_within
        reached = [
            ts
            for ts in (_ts(e) for e in events if step.qualifies(e))
            if any(before < ts and (gap is None or ts - before <= gap) for before in reached)
        ]
        if not reached:
            return False
    return bool(reached)


def _sequence(cond: Mapping[str, object], ctx: _Context) -> Members:
    """SPEC 6.8: the steps in order, every step's event in the window, up to as_of."""
    steps = _steps(cond["sequence"], ctx)
    window = window_test(cond["within"], ctx) if "within" in cond else None
    members: set[ContactId] = set()
    for cid in ctx.universe:
        events = [e for e in ctx.sorted_events(cid) if window is None or window(_ts(e))]
        if _has_chain(events, steps):
            members.add(cid)
    return frozenset(members)


# ----------------------------------------------------------------- lifecycle


def _positive_int(cond: Mapping[str, object], key: str, default: int | None) -> int:
    """A whole number >= 1: "Y > Z, or a value below 1, is a definition error"."""
    raw = cond.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise InvalidDefinition(f"{key}: expected a whole number >= 1, got {raw!r}")
    return raw


def _required_duration(cond: Mapping[str, object], key: str, kind: str) -> tuple[int, str]:
    if key not in cond:
        raise InvalidDefinition(f"{kind} needs {key}")
    return parse_duration(cond[key])


def _boundary(ctx: _Context, duration: tuple[int, str], k: int) -> datetime:
    """``bk = as_of - k·D``: "one subtraction of k units" (SPEC 6.9).

    So 31 March - 2mo is 31 January, not 28 February - 1mo.
    """
    amount, unit = duration
    return shift(ctx.as_of, -k * amount, unit, ctx.zone)


def _period(ts: datetime, bounds: Sequence[datetime]) -> int | None:
    """The period (1-based) an event time lies in; ``bounds`` is ``[as_of, b1, b2, ...]``.

    "period 1 is [b1, as_of] (exactly within: D) and period k >= 2 is
    [bk, b(k-1)): an event on a boundary belongs to the more recent period."
    """
    if bounds[1] <= ts <= bounds[0]:
        return 1
    for k in range(2, len(bounds)):
        if bounds[k] <= ts < bounds[k - 1]:
            return k
    return None


def _performed_regularly(cond: Mapping[str, object], ctx: _Context) -> Members:
    """At least ``times`` qualifying events in each of ``min_periods`` of ``periods`` periods.

    The event ``E`` of SPEC 6.9, as everywhere in 6.3, is a name or a list of
    names; ``where`` is per event. A contact with no qualifying events never
    has an event in a period, so with ``min_periods >= 1`` it never matches.
    """
    qualifies = _qualifying(cond, "performed_regularly", ctx, windowed=False)
    every = _required_duration(cond, "every", "performed_regularly")
    if "periods" not in cond:
        raise InvalidDefinition("performed_regularly needs periods")
    periods = _positive_int(cond, "periods", None)
    # "min_periods defaults to Z, times to 1"
    min_periods = _positive_int(cond, "min_periods", periods)
    times = _positive_int(cond, "times", 1)
    if min_periods > periods:
        raise InvalidDefinition(f"min_periods {min_periods} is more than periods {periods}")
    bounds = [ctx.as_of, *(_boundary(ctx, every, k) for k in range(1, periods + 1))]
    members: set[ContactId] = set()
    for cid in ctx.universe:
        counts = [0] * (periods + 1)
        for event in ctx.events.get(cid, ()):
            k = _period(_ts(event), bounds) if qualifies(event) else None
            if k is not None:
                counts[k] += 1
        if sum(1 for n in counts[1:] if n >= times) >= min_periods:
            members.add(cid)
    return frozenset(members)


def _stopped_or_restarted(cond: Mapping[str, object], kind: str, ctx: _Context) -> Members:
    """SPEC 6.9 ``stopped_performing`` (recent, prior) / ``restarted_performing`` (recent, gap).

    ``recent`` is ``[as_of - D1, as_of]``; the earlier span is ``[as_of - D1 - D2,
    as_of - D1)`` where "as_of - D1 - D2 is (as_of - D1) - D2". Stopped: some
    event in the earlier span, none in ``recent``. Restarted: some in
    ``recent``, none in the span (the gap), and some before the gap begins.
    """
    qualifies = _qualifying(cond, kind, ctx, windowed=False)
    recent = _required_duration(cond, "recent", kind)
    earlier = _required_duration(cond, "prior" if kind == "stopped_performing" else "gap", kind)
    recent_start = _boundary(ctx, recent, 1)
    span_start = shift(recent_start, -earlier[0], earlier[1], ctx.zone)
    members: set[ContactId] = set()
    for cid in ctx.universe:
        times = [_ts(e) for e in ctx.events.get(cid, ()) if qualifies(e)]
        in_recent = any(recent_start <= t <= ctx.as_of for t in times)
        in_span = any(span_start <= t < recent_start for t in times)
        if kind == "stopped_performing":
            matched = in_span and not in_recent
        else:
            matched = in_recent and not in_span and any(t < span_start for t in times)
        if matched:
            members.add(cid)
    return frozenset(members)


# -------------------------------------------------------------------- traits


_TRAIT_KEYS: Final = frozenset({"description", "of", "where", "within", "value"})
_NO_PROP_FNS: Final = frozenset({"count", "first_time", "last_time"})


@dataclass(frozen=True)
class _Trait:
    """A checked trait definition: its value type and how to compute it."""

    name: str
    typ: str
    fn: str
    prop: str | None
    qualifies: Test


def _trait_type(fn: str, prop: str | None, prop_type: str | None) -> str:
    """The type of a trait (SPEC 6.10 "Types"), or a definition error when fn does not fit.

    "count, count_distinct integer; sum/avg/min/max as in 6.3 (... integer
    sums and min/max of integers stay integers); first_time/last_time
    timestamp; first_value/last_value the property's type." As in 6.3,
    sum/avg/min/max need a number; no fn reads a list property (its value
    order and missing value are not defined by the SPEC).
    """
    if fn in _NO_PROP_FNS:
        # "count, first_time and last_time take no prop"
        if prop is not None:
            raise InvalidDefinition(f"trait fn {fn} takes no prop")
        return INTEGER if fn == "count" else TIMESTAMP
    if prop is None or prop_type is None:
        raise InvalidDefinition(f"trait fn {fn} needs a known prop, got {prop!r}")
    if prop_type == TAGS or (fn in ("sum", "avg", "min", "max") and prop_type not in NUMBER_TYPES):
        raise InvalidDefinition(f"trait fn {fn} is not valid for {prop_type} {prop}")
    if fn == "count_distinct":
        return INTEGER
    if fn == "avg":
        return FLOAT
    return prop_type


def _trait(name: object, ctx: _Context) -> _Trait:
    """The trait ``name`` of the world, checked when a condition (or trait_values) reads it.

    SPEC 6.10: "A trait name equal to an attribute name, an unknown event or
    property, or a fn that does not fit the property's type is a definition
    error." An event name is unknown only against a world that lists its event
    names (``World.event_names``).
    """
    if not isinstance(name, str) or name not in ctx.world.traits:
        raise InvalidDefinition(f"unknown trait {name!r}")
    if name in ctx.world.attr_types:
        raise InvalidDefinition(f"trait {name!r} has the name of an attribute")
    spec = _mapping(ctx.world.traits[name], f"trait {name}")
    extra = set(spec) - _TRAIT_KEYS
    if extra or "of" not in spec or "value" not in spec:
        raise InvalidDefinition(f"trait {name}: needs of and value, unexpected {sorted(extra)}")
    known = ctx.world.event_names
    if known is not None and not _event_names(spec["of"]) <= known:
        raise InvalidDefinition(f"trait {name}: unknown event in {spec['of']!r}")
    value = _mapping(spec["value"], f"trait {name} value")
    fn, prop = value.get("fn"), value.get("prop")
    if set(value) - {"fn", "prop"} or not isinstance(fn, str) or fn not in TRAIT_FNS:
        raise InvalidDefinition(f"trait {name}: bad value {dict(value)!r}")
    if prop is not None and (not isinstance(prop, str) or prop not in ctx.world.prop_types):
        raise InvalidDefinition(f"trait {name}: unknown event property {prop!r}")
    if "prop" in value and prop is None:
        raise InvalidDefinition(f"trait {name}: prop must name a property")
    prop_type = ctx.world.prop_types.get(prop) if isinstance(prop, str) else None
    typ = _trait_type(fn, prop if isinstance(prop, str) else None, prop_type)
    qualifies = _qualifying(spec, "of", ctx, windowed=True)
    return _Trait(name, typ, fn, prop if isinstance(prop, str) else None, qualifies)


def _value_key(value: object, typ: str) -> tuple[bool, object]:
    """Value order for the same-instant rule; a float NaN sorts above every number."""
    if isinstance(value, float) and math.isnan(value):
        return (True, 0)
    return (False, landed_time(value, typ) if typ in TIME_TYPES else value)


def _edge_value(present: Sequence[Event], prop: str, typ: str, last: bool) -> object:
    """``first_value`` / ``last_value`` over events whose ``prop`` is present.

    "the prop value of the earliest / latest qualifying event whose prop is not
    missing; events at the same instant are ordered by value, and the greatest
    value wins for both".
    """
    if not present:
        return None
    edge = (max if last else min)(_ts(e) for e in present)
    tied = [e[prop] for e in present if _ts(e) == edge]
    return max(tied, key=lambda v: _value_key(v, typ))


def _trait_value(trait: _Trait, events: Sequence[Event]) -> object:
    """One contact's trait value from its events up to as_of; ``None`` is missing.

    "Without qualifying events count is 0 and first_time/last_time are missing;
    without a non-missing prop value count_distinct and sum are 0 and avg, min,
    max, first_value, last_value are missing."
    """
    chosen = [e for e in events if trait.qualifies(e)]
    if trait.fn == "count":
        return len(chosen)
    if trait.fn in ("first_time", "last_time"):
        times = [_ts(e) for e in chosen]
        return (min if trait.fn == "first_time" else max)(times) if times else None
    prop = trait.prop
    assert prop is not None
    present = [e for e in chosen if e.get(prop) is not None]
    if trait.fn in ("first_value", "last_value"):
        return _edge_value(present, prop, trait.typ, trait.fn == "last_value")
    return aggregate(trait.fn, [e[prop] for e in present])


def _trait_values(name: object, ctx: _Context) -> tuple[_Trait, dict[ContactId, object]]:
    """Every contact's value of one trait at the context's as_of (memoised)."""
    trait = _trait(name, ctx)
    if trait.name not in ctx.trait_memo:
        ctx.trait_memo[trait.name] = {
            cid: _trait_value(trait, ctx.events.get(cid, ())) for cid in ctx.universe
        }
    return trait, ctx.trait_memo[trait.name]


# --------------------------------------------------------------- percentiles


def _percent(raw: object) -> Fraction:
    """P of SPEC 6.11, ``0 < P <= 100``, as the exact number it is written as.

    "The comparison is exact arithmetic (as 100 * count < P * N over integers
    or decimals)": a float P is read as the decimal it is written as (its
    shortest ``repr``: 28.0 is 28, 0.1 is 1/10), not as its binary value.
    """
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidDefinition(f"percentile: expected a number, got {raw!r}")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise InvalidDefinition(f"percentile: not a finite number: {raw!r}")
    percent = Fraction(raw) if isinstance(raw, int) else Fraction(repr(raw))
    if not 0 < percent <= 100:
        raise InvalidDefinition(f"percentile: expected 0 < P <= 100, got {raw!r}")
    return percent


def _percentile(
    cond: Mapping[str, object], values: Mapping[ContactId, object], typ: str
) -> Members:
    """``top_percent`` / ``bottom_percent`` over every contact's value (SPEC 6.11).

    "The population is every contact with a value (missing and NaN excluded,
    and never matching); N is its size. A contact with value v is in the top P%
    when the number of contacts with a value greater than v is less than
    P / 100 * N". ``values`` holds every contact of the universe: "The
    population is all contacts, not the rest of the segment".
    """
    op = cond["op"]
    if typ not in NUMBER_TYPES:
        raise InvalidDefinition(f"op {op} is not valid for type {typ}")
    if "case_sensitive" in cond or "value" not in cond:
        raise InvalidDefinition(f"op {op} takes a value P and no case_sensitive")
    percent = _percent(cond["value"])
    population = {
        cid: v
        for cid, v in values.items()
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    }
    ordered = sorted(_number(v, str(op)) for v in population.values())
    size = len(ordered)
    members: set[ContactId] = set()
    for cid, v in population.items():
        value = _number(v, str(op))
        if op == "top_percent":  # how many values are greater than v
            beyond = size - bisect_right(ordered, value)
        else:  # how many values are less than v
            beyond = bisect_left(ordered, value)
        if 100 * beyond < percent * size:
            members.add(cid)
    return frozenset(members)


# ------------------------------------------------------ contact conditions


_EVENT_KEYS: Final = frozenset({"where", "within"})
_CONDITION_KINDS: Final[Mapping[str, frozenset[str]]] = {
    "all": frozenset(),
    "any": frozenset(),
    "not": frozenset(),
    "attr": frozenset({"op", "value", "case_sensitive"}),
    "performed": _EVENT_KEYS | {"count", "aggregate"},
    "not_performed": _EVENT_KEYS,
    "first_performed": frozenset({"where", "before", "after", "within"}),
    "last_performed": frozenset({"where", "before", "after", "within"}),
    "in_segment": frozenset(),
    "not_in_segment": frozenset(),
    "sequence": frozenset({"within"}),
    "performed_regularly": frozenset({"where", "every", "periods", "min_periods", "times"}),
    "stopped_performing": frozenset({"where", "recent", "prior"}),
    "restarted_performing": frozenset({"where", "recent", "gap"}),
    "trait": frozenset({"op", "value", "case_sensitive"}),
}


def members_of(raw: object, ctx: _Context) -> Members:
    """The contacts (of the whole universe) that one condition matches."""
    cond = _mapping(raw, "condition")
    kind = _kind(cond, _CONDITION_KINDS)
    if kind in ("all", "any"):
        items = cond[kind]
        if not isinstance(items, list) or (kind == "any" and not items):
            raise InvalidDefinition(f"{kind}: expected a non-empty list, got {items!r}")
        parts = [members_of(item, ctx) for item in items]
        if kind == "all":  # "An empty all matches everyone"
            return ctx.universe.intersection(*parts)
        return frozenset().union(*parts)
    if kind == "not":  # "{not: c} matches precisely the contacts that c does not match"
        return ctx.universe - members_of(cond["not"], ctx)
    if kind in ("attr", "trait"):
        return _value_members(cond, kind, ctx)
    if kind == "performed":
        return _performed(cond, ctx)
    if kind == "not_performed":
        return _not_performed(cond, ctx)
    if kind in ("first_performed", "last_performed"):
        return _first_or_last(cond, kind, ctx)
    if kind == "sequence":
        return _sequence(cond, ctx)
    if kind == "performed_regularly":
        return _performed_regularly(cond, ctx)
    if kind in ("stopped_performing", "restarted_performing"):
        return _stopped_or_restarted(cond, kind, ctx)
    found = segment_members(cond[kind], ctx)
    return found if kind == "in_segment" else ctx.universe - found


def _value_members(cond: Mapping[str, object], kind: str, ctx: _Context) -> Members:
    """An attribute or trait condition: an op of 6.2 or a percentile of 6.11.

    A trait is "used like an attribute ... with the ops of 6.2 for the trait's
    type and the same missing-value rules" (SPEC 6.10), read at the build's
    as_of; ``attr`` names attributes only and ``trait`` traits only.
    """
    name = cond[kind]
    if kind == "trait":
        trait, values = _trait_values(name, ctx)
        typ = trait.typ
    else:
        if not isinstance(name, str) or name not in ctx.world.attr_types:
            raise InvalidDefinition(f"unknown attribute {name!r}")
        typ = ctx.world.attr_types[name]
        contacts = ctx.world.contacts
        values = {c: contacts.get(c, {}).get(name) for c in ctx.universe}
    op = cond.get("op")
    if isinstance(op, str) and op in PERCENT_OPS:
        return _percentile(cond, values, typ)
    test = leaf_test(cond, typ, ctx)
    return frozenset(c for c, v in values.items() if test(v))


def segment_members(name: object, ctx: _Context) -> Members:
    """Another segment at the same as_of (SPEC 6.6); cycles and unknown names are errors."""
    if not isinstance(name, str):
        raise InvalidDefinition(f"segment name expected, got {name!r}")
    if name in ctx.memo:
        return ctx.memo[name]
    if name in ctx.active:
        raise InvalidDefinition(f"segment reference cycle: {[*ctx.active, name]}")
    if name not in ctx.segments:
        raise InvalidDefinition(f"unknown segment {name!r}")
    ctx.active.append(name)
    try:
        found = definition_members(ctx.segments[name], name, ctx)
    finally:
        ctx.active.pop()
    ctx.memo[name] = found
    return found


def definition_members(raw: object, name: str | None, ctx: _Context) -> Members:
    """The members of a whole segment file (dynamic or ``kind: static``)."""
    definition = _mapping(raw, "definition")
    if definition.get("kind", "dynamic") == "static":
        if "where" in definition or name is None:
            raise InvalidDefinition("a static segment has a name and no where")
        # Members are contacts, so a stored id that is no contact is no member.
        return ctx.universe & frozenset(ctx.world.static_members.get(name, set()))
    extra = set(definition) - {"name", "description", "owner", "where"}
    if extra or "where" not in definition:
        raise InvalidDefinition(f"a segment needs where and no other keys than metadata: {extra}")
    return members_of(definition["where"], ctx)


def _context(
    world: World, as_of: datetime, segments: Mapping[str, Mapping[str, object]]
) -> _Context:
    zone = ZoneInfo(world.zone)
    cutoff = to_instant(as_of, zone)
    universe: set[ContactId] = set(world.contacts)
    events: dict[ContactId, list[Event]] = {}
    for event in world.events:
        cid = event["contact_id"]
        assert isinstance(cid, str | int)
        universe.add(cid)
        ts = landed_time(event["ts"], TIMESTAMP)
        if ts <= cutoff:
            events.setdefault(cid, []).append({**event, "ts": ts})
    return _Context(world, cutoff, zone, segments, frozenset(universe), events)


def evaluate(
    definition: Mapping[str, object],
    world: World,
    as_of: datetime,
    segments: Mapping[str, Mapping[str, object]] = _NO_SEGMENTS,
) -> set[ContactId]:
    """The members of ``definition`` at ``as_of`` (a naive ``as_of`` is in the zone).

    The universe is every contact, including one known only from its events:
    "An event whose contact_id is not yet a contact creates that contact ... so
    the universe of every segment is all contacts" (SPEC 3). Events after
    ``as_of`` are dropped before anything else: "Events after as_of never
    count, for any condition" (SPEC 6.3).
    """
    ctx = _context(world, as_of, segments)
    name = definition.get("name")
    if isinstance(name, str):
        ctx.active.append(name)
    return set(definition_members(definition, name if isinstance(name, str) else None, ctx))


def trait_values(world: World, as_of: datetime) -> dict[str, dict[ContactId, object]]:
    """Every trait of the world for every contact at ``as_of``; ``None`` is missing.

    What ``duckseg traits --as-of`` writes (SPEC 6.10): one value per contact
    of the universe and trait. Every trait is checked, so an invalid trait file
    raises ``InvalidDefinition`` here.
    """
    ctx = _context(world, as_of, _NO_SEGMENTS)
    return {name: _trait_values(name, ctx)[1] for name in sorted(world.traits)}


def trait_types(world: World) -> dict[str, str]:
    """The value type of every trait (``integer``, ``float``, ``timestamp``, a prop type)."""
    ctx = _context(world, datetime.now().astimezone(), _NO_SEGMENTS)
    return {name: _trait(name, ctx).typ for name in sorted(world.traits)}
