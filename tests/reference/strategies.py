"""Hypothesis strategies for small worlds and valid definitions of SPEC section 6.

Values are chosen so that DuckDB and Python agree on them: amounts are quarters
(exact in binary floating point, so sums do not depend on order), text folds the
same under both ``lower`` functions, patterns use no feature where RE2 and
Python's ``re`` differ, and no time literal falls into a DST gap or overlap.
Times cluster on the edges that matter: as_of itself, as_of - 7d, calendar
month steps and local midnights of the workspace zone, one microsecond either
side, and events after as_of.

The constructs of SPEC 6.8 to 6.11, and every window form of 6.4 in
first_performed / last_performed, are opt-in, so that the differential tests
of the compiler keep drawing exactly what they drew before. Turn them on with
``extensions``, a collection of names from ``EXTENSIONS`` (``ALL_EXTENSIONS``
for every one), given alike to ``worlds`` and to the condition strategies::

    @given(world=worlds(extensions=ALL_EXTENSIONS),
           family=segment_families(extensions=ALL_EXTENSIONS))

- ``"first_last_windows"``: first/last_performed ``within`` takes any window of 6.4;
- ``"sequences"``: ``{sequence: [...], within}`` (6.8), see ``sequences()``;
- ``"lifecycle"``: performed_regularly / stopped_performing / restarted_performing
  (6.9), see ``lifecycle_conditions()``;
- ``"traits"``: ``{trait: NAME, op, value}`` (6.10) over the traits of
  ``TRAIT_TYPES``; ``worlds`` then carries a definition for each of them in
  ``World.traits`` (see ``trait_definitions()``);
- ``"percentiles"``: ``top_percent`` / ``bottom_percent`` (6.11) on numeric
  attributes, and on numeric traits when ``"traits"`` is on too.

With any extension on, ``worlds`` also adds events at the same instant as another
event of the contact, exactly a ``then_within`` length after one (and a
microsecond either side), and events on lifecycle period boundaries
(``as_of - k·D`` in the zone, month ends included).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Final, TypeAlias
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from tests.reference.evaluator import World
from tests.reference.timevalues import fixed_length, parse_duration, shift

Definition: TypeAlias = dict[str, object]
Draw: TypeAlias = st.DrawFn

AS_OF: Final = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
ZONES: Final = ("UTC", "Asia/Kolkata", "America/New_York")
STATIC_SEGMENT: Final = "hand_picked"
ATTR_TYPES: Final[dict[str, str]] = {
    "city": "text",
    "email": "text",
    "lead_score": "integer",
    "total_spent": "float",
    "opted_out": "boolean",
    "birthday": "date",
    "signup_at": "timestamp",
    "tags": "list of text",
}
PROP_TYPES: Final[dict[str, str]] = {"amount": "float", "category": "text", "qty": "integer"}
EVENT_NAMES: Final = ("purchase", "login", "cart_abandoned", "page_view")
# The traits that "traits" draws (name -> value type); worlds() defines each one.
TRAIT_TYPES: Final[dict[str, str]] = {
    "purchases": "integer",
    "spend": "float",
    "last_seen": "timestamp",
    "top_category": "text",
}
EXTENSIONS: Final = ("first_last_windows", "sequences", "lifecycle", "traits", "percentiles")
ALL_EXTENSIONS: Final = frozenset(EXTENSIONS)


@dataclass(frozen=True)
class Schema:
    """What a definition may name: attribute and property types, event names, traits.

    ``trait_types`` is read only with the ``"traits"`` extension; empty means
    ``TRAIT_TYPES``.
    """

    attr_types: dict[str, str]
    prop_types: dict[str, str]
    event_names: tuple[str, ...]
    trait_types: dict[str, str] = field(default_factory=dict)


SCHEMA: Final = Schema(ATTR_TYPES, PROP_TYPES, EVENT_NAMES)


def _extensions(raw: Collection[str]) -> frozenset[str]:
    chosen = frozenset(raw)
    if not chosen <= ALL_EXTENSIONS:
        raise ValueError(f"unknown extensions {sorted(chosen - ALL_EXTENSIONS)}")
    return chosen


_US: Final = timedelta(microseconds=1)
_TEXT_POOLS: Final[dict[str, tuple[str | None, ...]]] = {
    "city": ("Pune", "pune", "PUNE", "", "São Paulo", "SÃO PAULO", "Mumbai", "New York", None),
    "email": (
        "ana@example.com",
        "Ana@Example.COM",
        "bob@test.org",
        "first_last@example.com",
        "",
        None,
    ),
    "category": ("books", "Books", "toys", "electronics", "", None),
}
_NEEDLES: Final[dict[str, tuple[str, ...]]] = {
    "city": ("pun", "PUNE", "une", "São", "sÃo", "york", "New ", "_", "%", ""),
    "email": ("@example.com", "ANA", "_", "%", ".org", "b"),
    "category": ("book", "BOOKS", "o", "_", "toys"),
}
_PATTERNS: Final[dict[str, tuple[str, ...]]] = {
    "city": ("^P", "une$", "(?i)^pune$", "S.o", "^$", "York|Pune", "[A-Z]{4}", "a+"),
    "email": (r"@example\.com$", "(?i)^ana@", "_", r"^[a-z]+@", r"\.org$"),
    "category": ("^b", "(?i)BOOK", "s$", "^(toys|books)$"),
}
_TAG_POOL: Final = ("VIP", "vip", "beta", "gold")
_TAG_LISTS: Final[tuple[list[str] | None, ...]] = (
    None,
    [],
    ["VIP"],
    ["vip", "beta"],
    ["beta"],
    ["VIP", "vip"],
    ["gold", "VIP"],
)
_INTEGERS: Final = (-5, 0, 1, 10, 49, 50, 51, 100)
_QUARTERS: Final = (0.0, 0.25, 10.5, 50.0, 99.75, 100.0, 250.25, 1000.0)
_DATES: Final = (
    date(2025, 12, 31),
    date(2026, 1, 1),
    date(2026, 1, 31),
    date(2026, 2, 28),
    date(2026, 3, 1),
    date(2026, 3, 23),
    date(2026, 3, 24),
    date(2026, 3, 30),
    date(2026, 3, 31),
)
# Sorted by the instant they name; none falls in a DST gap or overlap.
_AWARE: Final = (
    datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 2, 28, 12, 0, tzinfo=UTC),
    datetime(2026, 3, 24, 0, 0, tzinfo=timezone(timedelta(hours=-4))),
    datetime(2026, 3, 24, 12, 0, tzinfo=UTC),
    datetime(2026, 3, 30, 18, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
)
_NAIVE: Final = (
    datetime(2026, 1, 31, 0, 0),
    datetime(2026, 3, 1, 6, 0),
    datetime(2026, 3, 24, 0, 0),
    datetime(2026, 3, 31, 0, 0),
    datetime(2026, 3, 31, 17, 30),
)
_RELATIVE: Final = (
    "now-1y",
    "now-90d",
    "now-1mo",
    "now-2w",
    "now-7d",
    "now-1d",
    "now-12h",
    "now",
    "now+1d",
)
_DURATIONS: Final = ("3600s", "90m", "12h", "1d", "7d", "2w", "30d", "1mo", "90d", "1y")
# then_within (fixed units only), lifecycle period lengths and spans.
_GAPS: Final = ("1s", "3600s", "90m", "1h", "12h", "1d", "7d", "2w")
_EVERY: Final = ("1d", "7d", "1w", "2w", "30d", "1mo")
_SPANS: Final = ("12h", "1d", "7d", "2w", "30d", "1mo", "90d")
_PERCENTS: Final = (0.5, 1, 10, 25, 28, 33.3, 50, 75, 99.5, 100)


# ---------------------------------------------------------------- worlds


@functools.cache
def _edge_instants(zone_name: str) -> tuple[datetime, ...]:
    """Instants on every edge a window or date rule can draw near AS_OF."""
    zone = ZoneInfo(zone_name)
    edges = [AS_OF, AS_OF + timedelta(days=1), AS_OF - timedelta(hours=12)]
    for back in (timedelta(days=7), timedelta(days=30), timedelta(days=90)):
        edges.append(AS_OF - back)
    for unit, amount in (("mo", 1), ("y", 1), ("d", 14)):
        edges.append(shift(AS_OF, -amount, unit, zone))
    for day in (*_DATES, *(date(2026, 3, 31) - timedelta(days=k) for k in range(10))):
        midnight = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        edges += [midnight, midnight + timedelta(hours=12)]
    edges += [d.astimezone(UTC) for d in _AWARE]
    edges += [d.replace(tzinfo=zone).astimezone(UTC) for d in _NAIVE]
    return tuple(sorted({e + delta for e in edges for delta in (-_US, timedelta(0), _US)}))


def _quarters(high: int = 4000) -> st.SearchStrategy[float]:
    return st.integers(0, high).map(lambda k: k / 4)


@functools.cache
def _period_edges(zone_name: str) -> tuple[datetime, ...]:
    """Lifecycle boundaries near AS_OF: ``as_of - k·D`` and ``(as_of - D1) - D2`` (SPEC 6.9)."""
    zone = ZoneInfo(zone_name)
    edges: list[datetime] = []
    for raw in _EVERY:
        amount, unit = parse_duration(raw)
        edges += [shift(AS_OF, -k * amount, unit, zone) for k in range(1, 5)]
    for recent in _SPANS:
        amount, unit = parse_duration(recent)
        start = shift(AS_OF, -amount, unit, zone)
        for earlier in _SPANS:
            amount, unit = parse_duration(earlier)
            edges.append(shift(start, -amount, unit, zone))
    return tuple(sorted({e + delta for e in edges for delta in (-_US, timedelta(0), _US)}))


@functools.cache
def _instants(zone: str, extended: bool = False) -> st.SearchStrategy[datetime]:
    random_offset = st.integers(-130 * 86400, 3 * 86400).map(lambda s: AS_OF + timedelta(seconds=s))
    edges = _edge_instants(zone)
    if extended:
        edges = tuple(sorted({*edges, *_period_edges(zone)}))
    return st.one_of(st.sampled_from(edges), random_offset)


@functools.cache
def _attributes(zone: str) -> st.SearchStrategy[dict[str, object]]:
    """One contact's attributes; a key left out is a missing value too."""
    return st.fixed_dictionaries(
        {},
        optional={
            "city": st.sampled_from(_TEXT_POOLS["city"]),
            "email": st.sampled_from(_TEXT_POOLS["email"]),
            "lead_score": st.one_of(st.sampled_from(_INTEGERS), st.integers(-5, 100), st.none()),
            "total_spent": st.one_of(st.sampled_from(_QUARTERS), _quarters(), st.none()),
            "opted_out": st.sampled_from((True, False, None)),
            "birthday": st.one_of(st.sampled_from((*_DATES, date(1990, 5, 17))), st.none()),
            "signup_at": st.one_of(_instants(zone), st.none()),
            "tags": st.sampled_from(_TAG_LISTS).map(lambda t: None if t is None else list(t)),
        },
    )


