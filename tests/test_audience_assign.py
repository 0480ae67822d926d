"""Arms and agents: DuckDB's assignment against the rule written out in plain Python."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare
from sqlglot import exp

from duckseg.audiences.assign import hash_expr, pick, pick_expr, thresholds
from tests.audienceshop import expected_pick


def assign_in_duckdb(salt: str, ids: pa.Array, weights: list[tuple[str, int]]) -> list[str]:
    """The SQL the audience build runs, over a table of ids."""
    key = exp.column("contact_id")
    hashed = exp.select(key, hash_expr(salt, key.copy()).as_("h")).from_("ids")
    query = exp.select(pick_expr(exp.column("h"), weights).as_("arm")).from_(hashed.subquery("x"))
    con = duckdb.connect()
    try:
        con.register("ids", pa.table({"contact_id": ids}))
        return [row[0] for row in con.sql(query.sql("duckdb")).fetchall()]
    finally:
        con.close()


names = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
weighted = st.lists(
    st.tuples(names, st.integers(min_value=1, max_value=2**40)), min_size=1, max_size=6,
    unique_by=lambda t: t[0],
)  # fmt: skip
salts = st.text(min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(salt=salts, ids=st.lists(st.text(max_size=30), min_size=1, max_size=40), w=weighted)
def test_text_ids_match_the_rule(salt: str, ids: list[str], w: list[tuple[str, int]]) -> None:
    got = assign_in_duckdb(salt, pa.array(ids, pa.string()), w)
    assert got == [expected_pick(salt, cid, w) for cid in ids]
    assert got == [pick(salt, cid, w) for cid in ids]


@settings(max_examples=100, deadline=None)
@given(
    salt=salts,
    ids=st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=40),
    w=weighted,
)
def test_integer_ids_hash_as_decimal_text(
    salt: str, ids: list[int], w: list[tuple[str, int]]
) -> None:
    got = assign_in_duckdb(salt, pa.array(ids, pa.int64()), w)
    assert got == [expected_pick(salt, cid, w) for cid in ids]


@given(w=st.lists(st.integers(min_value=1, max_value=2**62 // 8), min_size=1, max_size=8))
def test_thresholds_are_the_exact_boundaries(w: list[int]) -> None:
    total = sum(w)
    cum = 0
    for weight, limit in zip(w, thresholds(w), strict=False):
        cum += weight
        assert (limit - 1) * total < cum * 2**64 <= limit * total


def test_the_boundary_hash_goes_to_the_next_arm() -> None:
    # h * W < cum * 2**64 is strict: with weights 1:1, h = 2**63 is in the second arm.
    assert thresholds([1, 1]) == [2**63]
    con = duckdb.connect()
    query = exp.select(
        pick_expr(
            exp.cast(exp.Literal.number(2**63 - 1), exp.DataType.Type.UBIGINT), [("a", 1), ("b", 1)]
        ).as_("below"),
        pick_expr(
            exp.cast(exp.Literal.number(2**63), exp.DataType.Type.UBIGINT), [("a", 1), ("b", 1)]
        ).as_("at"),
    )
    assert con.sql(query.sql("duckdb")).fetchall() == [("a", "b")]


def test_100k_ids_spread_as_the_weights_say() -> None:
    # Fixed ids and salt: the outcome is the same on every run, never flaky.
    weights = [("holdout", 10), ("a", 45), ("b", 45)]
    ids = pa.array([f"c{n:06d}" for n in range(100_000)], pa.string())
    arms = assign_in_duckdb("diwali-2026", ids, weights)
    observed = [arms.count(name) for name, _ in weights]
    expected = [100_000 * w / 100 for _, w in weights]
    result = chisquare(observed, expected)
    assert result.pvalue > 0.01, (observed, result)
    for got, want in zip(observed, expected, strict=True):
        assert abs(got - want) < 0.01 * 100_000  # within a point of the weights
