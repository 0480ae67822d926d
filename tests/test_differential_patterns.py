"""Sequences, lifecycle conditions and first/last with any window: compiled SQL on DuckDB
against the independent reference evaluator, on random worlds whose events sit on the
edges these constructs care about (same instants, exactly then_within apart, period
boundaries, month ends in the workspace zone)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.reference import strategies as refs
from tests.reference.evaluator import World, evaluate
from tests.test_differential import EXAMPLES, run_engine

PATTERNS = ("first_last_windows", "sequences", "lifecycle")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    world=refs.worlds(extensions=PATTERNS),
    family=refs.segment_families(extensions=PATTERNS),
)
def test_compiled_sql_matches_reference(
    world: World, family: tuple[dict[str, dict[str, Any]], str]
) -> None:
    definitions, target = family
    expected = evaluate(definitions[target], world, refs.AS_OF, definitions)
    with tempfile.TemporaryDirectory() as tmp:
        got = run_engine(world, definitions, target, refs.AS_OF, Path(tmp))
    assert got == expected, (
        f"zone {world.zone}, definition {definitions[target]}: "
        f"engine {sorted(got)} vs reference {sorted(expected)}"
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=refs.worlds(extensions=PATTERNS), where=refs.sequences())
def test_sequences_match_reference(world: World, where: dict[str, Any]) -> None:
    definitions = {"target": {"name": "target", "where": where}}
    expected = evaluate(definitions["target"], world, refs.AS_OF, definitions)
    with tempfile.TemporaryDirectory() as tmp:
        got = run_engine(world, definitions, "target", refs.AS_OF, Path(tmp))
    assert got == expected, f"zone {world.zone}, {where}: {sorted(got)} vs {sorted(expected)}"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=refs.worlds(extensions=PATTERNS), where=refs.lifecycle_conditions())
def test_lifecycle_matches_reference(world: World, where: dict[str, Any]) -> None:
    definitions = {"target": {"name": "target", "where": where}}
    expected = evaluate(definitions["target"], world, refs.AS_OF, definitions)
    with tempfile.TemporaryDirectory() as tmp:
        got = run_engine(world, definitions, "target", refs.AS_OF, Path(tmp))
    assert got == expected, f"zone {world.zone}, {where}: {sorted(got)} vs {sorted(expected)}"
