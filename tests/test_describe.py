"""Plain-English descriptions: every operator, comparison, aggregate, window and node kind has
words, and definitions read as sentences a marketer would write.

The enum-driven tests iterate over the IR's enums and unions, so adding an operator or a
window kind without wording fails here.
"""

from __future__ import annotations

import typing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from duckseg import Segment
from duckseg.lang import ir
from duckseg.lang.describe import (
    AGG_WORDS,
    AMOUNT_WORDS,
    COMPARE_WORDS,
    OP_WORDS,
    TEMPORAL_OP_WORDS,
    TIME_WORDS,
    describe,
    describe_window,
)
from duckseg.lang.outline import describe_definition
from duckseg.lang.time import AbsoluteDate, AbsoluteInstant, Duration, Relative, Unit
from duckseg.types import ValueType
from tests.lakefixture import MiniLake, make_lake

TEXT = ir.Column("city", ValueType.TEXT, "contact")
NUMBER = ir.Column("total_spent", ValueType.FLOAT, "contact")
WHEN = ir.Column("signup_at", ValueType.TIMESTAMP, "contact")
TAGS = ir.Column("tags", ValueType.TEXT_LIST, "contact")
FLAG = ir.Column("opted_out", ValueType.BOOLEAN, "contact")
AMOUNT = ir.Column("amount", ValueType.FLOAT, "event")
DAYS_90 = Duration(90, Unit.DAY)
PURCHASE = ir.EventFilter(("purchase",))


def value_test(op: ir.Op) -> ir.ValueTest:
    """A well-formed test for any operator, on a column of a type it applies to."""
    if op in (ir.Op.IS_TRUE, ir.Op.IS_FALSE):
        return ir.ValueTest(FLAG, op)
    if op in ir.UNARY_OPS:
        return ir.ValueTest(TEXT, op)
    if op in (ir.Op.HAS, ir.Op.HAS_ALL, ir.Op.HAS_NONE):
        return ir.ValueTest(TAGS, op, ("vip", "beta"))
    if op is ir.Op.WITHIN_LAST:
        return ir.ValueTest(WHEN, op, (), duration=Duration(7, Unit.DAY))
    if op in (ir.Op.BEFORE, ir.Op.AFTER):
        return ir.ValueTest(WHEN, op, (AbsoluteDate(date(2026, 1, 31)),))
    if op is ir.Op.BETWEEN:
        return ir.ValueTest(NUMBER, op, (10, 20))
    if op in (ir.Op.GT, ir.Op.GTE, ir.Op.LT, ir.Op.LTE):
        return ir.ValueTest(NUMBER, op, (10000,))
    return ir.ValueTest(TEXT, op, ("Pune",), case_sensitive=op in (ir.Op.IS, ir.Op.IS_NOT))


def window(kind: type) -> ir.Window:
    samples: dict[type, ir.Window] = {
        ir.WindowLast: ir.WindowLast(DAYS_90),
        ir.WindowBetween: ir.WindowBetween(
            AbsoluteDate(date(2026, 1, 1)), AbsoluteDate(date(2026, 1, 31))
        ),
        ir.WindowBefore: ir.WindowBefore(AbsoluteInstant(datetime(2026, 1, 31, 12, tzinfo=UTC))),
        ir.WindowAfter: ir.WindowAfter(Relative(Duration(7, Unit.DAY), -1)),
        ir.WindowSpan: ir.WindowSpan((DAYS_90, Duration(1, Unit.MONTH)), (DAYS_90,)),
    }
    return samples[kind]


# -- every enum member and union member has words --------------------------------------


@pytest.mark.parametrize("op", list(ir.Op), ids=lambda o: o.value)
def test_every_operator_has_a_sentence(op: ir.Op) -> None:
    assert op in OP_WORDS
    text = describe(value_test(op))
    assert text.startswith(value_test(op).column.name + " ")
    assert "_" not in text.replace(value_test(op).column.name, "")


def test_operator_words_are_distinct() -> None:
    assert len(set(OP_WORDS.values())) == len(OP_WORDS) == len(ir.Op)
    assert set(TEMPORAL_OP_WORDS) <= set(ir.Op)


@pytest.mark.parametrize("op", list(ir.CompareOp), ids=lambda o: o.value)
def test_every_count_comparison_has_words(op: ir.CompareOp) -> None:
    assert op in COMPARE_WORDS and op in AMOUNT_WORDS and op in TIME_WORDS
    values = (2, 5) if op is ir.CompareOp.BETWEEN else (3,)
    text = describe(ir.EventTest(PURCHASE, ir.Compare(op, values)))
    assert "purchase" in text and str(values[-1]) in text


