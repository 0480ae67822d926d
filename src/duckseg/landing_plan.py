"""The plan of a landing and its queries: lake columns, their types, row checks, upserts.

Plan columns get internal names `k0`, `k1`, ... (in lake order: the key
columns first). The per-source query `typed_select` turns table `src_<i>`
into table `typed_<i>`: those columns, for each its original text `r<key>`,
the row's `__row`, whether it is `__bad`, its `__reason` (NULL for a good row) and `__reason_key`
(its first problem, for counting). The other builders here read those tables;
none of them runs anything.
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


def _lit(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def typed_select(source: Source, plan: Plan) -> exp.Select:
    """One source's rows in lake types, with their original text and what is wrong with them."""
    out: list[exp.Expr] = [
        exp.alias_(
            exp.Add(this=source.row_number.copy(), expression=exp.Literal.number(1)), "__row"
        )
    ]
    reasons: list[exp.Expr] = []
    reason_keys: list[exp.Expr] = []
    conditions: list[exp.Expr] = []

    def problem(condition: exp.Expr, message: exp.Expr, key: str) -> None:
        conditions.append(condition)
        reasons.append(exp.Case(ifs=[exp.If(this=condition, true=message)]))
        reason_keys.append(exp.Case(ifs=[exp.If(this=condition, true=_lit(key))]))

    for column in plan.columns:
        sc = plan.mapping[source.index].get(column.key)
        if sc is None:
            continue
        value, raw = convert(sc, column.type), raw_text(sc)
        out += [exp.alias_(value, column.key), exp.alias_(raw, "r" + column.key)]
        if sc.flavour is Flavour.TYPED and value_type_of(sc.duckdb_type) is not ValueType.TEXT:
            # A typed value is blank only when missing: no need to print it as text.
            blank: exp.Expr = exp.Is(this=exp.column(sc.internal), expression=exp.null())
        else:
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

    # `__bad` is what filters rows (a boolean, cheap for every row); the reason text is
    # only ever read for bad rows.
    bad = exp.or_(*(exp.paren(c.copy()) for c in conditions)) if conditions else exp.false()
    out.append(exp.alias_(exp.func("coalesce", bad, exp.false()), "__bad"))
    reason = exp.Anonymous(this="concat_ws", expressions=[_lit("; "), *reasons])
    out.append(exp.alias_(exp.Nullif(this=reason, expression=_lit("")), "__reason"))
    out.append(
        exp.alias_(exp.Coalesce(this=reason_keys[0], expressions=reason_keys[1:]), "__reason_key")
    )
    return exp.select(*out).from_(source.table)


# -- queries over the typed tables ---------------------------------------------------


def typed_table(source: Source) -> exp.Table:
    return exp.to_table(f"typed_{source.index}")


def _good(source: Source) -> exp.Select:
    return exp.select("*").from_(typed_table(source)).where("NOT __bad")


def _null(dtype: str, key: str) -> exp.Expr:
    return exp.alias_(exp.cast(exp.null(), dtype), key)


def _union_all(parts: Sequence[exp.Select], alias: str) -> exp.Select:
    union: exp.Query = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return exp.select("*").from_(exp.Subquery(this=union, alias=alias))


def _row_number(partition: exp.Expr, *order: exp.Expr) -> exp.Window:
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
            else _null(c.type, c.key)
            for c in columns
        )
    )
    return select.from_("lake_contacts") if has_lake else select.where(exp.false())


def latest_per_contact(source: Source, plan: Plan) -> exp.Select:
    """A source's good rows, the last one per contact_id."""
    window = _row_number(
        exp.column(plan.columns[0].key), exp.Ordered(this=exp.column("__row"), desc=True)
    )
    return _good(source).qualify(exp.EQ(this=window, expression=exp.Literal.number(1)))


def upsert(
    columns: Sequence[Column], current: str, batch: exp.Select, present: set[str]
) -> exp.Select:
    """`current` with the batch's rows applied: present columns set (NULL included), others kept."""
    id_key = columns[0].key
    in_batch = exp.Not(this=exp.Is(this=exp.column(id_key, "b"), expression=exp.null()))
    out: list[exp.Expr] = [
        exp.alias_(
            exp.Coalesce(this=exp.column(id_key, "b"), expressions=[exp.column(id_key, "c")]),
            id_key,
        )
    ]
    for c in columns[1:]:
        kept = exp.column(c.key, "c")
        value = (
            exp.Case(ifs=[exp.If(this=in_batch, true=exp.column(c.key, "b"))], default=kept)
            if c.key in present
            else kept
        )
        out.append(exp.alias_(value, c.key))
    return (
        exp.select(*out)
        .from_(exp.alias_(exp.to_table(current), "c", table=True))
        .join(
            exp.alias_(exp.Subquery(this=batch), "b", table=True),
            on=exp.EQ(this=exp.column(id_key, "c"), expression=exp.column(id_key, "b")),
            join_type="full outer",
        )
    )


def contacts_output(columns: Sequence[Column], table: str) -> exp.Select:
    """The contacts file: lake names, sorted by contact_id."""
    return (
        exp.select(*(exp.alias_(exp.column(c.key), c.name, quoted=True) for c in columns))
        .from_(table)
        .order_by(exp.column(columns[0].key))
    )


def good_events(sources: Sequence[Source], plan: Plan) -> exp.Select:
    """Every source's good events in plan columns, with the file and row they came from."""
    parts = []
    for source in sources:
        present = plan.present(source)
        parts.append(
            exp.select(
                exp.alias_(exp.Literal.number(source.index), "__file"),
                "__row",
                *(
                    exp.column(c.key) if c.key in present else _null(c.type, c.key)
                    for c in plan.columns
                ),
            )
            .from_(typed_table(source))
            .where("NOT __bad")
        )
    return _union_all(parts, "good")