_PROPERTIES: Final = {
    "amount": st.one_of(_quarters(800), st.none()),
    "category": st.sampled_from(_TEXT_POOLS["category"]),
    "qty": st.one_of(st.integers(0, 5), st.none()),
}


_ECHO_DELTAS: Final = (
    timedelta(0),
    *(fixed_length(*parse_duration(g)) + d for g in _GAPS for d in (-_US, timedelta(0), _US)),
)


@st.composite
def _echoes(draw: Draw, events: list[dict[str, object]], most: int) -> list[dict[str, object]]:
    """Events of the same contact at the same instant as a drawn one, or a gap after it.

    Same instants make ties for ``first_value`` / ``last_value`` and steps that
    are not in order; gaps of exactly ``then_within`` (and a microsecond either
    side) make the edges of SPEC 6.8.
    """
    if not events:
        return []
    found: list[dict[str, object]] = []
    for _ in range(draw(st.integers(0, most))):
        # an echo may follow an earlier echo: chains of steps, each a gap apart
        everything = [*events, *found]
        origin = everything[draw(st.integers(0, len(everything) - 1))]
        delta = draw(st.one_of(st.just(timedelta(0)), st.sampled_from(_ECHO_DELTAS)))
        same_name = draw(st.booleans())
        name = origin["event"] if same_name else draw(st.sampled_from(EVENT_NAMES))
        props = draw(st.fixed_dictionaries({}, optional=_PROPERTIES))
        ts = origin["ts"]
        assert isinstance(ts, datetime)
        found.append({"contact_id": origin["contact_id"], "event": name, "ts": ts + delta, **props})
    return found


