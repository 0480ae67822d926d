"""The plan of a landing and its queries: lake columns, their types, upserts.

Plan columns get internal names `k0`, `k1`, ... (in lake order: the key
columns first). The per-source query `checks.typed_select` turns table
`src_<i>` into table `typed_<i>`: those columns, for each non-text one its
original text `r<key>`, the row's `__row`, whether it is `__bad`, its
`__reason` (NULL for a good row) and `__reason_key` (its first problem, for
counting). The builders here (and those of an events landing, in events.py)
read those tables; none of them runs anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
from sqlglot import exp

from duckseg.db import union_all
from duckseg.errors import InputError, did_you_mean
from duckseg.ingest.readers import Flavour, Source, SourceColumn
from duckseg.ingest.values import INFERENCE_ORDER, infer_flags, keeps_text, lake_type_for
from duckseg.types import EVENT_KEY_COLUMNS, ValueType, value_type_of

REQUIRED = {"contacts": ("contact_id",), "events": ("contact_id", "event", "ts")}
FIXED_EVENT_TYPES = {"event": "VARCHAR", "ts": "TIMESTAMP", "event_id": "VARCHAR"}
REJECTS_COLUMNS = ("_reject_reason", "_source_file", "_source_row")


@dataclass(frozen=True)
class Column:
    name: str  # spelling in the lake
    type: str  # DuckDB type in the lake
    key: str  # internal name in the work tables
    in_lake: bool  # already a column of the lake's current files


@dataclass(frozen=True)
class Plan:
    kind: str
    columns: tuple[Column, ...]
    mapping: Mapping[int, Mapping[str, SourceColumn]]  # source index -> column key -> column
    required: frozenset[str]  # keys of the required columns

    def present(self, source: Source) -> set[str]:
        return set(self.mapping[source.index])

    def find(self, name: str) -> Column | None:
        return self._by_name.get(name.casefold())

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        found: dict[str, Column] = {}
        for c in self.columns:
            found.setdefault(c.name.casefold(), c)
        return found

    def new_names(self) -> tuple[str, ...]:
        """Attributes (or properties) that this landing adds to the lake."""
        keys = ("contact_id",) if self.kind == "contacts" else EVENT_KEY_COLUMNS
        return tuple(c.name for c in self.columns if not c.in_lake and c.name not in keys)


def lake_schema(con: duckdb.DuckDBPyConnection, files: Sequence[Path], view: str) -> list[Column]:
    """The columns of the live files of one kind, bound as view `view` (none: no view)."""
    if not files:
        return []
    rel = con.read_parquet([str(p) for p in files], union_by_name=True)
    rel.create_view(view)
    return [
        Column(name, str(dtype), "", True)
        for name, dtype in zip(rel.columns, rel.types, strict=True)
    ]


def build_plan(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    sources: Sequence[Source],
    contacts_lake: Sequence[Column],
    events_lake: Sequence[Column],
) -> Plan:
    required = REQUIRED[kind]
    _check_columns(kind, sources, required)
    lake = {c.name.casefold(): c for c in (contacts_lake if kind == "contacts" else events_lake)}
    fixed = dict(FIXED_EVENT_TYPES) if kind == "events" else {}
    id_lake = next((c for c in contacts_lake if c.name == "contact_id"), None)
    if id_lake is not None:
        fixed["contact_id"] = id_lake.type

    # Names in lake order: key columns, then (contacts) every lake attribute, then new ones.
    names: dict[str, str] = {name: name for name in required}
    if kind == "events" and any(s.find("event_id") for s in sources):
        names["event_id"] = "event_id"
    if kind == "contacts":
        names |= {fold: c.name for fold, c in lake.items() if fold not in names}
    for source in sources:
        for own in source.columns:
            fold = own.name.casefold()
            names.setdefault(fold, lake[fold].name if fold in lake else own.name)

    to_infer = [fold for fold in names if fold not in lake and fold not in fixed]
    flags = {
        s.index: infer_flags(con, s, [sc for f in to_infer if (sc := s.find(f)) is not None])
        for s in sources
    }
    columns: list[Column] = []
    mapping: dict[int, dict[str, SourceColumn]] = {s.index: {} for s in sources}
    for n, (fold, name) in enumerate(names.items()):
        key = f"k{n}"
        if fold in fixed:
            dtype = fixed[fold]
        elif fold in lake:
            dtype = lake[fold].type
        else:
            allowed = ("BIGINT",) if fold == "contact_id" else INFERENCE_ORDER
            dtype = _infer(fold, sources, flags, allowed)
        columns.append(Column(name, dtype, key, fold in lake))
        for source in sources:
            match = source.find(fold)
            if match is not None:
                mapping[source.index][key] = match
    required_keys = frozenset(c.key for c in columns if c.name in required)
    return Plan(kind, tuple(columns), mapping, required_keys)


def _check_columns(kind: str, sources: Sequence[Source], required: Sequence[str]) -> None:
    for source in sources:
        found = [c.name for c in source.columns]
        for name in required:
            if source.find(name) is None:
                hint = did_you_mean(name, found) or "columns found: " + ", ".join(found[:20])
                raise InputError.single(
                    source.label, f"missing required column {name!r} for {kind}", hint=hint
                )
        for name in found:
            if name.casefold() in REJECTS_COLUMNS:
                raise InputError.single(
                    source.label,
                    f"column name {name!r} is reserved for the rejects file",
                    hint="rename the column",
                )


def _infer(
    fold: str,
    sources: Sequence[Source],
    flags: Mapping[int, Mapping[str, tuple[int, set[str]]]],
    allowed: Sequence[str],
) -> str:
    """The type of a new column: a Parquet input's own type, else the most specific that fits."""
    found = [(s, sc) for s in sources if (sc := s.find(fold)) is not None]
    typed = [sc for _, sc in found if sc.flavour is Flavour.TYPED]
    if typed:
        dtype = lake_type_for(typed[0].duckdb_type)
        if allowed == ("BIGINT",):  # contact_id: integer or text, nothing else
            return "BIGINT" if value_type_of(dtype) is ValueType.INTEGER else "VARCHAR"
        return dtype
    values, fits = 0, set(allowed)
    for source, sc in found:
        count, ok = flags[source.index][sc.internal]
        values += count
        fits &= ok
    if values == 0:
        return "VARCHAR"
    return next((t for t in allowed if t in fits), "VARCHAR")


