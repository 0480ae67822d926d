"""A tiny lake built in memory for compiler tests: Parquet files + DuckDB views, no landing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from duckseg import Segment
from duckseg.compiler import compile_build, to_sql
from duckseg.db import cursor as connect
from duckseg.db import regex_error
from duckseg.engines.duckdb import bind_lake, read_catalog
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext
from duckseg.lang.traits import TraitDefinition

AS_OF = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


@dataclass
class MiniLake:
    con: duckdb.DuckDBPyConnection
    zone: str = "UTC"
    segments: Mapping[str, Segment] | None = None
    traits: Mapping[str, TraitDefinition] | None = None

    def resolver(self) -> Resolver:
        segs = dict(self.segments or {})
        return Resolver(
            read_catalog(self.con),
            self.zone,
            segs.get,
            list(segs),
            regex_error=regex_error,
            traits=self.traits,
        )

    def sql(self, where: Any, as_of: datetime = AS_OF, dialect: str = "duckdb") -> str:
        seg = Segment.from_dict({"name": "t", "where": where})
        tree = self.resolver().resolve(seg).tree
        assert tree is not None
        build = compile_build({"t": tree}, TimeContext.create(as_of, self.zone), dialect)
        return to_sql(build.standalone("t"), dialect)

    def members(self, where: Any, as_of: datetime = AS_OF) -> set[Any]:
        return {r[0] for r in self.con.execute(self.sql(where, as_of)).fetchall()}

    def query(self, sql: str, params: Sequence[Any] = ()) -> set[Any]:
        return {r[0] for r in self.con.execute(sql, list(params)).fetchall()}


def make_lake(
    tmp: Path,
    contacts: pa.Table,
    events: pa.Table,
    zone: str = "UTC",
    static: Mapping[str, Sequence[Any]] | None = None,
    segments: Mapping[str, Segment] | None = None,
    traits: Mapping[str, Any] | None = None,
) -> MiniLake:
    """A lake of `contacts` and `events`; `traits` are trait files by name, as YAML reads them."""
    tmp.mkdir(parents=True, exist_ok=True)
    pq.write_table(contacts, tmp / "contacts.parquet")
    pq.write_table(events, tmp / "events.parquet", row_group_size=4)
    static_files = []
    for name, ids in (static or {}).items():
        path = tmp / f"static-{name}.parquet"
        pq.write_table(
            pa.table({"contact_id": pa.array(list(ids), contacts.schema.field("contact_id").type)}),
            path,
        )
        static_files.append((name, path))
    con = connect()
    bind_lake(con, [tmp / "contacts.parquet"], [tmp / "events.parquet"], static_files)
    known = dict(segments or {})
    for name in static or {}:
        known[name] = Segment.from_dict({"name": name, "kind": "static"})
    definitions = {
        name: TraitDefinition.from_dict(body, f"traits/{name}.yaml", name)
        for name, body in (traits or {}).items()
    }
    return MiniLake(con, zone, known, definitions)
