"""A workspace's traits: the `traits/` folder, and every contact's values at an as_of.

A trait file is `traits/NAME.yaml` (docs/language.md, "Traits"); every problem in
every file is reported together, each naming its file and the path inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg.compiler.sqlbuild import KEY
from duckseg.engines.duckdb import TRAITS, bind_traits
from duckseg.errors import DefinitionError, Problem, did_you_mean
from duckseg.ingest.profile import profile, profile_attributes, profile_events
from duckseg.lang.describe import describe_trait
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext
from duckseg.lang.traits import TraitDefinition, trait_files

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace


def load_traits(
    root: Path, source: Callable[[Path], str]
) -> tuple[dict[str, TraitDefinition], dict[str, list[Problem]]]:
    """Every trait file of the workspace: those parsed, and the problems of the others by
    name (reported where a definition reads that trait, and by `duckseg check`)."""
    found: dict[str, TraitDefinition] = {}
    broken: dict[str, list[Problem]] = {}
    for name, path in trait_files(root).items():
        try:
            found[name] = TraitDefinition.from_yaml(path, source(path))
        except DefinitionError as exc:
            broken[name] = list(exc.problems)
    return found, broken


def chosen(resolver: Resolver, names: Sequence[str] | None, flag: str = "--traits") -> list[str]:
    """The trait names asked for (all when None); an unknown one is a definition error, and
    so is a trait file that does not parse."""
    known = sorted([*resolver.traits, *resolver.broken_traits])
    if names is None:
        return known
    for name in names:
        if name not in known:
            raise DefinitionError(
                [Problem(flag, "", f"unknown trait {name}", did_you_mean(name, known))]
            )
    return list(dict.fromkeys(names))


def trait_values(
    con: duckdb.DuckDBPyConnection,
    resolver: Resolver,
    ctx: TimeContext,
    names: Sequence[str] | None = None,
) -> pa.Table:
    """contact_id and one column per trait at `ctx.as_of`, by contact_id."""
    problems: list[Problem] = []
    traits = []
    for name in chosen(resolver, names):
        if name in resolver.broken_traits:
            problems.extend(resolver.broken_traits[name])
            continue
        try:
            traits.append(resolver.resolve_trait(name))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DefinitionError(problems)
    table = bind_traits(con, traits, ctx)
    query = exp.select(exp.Star()).from_(exp.to_table(table)).order_by(exp.column(KEY, quoted=True))
    return con.sql(query.sql("duckdb")).to_arrow_table()


def as_polars(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def profile_traits(
    con: duckdb.DuckDBPyConnection, resolver: Resolver, ctx: TimeContext
) -> list[dict[str, Any]]:
    """`duckseg attributes` rows for the traits at `ctx.as_of`, marked as traits."""
    if not resolver.traits:
        return []
    trait_values(con, resolver, ctx)
    rows = profile(con, TRAITS, skip=(KEY,))
    for row in rows:
        row["kind"] = "trait"
        row["description"] = resolver.traits[row["name"]].description
    return rows


def listing(resolver: Resolver) -> list[dict[str, Any]]:
    """Each trait: name, type, description, file and what it computes in words."""
    out = []
    for name in sorted(resolver.traits):
        definition = resolver.traits[name]
        trait = resolver.resolve_trait(name)
        out.append(
            {
                "name": name,
                "type": trait.type.value,
                "description": definition.description,
                "file": definition.source,
                "computes": describe_trait(trait),
            }
        )
    return out


def write_parquet(table: pa.Table, path: Path) -> None:
    """The file whole or not at all: written beside its place, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        pq.write_table(table, partial, compression="zstd")
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def values(
    ws: Workspace, as_of: datetime | date | str | None = None, names: Sequence[str] | None = None
) -> pl.DataFrame:
    """Every contact's `contact_id` and one column per trait (or the traits named) at `as_of`."""
    ctx = ws.time_context(as_of)
    con = ws.connect()
    try:
        resolver = ws.resolver(ws.read_catalog(con))
        table = trait_values(con, resolver, ctx, names)
    finally:
        con.close()
    return as_polars(table)


def attributes(ws: Workspace, events: bool = False) -> list[dict[str, Any]]:
    """Attributes and traits (at now), or event properties: type, fill rate, top values."""
    con = ws.connect()
    try:
        if events:
            return profile_events(con)
        rows = [{**row, "kind": "attribute"} for row in profile_attributes(con)]
        resolver = ws.resolver(ws.read_catalog(con))
        return rows + profile_traits(con, resolver, ws.time_context())
    finally:
        con.close()
