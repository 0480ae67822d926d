"""Definition -> typed IR: every name and value checked against the catalog.

All problems in a definition are collected and raised together as one
`DefinitionError`, each with the file, the path inside it and a hint.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from duckseg.errors import DefinitionError, Problem, did_you_mean, shown
from duckseg.lang import ir, model, spec
from duckseg.lang.resolve_patterns import resolve_lifecycle, resolve_sequence
from duckseg.lang.time import (
    AbsoluteDate,
    AbsoluteInstant,
    Duration,
    Relative,
    TimeContext,
    TimeValue,
    iso,
    out_of_order,
    parse_duration,
    parse_time_value,
)
from duckseg.lang.traits import TraitDefinition, percentage, trait_column, typed_trait
from duckseg.types import Catalog, ValueType

INT64_MAX = 2**63 - 1

# Which ops each value type accepts (docs/language.md).
_ANY = {ir.Op.IS, ir.Op.IS_NOT, ir.Op.IS_SET, ir.Op.IS_NOT_SET}
_ORDERED = {ir.Op.GT, ir.Op.GTE, ir.Op.LT, ir.Op.LTE, ir.Op.BETWEEN}
_TEMPORAL = _ORDERED | {ir.Op.BEFORE, ir.Op.AFTER, ir.Op.WITHIN_LAST}
OPS_BY_TYPE: Mapping[ValueType, frozenset[ir.Op]] = {
    ValueType.TEXT: frozenset(
        _ANY
        | {ir.Op.CONTAINS, ir.Op.NOT_CONTAINS, ir.Op.STARTS_WITH, ir.Op.ENDS_WITH, ir.Op.MATCHES}
    ),
    ValueType.INTEGER: frozenset(_ANY | _ORDERED | ir.PERCENT_OPS),
    ValueType.FLOAT: frozenset(_ANY | _ORDERED | ir.PERCENT_OPS),
    ValueType.DECIMAL: frozenset(_ANY | _ORDERED | ir.PERCENT_OPS),
    ValueType.BOOLEAN: frozenset(_ANY | {ir.Op.IS_TRUE, ir.Op.IS_FALSE}),
    ValueType.DATE: frozenset(_ANY | _TEMPORAL),
    ValueType.TIMESTAMP: frozenset(_ANY | _TEMPORAL),
    ValueType.TEXT_LIST: frozenset(
        {ir.Op.IS_SET, ir.Op.IS_NOT_SET, ir.Op.HAS, ir.Op.HAS_ALL, ir.Op.HAS_NONE}
    ),
    ValueType.OTHER: frozenset({ir.Op.IS_SET, ir.Op.IS_NOT_SET}),
}
_LIST_VALUE_OPS = {ir.Op.IS, ir.Op.IS_NOT, ir.Op.HAS, ir.Op.HAS_ALL, ir.Op.HAS_NONE}
_AGG_NUMERIC_ONLY = {ir.AggFn.SUM, ir.AggFn.AVG}


@dataclass(frozen=True)
class OrderCheck:
    """A `between` of time values whose order only the build's as_of decides."""

    source: str
    path: str
    low: TimeValue
    high: TimeValue


@dataclass(frozen=True)
class ResolvedSegment:
    segment: spec.Segment
    tree: ir.Node | None  # None for static segments
    references: frozenset[str]  # segments referenced directly or transitively
    # Checked with check_order at the as_of of a build, a preview or a compile.
    order_checks: tuple[OrderCheck, ...] = ()


def check_order(resolved: Sequence[ResolvedSegment], ctx: TimeContext) -> None:
    """`between` needs low <= high: time bounds whose order depends on the as_of (now-90d,
    now-3mo) are checked here, at the as_of; a DefinitionError lists every one out of order."""
    problems = [
        Problem(
            c.source,
            c.path,
            f"between needs low <= high, got [{c.low}, {c.high}], which at as_of "
            f"{iso(ctx.as_of)} are {_shown(ctx, c.low)} and {_shown(ctx, c.high)}",
        )
        for r in resolved
        for c in r.order_checks
        if out_of_order(c.low, c.high, ctx)
    ]
    if problems:
        raise DefinitionError(list(dict.fromkeys(problems)))