@pytest.mark.parametrize("op", list(ir.CompareOp), ids=lambda o: o.value)
@pytest.mark.parametrize("fn", list(ir.AggFn), ids=lambda f: f.value)
def test_every_aggregate_has_words(fn: ir.AggFn, op: ir.CompareOp) -> None:
    assert fn in AGG_WORDS
    values = (100, 500) if op is ir.CompareOp.BETWEEN else (500,)
    agg = ir.Aggregate(fn, AMOUNT, ir.Compare(op, values))
    text = describe(ir.EventTest(PURCHASE, ir.Compare(ir.CompareOp.GTE, (1,)), agg))
    assert text.startswith("performed purchase, with ")
    assert f"{AGG_WORDS[fn]} amount" in text and "500" in text


@pytest.mark.parametrize("kind", typing.get_args(ir.Window), ids=lambda k: k.__name__)
def test_every_window_kind_has_words(kind: type) -> None:
    w = window(kind)
    assert describe_window(w).startswith(" ")
    flt = ir.EventFilter(("purchase",), None, w)
    assert describe(ir.EventTest(flt, ir.Compare(ir.CompareOp.GTE, (1,)))).startswith(
        "performed purchase "
    )
    for which in ir.Which:
        text = describe(ir.EventTimeTest(PURCHASE, which, w))
        assert text.startswith(f"{which.value} performed purchase ")


@pytest.mark.parametrize("kind", typing.get_args(ir.Node), ids=lambda k: k.__name__)
def test_every_node_kind_has_words(kind: type) -> None:
    leaf = value_test(ir.Op.IS)
    samples: dict[type, ir.Node] = {
        ir.AllOf: ir.AllOf((leaf, leaf)),
        ir.AnyOf: ir.AnyOf((leaf, leaf)),
        ir.Not: ir.Not(leaf),
        ir.ValueTest: leaf,
        ir.EventTest: ir.EventTest(PURCHASE, ir.Compare(ir.CompareOp.GTE, (1,))),
        ir.EventTimeTest: ir.EventTimeTest(PURCHASE, ir.Which.FIRST, window(ir.WindowBefore)),
        ir.SegmentRef: ir.SegmentRef("vip", leaf),
        ir.StaticMembers: ir.StaticMembers("uploaded"),
        ir.SequenceTest: ir.SequenceTest(
            (ir.SequenceStep(PURCHASE), ir.SequenceStep(PURCHASE, Duration(1, Unit.DAY)))
        ),
        ir.RegularTest: ir.RegularTest(PURCHASE, Duration(1, Unit.MONTH), 3, 2, 1),
        ir.StoppedTest: ir.StoppedTest(PURCHASE, DAYS_90, DAYS_90),
        ir.RestartedTest: ir.RestartedTest(PURCHASE, DAYS_90, DAYS_90),
    }
    assert describe(samples[kind])


# -- the wording itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (value_test(ir.Op.IS), 'city is "Pune"'),
        (
            ir.ValueTest(TEXT, ir.Op.IS, ("Pune", "Mumbai", "Nagpur")),
            'city is one of "Pune", "Mumbai" or "Nagpur"',
        ),
        (value_test(ir.Op.IS_NOT), 'city is not "Pune" (including no city)'),
        (
            ir.ValueTest(TEXT, ir.Op.IS_NOT, ("a", "b")),
            'city is neither "a" nor "b" (including no city)',
        ),
        (
            ir.ValueTest(TEXT, ir.Op.IS_NOT, ("a", "b", "c")),
            'city is none of "a", "b" or "c" (including no city)',
        ),
        (value_test(ir.Op.IS_SET), "city is set"),
        (value_test(ir.Op.IS_NOT_SET), "city is not set"),
        (value_test(ir.Op.CONTAINS), 'city contains "Pune"'),
        (value_test(ir.Op.NOT_CONTAINS), 'city does not contain "Pune" (including no city)'),
        (value_test(ir.Op.STARTS_WITH), 'city starts with "Pune"'),
        (value_test(ir.Op.ENDS_WITH), 'city ends with "Pune"'),
        (
            ir.ValueTest(TEXT, ir.Op.CONTAINS, ("Pu",), case_sensitive=True),
            'city contains "Pu" (case-sensitive)',
        ),
        (
            ir.ValueTest(TEXT, ir.Op.IS, ("pune",), case_sensitive=False),
            'city is "pune" (ignoring case)',
        ),
        (value_test(ir.Op.MATCHES), 'city matches the pattern "Pune"'),
        (value_test(ir.Op.GT), "total_spent is greater than 10000"),
        (value_test(ir.Op.GTE), "total_spent is at least 10000"),
        (value_test(ir.Op.LT), "total_spent is less than 10000"),
        (value_test(ir.Op.LTE), "total_spent is at most 10000"),
        (value_test(ir.Op.BETWEEN), "total_spent is between 10 and 20"),
        (
            ir.ValueTest(WHEN, ir.Op.GT, (AbsoluteDate(date(2026, 1, 1)),)),
            "signup_at is after 2026-01-01",
        ),
        (
            ir.ValueTest(WHEN, ir.Op.LTE, (Relative(Duration(7, Unit.DAY)),)),
            "signup_at is on or before 7 days ago",
        ),
        (value_test(ir.Op.BEFORE), "signup_at is before 2026-01-31"),
        (value_test(ir.Op.AFTER), "signup_at is after 2026-01-31"),
        (value_test(ir.Op.WITHIN_LAST), "signup_at is within the last 7 days"),
        (value_test(ir.Op.IS_TRUE), "opted_out is true"),
        (value_test(ir.Op.IS_FALSE), "opted_out is false"),
        (value_test(ir.Op.HAS), 'tags has "vip" or "beta"'),
        (value_test(ir.Op.HAS_ALL), 'tags has both "vip" and "beta"'),
        (ir.ValueTest(TAGS, ir.Op.HAS_ALL, ("a", "b", "c")), 'tags has all of "a", "b" and "c"'),
        (value_test(ir.Op.HAS_NONE), 'tags has neither "vip" nor "beta" (including no tags)'),
        (
            ir.ValueTest(TAGS, ir.Op.HAS_NONE, ("vip",)),
            'tags does not have "vip" (including no tags)',
        ),
    ],
)
def test_value_wording(node: ir.Node, expected: str) -> None:
    assert describe(node) == expected


