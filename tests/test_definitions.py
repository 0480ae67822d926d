"""Definition loading and type checking: every problem reported, with file, path and hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from duckseg import DefinitionError, Segment
from duckseg.db import regex_error
from duckseg.lang.resolve import Resolver
from duckseg.types import Catalog
from duckseg.types import ValueType as T

CATALOG = Catalog(
    {
        "city": T.TEXT,
        "country": T.TEXT,
        "total_spent": T.FLOAT,
        "lead_score": T.INTEGER,
        "signup_at": T.TIMESTAMP,
        "birthday": T.DATE,
        "tags": T.TEXT_LIST,
        "opted_out": T.BOOLEAN,
    },
    {"amount": T.FLOAT, "category": T.TEXT},
    frozenset({"purchase", "login"}),
)


def problems(
    where: Any, segments: dict[str, Any] | None = None, source: str = "segments/t.yaml"
) -> list[str]:
    known = {
        name: Segment.from_dict({"name": name, **body}, source=f"segments/{name}.yaml")
        for name, body in (segments or {}).items()
    }
    try:
        seg = Segment.from_dict({"name": "t", "where": where}, source=source)
        Resolver(CATALOG, "UTC", known.get, list(known), regex_error=regex_error).resolve(seg)
    except DefinitionError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_spec_example_message() -> None:
    where = {
        "all": [
            {"attr": "city", "op": "is", "value": "Pune"},
            {"attr": "total_spent", "op": "gt", "value": "ten"},
        ]
    }
    assert problems(where) == [
        'segments/t.yaml: where.all[1].value: expected a number for attribute total_spent, got "ten"'
    ]


def test_every_problem_is_reported_at_once() -> None:
    where = {
        "all": [
            {"attr": "cty", "op": "is", "value": "Pune"},
            {"attr": "lead_score", "op": "contains", "value": 3},
            {"performed": "purchse"},
        ]
    }
    found = problems(where)
    assert len(found) == 3
    assert "where.all[0].attr: unknown attribute cty (did you mean city?)" in found[0]
    assert (
        "where.all[1].op: op contains is not valid for attribute lead_score (integer)" in found[1]
    )
    assert "where.all[2].performed: unknown event purchse (did you mean purchase?)" in found[2]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (
            {"attr": "country", "op": "is", "value": False},
            "where.value: expected text for attribute country, got the YAML boolean false (quote it",
        ),
        (
            {"attr": "city", "op": "is", "value": 411001},
            'expected text for attribute city, got 411001 (quote it: "411001")',
        ),
        (
            {"attr": "tags", "op": "is", "value": "VIP"},
            "op is is not valid for attribute tags (list of text) (use has, has_all or has_none",
        ),
        ({"attr": "city", "op": "is", "value": []}, "where.value: a list value must not be empty"),
        (
            {"attr": "total_spent", "op": "between", "value": [10, 1]},
            "where.value: between needs low <= high, got [10, 1]",
        ),
        ({"attr": "city", "op": "is_set", "value": "x"}, "where.value: op is_set takes no value"),
        ({"attr": "city", "op": "is"}, "where: op is needs a value"),
        ({"attr": "city", "op": "equals", "value": "x"}, "where.op: unknown op equals"),
        (
            {"attr": "city", "op": "gt", "value": "x"},
            "op gt is not valid for attribute city (text)",
        ),
        (
            {"attr": "city", "op": "matches", "value": "(unclosed"},
            "where.value: invalid regular expression",
        ),
        (
            {"attr": "signup_at", "op": "after", "value": "last tuesday"},
            "where.value: expected an ISO-8601 date or timestamp",
        ),
        (
            {"attr": "signup_at", "op": "within_last", "value": "7 days"},
            "where.value: expected a duration like 90d",
        ),
        ({"attr": "signup_at", "op": "within_last", "value": "0d"}, "a duration must be positive"),
        (
            {"attr": "opted_out", "op": "is", "value": "yes"},
            "expected true or false for attribute opted_out",
        ),
        (
            {"attr": "lead_score", "op": "gt", "value": 10**30},
            "is out of range for attribute lead_score",
        ),
        (
            {"attr": "lead_score", "op": "gt", "value": True},
            "expected a number for attribute lead_score, got True",
        ),
        (
            {"attr": "city", "op": "contains", "value": "x", "case_sensitive": "yes"},
            "where.case_sensitive: expected true or false",
        ),
        (
            {"attr": "total_spent", "op": "gt", "value": 1, "case_sensitive": True},
            "case_sensitive applies only to text ops",
        ),
        (
            {"attr": "city", "op": "is", "value": "x", "vlaue": 1},
            "where.vlaue: unknown key 'vlaue' (did you mean value?)",
        ),
        ({"any": []}, "where.any: an empty any matches nobody and is not allowed"),
        ({"al": []}, "where: expected a condition: a mapping with one of all, any, not"),
        (
            {"attr": "city", "op": "is", "value": "x", "performed": "login"},
            "a condition has exactly one kind",
        ),
        ("city is Pune", "where: expected a condition (a mapping with one of"),
        ({"prop": "amount", "op": "gt", "value": 1}, "where.prop: use attr for contact attributes"),
        (
            {"performed": "purchase", "where": {"attr": "city", "op": "is", "value": "x"}},
            "where.where.attr: use prop for event properties",
        ),
        (
            {"performed": "purchase", "where": {"prop": "amout", "op": "gt", "value": 1}},
            "where.where.prop: unknown event property amout (did you mean amount?)",
        ),
        (
            {"performed": "purchase", "count": {"op": "gte", "value": -1}},
            "where.count.value: expected a whole number of events",
        ),
        (
            {"performed": "purchase", "count": {"op": "gte", "value": 1.5}},
            "where.count.value: expected a whole number of events",
        ),
        (
            {"performed": "purchase", "count": {"op": "more", "value": 1}},
            "where.count.op: unknown comparison more",
        ),
        (
            {"performed": "purchase", "count": {"op": "gt", "value": 1, "x": 2}},
            "where.count.x: unknown key 'x'",
        ),
        ({"performed": "purchase", "within": "forever"}, "where.within: expected a duration"),
        (
            {"performed": "purchase", "within": {"since": "2026-01-01"}},
            "where.within.since: unknown window 'since'",
        ),
        (
            {"performed": "purchase", "within": {"between": ["2026-02-01", "2026-01-01"]}},
            "where.within.between: between needs low <= high",
        ),
        (
            {
                "performed": "purchase",
                "aggregate": {"fn": "sum", "prop": "category", "op": "gt", "value": 1},
            },
            "where.aggregate.fn: sum needs a numeric property; category is text",
        ),
        (
            {
                "performed": "purchase",
                "aggregate": {"fn": "median", "prop": "amount", "op": "gt", "value": 1},
            },
            "where.aggregate.fn: unknown aggregate median",
        ),
        ({"performed": []}, "where.performed: expected an event name or a non-empty list"),
        (
            {"performed": "purchase", "withn": "7d"},
            "where.withn: unknown key 'withn' (did you mean within?)",
        ),
        (
            {"last_performed": "login"},
            "last_performed needs exactly one of before, after, within (got 0)",
        ),
        (
            {"last_performed": "login", "before": "2026-01-01", "within": "7d"},
            "needs exactly one of before, after, within (got 2)",
        ),
        ({"in_segment": "vipp"}, "where.in_segment: unknown segment vipp (did you mean vip?)"),
    ],
)
def test_error_messages(where: Any, expected: str) -> None:
    found = problems(
        where, segments={"vip": {"where": {"attr": "lead_score", "op": "gt", "value": 90}}}
    )
    assert found, "expected a definition error"
    assert any(expected in p for p in found), found
    assert all(p.startswith("segments/t.yaml: ") for p in found)


def test_reference_cycle_prints_the_cycle() -> None:
    segments = {"a": {"where": {"in_segment": "b"}}, "b": {"where": {"not_in_segment": "a"}}}
    found = problems({"in_segment": "a"}, segments)
    assert any("segment reference cycle: a -> b -> a" in p for p in found), found


def test_self_reference_is_a_cycle() -> None:
    assert any(
        "cycle: t -> t" in p
        for p in problems({"in_segment": "t"}, {"t": {"where": {"in_segment": "t"}}})
    )


def test_unknown_top_level_key_and_bad_name() -> None:
    with pytest.raises(DefinitionError) as exc:
        Segment.from_dict({"name": "bad name", "wher": {}}, source="s.yaml")
    text = str(exc.value)
    assert "s.yaml: wher: unknown key 'wher' (did you mean where?)" in text
    assert "s.yaml: name: expected a segment name" in text


def test_broken_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("where:\n  attr: city\n   op: is\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        Segment.from_yaml(path)
    assert f"{path}: line 3, column" in str(exc.value)
    assert "not valid YAML" in str(exc.value)


def test_static_segment_has_no_where() -> None:
    with pytest.raises(DefinitionError, match="a static segment has no where"):
        Segment.from_dict({"name": "s", "kind": "static", "where": {"all": []}})


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "vip_customers.yaml"
    path.write_text("where: {attr: lead_score, op: gt, value: 90}\n", encoding="utf-8")
    assert Segment.from_yaml(path).name == "vip_customers"


def test_yaml_native_dates_are_accepted() -> None:
    seg = Segment.from_yaml_string("where: {attr: signup_at, op: after, value: 2026-01-31}\n")
    assert Resolver(CATALOG, "UTC", lambda _n: None).resolve(seg).tree is not None


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    where: Any = {"attr": "city", "op": "is", "value": "x"}
    for _ in range(200):
        where = {"not": where}
    found = problems(where)
    assert any("nested more than" in p for p in found)