def _shown(ctx: TimeContext, value: TimeValue) -> str:
    at = ctx.resolve(value)
    return iso(at) if isinstance(at, datetime) else at.isoformat()


SegmentLookup = Callable[[str], spec.Segment | None]
# Why a pattern is not a valid regular expression for the engine, or None when it is; the
# language knows no engine, so the caller passes the check in (db.regex_error for DuckDB).
RegexCheck = Callable[[str], str | None]


class Resolver:
    """Resolves segments against one catalog, with references looked up by name."""

    def __init__(
        self,
        catalog: Catalog,
        zone: str,
        lookup: SegmentLookup,
        names: Sequence[str] = (),
        *,
        regex_error: RegexCheck | None = None,
        traits: Mapping[str, TraitDefinition] | None = None,
        broken_traits: Mapping[str, Sequence[Problem]] | None = None,
    ) -> None:
        self.catalog = catalog
        self.regex_error = regex_error
        self.traits = dict(traits or {})
        # trait files that did not parse: their problems, reported where they are read
        self.broken_traits = {name: list(found) for name, found in (broken_traits or {}).items()}
        self._traits: dict[str, ir.Trait] = {}
        self.zone = ZoneInfo(zone)
        self.lookup = lookup
        self.names = list(names)
        self._done: dict[str, ResolvedSegment] = {}

    def resolve(self, segment: spec.Segment, _stack: tuple[str, ...] = ()) -> ResolvedSegment:
        if segment.name in self._done and segment is self.lookup(segment.name):
            return self._done[segment.name]
        ctx = _Context(self, segment.source, (*_stack, segment.name))
        tree = ctx.node(segment.where, "where") if segment.where is not None else None
        if ctx.problems:
            raise DefinitionError(ctx.problems)
        resolved = ResolvedSegment(
            segment, tree, frozenset(ctx.references), tuple(dict.fromkeys(ctx.order_checks))
        )
        if segment is self.lookup(segment.name):
            self._done[segment.name] = resolved
        return resolved

    def resolve_condition(self, condition: Any, source: str) -> ir.Node:
        """A bare condition (e.g. `[consent] exclude_when`) rather than a whole segment."""
        seg = spec.Segment.from_dict({"name": "condition", "where": condition}, source=source)
        resolved = self.resolve(seg)
        assert resolved.tree is not None
        return resolved.tree

    def resolve_trait(self, name: str) -> ir.Trait:
        """The trait of `traits/NAME.yaml` typed against the catalog; problems name its file."""
        if name in self._traits:
            return self._traits[name]
        definition = self.traits[name]
        ctx = _Context(self, definition.source, ())
        trait = typed_trait(ctx, self, definition)
        if ctx.problems or trait is None:
            # Paths inside a trait file start at its top level (`of`, `value.prop`).
            raise DefinitionError(
                [Problem(p.source, p.path.lstrip("."), p.message, p.hint) for p in ctx.problems]
            )
        self._traits[name] = trait
        return trait