def _count(op: ir.CompareOp, *values: int) -> ir.Compare:
    return ir.Compare(op, values)


WITHIN_90 = ir.EventFilter(("purchase",), None, ir.WindowLast(DAYS_90))


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (_count(ir.CompareOp.GTE, 1), "performed purchase in the last 90 days"),
        (_count(ir.CompareOp.GT, 0), "performed purchase in the last 90 days"),
        (_count(ir.CompareOp.EQ, 0), "did not perform purchase in the last 90 days"),
        (_count(ir.CompareOp.LT, 1), "did not perform purchase in the last 90 days"),
        (_count(ir.CompareOp.LTE, 0), "did not perform purchase in the last 90 days"),
        (_count(ir.CompareOp.GTE, 3), "performed purchase at least 3 times in the last 90 days"),
        (_count(ir.CompareOp.GT, 1), "performed purchase more than once in the last 90 days"),
        (_count(ir.CompareOp.EQ, 2), "performed purchase exactly twice in the last 90 days"),
        (
            _count(ir.CompareOp.NEQ, 2),
            "performed purchase not exactly twice in the last 90 days (including never)",
        ),
        (
            _count(ir.CompareOp.LT, 2),
            "performed purchase fewer than twice in the last 90 days (including never)",
        ),
        (
            _count(ir.CompareOp.LTE, 3),
            "performed purchase at most 3 times in the last 90 days (including never)",
        ),
        (
            _count(ir.CompareOp.BETWEEN, 2, 5),
            "performed purchase between 2 and 5 times in the last 90 days",
        ),
        (
            _count(ir.CompareOp.BETWEEN, 0, 5),
            "performed purchase between 0 and 5 times in the last 90 days (including never)",
        ),
    ],
)
def test_count_wording(count: ir.Compare, expected: str) -> None:
    assert describe(ir.EventTest(WITHIN_90, count)) == expected


def test_event_where_and_several_names() -> None:
    flt = ir.EventFilter(
        ("purchase", "refund"),
        ir.ValueTest(AMOUNT, ir.Op.GT, (100,)),
        ir.WindowLast(DAYS_90),
    )
    assert describe(ir.EventTest(flt, _count(ir.CompareOp.GTE, 3))) == (
        "performed purchase or refund (where amount is greater than 100) at least 3 times "
        "in the last 90 days"
    )


def test_time_tests_and_negations() -> None:
    last = ir.EventTimeTest(PURCHASE, ir.Which.LAST, ir.WindowLast(Duration(30, Unit.DAY)))
    assert describe(last) == "last performed purchase within the last 30 days"
    first = ir.EventTimeTest(PURCHASE, ir.Which.FIRST, window(ir.WindowBefore))
    assert describe(first) == "first performed purchase before 2026-01-31T12:00:00Z"
    performed = ir.EventTest(WITHIN_90, _count(ir.CompareOp.GTE, 1))
    assert describe(ir.Not(performed)) == "did not perform purchase in the last 90 days"
    never = ir.EventTest(WITHIN_90, _count(ir.CompareOp.EQ, 0))
    assert describe(ir.Not(never)) == "performed purchase in the last 90 days"
    assert describe(ir.Not(ir.SegmentRef("vip", performed))) == "not in segment vip"
    assert describe(ir.Not(ir.Not(value_test(ir.Op.IS)))) == 'city is "Pune"'
    assert describe(ir.Not(value_test(ir.Op.IS_TRUE))) == "opted_out is not true"
    assert describe(ir.Not(value_test(ir.Op.IS_FALSE))) == "opted_out is not false"
    assert describe(ir.Not(value_test(ir.Op.IS))) == 'city is not "Pune" (including no city)'
    assert describe(ir.Not(value_test(ir.Op.IS_NOT))) == 'city is "Pune"'
    assert describe(ir.Not(value_test(ir.Op.HAS))) == (
        'tags has neither "vip" nor "beta" (including no tags)'
    )
    assert describe(ir.Not(value_test(ir.Op.IS_NOT_SET))) == "city is set"
    assert describe(ir.Not(value_test(ir.Op.GT))) == "not (total_spent is greater than 10000)"