_TRAIN_OFFSETS: Final = (timedelta(0), _US, -_US, timedelta(hours=6))


@st.composite
def _trains(draw: Draw, zone: str, contacts: Sequence[str | int]) -> list[dict[str, object]]:
    """Regular activity: one event a period back from as_of, ``as_of - k·D - offset``.

    Lifecycle conditions (SPEC 6.9) match only contacts with events spread over
    their periods; an offset of 0 or a microsecond puts them on the boundaries.
    Some periods are skipped, and a train may start a few periods back, so that
    stopped and restarted activity occur too.
    """
    found: list[dict[str, object]] = []
    for _ in range(draw(st.integers(0, 4))):
        cid = draw(st.sampled_from(contacts))
        name = draw(st.sampled_from(EVENT_NAMES))
        amount, unit = parse_duration(draw(st.sampled_from((*_EVERY, *_SPANS))))
        offset = draw(st.sampled_from(_TRAIN_OFFSETS))
        first = draw(st.integers(0, 2))
        for k in range(first, first + draw(st.integers(1, 5))):
            if draw(st.integers(0, 4)) == 0:
                continue
            ts = shift(AS_OF, -k * amount, unit, ZoneInfo(zone)) - offset
            props = draw(st.fixed_dictionaries({}, optional=_PROPERTIES))
            found.append({"contact_id": cid, "event": name, "ts": ts, **props})
    return found


