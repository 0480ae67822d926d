"""Property-based differential tests: compiled SQL on DuckDB vs the independent reference evaluator.

Random worlds (contacts with every attribute type, events on window edges and
after as_of, missing and empty values) and random valid definitions of every
condition kind, nested and referencing each other. The members must be equal.
`make test` runs a moderate number of examples; `make fuzz` runs thousands.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings

from duckseg import Segment
from duckseg.compiler import compile_build, compile_traits
from duckseg.db import cursor as connect
from duckseg.db import regex_error
from duckseg.engines.duckdb import bind_lake, read_catalog
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext
from duckseg.lang.traits import TraitDefinition
from duckseg.types import Catalog
from tests.cases import ARROW_TYPES, EXAMPLES, cell
from tests.reference import strategies as refs
from tests.reference.evaluator import World, evaluate, trait_values


def _table(rows: list[dict[str, Any]], columns: dict[str, str], id_type: pa.DataType) -> pa.Table:
    arrays = {"contact_id": pa.array([r["contact_id"] for r in rows], id_type)}
    for name, kind in columns.items():
        arrays[name] = pa.array([cell(r.get(name), kind) for r in rows], ARROW_TYPES[kind])
    return pa.table(arrays)


def _bind_world(world: World, tmp: Path) -> tuple[Any, Catalog, dict[str, TraitDefinition]]:
    """The world written as lake files and bound on a new connection, with its catalog and
    trait files."""
    # As a landing does, an event whose contact_id is unknown creates that contact (no attributes).
    people = {cid: dict(attrs) for cid, attrs in world.contacts.items()}
    for event in world.events:
        people.setdefault(event["contact_id"], {})
    contacts = _table(
        [{"contact_id": cid, **attrs} for cid, attrs in people.items()],
        world.attr_types,
        pa.string(),
    )
    event_rows = [dict(e) for e in world.events]
    events = _table(event_rows, world.prop_types, pa.string())
    events = events.append_column("event", pa.array([e["event"] for e in event_rows], pa.string()))
    events = events.append_column(
        "ts", pa.array([cell(e["ts"], "timestamp") for e in event_rows], pa.timestamp("us"))
    )
    tmp.mkdir(parents=True, exist_ok=True)
    pq.write_table(contacts, tmp / "contacts.parquet")
    pq.write_table(events, tmp / "events.parquet")
    static = []
    for name, ids in world.static_members.items():
        pq.write_table(
            pa.table({"contact_id": pa.array(sorted(ids), pa.string())}),
            tmp / f"static-{name}.parquet",
        )
        static.append((name, tmp / f"static-{name}.parquet"))
    con = connect()
    bind_lake(con, [tmp / "contacts.parquet"], [tmp / "events.parquet"], static)
    seen = read_catalog(con)
    # Every event name the definitions may use is known, even if no event of it was drawn.
    catalog = Catalog(
        seen.attributes, seen.properties, frozenset(refs.EVENT_NAMES) | seen.event_names
    )
    traits = {
        name: TraitDefinition.from_dict(body, f"traits/{name}.yaml", name)
        for name, body in world.traits.items()
    }
    return con, catalog, traits


def run_engine(
    world: World, definitions: dict[str, dict[str, Any]], target: str, as_of: datetime, tmp: Path
) -> set[Any]:
    con, catalog, traits = _bind_world(world, tmp)
    try:
        segs = {
            name: Segment.from_dict({"name": name, **body}) for name, body in definitions.items()
        }
        for name in world.static_members:
            segs.setdefault(name, Segment.from_dict({"name": name, "kind": "static"}))
        resolver = Resolver(
            catalog, world.zone, segs.get, list(segs), regex_error=regex_error, traits=traits
        )
        tree = resolver.resolve(segs[target]).tree
        assert tree is not None
        build = compile_build({target: tree}, TimeContext.create(as_of, world.zone))
        sql = build.standalone(target).sql("duckdb")
        return {row[0] for row in con.execute(sql).fetchall()}
    finally:
        con.close()


def engine_trait_values(world: World, as_of: datetime, tmp: Path) -> dict[str, dict[Any, Any]]:
    """Every trait of the world per contact, from the SQL `duckseg traits` runs."""
    con, catalog, traits = _bind_world(world, tmp)
    try:
        resolver = Resolver(catalog, world.zone, {}.get, [], traits=traits)
        resolved = [resolver.resolve_trait(name) for name in sorted(traits)]
        query = compile_traits(resolved, TimeContext.create(as_of, world.zone))
        rows = con.execute(query.sql("duckdb")).fetchall()
    finally:
        con.close()
    return {trait.name: {row[0]: row[i + 1] for row in rows} for i, trait in enumerate(resolved)}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=refs.worlds(), family=refs.segment_families())
def test_compiled_sql_matches_reference(
    world: World, family: tuple[dict[str, dict[str, Any]], str]
) -> None:
    definitions, target = family
    expected = evaluate(definitions[target], world, refs.AS_OF, definitions)
    with tempfile.TemporaryDirectory() as tmp:
        got = run_engine(world, definitions, target, refs.AS_OF, Path(tmp))
    assert got == expected, (
        f"zone {world.zone}, definition {definitions[target]}: "
        f"engine {sorted(got)} vs reference {sorted(expected)}"
    )


TRAIT_EXTENSIONS = frozenset({"traits", "percentiles"})


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    world=refs.worlds(extensions=TRAIT_EXTENSIONS),
    family=refs.segment_families(extensions=TRAIT_EXTENSIONS),
)
def test_traits_and_percentiles_match_reference(
    world: World, family: tuple[dict[str, dict[str, Any]], str]
) -> None:
    """Traits of every fn (ties at one instant, contacts without events), percentiles with
    ties, NaN and missing values, nested segments that read them."""
    definitions, target = family
    expected = evaluate(definitions[target], world, refs.AS_OF, definitions)
    with tempfile.TemporaryDirectory() as tmp:
        got = run_engine(world, definitions, target, refs.AS_OF, Path(tmp))
    assert got == expected, (
        f"zone {world.zone}, traits {world.traits}, definition {definitions[target]}: "
        f"engine {sorted(got)} vs reference {sorted(expected)}"
    )


@settings(
    max_examples=max(EXAMPLES // 3, 20),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=refs.worlds(extensions=TRAIT_EXTENSIONS))
def test_trait_values_match_reference(world: World) -> None:
    """Every contact's value of every drawn trait, as `duckseg traits` computes them."""
    expected = trait_values(world, refs.AS_OF)
    with tempfile.TemporaryDirectory() as tmp:
        got = engine_trait_values(world, refs.AS_OF, Path(tmp))
    assert got.keys() == expected.keys()
    for name, per_contact in expected.items():
        for cid, value in per_contact.items():
            assert _same(got[name][cid], value), (name, cid, got[name][cid], value, world.traits)


def _same(got: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(got, float):
        return (got != got and expected != expected) or got == expected
    if isinstance(expected, datetime) and isinstance(got, datetime):
        return got.replace(tzinfo=UTC) == expected.astimezone(UTC)
    return bool(got == expected)


def test_types_cover_the_reference_schema() -> None:
    assert set(refs.ATTR_TYPES.values()) | set(refs.PROP_TYPES.values()) <= set(ARROW_TYPES)