def test_groups_nest_with_parentheses() -> None:
    a, b, c = (value_test(ir.Op.IS), value_test(ir.Op.IS_SET), value_test(ir.Op.IS_TRUE))
    assert describe(ir.AllOf(())) == "everyone"
    assert describe(ir.AnyOf((ir.AllOf((a, b)), c))) == (
        '(city is "Pune" and city is set) or opted_out is true'
    )


# -- definitions resolved against a lake, and unresolved ones --------------------------------


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> MiniLake:
    contacts = pa.table(
        {
            "contact_id": ["c1", "c2"],
            "city": ["Pune", None],
            "total_spent": [12000.0, 5.0],
            "tags": [["vip"], []],
            "signup_at": pa.array([datetime(2026, 1, 1), None], pa.timestamp("us")),
        }
    )
    events = pa.table(
        {
            "contact_id": ["c1"],
            "event": ["purchase"],
            "ts": pa.array([datetime(2026, 3, 1)], pa.timestamp("us")),
            "amount": [120.0],
        }
    )
    return make_lake(tmp_path_factory.mktemp("lake"), contacts, events)


SENTENCES: list[tuple[dict[str, Any], str]] = [
    (
        {
            "all": [
                {"attr": "total_spent", "op": "gt", "value": 10000},
                {"not_performed": "purchase", "within": "90d"},
            ]
        },
        "total_spent is greater than 10000 and did not perform purchase in the last 90 days",
    ),
    (
        {
            "performed": "purchase",
            "where": {"prop": "amount", "op": "gt", "value": 100},
            "within": {"between": ["2026-01-01", "2026-01-31"]},
            "count": {"op": "gte", "value": 3},
        },
        "performed purchase (where amount is greater than 100) at least 3 times "
        "between 2026-01-01 and 2026-01-31",
    ),
    (
        {
            "performed": "purchase",
            "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 500},
        },
        "performed purchase, with total amount greater than 500",
    ),
    (
        {"first_performed": "purchase", "after": "now-30d"},
        "first performed purchase after 30 days ago",
    ),
    (
        {
            "any": [
                {"attr": "city", "op": "is", "value": ["Pune", "Mumbai"]},
                {"attr": "tags", "op": "has", "value": "vip"},
            ]
        },
        'city is one of "Pune" or "Mumbai" or tags has "vip"',
    ),
    (
        {"attr": "signup_at", "op": "within_last", "value": "7d"},
        "signup_at is within the last 7 days",
    ),
]


@pytest.mark.parametrize(("where", "expected"), SENTENCES)
def test_resolved_definitions_read_as_sentences(
    lake: MiniLake, where: dict[str, Any], expected: str
) -> None:
    tree = lake.resolver().resolve(Segment.from_dict({"name": "t", "where": where})).tree
    assert tree is not None
    assert describe(tree) == expected


@pytest.mark.parametrize(("where", "expected"), SENTENCES)
def test_definitions_read_the_same_before_they_are_checked(
    where: dict[str, Any], expected: str
) -> None:
    assert describe_definition(Segment.from_dict({"name": "t", "where": where})) == expected


def test_unchecked_definitions_never_raise(tmp_path: Path) -> None:
    seg = Segment.from_dict({"name": "t", "where": {"attr": "x", "op": "nonsense", "value": 1}})
    assert "duckseg check" in describe_definition(seg)
    assert describe_definition(Segment.from_dict({"name": "s", "kind": "static"})) == (
        "a static list of contacts"
    )
    html = Segment.from_dict(
        {"name": "vip", "description": "<Big> spenders", "where": {"attr": "x", "op": "is_set"}}
    )._repr_html_()
    assert "&lt;Big&gt; spenders" in html and "Members: x is set" in html and "<details>" in html


def test_compiled_sql_carries_the_description(lake: MiniLake) -> None:
    sql = lake.sql({"not_performed": "purchase", "within": "90d"})
    assert "members of t: did not perform purchase in the last 90 days" in sql