def _landed_ids() -> exp.Select:
    return exp.select("event_id").from_("lake_events").where("event_id IS NOT NULL")


def events_first_look(sources: Sequence[Source], plan: Plan) -> exp.Select:
    """A first look at an events batch: (bad rows, repeated event_ids among the good ones).

    Repeats are counted as good event_ids minus distinct hashes of them: far cheaper
    than distinct strings, and a collision only makes the count positive, which sends
    the landing down the exact de-duplication. Zero bad rows and zero repeats let the
    landing skip the reasons query and the de-duplication.
    """
    event_id = plan.find("event_id")
    parts = []
    for source in sources:
        present = event_id is not None and event_id.key in plan.present(source)
        eid = exp.column(event_id.key) if present and event_id else _null("VARCHAR", "eid")
        parts.append(
            exp.select("__bad", exp.alias_(eid, "eid") if present else eid).from_(
                typed_table(source)
            )
        )
    batch = _union_all(parts, "checked")
    is_bad = exp.column("__bad")
    eid = exp.column("eid")
    bad = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=is_bad))
    ids = exp.Filter(
        this=exp.Count(this=eid), expression=exp.Where(this=exp.Not(this=is_bad.copy()))
    )
    # A parallel hash aggregate: several times faster than COUNT(DISTINCT ...) on big batches.
    hashes = (
        exp.select(exp.func("hash", eid.copy()))
        .distinct()
        .from_(batch.subquery("batch"))
        .where(exp.and_(exp.Not(this=is_bad.copy()), eid.copy().is_(exp.null()).not_()))
    )
    distinct = exp.select("count(*)").from_(hashes.subquery("hashes"))
    return exp.select(
        exp.alias_(bad, "bad"),
        exp.alias_(exp.Sub(this=ids, expression=distinct.subquery()), "repeats"),
    ).from_(batch.copy().subquery("batch"))


def landed_before(plan: Plan) -> exp.Select | None:
    """How many events of view `good` carry an event_id the lake already has."""
    event_id = plan.find("event_id")
    if event_id is None:
        return None
    eid = exp.column(event_id.key)
    return (
        exp.select("count(*)")
        .from_("good")
        .where(exp.In(this=eid, query=exp.Subquery(this=_landed_ids())))
    )


def kept_events(plan: Plan, lake_has_event_ids: bool) -> exp.Select:
    """View `good` minus events whose event_id landed before or came earlier in this batch."""
    query = exp.select("*").from_("good")
    event_id = plan.find("event_id")
    if event_id is None:
        return query
    eid = exp.column(event_id.key)
    no_id = exp.Is(this=eid, expression=exp.null())
    if lake_has_event_ids:
        query = query.where(
            exp.or_(no_id, exp.Not(this=exp.In(this=eid, query=exp.Subquery(this=_landed_ids()))))
        )
    first = _row_number(eid, exp.column("__file"), exp.column("__row"))
    return query.qualify(exp.or_(no_id, exp.EQ(this=first, expression=exp.Literal.number(1))))


def unknown_contacts(id_key: str, has_lake: bool) -> exp.Select:
    """The distinct contact_ids of `kept` that are not contacts yet, as column k0."""
    ids = exp.select(exp.alias_(exp.column(id_key), "k0")).from_("kept")
    if has_lake:
        # An anti join against the (smaller) contacts first; only unknown ids reach the
        # DISTINCT. Neither side has a NULL key, so NOT EXISTS is NOT IN without its NULL care.
        known = (
            exp.select(exp.Literal.number(1))
            .from_(exp.alias_(exp.to_table("lake_contacts"), "l", table=True))
            .where(exp.column("contact_id", "l").eq(exp.column(id_key, "kept")))
        )
        ids = ids.where(exp.Not(this=exp.Exists(this=known)))
    return exp.select("k0").distinct().from_(ids.subquery("ids"))


def events_output(plan: Plan) -> exp.Select:
    """The events file: sorted by (event, ts) so row-group statistics prune; always an event_id."""
    out: list[exp.Expr] = [exp.alias_(exp.column(c.key), c.name, quoted=True) for c in plan.columns]
    if plan.find("event_id") is None:
        out.insert(3, _null("VARCHAR", "event_id"))
    contact_id, event, ts = plan.columns[0].key, plan.columns[1].key, plan.columns[2].key
    return (
        exp.select(*out).from_("kept").order_by(*(exp.column(k) for k in (event, ts, contact_id)))
    )


def rejects_output(sources: Sequence[Source], plan: Plan) -> exp.Select:
    """Every rejected row: its values as text, the reason, the file and the row number."""
    parts = []
    for source in sources:
        present = plan.present(source)
        parts.append(
            exp.select(
                *(
                    exp.column(f"r{c.key}") if c.key in present else _null("VARCHAR", f"r{c.key}")
                    for c in plan.columns
                ),
                exp.alias_(exp.column("__reason"), "_reject_reason"),
                exp.alias_(exp.Literal.string(source.label), "_source_file"),
                exp.alias_(exp.column("__row"), "_source_row"),
                exp.alias_(exp.Literal.number(source.index), "__file"),
            )
            .from_(typed_table(source))
            .where("__bad")
        )
    rejected = _union_all(parts, "rejected")
    return (
        exp.select(
            *(exp.alias_(exp.column(f"r{c.key}"), c.name, quoted=True) for c in plan.columns),
            *REJECTS_COLUMNS,
        )
        .from_(exp.Subquery(this=rejected, alias="r"))
        .order_by("__file", "_source_row")
    )