# -- queries over the typed tables ---------------------------------------------------


def raw_key(column: Column) -> str:
    return "r" + column.key


def _raw_of(source: Source, plan: Plan, column: Column) -> exp.Expr:
    """A typed table's original text of a column: its own `r<key>`, or the value itself
    where the value is the text."""
    if column.key not in plan.mapping[source.index]:
        return exp.cast(exp.null(), "VARCHAR")
    return exp.column(column.key if keeps_text(column.type) else raw_key(column))


def typed_table(source: Source) -> exp.Table:
    return exp.to_table(f"typed_{source.index}")


def _good(source: Source) -> exp.Select:
    return exp.select("*").from_(typed_table(source)).where("NOT __bad")


def typed_null(dtype: str, key: str) -> exp.Expr:
    return exp.alias_(exp.cast(exp.null(), dtype), key)


def union_all_of(parts: Sequence[exp.Select], alias: str) -> exp.Select:
    """SELECT * from the UNION ALL of `parts`, as a subquery named `alias`."""
    return exp.select("*").from_(exp.Subquery(this=union_all(parts), alias=alias))


def row_number_over(partition: exp.Expr, *order: exp.Expr) -> exp.Window:
    return exp.Window(
        this=exp.RowNumber(), partition_by=[partition], order=exp.Order(expressions=list(order))
    )


def reject_counts(source: Source) -> exp.Select:
    return (
        exp.select("__reason_key", "count(*)")
        .from_(typed_table(source))
        .where("__bad")
        .group_by("__reason_key")
    )


def first_rejects(source: Source, limit: int) -> exp.Select:
    return (
        exp.select("__row", "__reason")
        .from_(typed_table(source))
        .where("__bad")
        .order_by("__row")
        .limit(limit)
    )


def contacts_columns(id_type: str, contacts_lake: Sequence[Column]) -> list[Column]:
    """The contacts table's columns when only contact_ids are added (events landing)."""
    columns = [Column("contact_id", id_type, "k0", bool(contacts_lake))]
    attributes = [c for c in contacts_lake if c.name != "contact_id"]
    return columns + [
        Column(c.name, c.type, f"k{n}", True) for n, c in enumerate(attributes, start=1)
    ]


