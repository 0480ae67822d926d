"""The generators give valid, YAML-stable definitions, and the reference keeps its laws on them.

Few examples each: this checks the tools, it is not the differential test.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from tests.reference.evaluator import (
    ContactId,
    World,
    evaluate,
    shift,
    trait_types,
    trait_values,
)
from tests.reference.strategies import (
    ALL_EXTENSIONS,
    AS_OF,
    STATIC_SEGMENT,
    TRAIT_TYPES,
    Definition,
    conditions,
    event_conditions,
    lifecycle_conditions,
    segment_families,
    sequences,
    trait_definitions,
    worlds,
)

SMALL = worlds(max_contacts=8, max_events=30)
QUICK = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _universe(world: World) -> set[ContactId]:
    found: set[ContactId] = set(world.contacts)
    for event in world.events:
        cid = event["contact_id"]
        assert isinstance(cid, str | int)
        found.add(cid)
    return found


def _where(where: object, world: World) -> set[ContactId]:
    return evaluate({"name": "probe", "where": where}, world, AS_OF)


@QUICK
@given(SMALL, segment_families())
def test_families_are_yaml_stable_and_valid(
    world: World, family: tuple[dict[str, Definition], str]
) -> None:
    definitions, target = family
    assert yaml.safe_load(yaml.safe_dump(definitions)) == definitions
    assert definitions[STATIC_SEGMENT] == {"name": STATIC_SEGMENT, "kind": "static"}
    for name, definition in definitions.items():
        assert evaluate(definition, world, AS_OF, definitions) <= _universe(world), name
    assert target in definitions


@QUICK
@given(SMALL, conditions(depth=2))
def test_not_is_the_exact_complement(world: World, where: Definition) -> None:
    inside, universe = _where(where, world), _universe(world)
    assert _where({"not": where}, world) == universe - inside
    assert _where({"any": [where, {"not": where}]}, world) == universe
    assert _where({"all": [where, {"not": where}]}, world) == set()


@QUICK
@given(SMALL, event_conditions())
def test_count_zero_is_not_performed(world: World, cond: Definition) -> None:
    if "performed" not in cond:
        return
    base = {k: v for k, v in cond.items() if k in ("performed", "where", "within")}
    zero = {**base, "count": {"op": "eq", "value": 0}}
    names = base.pop("performed")
    assert _where(zero, world) == _where({**base, "not_performed": names}, world)


@QUICK
@given(SMALL, conditions(depth=1), st.integers(1, 10**6))
def test_events_after_as_of_change_nothing(world: World, where: Definition, late: int) -> None:
    before = _where(where, world)
    moved = [
        {**e, "contact_id": e["contact_id"], "ts": AS_OF + timedelta(microseconds=late)}
        for e in world.events
    ]
    later = World(
        world.contacts,
        world.events + moved,
        world.attr_types,
        world.prop_types,
        world.zone,
        world.static_members,
    )
    assert _where(where, later) == before


# ------------------------------------------------ opt-in constructs (SPEC 6.8-6.11)

EXTENDED = worlds(max_contacts=8, max_events=30, extensions=ALL_EXTENSIONS)
STEADY = settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_NEW_KINDS = frozenset(
    {
        "sequence",
        "performed_regularly",
        "stopped_performing",
        "restarted_performing",
        "trait",
        "top_percent",
        "bottom_percent",
    }
)


def _walk(node: object) -> list[dict[str, object]]:
    """Every mapping inside a definition."""
    if isinstance(node, dict):
        return [node, *(m for v in node.values() for m in _walk(v))]
    if isinstance(node, list):
        return [m for v in node for m in _walk(v)]
    return []


def _draws_new_kinds(where: object) -> set[str]:
    found: set[str] = set()
    for node in _walk(where):
        found |= set(node) & _NEW_KINDS
        if node.get("op") in _NEW_KINDS:
            found.add(str(node["op"]))
        first_last = "first_performed" in node or "last_performed" in node
        if first_last and "within" in node and not isinstance(node["within"], str):
            found.add("first_last_windows")
    return found


@STEADY
@given(conditions(depth=3), worlds(max_contacts=3, max_events=5))
def test_default_strategies_draw_no_opt_in_construct(where: Definition, world: World) -> None:
    assert _draws_new_kinds(where) == set()
    assert world.traits == {}


@STEADY
@given(EXTENDED, segment_families(extensions=ALL_EXTENSIONS))
def test_extended_families_are_yaml_stable_and_valid(
    world: World, family: tuple[dict[str, Definition], str]
) -> None:
    definitions, _ = family
    assert yaml.safe_load(yaml.safe_dump(definitions)) == definitions
    assert yaml.safe_load(yaml.safe_dump(world.traits)) == world.traits
    for name, definition in definitions.items():
        assert evaluate(definition, world, AS_OF, definitions) <= _universe(world), name


@STEADY
@given(EXTENDED)
def test_generated_traits_have_their_declared_types(world: World) -> None:
    assert trait_types(world) == TRAIT_TYPES
    values = trait_values(world, AS_OF)
    python_types = {"integer": int, "float": int | float, "timestamp": datetime, "text": str}
    for name, typ in TRAIT_TYPES.items():
        assert set(values[name]) == _universe(world)
        present = [v for v in values[name].values() if v is not None]
        assert all(isinstance(v, python_types[typ]) for v in present), name


@STEADY
@given(EXTENDED, conditions(depth=2, extensions=ALL_EXTENSIONS))
def test_extended_not_is_the_exact_complement(world: World, where: Definition) -> None:
    inside, universe = _where(where, world), _universe(world)
    assert _where({"not": where}, world) == universe - inside
    assert _where({"any": [where, {"not": where}]}, world) == universe


@STEADY
@given(EXTENDED, conditions(depth=1, extensions=ALL_EXTENSIONS), st.integers(1, 10**6))
def test_extended_events_after_as_of_change_nothing(
    world: World, where: Definition, late: int
) -> None:
    moved = [{**e, "ts": AS_OF + timedelta(microseconds=late)} for e in world.events]
    later = replace(world, events=world.events + moved)
    assert _where(where, later) == _where(where, world)


@STEADY
@given(EXTENDED, lifecycle_conditions())
def test_one_period_of_regular_activity_is_performed_within(world: World, cond: Definition) -> None:
    # "period 1 is [b1, as_of] (exactly within: D)"
    if "performed_regularly" not in cond:
        return
    one = {**cond, "periods": 1, "min_periods": 1}
    performed = {
        "performed": cond["performed_regularly"],
        "within": cond["every"],
        "count": {"op": "gte", "value": cond.get("times", 1)},
        **({"where": cond["where"]} if "where" in cond else {}),
    }
    assert _where(one, world) == _where(performed, world)


@STEADY
@given(EXTENDED, trait_definitions("integer"), st.integers(0, 3))
def test_a_count_trait_is_a_performed_count(world: World, trait: Definition, n: int) -> None:
    counted = {**trait, "value": {"fn": "count"}}
    world = replace(world, traits={"counted": counted})
    performed = {k: v for k, v in counted.items() if k in ("where", "within")}
    performed["performed"] = counted["of"]
    performed["count"] = {"op": "gte", "value": n}
    assert _where({"trait": "counted", "op": "gte", "value": n}, world) == _where(performed, world)


@STEADY
@given(EXTENDED, sequences())
def test_a_sequence_needs_each_step_performed(world: World, cond: Definition) -> None:
    steps = cond["sequence"]
    assert isinstance(steps, list)
    inside = _where(cond, world)
    for step in steps:
        performed = {
            "performed": step["performed"],
            **({"where": step["where"]} if "where" in step else {}),
        }
        if "within" in cond:
            performed["within"] = cond["within"]
        assert inside <= _where(performed, world)


def test_every_opt_in_construct_is_drawn() -> None:
    seen: set[str] = set()

    @settings(STEADY, max_examples=150, phases=[Phase.generate])
    @given(
        conditions(depth=1, extensions=ALL_EXTENSIONS),
        event_conditions(extensions={"first_last_windows"}),
    )
    def collect(where: Definition, event: Definition) -> None:
        seen.update(_draws_new_kinds(where), _draws_new_kinds(event))

    collect()
    assert seen == _NEW_KINDS | {"first_last_windows"}


def _edges_in(world: World) -> set[str]:
    """Which edge cases of SPEC 6.8 to 6.10 a world's events hold."""
    found: set[str] = set()
    zone = ZoneInfo(world.zone)
    month_ago = shift(AS_OF, -1, "mo", zone)
    times: dict[object, list[tuple[datetime, dict[str, object]]]] = {}
    for event in world.events:
        ts = event["ts"]
        assert isinstance(ts, datetime)
        times.setdefault(event["contact_id"], []).append((ts, event))
        if ts == month_ago and world.zone != "UTC":
            found.add("month boundary in a zone")
    for pairs in times.values():
        for (a, ea), (b, eb) in itertools.combinations(pairs, 2):
            if a == b:
                found.add("same instant")
                both = ea.get("amount") is not None and eb.get("amount") is not None
                if both and ea["event"] == eb["event"] and ea["amount"] != eb["amount"]:
                    found.add("value tie")
            if abs(b - a) in (timedelta(hours=1), timedelta(days=1), timedelta(days=7)):
                found.add("exactly a gap apart")
    return found


@pytest.mark.parametrize(
    "edge", ["month boundary in a zone", "same instant", "value tie", "exactly a gap apart"]
)
def test_extended_worlds_hold_the_edge_cases(edge: str) -> None:
    """Each edge case turns up among the generated worlds (searched until found)."""
    world = find(
        worlds(max_contacts=8, max_events=40, extensions=ALL_EXTENSIONS),
        lambda w: edge in _edges_in(w),
        settings=settings(STEADY, max_examples=2000, phases=[Phase.generate]),
    )
    assert edge in _edges_in(world)


def test_unknown_extensions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown extensions"):
        conditions(extensions={"sequence"})