class _Context:
    def __init__(self, resolver: Resolver, source: str, stack: tuple[str, ...]) -> None:
        self.r = resolver
        self.source = source
        self.stack = stack
        self.problems: list[Problem] = []
        self.references: set[str] = set()
        self.order_checks: list[OrderCheck] = []

    def fail(self, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.source, path, message, hint))

    # -- conditions -----------------------------------------------------------
    def node(self, cond: model.Condition, path: str) -> ir.Node | None:
        match cond:
            case model.GroupAll(all=items):
                kids = [self.node(c, f"{path}.all[{i}]") for i, c in enumerate(items)]
                return (
                    ir.AllOf(tuple(k for k in kids if k is not None)) if None not in kids else None
                )
            case model.GroupAny(any=items):
                kids = [self.node(c, f"{path}.any[{i}]") for i, c in enumerate(items)]
                return (
                    ir.AnyOf(tuple(k for k in kids if k is not None)) if None not in kids else None
                )
            case model.GroupNot(not_=child):
                inner = self.node(child, f"{path}.not")
                return ir.Not(inner) if inner is not None else None
            case model.ValueCond():
                return self.value_test(cond, path)
            case model.PerformedCond():
                return self.performed(cond, path)
            case model.NotPerformedCond():
                flt = self.event_filter(
                    cond.not_performed, cond.where, cond.within, path, "not_performed"
                )
                if flt is None:
                    return None
                return ir.EventTest(flt, ir.Compare(ir.CompareOp.EQ, (0,)))
            case model.FirstLastCond():
                return self.first_last(cond, path)
            case model.SegmentRefCond():
                return self.segment_ref(cond, path)
            case model.SequenceCond():
                return resolve_sequence(self, cond, path)
            case model.RegularlyCond() | model.StoppedCond() | model.RestartedCond():
                return resolve_lifecycle(self, cond, path)
        raise TypeError(f"no resolution rule for {type(cond).__name__}")  # pragma: no cover

    def value_test(self, cond: model.ValueCond, path: str) -> ir.ValueTest | None:
        noun = {"attr": "attribute", "trait": "trait"}.get(cond.scope, "event property")
        column = (
            trait_column(self, self.r, cond.field, path)
            if cond.scope == "trait"
            else self.plain_column(cond, path, noun)
        )
        if column is None:
            return None
        vtype = column.type
        valid_ops = sorted(o.value for o in OPS_BY_TYPE[vtype])
        try:
            op = ir.Op(cond.op)
        except ValueError:
            closest = did_you_mean(cond.op, valid_ops) or did_you_mean(
                cond.op, [o.value for o in ir.Op]
            )
            self.fail(
                f"{path}.op",
                f"unknown op {cond.op}",
                (f"{closest} " if closest else "")
                + f"valid ops for {noun} {cond.field} ({vtype.value}): {', '.join(valid_ops)}",
            )
            return None
        if op in ir.PERCENT_OPS and column.scope == "event":
            self.fail(
                f"{path}.op",
                f"{op.value} ranks contacts: use it on an attribute or a trait",
                "an event where tests each event on its own",
            )
            return None
        if op not in OPS_BY_TYPE[vtype]:
            hint = (
                "use has, has_all or has_none for tags"
                if vtype is ValueType.TEXT_LIST and op in _ANY
                else f"valid ops: {', '.join(valid_ops)}"
            )
            self.fail(
                f"{path}.op",
                f"op {op.value} is not valid for {noun} {cond.field} ({vtype.value})",
                hint,
            )
            return None
        case_sensitive = op in (ir.Op.IS, ir.Op.IS_NOT)
        if cond.case_sensitive is not None:
            if vtype is not ValueType.TEXT or op not in ir.TEXT_FOLDING_OPS:
                self.fail(
                    f"{path}.case_sensitive",
                    f"case_sensitive applies only to text ops other than matches, not {op.value}",
                )
                return None
            case_sensitive = cond.case_sensitive
        vpath = f"{path}.value"
        if op in ir.UNARY_OPS:
            if cond.has_value:
                self.fail(vpath, f"op {op.value} takes no value")
                return None
            return ir.ValueTest(column, op, (), case_sensitive)
        if not cond.has_value:
            self.fail(path, f"op {op.value} needs a value")
            return None
        raw = cond.value
        where = f"{noun} {cond.field}"
        if op in ir.PERCENT_OPS:
            percent = percentage(self, raw, vpath)
            return ir.ValueTest(column, op, (percent,), case_sensitive) if percent else None
        if op is ir.Op.WITHIN_LAST:
            duration = self.duration(raw, vpath)
            return ir.ValueTest(column, op, (), case_sensitive, duration) if duration else None
        if op is ir.Op.BETWEEN:
            pair = self.pair(raw, vpath, lambda v, p: self.typed(v, vtype, p, where))
            return ir.ValueTest(column, op, pair, case_sensitive) if pair else None
        if isinstance(raw, list):
            if op not in _LIST_VALUE_OPS:
                self.fail(vpath, f"op {op.value} takes one value, got a list")
                return None
            if not raw:
                self.fail(vpath, "a list value must not be empty")
                return None
            items = raw
        else:
            items = [raw]
        item_type = ValueType.TEXT if vtype is ValueType.TEXT_LIST else vtype
        typed = [
            self.typed(v, item_type, f"{vpath}[{i}]" if isinstance(raw, list) else vpath, where)
            for i, v in enumerate(items)
        ]
        if any(t is None for t in typed):
            return None
        values = tuple(t for t in typed if t is not None)
        if op is ir.Op.MATCHES and not self.valid_regex(str(values[0]), vpath):
            return None
        return ir.ValueTest(column, op, values, case_sensitive)

    def plain_column(self, cond: model.ValueCond, path: str, noun: str) -> ir.Column | None:
        """The contact attribute or event property a condition names."""
        scope = "contact" if cond.scope == "attr" else "event"
        columns = self.r.catalog.attributes if scope == "contact" else self.r.catalog.properties
        if cond.field not in columns:
            hint = did_you_mean(cond.field, columns)
            if scope == "contact" and cond.field in self.r.traits:
                hint = f"{cond.field} is a trait: write trait: {cond.field}"
            self.fail(f"{path}.{cond.scope}", f"unknown {noun} {cond.field}", hint)
            return None
        return ir.Column(cond.field, columns[cond.field], scope)

    def performed(self, cond: model.PerformedCond, path: str) -> ir.EventTest | None:
        flt = self.event_filter(cond.performed, cond.where, cond.within, path, "performed")
        count = ir.Compare(ir.CompareOp.GTE, (1,))
        if cond.count is not None:
            parsed = self.compare(
                cond.count.op,
                cond.count.value,
                f"{path}.count",
                ValueType.INTEGER,
                "count",
                counting=True,
            )
            count = parsed if parsed else count
            ok_count = parsed is not None
        else:
            ok_count = True
        aggregate = None
        ok_agg = True
        if cond.aggregate is not None:
            aggregate = self.aggregate(cond.aggregate, f"{path}.aggregate")
            ok_agg = aggregate is not None
        if flt is None or not ok_count or not ok_agg:
            return None
        return ir.EventTest(flt, count, aggregate)

    def aggregate(self, agg: model.AggregateSpec, path: str) -> ir.Aggregate | None:
        try:
            fn = ir.AggFn(agg.fn)
        except ValueError:
            self.fail(
                f"{path}.fn",
                f"unknown aggregate {agg.fn}",
                did_you_mean(agg.fn, [f.value for f in ir.AggFn]),
            )
            return None
        props = self.r.catalog.properties
        if agg.prop not in props:
            self.fail(
                f"{path}.prop", f"unknown event property {agg.prop}", did_you_mean(agg.prop, props)
            )
            return None
        ptype = props[agg.prop]
        if fn in _AGG_NUMERIC_ONLY and not ptype.is_number:
            self.fail(
                f"{path}.fn", f"{fn.value} needs a numeric property; {agg.prop} is {ptype.value}"
            )
            return None
        if fn in (ir.AggFn.MIN, ir.AggFn.MAX) and not (ptype.is_number or ptype.is_temporal):
            self.fail(
                f"{path}.fn",
                f"{fn.value} needs a numeric, date or timestamp property; {agg.prop} is {ptype.value}",
            )
            return None
        if ptype in (ValueType.TEXT_LIST, ValueType.OTHER):
            self.fail(f"{path}.prop", f"cannot aggregate {agg.prop} ({ptype.value})")
            return None
        result_type = (
            ValueType.INTEGER
            if fn is ir.AggFn.COUNT_DISTINCT
            else (ValueType.FLOAT if fn is ir.AggFn.AVG else ptype)
        )
        compare = self.compare(agg.op, agg.value, path, result_type, f"{fn.value} of {agg.prop}")
        if compare is None:
            return None
        return ir.Aggregate(fn, ir.Column(agg.prop, ptype, "event"), compare)

    def compare(
        self, op_name: str, raw: Any, path: str, vtype: ValueType, what: str, counting: bool = False
    ) -> ir.Compare | None:
        try:
            op = ir.CompareOp(op_name)
        except ValueError:
            self.fail(
                f"{path}.op",
                f"unknown comparison {op_name}",
                did_you_mean(op_name, [o.value for o in ir.CompareOp]),
            )
            return None
        vpath = f"{path}.value"

        def one(value: Any, p: str) -> Any:
            typed = self.typed(value, vtype, p, what)
            if counting and typed is not None and (not isinstance(typed, int) or typed < 0):
                self.fail(p, f"expected a whole number of events (0 or more), got {shown(value)}")
                return None
            return typed

        if op is ir.CompareOp.BETWEEN:
            pair = self.pair(raw, vpath, one)
            return ir.Compare(op, pair) if pair else None
        if isinstance(raw, list):
            self.fail(vpath, f"{op.value} takes one value, got a list")
            return None
        value = one(raw, vpath)
        return ir.Compare(op, (value,)) if value is not None else None

    def event_filter(
        self, names: str | list[str], where: Any, within: Any, path: str, key: str
    ) -> ir.EventFilter | None:
        wanted = [names] if isinstance(names, str) else list(names)
        ok = True
        for i, name in enumerate(wanted):
            if name not in self.r.catalog.event_names:
                p = f"{path}.{key}" if isinstance(names, str) else f"{path}.{key}[{i}]"
                self.fail(
                    p,
                    f"unknown event {name}",
                    did_you_mean(name, self.r.catalog.event_names) or "no such event has landed",
                )
                ok = False
        where_node = None
        if where is not None:
            where_node = self.node(where, f"{path}.where")
            ok = ok and where_node is not None
        window = None
        if within is not None:
            window = self.window(within, f"{path}.within")
            ok = ok and window is not None
        if not ok:
            return None
        return ir.EventFilter(tuple(dict.fromkeys(wanted)), where_node, window)

    def window(self, raw: Any, path: str) -> ir.Window | None:
        if isinstance(raw, str):
            d = self.duration(raw, path)
            return ir.WindowLast(d) if d else None
        if not isinstance(raw, Mapping) or len(raw) != 1:
            self.fail(
                path,
                f"expected a duration like 90d or one of {{last: D}}, {{between: [T1, T2]}}, {{before: T}}, {{after: T}}, got {shown(raw)}",
            )
            return None
        ((key, value),) = raw.items()
        sub = f"{path}.{key}"
        if key == "last":
            d = self.duration(value, sub)
            return ir.WindowLast(d) if d else None
        if key == "between":
            pair = self.pair(value, sub, self.time_value)
            return ir.WindowBetween(pair[0], pair[1]) if pair else None
        if key in ("before", "after"):
            tv = self.time_value(value, sub)
            if tv is None:
                return None
            return ir.WindowBefore(tv) if key == "before" else ir.WindowAfter(tv)
        self.fail(
            sub,
            f"unknown window {key!r}",
            did_you_mean(str(key), ["last", "between", "before", "after"]),
        )
        return None

    def first_last(self, cond: model.FirstLastCond, path: str) -> ir.EventTimeTest | None:
        key = f"{cond.which}_performed"
        flt = self.event_filter(cond.events, cond.where, None, path, key)
        test: ir.Window | None
        if cond.within is not None:
            # Any window (docs/language.md, "Windows"), here a test on the first or last time.
            test = self.window(cond.within, f"{path}.within")
        elif cond.before is not None:
            tv = self.time_value(cond.before, f"{path}.before")
            test = ir.WindowBefore(tv) if tv else None
        else:
            tv = self.time_value(cond.after, f"{path}.after")
            test = ir.WindowAfter(tv) if tv else None
        if flt is None or test is None:
            return None
        return ir.EventTimeTest(flt, ir.Which(cond.which), test)

    def segment_ref(self, cond: model.SegmentRefCond, path: str) -> ir.Node | None:
        key = "not_in_segment" if cond.negated else "in_segment"
        name = cond.segment
        if name in self.stack:
            cycle = " -> ".join((*self.stack[self.stack.index(name) :], name))
            self.fail(f"{path}.{key}", f"segment reference cycle: {cycle}")
            return None
        target = self.r.lookup(name)
        if target is None:
            self.fail(f"{path}.{key}", f"unknown segment {name}", did_you_mean(name, self.r.names))
            return None
        self.references.add(name)
        node: ir.Node
        if target.is_static:
            node = ir.StaticMembers(name)
        else:
            try:
                resolved = self.r.resolve(target, self.stack)
            except DefinitionError as exc:
                found = next((p for p in exc.problems if "cycle" in p.message), None)
                if found is not None:
                    self.fail(f"{path}.{key}", found.message)
                else:
                    self.fail(f"{path}.{key}", f"segment {name} is invalid: {exc.problems[0]}")
                return None
            self.references.update(resolved.references)
            self.order_checks.extend(resolved.order_checks)
            assert resolved.tree is not None
            node = ir.SegmentRef(name, resolved.tree)
        return ir.Not(node) if cond.negated else node

    # -- values -----------------------------------------------------------------
    def typed(self, value: Any, vtype: ValueType, path: str, where: str) -> Any:
        """A value checked and converted for a column type, or None after recording a problem."""
        if value is None:
            self.fail(
                path,
                f"expected a value for {where}, got nothing",
                "use is_set / is_not_set to test for missing values",
            )
            return None
        if vtype in (ValueType.TEXT, ValueType.TEXT_LIST):
            if isinstance(value, bool):
                self.fail(
                    path,
                    f"expected text for {where}, got the YAML boolean {str(value).lower()}",
                    "quote it: YAML reads yes/no/on/off/true/false unquoted as booleans (country NO is Norway)",
                )
                return None
            if not isinstance(value, str):
                self.fail(
                    path,
                    f"expected text for {where}, got {shown(value)}",
                    f'quote it: "{value}"',
                )
                return None
            return value
        if vtype.is_number:
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                self.fail(path, f"expected a number for {where}, got {shown(value)}")
                return None
            if isinstance(value, float) and not math.isfinite(value):
                self.fail(path, f"expected a finite number for {where}, got {value}")
                return None
            if isinstance(value, int) and abs(value) > INT64_MAX:
                self.fail(path, f"number {value} is out of range for {where}")
                return None
            return value
        if vtype is ValueType.BOOLEAN:
            if not isinstance(value, bool):
                self.fail(path, f"expected true or false for {where}, got {shown(value)}")
                return None
            return value
        if vtype.is_temporal:
            return self.time_value(value, path, where)
        self.fail(path, f"{where} cannot be compared with a value")
        return None

    def time_value(self, value: Any, path: str, where: str | None = None) -> TimeValue | None:
        if isinstance(value, bool) or not isinstance(value, str | date | datetime):
            what = f" for {where}" if where else ""
            self.fail(
                path,
                f"expected a date, a timestamp or a relative time like now-7d{what}, got {shown(value)}",
            )
            return None
        try:
            return parse_time_value(value, self.r.zone)
        except (ValueError, OverflowError) as exc:
            self.fail(path, str(exc))
            return None

    def duration(self, value: Any, path: str) -> Duration | None:
        if not isinstance(value, str):
            self.fail(path, f"expected a duration like 90d, 48h or 3mo, got {shown(value)}")
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(path, str(exc))
            return None

    def pair(
        self, raw: Any, path: str, convert: Callable[[Any, str], Any]
    ) -> tuple[Any, Any] | None:
        if not isinstance(raw, list) or len(raw) != 2:
            self.fail(path, f"expected [low, high], got {shown(raw)}")
            return None
        low, high = convert(raw[0], f"{path}[0]"), convert(raw[1], f"{path}[1]")
        if low is None or high is None:
            return None
        times = (AbsoluteDate, AbsoluteInstant, Relative)
        if isinstance(low, times) and isinstance(high, times):
            order = out_of_order(low, high)
            if order is None:
                self.order_checks.append(OrderCheck(self.source, path, low, high))
        else:
            order = _out_of_order(low, high)
        if order:
            self.fail(path, f"between needs low <= high, got [{low}, {high}]")
            return None
        return low, high

    def valid_regex(self, pattern: str, path: str) -> bool:
        check = self.r.regex_error
        problem = check(pattern) if check is not None else None
        if problem is not None:
            self.fail(path, f"invalid regular expression: {problem}")
            return False
        return True


def _out_of_order(low: Any, high: Any) -> bool:
    """low > high for numbers (time values go through lang.time.out_of_order)."""
    if isinstance(low, int | float | Decimal) and isinstance(high, int | float | Decimal):
        return low > high
    return False
