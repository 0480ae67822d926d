"""Property-based differential tests: compiled SQL on DuckDB vs the independent reference evaluator.

Random worlds (contacts with every attribute type, events on window edges and
after as_of, missing and empty values) and random valid definitions of every
condition kind, nested and referencing each other. The members must be equal.
`make test` runs a moderate number of examples; `make fuzz` runs thousands.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings

from duckseg import Segment
from duckseg.compiler import compile_build
from duckseg.db import cursor as connect
from duckseg.db import regex_error
from duckseg.engines.duckdb import bind_lake, read_catalog
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext
from duckseg.types import Catalog
from tests.cases import ARROW_TYPES, EXAMPLES, cell
from tests.reference import strategies as refs
from tests.reference.evaluator import World, evaluate


def _table(rows: list[dict[str, Any]], columns: dict[str, str], id_type: pa.DataType) -> pa.Table:
    arrays = {"contact_id": pa.array([r["contact_id"] for r in rows], id_type)}
    for name, kind in columns.items():
        arrays[name] = pa.array([cell(r.get(name), kind) for r in rows], ARROW_TYPES[kind])
    return pa.table(arrays)


def run_engine(
    world: World, definitions: dict[str, dict[str, Any]], target: str, as_of: datetime, tmp: Path
) -> set[Any]:
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
    try:
        bind_lake(con, [tmp / "contacts.parquet"], [tmp / "events.parquet"], static)
        seen = read_catalog(con)
        # Every event name the definitions may use is known, even if no event of it was drawn.
        catalog = Catalog(
            seen.attributes, seen.properties, frozenset(refs.EVENT_NAMES) | seen.event_names
        )
        segs = {
            name: Segment.from_dict({"name": name, **body}) for name, body in definitions.items()
        }
        for name in world.static_members:
            segs.setdefault(name, Segment.from_dict({"name": name, "kind": "static"}))
        resolver = Resolver(catalog, world.zone, segs.get, list(segs), regex_error=regex_error)
        tree = resolver.resolve(segs[target]).tree
        assert tree is not None
        build = compile_build({target: tree}, TimeContext.create(as_of, world.zone))
        sql = build.standalone(target).sql("duckdb")
        return {row[0] for row in con.execute(sql).fetchall()}
    finally:
        con.close()


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


def test_types_cover_the_reference_schema() -> None:
    assert set(refs.ATTR_TYPES.values()) | set(refs.PROP_TYPES.values()) <= set(ARROW_TYPES)
