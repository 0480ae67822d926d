"""A row-by-row reference evaluator for the definition language (SPEC section 6).

It reads the SPEC literally and evaluates one contact, and one event, at a time
in plain Python: no SQL, and nothing shared with the ``duckseg`` package, so that
property-based tests can compare the compiled SQL against an independent reading.

Where the SPEC leaves room, the choice made here cites the sentence it rests on.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Final, TypeAlias
from zoneinfo import ZoneInfo

from tests.reference.timevalues import (
    TIMESTAMP,
    InvalidDefinition,
    TimeValue,
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

_NO_SEGMENTS: Final[Mapping[str, Mapping[str, object]]] = MappingProxyType({})


@dataclass
class World:
    """Contacts, events and catalog types; a missing key or ``None`` is a missing value."""

    contacts: dict[ContactId, dict[str, object]]
    events: list[dict[str, object]]
    attr_types: dict[str, str]
    prop_types: dict[str, str]
    zone: str = "UTC"
    static_members: dict[str, set[ContactId]] = field(default_factory=dict)


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


def _mapping(raw: object, what: str) -> Mapping[str, object]:
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
        raise InvalidDefinition(f"{what}: expected a mapping, got {raw!r}")
    return raw


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
    if kind == "attr":
        name = cond["attr"]
        if not isinstance(name, str) or name not in ctx.world.attr_types:
            raise InvalidDefinition(f"unknown attribute {name!r}")
        test = leaf_test(cond, ctx.world.attr_types[name], ctx)
        contacts = ctx.world.contacts
        return frozenset(c for c in ctx.universe if test(contacts.get(c, {}).get(name)))
    if kind == "performed":
        return _performed(cond, ctx)
    if kind == "not_performed":
        return _not_performed(cond, ctx)
    if kind in ("first_performed", "last_performed"):
        return _first_or_last(cond, kind, ctx)
    found = segment_members(cond[kind], ctx)
    return found if kind == "in_segment" else ctx.universe - found


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
    ctx = _Context(world, cutoff, zone, segments, frozenset(universe), events)
    name = definition.get("name")
    if isinstance(name, str):
        ctx.active.append(name)
    return set(definition_members(definition, name if isinstance(name, str) else None, ctx))
