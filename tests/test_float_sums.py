"""Float sums on DuckDB (compiler/floatsum.py) against Python's math.fsum.

The sum of a group must be a function of its values alone (SPEC 6.3), whatever the
order of the rows and however DuckDB splits them between threads; where every value
is in the fixed-point range it must be the correctly rounded sum, as math.fsum and
the reference evaluator compute it.
"""

from __future__ import annotations

import math
import random

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from duckseg.compiler.floatsum import MAX_MAGNITUDE, exact_float_sum, with_filter
from duckseg.db import cursor


def _sum_sql(where: exp.Expr | None = None) -> str:
    total = exact_float_sum(exp.column("x"), where, with_filter)
    return exp.select("g", exp.alias_(total, "s")).from_("t").group_by("g").sql("duckdb")


def _sums(con: duckdb.DuckDBPyConnection, groups: list[list[float]]) -> dict[int, float]:
    rows = [(g, i, x) for g, values in enumerate(groups) for i, x in enumerate(values)]
    con.execute("CREATE OR REPLACE TEMP TABLE t (g INTEGER, i INTEGER, x DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    return {int(g): float(s) for g, s in con.execute(_sum_sql()).fetchall()}


def _in_range(x: float) -> bool:
    return abs(x) < MAX_MAGNITUDE and (x * 2.0**64).is_integer()


money = st.decimals(min_value=-10_000, max_value=100_000, places=2).map(float)
wide = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda x: x != 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(money, wide), min_size=1, max_size=30), min_size=1, max_size=8))
def test_sums_are_correctly_rounded_and_order_free(groups: list[list[float]]) -> None:
    con = cursor()
    got = _sums(con, groups)
    reversed_got = _sums(con, [list(reversed(g)) for g in groups])
    shuffled = [random.Random(7).sample(g, len(g)) for g in groups]
    assert got == reversed_got == _sums(con, shuffled)
    for index, values in enumerate(groups):
        if all(_in_range(x) for x in values):
            assert got[index] == math.fsum(values), values


@pytest.mark.parametrize(
    "values",
    [
        [858.34, 1141.66],  # exactly halfway between two doubles: rounds to even, 2000.0
        [1015.93, 1820.46, 380.51],
        [0.1] * 10,
        [0.01, 0.02, -0.03],  # small cents: their total has bits far below 2^-53
        [-1.5, 0.25, -0.0],
        [4294967295.0, 4294967295.0, 0.5],  # just below 2^32, twice
        [-(2.0**-12), 2.0**-12, 2.0**-12],
    ],
)
def test_sums_in_the_fixed_point_range_equal_math_fsum(values: list[float]) -> None:
    assert all(_in_range(x) for x in values)
    assert _sums(cursor(), [values]) == {0: math.fsum(values)}


@pytest.mark.parametrize(
    "values",
    [
        [1e-5, 2e-5, 3e-5],  # below 2^-12: FSUM, largest first
        [5e9, 7.25, -3e9],  # beyond 2^32 beside values within
        [1e300, 1.0, -1e300],
        [float("inf"), 1.0],
        [float("nan"), 1.0],
    ],
)
def test_values_outside_the_range_still_sum_the_same_in_any_order(values: list[float]) -> None:
    con = cursor()
    forward = _sums(con, [values])[0]
    backward = _sums(con, [list(reversed(values))])[0]
    expected = math.fsum(values) if all(math.isfinite(x) for x in values) else sum(values)
    assert forward == backward or (math.isnan(forward) and math.isnan(backward))
    assert forward == expected or (math.isnan(forward) and math.isnan(expected))


def test_a_group_without_values_sums_to_zero_and_the_filter_applies() -> None:
    con = cursor()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM (VALUES (0, 1.5), (1, NULL), (2, 2.5)) v(g, x)"
    )
    keep = exp.column("x").neq(2.5)
    rows = dict(con.execute(_sum_sql(keep)).fetchall())
    assert rows == {0: 1.5, 1: 0.0, 2: 0.0}
