"""The generators give valid, YAML-stable definitions, and the reference keeps its laws on them.

Few examples each: this checks the tools, it is not the differential test.
"""

from __future__ import annotations

from datetime import timedelta

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference.evaluator import ContactId, World, evaluate
from tests.reference.strategies import (
    AS_OF,
    STATIC_SEGMENT,
    Definition,
    conditions,
    event_conditions,
    segment_families,
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
