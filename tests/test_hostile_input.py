"""Hostile and malformed input: every case is a definition error or a right answer, never a crash."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duckseg import DefinitionError, Segment, Workspace
from tests.lakefixture import MiniLake, make_lake

EXAMPLES = 2000 if os.environ.get("DUCKSEG_FUZZ") == "1" else 150

NASTY = [
    "'; DROP TABLE contacts; --",
    "quote \" and ' both",
    "*/ SELECT 1; /*",
    "-- comment",
    "back\\slash",
    "tab\there",
    "nul\x00byte",
    "bell\x07",
    "emoji 🎉",
    "RTL \u202e text",
    "",
    " ",
    "%_ like wildcards",
    "$1 ? :name",
]

ODD = {
    "contact_id": [f"c{i}" for i in range(len(NASTY))],
    "city": NASTY,
    "first name": ["Ann"] * len(NASTY),
    "select": list(range(len(NASTY))),
    'Weird"Col': ["x"] * len(NASTY),
    "MixedCase": [True] * len(NASTY),
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> MiniLake:
    events = pa.table(
        {
            "contact_id": ["c0", "c1"],
            "event": ["order placed", "select"],
            "ts": pa.array([1_700_000_000_000_000, 1_700_000_000_000_000], pa.timestamp("us")),
            "from": ["a';--", "b"],
        }
    )
    return make_lake(Path(tmp_path_factory.mktemp("odd")), pa.table(ODD), events)


@pytest.mark.parametrize("value", NASTY)
def test_nasty_values_are_data(lake: MiniLake, value: str) -> None:
    expected = {f"c{i}" for i, v in enumerate(NASTY) if v == value}
    assert lake.members({"attr": "city", "op": "is", "value": value}) == expected
    assert lake.members(
        {"attr": "city", "op": "contains", "value": value, "case_sensitive": True}
    ) == {f"c{i}" for i, v in enumerate(NASTY) if value in v}


def test_odd_column_and_event_names(lake: MiniLake) -> None:
    assert lake.members({"attr": "first name", "op": "is", "value": "Ann"}) == set(
        ODD["contact_id"]
    )
    assert lake.members({"attr": "select", "op": "lt", "value": 2}) == {"c0", "c1"}
    assert lake.members({"attr": 'Weird"Col', "op": "is_set"}) == set(ODD["contact_id"])
    assert lake.members({"attr": "MixedCase", "op": "is_true"}) == set(ODD["contact_id"])
    assert lake.members(
        {"performed": "order placed", "where": {"prop": "from", "op": "contains", "value": "';"}}
    ) == {"c0"}
    assert lake.members({"performed": "select"}) == {"c1"}


def test_odd_column_names_survive_landing(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    path = tmp_path / "odd.parquet"
    pq.write_table(pa.table(ODD), path)
    ws.ingest("contacts", [path])
    (ws.root / "segments" / "odd.yaml").write_text(
        'where:\n  all:\n    - {attr: "first name", op: is, value: Ann}\n    - {attr: "select", op: gte, value: 3}\n'
        "    - {attr: 'Weird\"Col', op: is, value: x}\n",
        encoding="utf-8",
    )
    assert ws.preview("odd").count == len(NASTY) - 3


# -- random structures thrown at the loader ------------------------------------------------

KEYS = [
    "all",
    "any",
    "not",
    "attr",
    "prop",
    "op",
    "value",
    "performed",
    "not_performed",
    "first_performed",
    "last_performed",
    "within",
    "count",
    "aggregate",
    "fn",
    "where",
    "before",
    "after",
    "in_segment",
    "not_in_segment",
    "case_sensitive",
    "between",
    "last",
    "city",
    "select",
    "x",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [*NASTY, "gt", "is", "7d", "now-1d", "2026-01-01", "city", "order placed", "sum", "eq"]
    ),
    st.text(max_size=12),
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(where=TREES)
def test_random_structures_never_crash(lake: MiniLake, where: Any) -> None:
    try:
        members = lake.members(where)
    except DefinitionError as exc:
        assert exc.problems and all(p.source == "<dict>" for p in exc.problems)
        return
    assert members <= set(ODD["contact_id"])


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=st.text(max_size=200))
def test_random_yaml_text_never_crashes(text: str) -> None:
    try:
        Segment.from_yaml_string(text, source="fuzz.yaml")
    except DefinitionError as exc:
        assert all(p.source == "fuzz.yaml" for p in exc.problems)


@pytest.mark.parametrize(
    "text",
    [
        "where: [unclosed",
        "where: {a: 1\n",
        "\t- bad indent",
        "where: &a [*a]",
        "where: !!python/object:os.system {}",
        "a: " + "[" * 5000 + "]" * 5000,
        "where:\n" + "  " * 300 + "x: 1",
        "\x00\x01\x02",
        "--- \n--- \n",
        "",
    ],
)
def test_broken_yaml_is_a_definition_error(text: str) -> None:
    with pytest.raises(DefinitionError) as exc:
        Segment.from_yaml_string(text, source="broken.yaml")
    assert str(exc.value).startswith("broken.yaml: ")


def test_deep_nesting_is_refused_quickly(lake: MiniLake) -> None:
    where: Any = {"attr": "city", "op": "is", "value": "x"}
    for _ in range(10_000):
        where = {"all": [where]}
    with pytest.raises(DefinitionError, match="nested more than"):
        lake.members(where)
