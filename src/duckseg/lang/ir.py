"""The typed intermediate form the compiler consumes.

Every node here is already checked against the catalog: column types are
known, values are typed for their column, time values are parsed. Nodes are
frozen and hashable so that identical event conditions can share one
aggregate column.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import assert_never

from duckseg.lang.time import Duration, TimeValue
from duckseg.types import ValueType


class Op(enum.Enum):
    """Operators of attribute and property conditions (docs/language.md)."""

    IS = "is"
    IS_NOT = "is_not"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    MATCHES = "matches"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    BEFORE = "before"
    AFTER = "after"
    WITHIN_LAST = "within_last"
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"
    HAS = "has"
    HAS_ALL = "has_all"
    HAS_NONE = "has_none"
    TOP_PERCENT = "top_percent"
    BOTTOM_PERCENT = "bottom_percent"


UNARY_OPS = frozenset({Op.IS_SET, Op.IS_NOT_SET, Op.IS_TRUE, Op.IS_FALSE})
# Ops that match a missing value (docs/language.md: "negative ops DO match a missing value").
NEGATIVE_OPS = frozenset({Op.IS_NOT, Op.NOT_CONTAINS, Op.HAS_NONE, Op.IS_NOT_SET})
TEXT_FOLDING_OPS = frozenset(
    {Op.IS, Op.IS_NOT, Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH}
)
# Percentiles (docs/language.md): a contact's place among every contact's value, not a test
# of its own value alone.
PERCENT_OPS = frozenset({Op.TOP_PERCENT, Op.BOTTOM_PERCENT})


class CompareOp(enum.Enum):
    """Comparisons for `count` and `aggregate` (docs/language.md)."""

    EQ = "eq"
    NEQ = "neq"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"


class AggFn(enum.Enum):
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    COUNT_DISTINCT = "count_distinct"


Scalar = str | int | float | Decimal | bool | date
Value = Scalar | TimeValue


@dataclass(frozen=True)
class Column:
    name: str
    type: ValueType
    scope: str  # "contact" | "event" | "trait"
    trait: Trait | None = None  # how a trait's value is computed (scope "trait")


@dataclass(frozen=True)
class ValueTest:
    """`attr`/`prop` condition. `values` holds 0 (unary), 1, or several (list / between) values."""

    column: Column
    op: Op
    values: tuple[Value, ...] = ()
    case_sensitive: bool = True
    duration: Duration | None = None  # within_last


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    values: tuple[int | float | Decimal | date | TimeValue, ...]

    @property
    def bounds(self) -> tuple[int | float | Decimal, ...]:
        """The values of a count / sum comparison, which are numbers."""
        numbers = tuple(v for v in self.values if isinstance(v, int | float | Decimal))
        if len(numbers) != len(self.values):
            raise TypeError(f"not a numeric comparison: {self.values!r}")
        return numbers

    def holds(self, value: int) -> bool:
        """Whether a count (or a sum) of `value` passes this comparison."""
        b = self.bounds
        match self.op:
            case CompareOp.EQ:
                return value == b[0]
            case CompareOp.NEQ:
                return value != b[0]
            case CompareOp.GT:
                return value > b[0]
            case CompareOp.GTE:
                return value >= b[0]
            case CompareOp.LT:
                return value < b[0]
            case CompareOp.LTE:
                return value <= b[0]
            case CompareOp.BETWEEN:
                return b[0] <= value <= b[1]
            case _:
                assert_never(self.op)


@dataclass(frozen=True)
class Aggregate:
    fn: AggFn
    column: Column
    compare: Compare


@dataclass(frozen=True)
class WindowLast:
    duration: Duration


@dataclass(frozen=True)
class WindowBetween:
    low: TimeValue
    high: TimeValue


@dataclass(frozen=True)
class WindowBefore:
    at: TimeValue


@dataclass(frozen=True)
class WindowAfter:
    at: TimeValue


@dataclass(frozen=True)
class WindowSpan:
    """A stretch of time counted back from as_of, never written by users: lifecycle periods
    (docs/language.md, "Lifecycle") are lowered to counts in these. `since` and `until` are offsets, each a chain
    of durations subtracted from as_of one after the other (`(as_of - D1) - D2`); the span is
    `[as_of - since, as_of - until)`, from the beginning of time when `since` is None."""

    since: tuple[Duration, ...] | None
    until: tuple[Duration, ...]


Window = WindowLast | WindowBetween | WindowBefore | WindowAfter | WindowSpan


@dataclass(frozen=True)
class EventFilter:
    """Which events qualify: names, a per-event property condition, a window."""

    events: tuple[str, ...]
    where: Node | None = None
    window: Window | None = None


@dataclass(frozen=True)
class EventTest:
    """performed / not_performed: count (and aggregate) of the qualifying events."""

    filter: EventFilter
    count: Compare
    aggregate: Aggregate | None = None


class Which(enum.Enum):
    FIRST = "first"
    LAST = "last"


@dataclass(frozen=True)
class EventTimeTest:
    """first_performed / last_performed: a test on the time of the first or last qualifying event."""

    filter: EventFilter
    which: Which
    test: Window  # any window (docs/language.md, "Windows"), as a test on that time


@dataclass(frozen=True)
class AllOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class SegmentRef:
    """in_segment to a dynamic segment; `tree` is that segment's resolved condition."""

    name: str
    tree: Node