def contacts_start(columns: Sequence[Column], has_lake: bool) -> exp.Select:
    """The lake's contacts (view lake_contacts) in plan columns, new ones NULL."""
    select = exp.select(
        *(
            exp.alias_(exp.column(c.name, quoted=True), c.key)
            if c.in_lake
            else typed_null(c.type, c.key)
            for c in columns
        )
    )
    return select.from_("lake_contacts") if has_lake else select.where(exp.false())


def latest_per_contact(source: Source, plan: Plan) -> exp.Select:
    """A source's good rows, the last one per contact_id.

    The last `__row` of each contact is found on the narrow (id, row) pairs; the wide rows
    are only filtered by it, never sorted or partitioned with all their columns.
    """
    last = (
        exp.select(exp.Max(this=exp.column("__row")))
        .from_(typed_table(source))
        .where("NOT __bad")
        .group_by(exp.column(plan.columns[0].key))
    )
    return _good(source).where(exp.column("__row").isin(query=last), copy=False)


def first_contacts(source: Source, plan: Plan) -> exp.Select:
    """The contacts when there are none yet: `source`'s latest rows, in plan columns."""
    present = plan.present(source)
    return exp.select(
        *(
            exp.column(c.key) if c.key in present else typed_null(c.type, c.key)
            for c in plan.columns
        ),
        copy=False,
    ).from_(latest_per_contact(source, plan).subquery("latest", copy=False), copy=False)


def upsert(columns: Sequence[Column], current: str, batch: str, present: set[str]) -> exp.Query:
    """`current` with the rows of table `batch` (one per contact_id) applied: present columns
    set (NULL included), others kept.

    The contacts the batch does not name, then the batch's rows, each joined to its current
    row only when the batch lacks a column. Plain column references only: a conditional
    per column costs DuckDB's binder the square of the width.
    """
    id_key = columns[0].key
    same_id = exp.EQ(this=exp.column(id_key, "c"), expression=exp.column(id_key, "b"))
    in_batch = exp.Exists(
        this=exp.select(exp.Literal.number(1))
        .from_(exp.alias_(exp.to_table(batch), "b", table=True), copy=False)
        .where(same_id.copy(), copy=False)
    )
    untouched = (
        exp.select(*(exp.column(c.key, "c") for c in columns), copy=False)
        .from_(exp.alias_(exp.to_table(current), "c", table=True), copy=False)
        .where(exp.Not(this=in_batch), copy=False)
    )
    missing = any(c.key not in present for c in columns[1:])
    applied = exp.select(
        *(
            exp.alias_(exp.column(c.key, "b" if c.key in present or n == 0 else "c"), c.key)
            for n, c in enumerate(columns)
        ),
        copy=False,
    ).from_(exp.alias_(exp.to_table(batch), "b", table=True), copy=False)
    if missing:
        applied = applied.join(
            exp.alias_(exp.to_table(current), "c", table=True),
            on=same_id,
            join_type="left",
            copy=False,
        )
    return exp.union(untouched, applied, distinct=False, copy=False)


def contacts_output(columns: Sequence[Column], table: str | exp.Expr) -> exp.Select:
    """The contacts file: lake names, sorted by contact_id."""
    return (
        exp.select(*(exp.alias_(exp.column(c.key), c.name, quoted=True) for c in columns))
        .from_(table, copy=False)
        .order_by(exp.column(columns[0].key))
    )


def rejects_output(sources: Sequence[Source], plan: Plan) -> exp.Select:
    """Every rejected row: its values as text, the reason, the file and the row number."""
    parts = []
    for source in sources:
        parts.append(
            exp.select(
                *(exp.alias_(_raw_of(source, plan, c), raw_key(c)) for c in plan.columns),
                exp.alias_(exp.column("__reason"), "_reject_reason"),
                exp.alias_(exp.Literal.string(source.label), "_source_file"),
                exp.alias_(exp.column("__row"), "_source_row"),
                exp.alias_(exp.Literal.number(source.index), "__file"),
            )
            .from_(typed_table(source))
            .where("__bad")
        )
    rejected = union_all_of(parts, "rejected")
    return (
        exp.select(
            *(exp.alias_(exp.column(raw_key(c)), c.name, quoted=True) for c in plan.columns),
            *REJECTS_COLUMNS,
        )
        .from_(exp.Subquery(this=rejected, alias="r"))
        .order_by("__file", "_source_row")
    )
