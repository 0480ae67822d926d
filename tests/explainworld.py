"""Reference worlds bound as a lake for explain's property tests: the lake, its catalog
and explain's answer for every contact (tests/test_explain.py, tests/test_explain_chain.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from duckseg.api.explain import ExplainNode, _node
from duckseg.compiler.explain import ExplainPlan
from duckseg.db import cursor as connect
from duckseg.engines.duckdb import bind_lake, read_catalog
from duckseg.types import Catalog
from tests.cases import cell
from tests.reference import strategies as refs
from tests.reference.evaluator import World
from tests.test_differential import _table

EXAMPLES = int(
    os.environ.get("DUCKSEG_EXAMPLES", "1500" if os.environ.get("DUCKSEG_FUZZ") == "1" else "60")
)


def bind_world(world: World, tmp: Path) -> duckdb.DuckDBPyConnection:
    """A connection with the world's contacts, events and static lists bound as the lake."""
    people = {cid: dict(attrs) for cid, attrs in world.contacts.items()}
    for event in world.events:
        people.setdefault(event["contact_id"], {})
    contacts = _table(
        [{"contact_id": cid, **attrs} for cid, attrs in people.items()],
        world.attr_types,
        pa.string(),
    )
    rows = [dict(e) for e in world.events]
    events = _table(rows, world.prop_types, pa.string())
    events = events.append_column("event", pa.array([e["event"] for e in rows], pa.string()))
    events = events.append_column(
        "ts", pa.array([cell(e["ts"], "timestamp") for e in rows], pa.timestamp("us"))
    )
    pq.write_table(contacts, tmp / "contacts.parquet")
    pq.write_table(events, tmp / "events.parquet")
    static = []
    for name, ids in world.static_members.items():
        pq.write_table(
            pa.table({"contact_id": pa.array(sorted(ids), pa.string())}), tmp / f"s-{name}.parquet"
        )
        static.append((name, tmp / f"s-{name}.parquet"))
    con = connect()
    bind_lake(con, [tmp / "contacts.parquet"], [tmp / "events.parquet"], static)
    return con


def world_catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    """The bound lake's catalog, knowing every event name the generator may draw."""
    seen = read_catalog(con)
    return Catalog(seen.attributes, seen.properties, frozenset(refs.EVENT_NAMES) | seen.event_names)


def explain_each(
    con: duckdb.DuckDBPyConnection, plan: ExplainPlan
) -> Iterator[tuple[str, ExplainNode]]:
    """Every contact of the lake with explain's tree for it."""
    sql = plan.query.sql("duckdb")
    for (cid,) in con.execute("SELECT contact_id FROM contacts").fetchall():
        cursor = con.execute(sql, plan.parameters(cid))
        names = [d[0] for d in cursor.description or []]
        (row,) = cursor.fetchall()
        yield cid, _node(plan.root, dict(zip(names, row, strict=True)))