@dataclass(frozen=True)
class StaticMembers:
    """in_segment to a static segment: its stored member list."""

    name: str


# -- sequences and lifecycle (docs/language.md) ---------------------------------------------


@dataclass(frozen=True)
class SequenceStep:
    """One step: its events qualify by name, `where` and the sequence's window."""

    filter: EventFilter
    then_within: Duration | None = None  # fixed units only; never on the first step


@dataclass(frozen=True)
class SequenceTest:
    """Events e1 < e2 < ... < en, one per step, each within its step's then_within."""

    steps: tuple[SequenceStep, ...]


@dataclass(frozen=True)
class RegularTest:
    """performed_regularly: at least `times` qualifying events in each of at least
    `min_periods` of the `periods` periods of length `every` that end at as_of."""

    filter: EventFilter
    every: Duration
    periods: int
    min_periods: int
    times: int


@dataclass(frozen=True)
class StoppedTest:
    """stopped_performing: some in [as_of - recent - prior, as_of - recent), none since."""

    filter: EventFilter
    recent: Duration
    prior: Duration


@dataclass(frozen=True)
class RestartedTest:
    """restarted_performing: some in the last `recent`, none in the `gap` before it, and
    some before the gap."""

    filter: EventFilter
    recent: Duration
    gap: Duration


# -- traits (computed attributes, docs/language.md) --------------------------------------


class TraitFn(enum.Enum):
    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    COUNT_DISTINCT = "count_distinct"
    FIRST_TIME = "first_time"
    LAST_TIME = "last_time"
    FIRST_VALUE = "first_value"
    LAST_VALUE = "last_value"


# Fns that read no property: a count of the qualifying events, or their first / last time.
TRAIT_FNS_WITHOUT_PROP = frozenset({TraitFn.COUNT, TraitFn.FIRST_TIME, TraitFn.LAST_TIME})
# Fns whose value without anything to count or add up is 0, not missing.
TRAIT_FNS_ZERO_WHEN_EMPTY = frozenset({TraitFn.COUNT, TraitFn.SUM, TraitFn.COUNT_DISTINCT})


@dataclass(frozen=True)
class Trait:
    """A per-contact value computed from the qualifying events up to as_of."""

    name: str
    filter: EventFilter
    fn: TraitFn
    prop: Column | None  # None for count, first_time, last_time
    type: ValueType

    @property
    def column(self) -> Column:
        """The trait read like an attribute."""
        return Column(self.name, self.type, "trait", self)


PatternTest = SequenceTest | RegularTest | StoppedTest | RestartedTest

Node = (
    AllOf
    | AnyOf
    | Not
    | ValueTest
    | EventTest
    | EventTimeTest
    | SegmentRef
    | StaticMembers
    | SequenceTest
    | RegularTest
    | StoppedTest
    | RestartedTest
)


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case AllOf(kids) | AnyOf(kids):
            return kids
        case Not(child):
            return (child,)
        case SegmentRef(_, tree):
            return (tree,)
        case _:
            return ()


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    out: list[Node] = [node]
    for child in children(node):
        out.extend(walk(child))
    return out
