"""csv / parquet exports: snapshot members with their current attributes (and the traits
named in --columns, at the snapshot's as_of).

These are files for campaign tools and analysts, not ad-platform uploads:
values are written as stored (nothing normalised or hashed) and `[consent]
exclude_when` does not remove anyone (the manifest still says how many
members match it). The queries read three relations bound on the connection:
`snapshot_members` (the snapshot's contact_ids), `contacts`, and, for a
changes export, `previous_members` (the contact_ids of the last export).
DuckDB writes the file itself, so no row ever becomes a Python object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import duckdb
from sqlglot import exp

from duckseg.compiler.sqlbuild import CONTACTS, KEY
from duckseg.db import union_all
from duckseg.engines.duckdb import TRAITS
from duckseg.errors import InputError, did_you_mean
from duckseg.export.writer import WrittenFile

FORMATS = ("csv", "parquet")
MEMBERS = "snapshot_members"
PREVIOUS = "previous_members"
CHANGE = "change"
ADD, REMOVE = "add", "remove"
_READ_CHUNK = 1 << 20


def parse_columns(columns: str | Sequence[str] | None) -> list[str] | None:
    """`--columns a,b` (or a list) as names; None or nothing given means all."""
    if columns is None:
        return None
    names = columns.split(",") if isinstance(columns, str) else list(columns)
    names = [n.strip() for n in names if n.strip()]
    return list(dict.fromkeys(names)) or None


def choose_columns(
    requested: Sequence[str] | None,
    attributes: Mapping[str, object],
    traits: Collection[str] = (),
) -> list[str]:
    """The attribute (and trait) columns to write after contact_id; unknown names are input
    errors. Without --columns, every attribute: traits are written when named."""
    known = [name for name in attributes if name != KEY]
    if requested is None:
        return known
    unknown = [n for n in requested if n != KEY and n not in attributes and n not in traits]
    if unknown:
        names = [*known, *traits]
        raise InputError.single(
            "--columns",
            f"unknown attribute or trait {unknown[0]}",
            hint=did_you_mean(unknown[0], names) or f"attributes: {', '.join(known)}",
        )
    return [n for n in requested if n != KEY]


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _with_attributes(
    ids: exp.Query, columns: Sequence[str], change: str | None, traits: Collection[str]
) -> exp.Select:
    """contact_id (and the change) of each id in `ids`, with its current attributes and,
    for the columns in `traits`, its trait values from the table `contact_traits`."""
    d, c, t = "d", "c", "t"
    selected: list[exp.Expr] = []
    if change is not None:
        selected.append(exp.alias_(exp.Literal.string(change), CHANGE, quoted=True))
    selected.append(exp.alias_(_col(KEY, d), KEY, quoted=True))
    selected.extend(
        exp.alias_(_col(name, t if name in traits else c), name, quoted=True) for name in columns
    )
    query = (
        exp.select(*selected)
        .from_(ids.subquery(d))
        .join(
            exp.to_table(CONTACTS).as_(c),
            on=_col(KEY, c).eq(_col(KEY, d)),
            join_type="left",
        )
    )
    if any(name in traits for name in columns):
        on = _col(KEY, t).eq(_col(KEY, d))
        query = query.join(exp.to_table(TRAITS).as_(t), on=on, join_type="left")
    return query


def _ids(table: str) -> exp.Select:
    return exp.select(exp.column(KEY, quoted=True)).from_(exp.to_table(table))


def members_query(columns: Sequence[str], traits: Collection[str] = ()) -> exp.Select:
    """Every snapshot member with the chosen attributes and traits, by contact_id."""
    query = _with_attributes(_ids(MEMBERS), columns, None, traits)
    return query.order_by(exp.column(KEY, quoted=True))


def changes_query(columns: Sequence[str], traits: Collection[str] = ()) -> exp.Select:
    """Members added since the previous export, then members removed, each
    with a `change` column (add / remove) and current attributes and traits."""
    adds = _with_attributes(_ids(MEMBERS).except_(_ids(PREVIOUS)), columns, ADD, traits)
    removes = _with_attributes(_ids(PREVIOUS).except_(_ids(MEMBERS)), columns, REMOVE, traits)
    union = union_all([adds, removes])
    return (
        exp.select(exp.Star())
        .from_(union.subquery("u"))
        .order_by(exp.column(CHANGE, quoted=True), exp.column(KEY, quoted=True))
    )


def change_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(adds, removes) between `snapshot_members` and `previous_members`."""
    counts = []
    for first, second in ((MEMBERS, PREVIOUS), (PREVIOUS, MEMBERS)):
        diff = _ids(first).except_(_ids(second))
        query = exp.select(exp.func("count", exp.Star())).from_(diff.subquery("x"))
        counts.append(int(con.sql(query.sql("duckdb")).fetchall()[0][0]))
    return counts[0], counts[1]


def write_file(
    con: duckdb.DuckDBPyConnection, query: exp.Select, fmt: str, path: Path, rows: int
) -> WrittenFile:
    """Run `query` into one csv (UTF-8, header, Unix line endings) or Parquet file."""
    relation = con.sql(query.sql("duckdb"))
    if fmt == "csv":
        relation.write_csv(str(path), header=True)
    elif fmt == "parquet":
        relation.write_parquet(str(path), compression="zstd")
    else:  # pragma: no cover - the caller checks the format
        raise ValueError(f"not a tabular format: {fmt}")
    return WrittenFile(path.name, rows, file_sha256(path))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
