"""The queries of an events landing, over the typed tables of landing_plan.

The batch's good events (`good`), one first look at the whole batch (bad rows,
repeated event_ids, event names), the de-duplication when something repeats,
the contacts the events create, and the sorted events file. None of them runs
anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from duckseg.ingest.plan import (
    Plan,
    row_number_over,
    typed_null,
    typed_table,
    union_all_of,
)
from duckseg.ingest.readers import Source

# Up to this many event names, the events file is sorted on them as an ENUM (a small
# integer, in the names' order) rather than as text: the same order, a cheaper sort.
MAX_ENUM_EVENT_NAMES = 4096


def good_events(sources: Sequence[Source], plan: Plan, any_bad: bool = True) -> exp.Select:
    """Every source's good events in plan columns, with the file and row they came from;
    without `any_bad`, every row is good and none is tested."""
    parts = []
    for source in sources:
        present = plan.present(source)
        part = exp.select(
            exp.alias_(exp.Literal.number(source.index), "__file"),
            "__row",
            *(
                exp.column(c.key) if c.key in present else typed_null(c.type, c.key)
                for c in plan.columns
            ),
        ).from_(typed_table(source))
        parts.append(part.where("NOT __bad") if any_bad else part)
    return union_all_of(parts, "good")


def _landed_ids() -> exp.Select:
    return exp.select("event_id").from_("lake_events").where("event_id IS NOT NULL")


def events_first_look(sources: Sequence[Source], plan: Plan, any_bad: bool) -> exp.Select:
    """One scan of an events batch: (bad rows, repeated event_ids among the good ones, the
    good ones' event names in order); without `any_bad`, no row is tested.

    Repeats are counted as good event_ids minus distinct hashes of them: fixed-width
    values however long the ids, and a collision only makes the count positive, which
    sends the landing down the exact de-duplication. Zero bad rows and zero repeats let
    the landing skip the reasons query and the de-duplication.
    """
    event_id = plan.find("event_id")
    parts = []
    for source in sources:
        present = event_id is not None and event_id.key in plan.present(source)
        eid = exp.column(event_id.key) if present and event_id else exp.cast(exp.null(), "VARCHAR")
        part = exp.select(
            exp.alias_(eid, "eid"), exp.alias_(exp.column(plan.columns[1].key), "event")
        ).from_(typed_table(source))
        parts.append(part.select("__bad") if any_bad else part)

    def of_good(aggregate: exp.Expr, *conditions: exp.Expr) -> exp.Expr:
        if any_bad:
            conditions = (exp.Not(this=exp.column("__bad")), *conditions)
        if not conditions:
            return aggregate
        return exp.Filter(this=aggregate, expression=exp.Where(this=exp.and_(*conditions)))

    eid = exp.column("eid")
    bad = (
        exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=exp.column("__bad")))
        if any_bad
        else exp.Literal.number(0)
    )
    ids = of_good(exp.Count(this=eid))
    distinct = of_good(
        exp.Count(this=exp.Distinct(expressions=[exp.func("hash", eid.copy())])),
        eid.copy().is_(exp.null()).not_(),  # NULL has a hash too
    )
    names = of_good(
        exp.Anonymous(this="list", expressions=[exp.Distinct(expressions=[exp.column("event")])])
    )
    return exp.select(
        exp.alias_(bad, "bad"),
        exp.alias_(exp.Sub(this=ids, expression=distinct), "repeats"),
        exp.alias_(exp.Anonymous(this="list_sort", expressions=[names]), "names"),
    ).from_(union_all_of(parts, "batch").subquery("batch"))


def event_names(table: str, plan: Plan) -> exp.Select:
    """The distinct event names of `table`, in order."""
    names = exp.Anonymous(
        this="list", expressions=[exp.Distinct(expressions=[exp.column(plan.columns[1].key)])]
    )
    return exp.select(exp.Anonymous(this="list_sort", expressions=[names])).from_(table)


def any_landed_id() -> exp.Select:
    """A landed event_id, if the lake has one."""
    return _landed_ids().limit(1)


def landed_before(plan: Plan) -> exp.Select | None:
    """An event of view `good` whose event_id the lake already has, if there is one."""
    event_id = plan.find("event_id")
    if event_id is None:
        return None
    eid = exp.column(event_id.key)
    return (
        exp.select(exp.Literal.number(1))
        .from_("good")
        .where(exp.In(this=eid, query=exp.Subquery(this=_landed_ids())))
        .limit(1)
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
    first = row_number_over(eid, exp.column("__file"), exp.column("__row"))
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


def events_output(plan: Plan, names: Sequence[str]) -> exp.Select:
    """The events file: sorted by (event, ts) so row-group statistics prune; always an
    event_id. `names` are the event names of `kept`, in order.

    Rows of one event at one instant keep no particular order: a third sort key
    (contact_id, text) made the sort slower (benchmarks/RESULTS.md) and nothing reads it.
    """
    out: list[exp.Expr] = [exp.alias_(exp.column(c.key), c.name, quoted=True) for c in plan.columns]
    if plan.find("event_id") is None:
        out.insert(3, typed_null("VARCHAR", "event_id"))
    ts = exp.column(plan.columns[2].key)
    event: exp.Expr = exp.column(plan.columns[1].key)
    if 0 < len(names) <= MAX_ENUM_EVENT_NAMES:
        values = [exp.Literal.string(name) for name in names]
        event = exp.cast(event, exp.DataType(this=exp.DataType.Type.ENUM, expressions=values))
    return exp.select(*out).from_("kept").order_by(event, ts)