@st.composite
def worlds(
    draw: Draw,
    zones: Sequence[str] = ZONES,
    max_contacts: int = 25,
    max_events: int = 120,
    extensions: Collection[str] = (),
) -> World:
    """A small world with its zone, contacts ``c1``..., events and one static segment.

    An event may name a contact id that is no contact (``c_new``): SPEC 3 makes
    it a contact with no attributes. With ``extensions`` (see the module
    docstring) it also gets edge events, and with ``"traits"`` a definition for
    every trait of ``TRAIT_TYPES``.
    """
    chosen = _extensions(extensions)
    zone = draw(st.sampled_from(zones))
    size = draw(st.integers(0, max_contacts))
    rows = draw(st.lists(_attributes(zone), min_size=size, max_size=size))
    contacts: dict[str | int, dict[str, object]] = {f"c{i}": a for i, a in enumerate(rows, 1)}
    ids = [f"c{i}" for i in range(1, size + 1)]
    pool = [*ids, "c_new"] if draw(st.booleans()) or not ids else ids
    # A few busy contacts get most events, so counts and aggregates go past 1.
    busy = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    event_ids = st.one_of(st.sampled_from(busy), st.sampled_from(pool))
    times = _instants(zone, bool(chosen))
    event = st.fixed_dictionaries(
        {"contact_id": event_ids, "event": st.sampled_from(EVENT_NAMES), "ts": times},
        optional=_PROPERTIES,
    )
    size = draw(st.integers(0, max_events))
    events = draw(st.lists(event, min_size=size, max_size=size))
    if chosen:
        events += draw(_trains(zone, pool))
        events += draw(_echoes(events, max_events // 4))
    static: set[str | int] = set()
    if ids:
        static.update(draw(st.lists(st.sampled_from(ids), unique=True)))
    traits: dict[str, dict[str, object]] = {}
    if "traits" in chosen:
        traits = {name: draw(trait_definitions(typ)) for name, typ in TRAIT_TYPES.items()}
    return World(
        contacts=contacts,
        events=events,
        attr_types=dict(ATTR_TYPES),
        prop_types=dict(PROP_TYPES),
        zone=zone,
        static_members={STATIC_SEGMENT: static},
        traits=traits,
        event_names=frozenset(EVENT_NAMES),
    )


# ----------------------------------------------------------- time values


def _date_value(day: date, as_text: bool) -> object:
    return day.isoformat() if as_text else day


def _instant_value(moment: datetime, as_text: bool) -> object:
    return moment.isoformat().replace("+00:00", "Z") if as_text else moment


@st.composite
def time_values(draw: Draw, dates_only: bool = False) -> object:
    """One time value of SPEC 6.5, as YAML would give it (text or native)."""
    family = draw(st.sampled_from(("date", "relative") if dates_only else _FAMILIES))
    return draw(_ordered_times(family, 1))[0]


_FAMILIES: Final = ("date", "aware", "naive", "relative")


@st.composite
def _ordered_times(draw: Draw, family: str, size: int) -> list[object]:
    """``size`` values of one family in non-decreasing order (valid between bounds)."""
    pool: Sequence[object] = {
        "date": _DATES,
        "aware": _AWARE,
        "naive": _NAIVE,
        "relative": _RELATIVE,
    }[family]
    picks = sorted(draw(st.lists(st.integers(0, len(pool) - 1), min_size=size, max_size=size)))
    values: list[object] = []
    for index in picks:
        raw, as_text = pool[index], draw(st.booleans())
        if isinstance(raw, datetime):
            values.append(_instant_value(raw, as_text))
        elif isinstance(raw, date):
            values.append(_date_value(raw, as_text))
        else:
            values.append(raw)
    return values


@st.composite
def _between_times(draw: Draw, dates_only: bool = False) -> list[object]:
    families = ("date", "relative") if dates_only else _FAMILIES
    return draw(_ordered_times(draw(st.sampled_from(families)), 2))


def windows() -> st.SearchStrategy[object]:
    """A window of SPEC 6.4: a duration or a one-key mapping."""
    return st.one_of(
        st.sampled_from(_DURATIONS),
        st.sampled_from(_DURATIONS).map(lambda d: {"last": d}),
        _between_times().map(lambda pair: {"between": pair}),
        time_values().map(lambda t: {"before": t}),
        time_values().map(lambda t: {"after": t}),
    )


# ------------------------------------------------------------ conditions


_SET_OPS: Final = ("is", "is_not", "is_set", "is_not_set")
_ORDER_OPS: Final = ("gt", "gte", "lt", "lte", "between")
_TIME_OPS: Final = (*_SET_OPS, *_ORDER_OPS, "before", "after", "within_last")
_TEXT_OPS: Final = (*_SET_OPS, "contains", "not_contains", "starts_with", "ends_with", "matches")
_OPS_BY_TYPE: Final[dict[str, tuple[str, ...]]] = {
    "text": _TEXT_OPS,
    "integer": (*_SET_OPS, *_ORDER_OPS),
    "float": (*_SET_OPS, *_ORDER_OPS),
    "boolean": (*_SET_OPS, "is_true", "is_false"),
    "date": _TIME_OPS,
    "timestamp": _TIME_OPS,
    "list of text": ("is_set", "is_not_set", "has", "has_all", "has_none"),
}
_CASE_OPS: Final = frozenset(
    {"is", "is_not", "contains", "not_contains", "starts_with", "ends_with"}
)


def _numbers(name: str) -> st.SearchStrategy[float]:
    """Numbers near the values the world holds for ``name`` (integers for integer types)."""
    if name == "qty":
        return st.integers(-1, 6)
    if name == "amount":
        return st.one_of(st.sampled_from((0.0, 0.25, 10.5, 50.0, 100.0)), _quarters(800))
    integers = st.one_of(st.sampled_from(_INTEGERS), st.integers(-5, 100))
    if name == "total_spent":
        return st.one_of(st.sampled_from(_QUARTERS), _quarters(), integers)
    return integers


def _scalars(name: str, typ: str) -> st.SearchStrategy[object]:
    """Values for ``is`` / comparisons, typed against ``typ``."""
    if typ == "text":
        pool = [v for v in _TEXT_POOLS.get(name, _TEXT_POOLS["city"]) if v is not None]
        return st.sampled_from([*pool, "Nagpur", "PUNE "])
    if typ in ("integer", "float"):
        return _numbers(name)
    if typ == "boolean":
        return st.booleans()
    # A date attribute gets dates and relative times; a timestamp attribute any time value.
    return time_values(dates_only=typ == "date")


@st.composite
def leaves(draw: Draw, key: str, name: str, typ: str, pool: str | None = None) -> Definition:
    """One ``{attr|prop|trait: name, op, value}`` leaf valid for ``typ``.

    Values come from the pools of ``pool`` (default: ``name``), the attribute or
    property whose values the leaf meets.
    """
    op = draw(st.sampled_from(_OPS_BY_TYPE[typ]))
    leaf: Definition = {key: name, "op": op}
    name = pool or name
    if op in ("is", "is_not"):
        values = _scalars(name, typ)
        leaf["value"] = draw(st.one_of(values, st.lists(values, min_size=1, max_size=3)))
    elif op in ("contains", "not_contains", "starts_with", "ends_with"):
        leaf["value"] = draw(st.sampled_from(_NEEDLES.get(name, _NEEDLES["city"])))
    elif op == "matches":
        leaf["value"] = draw(st.sampled_from(_PATTERNS.get(name, _PATTERNS["city"])))
    elif op in ("gt", "gte", "lt", "lte", "before", "after"):
        leaf["value"] = draw(_scalars(name, typ))
    elif op == "between":
        if typ in ("date", "timestamp"):
            leaf["value"] = draw(_between_times(dates_only=typ == "date"))
        else:
            leaf["value"] = sorted([draw(_numbers(name)), draw(_numbers(name))])
    elif op == "within_last":
        leaf["value"] = draw(st.sampled_from(_DURATIONS))
    elif op in ("has", "has_all", "has_none"):
        tags = st.sampled_from(_TAG_POOL)
        leaf["value"] = draw(st.one_of(tags, st.lists(tags, min_size=1, max_size=3)))
    if op in _CASE_OPS and typ == "text" and draw(st.booleans()):
        leaf["case_sensitive"] = draw(st.booleans())
    return leaf


@st.composite
def _tree(draw: Draw, depth: int, leaf: st.SearchStrategy[Definition]) -> Definition:
    """A group tree (all / any / not) of ``depth`` levels at most over ``leaf``."""
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        return draw(leaf)
    kind = draw(st.sampled_from(("all", "any", "not")))
    if kind == "not":
        return {"not": draw(_tree(depth - 1, leaf))}
    items = st.lists(_tree(depth - 1, leaf), min_size=0 if kind == "all" else 1, max_size=3)
    return {kind: draw(items)}


def event_wheres(schema: Schema = SCHEMA, depth: int = 2) -> st.SearchStrategy[Definition]:
    """A per-event condition tree over properties."""
    props = st.sampled_from(sorted(schema.prop_types)).flatmap(
        lambda p: leaves("prop", p, schema.prop_types[p])
    )
    return _tree(depth, props)


def _compare(values: st.SearchStrategy[float]) -> st.SearchStrategy[Definition]:
    simple = st.builds(
        lambda op, v: {"op": op, "value": v},
        st.sampled_from(("eq", "neq", "gt", "gte", "lt", "lte")),
        values,
    )
    between = st.lists(values, min_size=2, max_size=2).map(
        lambda pair: {"op": "between", "value": sorted(pair)}
    )
    return st.one_of(simple, between)


@st.composite
def _aggregates(draw: Draw, schema: Schema) -> Definition:
    numeric = sorted(p for p, t in schema.prop_types.items() if t in ("integer", "float"))
    fn = draw(st.sampled_from(("sum", "avg", "min", "max", "count_distinct")))
    props = sorted(schema.prop_types) if fn == "count_distinct" else numeric
    prop = draw(st.sampled_from(props))
    if fn == "count_distinct":
        values: st.SearchStrategy[float] = st.integers(0, 4)
    elif schema.prop_types[prop] == "integer":
        values = st.integers(0, 12)
    else:
        values = st.one_of(st.sampled_from((0.0, 0.25, 50.0, 100.0)), _quarters(1200))
    return {"fn": fn, "prop": prop, **draw(_compare(values))}


@st.composite
def event_conditions(
    draw: Draw, schema: Schema = SCHEMA, extensions: Collection[str] = ()
) -> Definition:
    """performed / not_performed / first_performed / last_performed (SPEC 6.3).

    With ``"first_last_windows"``, first/last ``within`` is any window of 6.4.
    """
    kind = draw(
        st.sampled_from(
            ("performed", "performed", "not_performed", "first_performed", "last_performed")
        )
    )
    names = st.sampled_from(schema.event_names)
    if kind == "performed":
        name = draw(st.one_of(names, st.lists(names, min_size=1, max_size=3, unique=True)))
    else:
        name = draw(names)
    cond: Definition = {kind: name}
    if draw(st.booleans()):
        cond["where"] = draw(event_wheres(schema))
    if kind in ("performed", "not_performed"):
        if draw(st.booleans()):
            cond["within"] = draw(windows())
        if kind == "performed" and draw(st.booleans()):
            cond["count"] = draw(_compare(st.integers(0, 4)))
        if kind == "performed" and draw(st.integers(0, 2)) == 0:
            cond["aggregate"] = draw(_aggregates(schema))
    else:
        test = draw(st.sampled_from(("before", "after", "within")))
        if test == "within" and "first_last_windows" in _extensions(extensions):
            cond[test] = draw(windows())
        else:
            cond[test] = draw(st.sampled_from(_DURATIONS) if test == "within" else time_values())
    return cond


def _event_names_or_lists(schema: Schema) -> st.SearchStrategy[object]:
    names = st.sampled_from(schema.event_names)
    return st.one_of(names, names, st.lists(names, min_size=1, max_size=2, unique=True))


@st.composite
def sequences(draw: Draw, schema: Schema = SCHEMA) -> Definition:
    """``{sequence: [step, ...], within}`` of SPEC 6.8: two or three steps.

    Steps 2.. may have a ``then_within`` in fixed units; worlds with extensions
    hold events exactly that far apart, and at the same instant.
    """
    steps: list[Definition] = []
    for index in range(draw(st.integers(2, 3))):
        step: Definition = {"performed": draw(_event_names_or_lists(schema))}
        if draw(st.integers(0, 2)) == 0:
            step["where"] = draw(event_wheres(schema, depth=1))
        if index > 0 and draw(st.booleans()):
            step["then_within"] = draw(st.sampled_from(_GAPS))
        steps.append(step)
    cond: Definition = {"sequence": steps}
    if draw(st.booleans()):
        cond["within"] = draw(windows())
    return cond


@st.composite
def lifecycle_conditions(draw: Draw, schema: Schema = SCHEMA) -> Definition:
    """performed_regularly / stopped_performing / restarted_performing (SPEC 6.9)."""
    kind = draw(
        st.sampled_from(("performed_regularly", "stopped_performing", "restarted_performing"))
    )
    cond: Definition = {kind: draw(st.sampled_from(schema.event_names))}
    if kind == "performed_regularly":
        cond["every"] = draw(st.sampled_from(_EVERY))
        periods = draw(st.integers(1, 4))
        cond["periods"] = periods
        if draw(st.booleans()):
            cond["min_periods"] = draw(st.integers(1, periods))
        if draw(st.booleans()):
            cond["times"] = draw(st.integers(1, 3))
    else:
        cond["recent"] = draw(st.sampled_from(_SPANS))
        earlier = "prior" if kind == "stopped_performing" else "gap"
        cond[earlier] = draw(st.sampled_from(_SPANS))
    if draw(st.integers(0, 2)) == 0:
        cond["where"] = draw(event_wheres(schema, depth=1))
    return cond


# The attribute or property whose values a trait's conditions draw near.
_TRAIT_POOLS: Final[dict[str, str]] = {
    "purchases": "qty",
    "spend": "amount",
    "last_seen": "signup_at",
    "top_category": "category",
}


def _trait_values_of(typ: str, schema: Schema) -> list[Definition]:
    """Every ``value: {fn, prop}`` of SPEC 6.10 whose result has type ``typ``."""
    props = schema.prop_types
    found: list[Definition] = []
    if typ == "integer":
        found.append({"fn": "count"})
        found += [{"fn": "count_distinct", "prop": p} for p in sorted(props)]
    if typ == "float":
        numeric = sorted(p for p, t in props.items() if t in ("integer", "float"))
        found += [{"fn": "avg", "prop": p} for p in numeric]
    if typ == "timestamp":
        found += [{"fn": "first_time"}, {"fn": "last_time"}]
    same = sorted(p for p, t in props.items() if t == typ)
    if typ in ("integer", "float"):
        found += [{"fn": fn, "prop": p} for fn in ("sum", "min", "max") for p in same]
    found += [{"fn": fn, "prop": p} for fn in ("first_value", "last_value") for p in same]
    return found


@st.composite
def trait_definitions(draw: Draw, typ: str, schema: Schema = SCHEMA) -> Definition:
    """A trait file of SPEC 6.10 (``of``, ``where``, ``within``, ``value``) of type ``typ``."""
    trait: Definition = {"of": draw(_event_names_or_lists(schema))}
    if draw(st.booleans()):
        trait["description"] = "generated"
    if draw(st.integers(0, 2)) == 0:
        trait["where"] = draw(event_wheres(schema, depth=1))
    if draw(st.integers(0, 2)) == 0:
        trait["within"] = draw(windows())
    trait["value"] = draw(st.sampled_from(_trait_values_of(typ, schema)))
    return trait


def percentile_leaves(key: str, name: str) -> st.SearchStrategy[Definition]:
    """``{attr|trait: name, op: top_percent|bottom_percent, value: P}`` (SPEC 6.11)."""
    return st.builds(
        lambda op, p: {key: name, "op": op, "value": p},
        st.sampled_from(("top_percent", "bottom_percent")),
        st.one_of(st.sampled_from(_PERCENTS), st.integers(1, 100)),
    )


@st.composite
def trait_conditions(draw: Draw, schema: Schema = SCHEMA, percentiles: bool = False) -> Definition:
    """``{trait: NAME, op, value}`` over ``schema.trait_types`` (default ``TRAIT_TYPES``)."""
    traits = schema.trait_types or TRAIT_TYPES
    name = draw(st.sampled_from(sorted(traits)))
    typ = traits[name]
    if percentiles and typ in ("integer", "float") and draw(st.integers(0, 2)) == 0:
        return draw(percentile_leaves("trait", name))
    return draw(leaves("trait", name, typ, _TRAIT_POOLS.get(name)))


def conditions(
    schema: Schema = SCHEMA,
    depth: int = 3,
    references: Sequence[str] = (),
    extensions: Collection[str] = (),
) -> st.SearchStrategy[Definition]:
    """A ``where`` condition of every kind, nested up to ``depth`` group levels.

    ``extensions`` turns on the constructs of SPEC 6.8 to 6.11 (module docstring).
    """
    chosen = _extensions(extensions)
    attrs = st.sampled_from(sorted(schema.attr_types)).flatmap(
        lambda a: leaves("attr", a, schema.attr_types[a])
    )
    kinds: list[st.SearchStrategy[Definition]] = [attrs, attrs, event_conditions(schema, chosen)]
    if "sequences" in chosen:
        kinds.append(sequences(schema))
    if "lifecycle" in chosen:
        kinds.append(lifecycle_conditions(schema))
    if "traits" in chosen:
        kinds.append(trait_conditions(schema, percentiles="percentiles" in chosen))
    if "percentiles" in chosen:
        numeric = sorted(a for a, t in schema.attr_types.items() if t in ("integer", "float"))
        kinds.append(st.sampled_from(numeric).flatmap(lambda a: percentile_leaves("attr", a)))
    if references:
        kinds.append(
            st.builds(
                lambda k, n: {k: n},
                st.sampled_from(("in_segment", "not_in_segment")),
                st.sampled_from(list(references)),
            )
        )
    return _tree(depth, st.one_of(kinds))


@st.composite
def definitions(
    draw: Draw,
    world_schema: Schema = SCHEMA,
    depth: int = 3,
    references: Sequence[str] = (),
    name: str = "target",
    extensions: Collection[str] = (),
) -> Definition:
    """A whole segment file as YAML parses it: metadata plus one ``where``."""
    definition: Definition = {"name": name}
    if draw(st.booleans()):
        definition["description"] = "generated"
        definition["owner"] = "tests"
    definition["where"] = draw(conditions(world_schema, depth, references, extensions))
    return definition


@st.composite
def segment_families(
    draw: Draw, schema: Schema = SCHEMA, depth: int = 2, extensions: Collection[str] = ()
) -> tuple[dict[str, Definition], str]:
    """Segments that reference earlier ones (acyclic) and the static segment.

    Returns every definition by name (``STATIC_SEGMENT`` is ``kind: static``;
    its members are ``World.static_members``) and the name of the last one.
    """
    family: dict[str, Definition] = {STATIC_SEGMENT: {"name": STATIC_SEGMENT, "kind": "static"}}
    size = draw(st.integers(1, 4))
    for index in range(size):
        name = f"seg_{index}"
        family[name] = draw(definitions(schema, depth, list(family), name, extensions))
    return family, f"seg_{size - 1}"
