"""Sequences whose events sit on the edges of the stretches the compiled SQL groups them by.

A step with `then_within: D` is tested against the step after it in stretches of D
counted back from as_of (docs/language.md, "Sequences"). Here chains start a microsecond
before, on and after such an edge and continue 0, 1 microsecond, D less a microsecond,
exactly D, D and a microsecond, and 2D later; the members are worked out from the
language's words: strictly increasing times, each at most its `then_within` after the
one before, nothing after as_of.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from duckseg.compiler.dialects import DIALECTS
from tests.lakefixture import AS_OF, MiniLake, make_lake

US = timedelta(microseconds=1)
GAP = timedelta(minutes=90)  # 16 to a day: its stretches fall on no whole hour but as_of's
LONG = timedelta(days=1)
EDGES = [AS_OF.replace(tzinfo=None) - k * GAP for k in (1, 2, 17, 32)]
STARTS = [edge + d for edge in EDGES for d in (-US, timedelta(0), US)]
STEPS = [timedelta(0), US, GAP - US, GAP, GAP + US, 2 * GAP]
AS_OF_NAIVE = AS_OF.replace(tzinfo=None)

Chain = list[tuple[str, datetime]]


def _chains() -> dict[str, Chain]:
    chains: dict[str, Chain] = {}
    for n, (start, first) in enumerate(itertools.product(STARTS, STEPS)):
        chains[f"p{n}"] = [("view", start), ("cart", start + first)]
    for n, (start, first, second) in enumerate(itertools.product(STARTS[9:], STEPS, STEPS)):
        # starting two days back, on an edge of both stretches (a day is 16 of GAP), the buy
        # a day less GAP, a day, or a day and GAP after the cart, each less a microsecond, on
        # it and a microsecond more
        chains[f"t{n}"] = [
            ("view", start),
            ("cart", start + first),
            ("buy", start + first + (second - GAP) + LONG),
        ]
    # a busy contact: a view every minute for a day and one cart GAP after the last-but-one
    busy = [("view", AS_OF_NAIVE - 2 * LONG + k * timedelta(minutes=1)) for k in range(1440)]
    chains["busy"] = [*busy, ("cart", busy[-2][1] + GAP)]
    return chains


CHAINS = _chains()


def _has_chain(events: Chain, steps: list[tuple[str, timedelta | None]]) -> bool:
    """Some events, one per step, each of its step's name, in strictly increasing time,
    each at most the step's gap after the one before, none after as_of."""
    kept = [(name, ts) for name, ts in events if ts <= AS_OF_NAIVE]

    def extend(index: int, before: datetime | None) -> bool:
        if index == len(steps):
            return True
        name, gap = steps[index]
        return any(
            extend(index + 1, ts)
            for event, ts in kept
            if event == name
            and (before is None or (before < ts and (gap is None or ts - before <= gap)))
        )

    return extend(0, None)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> MiniLake:
    rows = [(c, name, ts) for c, events in CHAINS.items() for name, ts in events]
    events = pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "ts": pa.array([r[2] for r in rows], pa.timestamp("us")),
        }
    )
    contacts = pa.table({"contact_id": sorted(CHAINS)})
    return make_lake(Path(tmp_path_factory.mktemp("sequence-edges")), contacts, events)


CASES: list[tuple[str, list[tuple[str, timedelta | None]], Any]] = [
    (
        "two steps",
        [("view", None), ("cart", GAP)],
        [{"performed": "view"}, {"performed": "cart", "then_within": "90m"}],
    ),
    (
        "three steps",
        [("view", None), ("cart", GAP), ("buy", LONG)],
        [
            {"performed": "view"},
            {"performed": "cart", "then_within": "90m"},
            {"performed": "buy", "then_within": "1d"},
        ],
    ),
    (
        "three steps, the middle one unbounded",
        [("view", None), ("cart", None), ("buy", LONG)],
        [
            {"performed": "view"},
            {"performed": "cart"},
            {"performed": "buy", "then_within": "1d"},
        ],
    ),
]


@pytest.mark.parametrize("sorting", [False, True], ids=["stretches", "sorted"])
@pytest.mark.parametrize(("case", "steps", "sequence"), CASES, ids=[c[0] for c in CASES])
def test_chains_across_stretch_edges(
    lake: MiniLake,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    steps: list[tuple[str, timedelta | None]],
    sequence: Any,
    sorting: bool,
) -> None:
    """Both chain tests: stretches of then_within, and the sort per contact that engines
    without microsecond differences (Trino) run, here run by DuckDB."""
    if sorting:
        settings = replace(DIALECTS["duckdb"], microsecond_diff=False)
        monkeypatch.setitem(DIALECTS, "duckdb", settings)
        assert "MICROSECOND" not in lake.sql({"sequence": sequence})
    expected = {c for c, events in CHAINS.items() if _has_chain(events, steps)}
    assert expected and expected != set(CHAINS), case  # the cases tell members apart
    assert lake.members({"sequence": sequence}) == expected, case
    assert lake.members({"not": {"sequence": sequence}}) == set(CHAINS) - expected, case
