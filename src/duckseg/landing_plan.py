"""The plan of a landing: which lake columns it writes, their types, and the row checks.

Plan columns get internal names `k0`, `k1`, ... (in lake order: the key
columns first); the per-source query `typed_select` turns a source table into
those columns plus, for each, its original text `r<key>`, and the row's
`__reason` (NULL for a good row) and `__reason_key` (its first problem, for
counting).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from duckseg.catalog import EVENT_KEY_COLUMNS, ValueType, value_type_of
from duckseg.errors import InputError, did_you_mean
from duckseg.readers import (
    INFERENCE_ORDER,
    Flavour,
    Source,
    SourceColumn,
    convert,
    infer_flags,
    lake_type_for,
    raw_text,
    type_words,
)

REQUIRED = {"contacts": ("contact_id",), "events": ("contact_id", "event", "ts")}
FIXED_EVENT_TYPES = {"event": "VARCHAR", "ts": "TIMESTAMP", "event_id": "VARCHAR"}
SHOWN_VALUE_CHARS = 80


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
        return next((c for c in self.columns if c.name.casefold() == name.casefold()), None)

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
    for source in sources:
        for name in required:
            if source.find(name) is None:
                found = [c.name for c in source.columns]
                hint = did_you_mean(name, found) or "columns found: " + ", ".join(found[:20])
                raise InputError.single(
                    source.label, f"missing required column {name!r} for {kind}", hint=hint
                )

    lake = {c.name.casefold(): c for c in (contacts_lake if kind == "contacts" else events_lake)}
    # Names in lake order: key columns, then (contacts) every lake attribute, then new ones.
    names: dict[str, str] = {}
    for name in required:
        names[name] = name
    if kind == "events" and any(s.find("event_id") for s in sources):
        names["event_id"] = "event_id"
    if kind == "contacts":
        for fold, column in lake.items():
            names.setdefault(fold, column.name)
    for source in sources:
        for own in source.columns:
            fold = own.name.casefold()
            names.setdefault(fold, lake[fold].name if fold in lake else own.name)

    id_lake = next((c for c in contacts_lake if c.name == "contact_id"), None)
    to_infer = [fold for fold in names if fold not in lake and fold not in FIXED_EVENT_TYPES]
    if id_lake is not None and "contact_id" in to_infer:
        to_infer.remove("contact_id")
    flags = {
        s.index: infer_flags(con, s, [sc for f in to_infer if (sc := s.find(f)) is not None])
        for s in sources
    }

    columns: list[Column] = []
    mapping: dict[int, dict[str, SourceColumn]] = {s.index: {} for s in sources}
    for n, (fold, name) in enumerate(names.items()):
        key = f"k{n}"
        in_lake = fold in lake
        if fold == "contact_id" and id_lake is not None:
            dtype = id_lake.type
        elif kind == "events" and fold in FIXED_EVENT_TYPES:
            dtype = FIXED_EVENT_TYPES[fold]
        elif in_lake:
            dtype = lake[fold].type
        else:
            allowed = ("BIGINT",) if fold == "contact_id" else INFERENCE_ORDER
            dtype = _infer(fold, sources, flags, allowed)
        columns.append(Column(name, dtype, key, in_lake))
        for source in sources:
            match = source.find(fold)
            if match is not None:
                mapping[source.index][key] = match
    required_keys = frozenset(c.key for c in columns if c.name in required)
    return Plan(kind, tuple(columns), mapping, required_keys)


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


def _lit(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def typed_select(source: Source, plan: Plan) -> exp.Select:
    """One source's rows in lake types, with their original text and what is wrong with them."""
    out: list[exp.Expr] = [
        exp.alias_(exp.Add(this=exp.column("rowid"), expression=exp.Literal.number(1)), "__row")
    ]
    reasons: list[exp.Expr] = []
    reason_keys: list[exp.Expr] = []

    def problem(condition: exp.Expr, message: exp.Expr, key: str) -> None:
        reasons.append(exp.Case(ifs=[exp.If(this=condition, true=message)]))
        reason_keys.append(exp.Case(ifs=[exp.If(this=condition, true=_lit(key))]))

    for column in plan.columns:
        sc = plan.mapping[source.index].get(column.key)
        if sc is None:
            continue
        value, raw = convert(sc, column.type), raw_text(sc)
        out += [exp.alias_(value, column.key), exp.alias_(raw, "r" + column.key)]
        blank = exp.or_(
            exp.Is(this=raw, expression=exp.null()),
            exp.EQ(this=exp.Anonymous(this="trim", expressions=[raw]), expression=_lit("")),
        )
        if column.key in plan.required:
            problem(blank, _lit(f"{column.name}: missing"), f"{column.name}: missing")
        if value_type_of(column.type) is not ValueType.TEXT:
            words = type_words(column.type)
            shown = exp.Anonymous(
                this="left", expressions=[raw, exp.Literal.number(SHOWN_VALUE_CHARS)]
            )
            message = exp.Anonymous(
                this="concat",
                expressions=[_lit(f"{column.name}: cannot parse '"), shown, _lit(f"' as {words}")],
            )
            bad = exp.and_(
                exp.Not(this=exp.Paren(this=blank)), exp.Is(this=value, expression=exp.null())
            )
            problem(bad, message, f"{column.name}: not {words}")

    reason = exp.Anonymous(this="concat_ws", expressions=[_lit("; "), *reasons])
    out.append(exp.alias_(exp.Nullif(this=reason, expression=_lit("")), "__reason"))
    out.append(
        exp.alias_(exp.Coalesce(this=reason_keys[0], expressions=reason_keys[1:]), "__reason_key")
    )
    return exp.select(*out).from_(source.table)
