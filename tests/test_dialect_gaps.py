"""SQL for other warehouses never silently means something else: sqlglot's unsupported
constructs raise, and regex flags a dialect cannot carry are translated or refused."""

from __future__ import annotations

import pytest
from sqlglot import exp

from duckseg import Segment, Workspace
from duckseg.compiler import to_sql
from duckseg.compiler.dialects import DIALECTS, DialectGapError, inline_flags


def matches(pattern: str) -> Segment:
    return Segment.from_dict(
        {"name": "m", "where": {"attr": "email", "op": "matches", "value": pattern}},
        source="segments/m.yaml",
    )


def test_snowflake_takes_a_leading_i_as_the_function_parameter(sample_ws: Workspace) -> None:
    sql = sample_ws.compile(matches("(?i)^ab"), dialect="snowflake")
    assert "REGEXP_INSTR(\"contacts\".\"email\", '^ab', 1, 1, 0, 'i') > 0" in sql
    assert "'(?i)" not in sql  # only the comment that describes the condition quotes it


@pytest.mark.parametrize(
    ("dialect", "pattern"),
    [
        ("snowflake", "^a(?i)b"),
        ("snowflake", "(?:ab)+"),
        ("snowflake", "(?s)a.b"),
        ("postgres", "^a(?i)b"),
        ("postgres", "(?i)a(?-i:B)"),
    ],
)
def test_flags_a_dialect_would_misread_are_refused(
    sample_ws: Workspace, dialect: str, pattern: str
) -> None:
    with pytest.raises(DialectGapError) as caught:
        sample_ws.compile(matches(pattern), dialect=dialect)
    assert f"the pattern {pattern!r} cannot be written for {dialect}" in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "bigquery", "trino"])
def test_dialects_with_inline_flags_keep_the_pattern(dialect: str) -> None:
    assert inline_flags("^a(?i)b", DIALECTS[dialect]) == ("^a(?i)b", "")


def test_postgres_keeps_a_leading_i_and_non_capturing_groups() -> None:
    assert inline_flags("(?i)(?:ab)+", DIALECTS["postgres"]) == ("(?i)(?:ab)+", "")


def test_what_sqlglot_cannot_express_is_raised_not_logged() -> None:
    ordered = exp.select(
        exp.ArrayAgg(
            this=exp.Order(
                this=exp.column("x"),
                expressions=[exp.Ordered(this=exp.column("y"), nulls_first=False)],
            )
        )
    ).from_("t")
    with pytest.raises(DialectGapError, match="cannot be written for bigquery"):
        to_sql(ordered, "bigquery")


def sequence(then_within: str | None) -> Segment:
    second: dict[str, object] = {"performed": "purchase"}
    if then_within:
        second["then_within"] = then_within
    return Segment.from_dict(
        {"name": "s", "where": {"sequence": [{"performed": "page_view"}, second]}},
        source="segments/s.yaml",
    )


def test_trino_sorts_a_sequence_instead_of_counting_microseconds(sample_ws: Workspace) -> None:
    """Trino's date_diff has no microsecond unit: its sequences with then_within compare
    instants after one sort per contact (compiler/sequences_sorted.py), never a millisecond
    difference that would place events wrongly."""
    sql = sample_ws.compile(sequence("7d"), dialect="trino")
    assert "MICROSECOND" not in sql
    assert "MAX(CASE WHEN" in sql and "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW" in sql


def test_snowflake_buckets_by_an_exact_multiple_not_a_rounded_quotient(
    sample_ws: Workspace,
) -> None:
    """Snowflake rounds a quotient of integers to six decimals: TRUNC(m / g) can land an
    event a fraction of a stretch before an edge in the next stretch; (m - MOD(m, g)) / g
    is exact."""
    sql = sample_ws.compile(sequence("7d"), dialect="snowflake")
    assert "% 604800000000" in sql
    assert "TRUNC(" not in sql
