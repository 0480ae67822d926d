"""Spark gives exactly DuckDB's members (SPEC 10), over the same Parquet files.

One local SparkSession serves the whole file. Every case of test_semantics.py runs
as the standalone Spark SQL that `duckseg compile --dialect spark` prints, with its
negation; edge cases cover what the engines would otherwise disagree on (NULL list
elements, Unicode `(?i)`, float totals exactly on a threshold, integer ids, the
session time zone); whole workspaces are built with both engines and their
snapshots compared file for file.

pyspark is a dev dependency: without it this module fails to import, loudly.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from pyspark.sql import SparkSession

from duckseg import FixedClock, Segment, Workspace
from duckseg.compiler import compile_build, to_sql
from duckseg.config import SparkConfig
from duckseg.engines import spark as spark_engine
from duckseg.errors import InputError
from duckseg.lang.time import TimeContext
from tests.cases import CASES, CONTACTS, EVENTS
from tests.lakefixture import AS_OF, MiniLake, make_lake
from tests.test_patterns import CASES as PATTERN_CASES
from tests.test_patterns import CONTACTS as PATTERN_CONTACTS
from tests.test_patterns import EVENTS as PATTERN_EVENTS
from tests.test_traits import EVERYONE, TRAIT_CASES, TRAITS

# Small and quiet: two cores are shared with the rest of the suite.
TEST_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = spark_engine.session(SparkConfig(master="local[2]"), TEST_CONF)
    yield session
    session.stop()


_BOUND: dict[str, TwinLake] = {}  # which lake the session's views show now


@dataclass
class TwinLake:
    """One set of Parquet files, bound as views in DuckDB (MiniLake) and in Spark."""

    duck: MiniLake
    spark: SparkSession
    files: tuple[list[Path], list[Path], list[tuple[str, Path]]]

    def bind(self) -> None:
        """Point the session's views at this lake's files (once, until another lake takes them)."""
        if _BOUND.get("views") is self:
            return
        contacts, events, static = self.files
        spark_engine.bind_lake(self.spark, contacts, events, static)
        _BOUND["views"] = self

    def spark_sql(self, where: Any, as_of: datetime = AS_OF) -> str:
        seg = Segment.from_dict({"name": "t", "where": where})
        tree = self.duck.resolver().resolve(seg).tree
        assert tree is not None
        build = compile_build({"t": tree}, TimeContext.create(as_of, self.duck.zone), "spark")
        return to_sql(build.standalone("t"), "spark")

    def spark_members(self, where: Any, as_of: datetime = AS_OF) -> set[Any]:
        self.bind()
        frame = self.spark.sql(self.spark_sql(where, as_of))
        return set(spark_engine.to_arrow(frame).column("contact_id").to_pylist())


def twin_lake(
    root: Path,
    spark: SparkSession,
    contacts: pa.Table,
    events: pa.Table,
    traits: dict[str, Any] | None = None,
    **static: list[Any],
) -> TwinLake:
    duck = make_lake(root, contacts, events, static=static, traits=traits)
    files = (
        [root / "contacts.parquet"],
        [root / "events.parquet"],
        [(name, root / f"static-{name}.parquet") for name in static],
    )
    return TwinLake(duck, spark, files)


@pytest.fixture(scope="module")
def semantics_lake(tmp_path_factory: pytest.TempPathFactory, spark: SparkSession) -> TwinLake:
    root = tmp_path_factory.mktemp("spark-lake")
    return twin_lake(root, spark, CONTACTS, EVENTS, uploaded=["c2", "c7"])


@pytest.mark.parametrize(("case", "where"), [c[:2] for c in CASES], ids=[c[0] for c in CASES])
def test_every_semantic_case_gives_duckdbs_members(
    semantics_lake: TwinLake, case: str, where: Any
) -> None:
    for condition in (where, {"not": where}):
        expected = semantics_lake.duck.members(condition)
        got = semantics_lake.spark_members(condition)
        assert got == expected, (
            f"{case}: spark {sorted(got)} != duckdb {sorted(expected)}\n"
            f"{semantics_lake.spark_sql(condition)}"
        )


@pytest.fixture(scope="module")
def traits_lake(tmp_path_factory: pytest.TempPathFactory, spark: SparkSession) -> TwinLake:
    root = tmp_path_factory.mktemp("spark-traits")
    lake = twin_lake(root, spark, CONTACTS, EVENTS, traits=TRAITS)
    big = Segment.from_dict({"name": "big", "where": {"trait": "spend", "op": "gte", "value": 300}})
    lake.duck.segments = {"big": big}
    return lake


@pytest.mark.parametrize(
    ("case", "where", "expected"), TRAIT_CASES, ids=[c[0] for c in TRAIT_CASES]
)
def test_traits_and_percentiles_give_duckdbs_members(
    traits_lake: TwinLake, case: str, where: Any, expected: set[str]
) -> None:
    for condition, members in ((where, expected), ({"not": where}, EVERYONE - expected)):
        got = traits_lake.spark_members(condition)
        assert got == traits_lake.duck.members(condition) == members, (
            f"{case}: spark {sorted(got)}\n{traits_lake.spark_sql(condition)}"
        )


def test_first_and_last_value_ties_on_spark(tmp_path: Path, spark: SparkSession) -> None:
    at, earlier = datetime(2026, 3, 1, 10, 0), datetime(2026, 2, 1, 10, 0)
    rows = [("t1", earlier, None), ("t1", at, 5.0), ("t1", at, 7.0), ("t2", at, 2.0)]
    events = pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "event": ["purchase"] * len(rows),
            "ts": pa.array([r[1] for r in rows], TS),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
        }
    )
    traits = {
        fn: {"of": "purchase", "value": {"fn": fn, "prop": "amount"}}
        for fn in ("first_value", "last_value")
    }
    lake = twin_lake(tmp_path, spark, pa.table({"contact_id": ["t1", "t2", "t3"]}), events, traits)
    for fn in traits:
        where = {"trait": fn, "op": "is", "value": 7}
        assert lake.spark_members(where) == lake.duck.members(where) == {"t1"}


def test_percentile_cut_is_exact_on_spark(tmp_path: Path, spark: SparkSession) -> None:
    scores = pa.array([float(i) for i in range(275)] + [float("nan"), None], pa.float64())
    contacts = pa.table({"contact_id": [f"p{i:03d}" for i in range(277)], "score": scores})
    events = pa.table(
        {
            "contact_id": pa.array([], pa.string()),
            "event": pa.array([], pa.string()),
            "ts": pa.array([], TS),
        }
    )
    lake = twin_lake(tmp_path, spark, contacts, events)
    for op in ("top_percent", "bottom_percent"):
        where = {"attr": "score", "op": op, "value": 28}
        got = lake.spark_members(where)
        assert got == lake.duck.members(where) and len(got) == 77


@pytest.fixture(scope="module")
def pattern_lakes(
    tmp_path_factory: pytest.TempPathFactory, spark: SparkSession
) -> dict[str, TwinLake]:
    lakes = {}
    for zone in sorted({zone for _, zone, _, _ in PATTERN_CASES}):
        root = tmp_path_factory.mktemp("spark-patterns")
        duck = make_lake(root, PATTERN_CONTACTS, PATTERN_EVENTS, zone=zone)
        lakes[zone] = TwinLake(
            duck, spark, ([root / "contacts.parquet"], [root / "events.parquet"], [])
        )
    return lakes


@pytest.mark.parametrize(
    ("case", "zone", "where", "expected"), PATTERN_CASES, ids=[c[0] for c in PATTERN_CASES]
)
def test_sequences_and_lifecycle_give_the_same_members(
    pattern_lakes: dict[str, TwinLake], case: str, zone: str, where: Any, expected: set[str]
) -> None:
    """Sequences, lifecycle conditions and first/last windows (tests/test_patterns.py)."""
    lake = pattern_lakes[zone]
    for condition, members in ((where, expected), ({"not": where}, None)):
        got = lake.spark_members(condition)
        assert got == (members if members is not None else lake.duck.members(condition)), (
            f"{case}: spark {sorted(got)}\n{lake.spark_sql(condition)}"
        )


# -- edges where the engines differ unless the compiler pins them down -------------------

TS = pa.timestamp("us")
# 500.00 in cents; added one by one as doubles 499.99999999999994, their exact sum rounds to 500.0
EXACT_500 = [2.98, 148.39, 15.32, 231.92, 101.39]
# 10,000,000 exactly; at nine decimals DuckDB reads the first as 4275462.218000001
ABOVE_2_22 = [4275462.218, 5724537.782]

EDGE_CONTACTS = pa.table(
    {
        "contact_id": pa.array([1, 2, 3, 4, 5, 6, 7], pa.int64()),
        "city": ["SÃO PAULO", "são paulo", "", None, "Pune", "pune\r", "Mumbai"],
        "tags": pa.array(
            [["a", None], [None], ["b"], [], None, ["a", "b", "a"], ["c"]],
            pa.list_(pa.string()),
        ),
        "seen_at": pa.array(
            [
                datetime(2026, 3, 8, 2, 30),  # a wall time that does not exist in New York
                datetime(2026, 3, 31, 12, 0),
                datetime(2026, 3, 31, 11, 59, 59, 999999),
                None,
                datetime(2025, 11, 2, 1, 30),  # a wall time that happens twice in New York
                datetime(2026, 1, 1),
                None,
            ],
            TS,
        ),
    }
)


def _edge_events() -> pa.Table:
    rows: list[tuple[int, str, datetime, float | None]] = []
    base = datetime(2026, 3, 1, 10, 0)
    for amount in [0.1, 0.2]:
        rows.append((1, "purchase", base, amount))
    for amount in EXACT_500:
        rows.append((2, "purchase", base, amount))
    rows += [(3, "purchase", base, 1.0), (3, "purchase", base, 2.0), (3, "purchase", base, None)]
    rows += [(4, "purchase", base, None)]
    rows += [(5, "purchase", datetime(2026, 3, 31, 12, 0), 500.0)]  # exactly at as_of
    rows += [(6, "purchase", datetime(2026, 3, 31, 12, 0, 0, 1), 1.0)]  # just after as_of
    rows += [(7, "purchase", base, amount) for amount in ABOVE_2_22]
    return pa.table(
        {
            "contact_id": pa.array([r[0] for r in rows], pa.int64()),
            "event": [r[1] for r in rows],
            "ts": pa.array([r[2] for r in rows], TS),
            "amount": pa.array([r[3] for r in rows], pa.float64()),
        }
    )


def _total(fn: str, op: str, value: Any) -> dict[str, Any]:
    return {
        "performed": "purchase",
        "count": {"op": "gte", "value": 0},
        "aggregate": {"fn": fn, "prop": "amount", "op": op, "value": value},
    }


EDGE_CASES: list[tuple[str, Any, set[int]]] = [
    ("has skips NULL elements", {"attr": "tags", "op": "has", "value": "x"}, set()),
    ("has with NULL element", {"attr": "tags", "op": "has", "value": "a"}, {1, 6}),
    (
        "has_none with NULL elements",
        {"attr": "tags", "op": "has_none", "value": "x"},
        {1, 2, 3, 4, 5, 6, 7},
    ),
    ("has_all with NULL element", {"attr": "tags", "op": "has_all", "value": ["a", "b"]}, {6}),
    ("has_all repeated value", {"attr": "tags", "op": "has_all", "value": ["b", "b"]}, {3, 6}),
    ("is_set list with NULL element", {"attr": "tags", "op": "is_set"}, {1, 2, 3, 6, 7}),
    ("matches (?i) beyond ASCII", {"attr": "city", "op": "matches", "value": "(?i)^são"}, {1, 2}),
    (
        "matches . takes a carriage return",
        {"attr": "city", "op": "matches", "value": "^pune.$"},
        {6},
    ),
    ("contains ''", {"attr": "city", "op": "contains", "value": ""}, {1, 2, 3, 5, 6, 7}),
    ("starts_with ''", {"attr": "city", "op": "starts_with", "value": ""}, {1, 2, 3, 5, 6, 7}),
    ("ends_with ''", {"attr": "city", "op": "ends_with", "value": ""}, {1, 2, 3, 5, 6, 7}),
    (
        "is ignoring case beyond ASCII",
        {"attr": "city", "op": "is", "value": "SÃO PAULO", "case_sensitive": False},
        {1, 2},
    ),
    (
        "sum not above its exact total",
        _total("sum", "between", [500.000001, 9999999.999999]),
        set(),
    ),
    ("sum of values above 2^22", _total("sum", "eq", 10_000_000), {7}),
    ("sum at most its exact total", _total("sum", "lte", 500), {1, 2, 3, 4, 5, 6}),
    ("avg ignores missing values", _total("avg", "eq", 1.5), {3}),
    ("avg over only missing values", {"not": _total("avg", "gte", 0)}, {4, 6}),
    ("sum between", _total("sum", "between", [0.3, 3]), {1, 3}),
    ("integer ids, static segment", {"in_segment": "picked"}, {2, 5}),
    ("timestamp at as_of", {"attr": "seen_at", "op": "within_last", "value": "1h"}, {2, 3}),
    ("timestamp in a DST gap", {"attr": "seen_at", "op": "is", "value": "2026-03-08"}, {1}),
    (
        "timestamp in a DST overlap",
        {"attr": "seen_at", "op": "lte", "value": "2025-11-02T01:30:00Z"},
        {5},
    ),
]


# Where a float total lies on a decimal boundary the engines can part: DuckDB sums the binary
# doubles exactly and rounds once (0.1 + 0.2 is 0.30000000000000004; the cents of EXACT_500
# come to 500.0, where adding them one by one gives 499.99999999999994), Spark adds exact
# decimals. The README documents this; these cases pin both engines' answers.
BOUNDARY_CASES: list[tuple[str, Any, set[int], set[int]]] = [
    # (case, condition, DuckDB, Spark)
    ("sum 0.1 + 0.2", _total("sum", "eq", 0.3), set(), {1}),
    ("sum exactly on a threshold", _total("sum", "gte", 500), {2, 5, 7}, {2, 5, 7}),
    ("avg of 0.1 and 0.2", _total("avg", "eq", 0.15), set(), {1}),
]


@pytest.fixture(scope="module")
def edge_lake(tmp_path_factory: pytest.TempPathFactory, spark: SparkSession) -> TwinLake:
    root = tmp_path_factory.mktemp("spark-edge")
    return twin_lake(root, spark, EDGE_CONTACTS, _edge_events(), picked=[2, 5])


@pytest.mark.parametrize(("case", "where", "expected"), EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases_agree_and_are_exact(
    edge_lake: TwinLake, case: str, where: Any, expected: set[int]
) -> None:
    duck = edge_lake.duck.members(where)
    assert duck == expected, f"{case}: duckdb gave {sorted(duck)}"
    got = edge_lake.spark_members(where)
    assert got == expected, f"{case}: spark gave {sorted(got)}\n{edge_lake.spark_sql(where)}"


@pytest.mark.parametrize(
    ("case", "where", "duckdb_members", "spark_members"),
    BOUNDARY_CASES,
    ids=[c[0] for c in BOUNDARY_CASES],
)
def test_float_totals_on_a_decimal_boundary(
    edge_lake: TwinLake, case: str, where: Any, duckdb_members: set[int], spark_members: set[int]
) -> None:
    assert edge_lake.duck.members(where) == duckdb_members, case
    assert edge_lake.spark_members(where) == spark_members, case


def test_session_time_zone_does_not_move_instants(edge_lake: TwinLake) -> None:
    # Lake timestamps are TIMESTAMP_NTZ and so are the compiled constants: a session zone
    # with DST (a gap on 8 March, an overlap on 2 November) changes nothing.
    timed = [(case, where, expected) for case, where, expected in EDGE_CASES if "timestamp" in case]
    conf = edge_lake.spark.conf
    try:
        conf.set("spark.sql.session.timeZone", "America/New_York")
        for case, where, expected in timed:
            assert edge_lake.spark_members(where) == expected, case
    finally:
        conf.set("spark.sql.session.timeZone", "UTC")


def test_spark_reads_lake_timestamps_as_wall_values(edge_lake: TwinLake) -> None:
    edge_lake.bind()
    schema = edge_lake.spark.table("contacts").schema
    assert schema["seen_at"].dataType.simpleString() == "timestamp_ntz"
    row = edge_lake.spark.sql("SELECT seen_at FROM contacts WHERE contact_id = 1").collect()[0]
    assert row[0] == datetime(2026, 3, 8, 2, 30)


# -- whole workspaces: build with both engines, compare the snapshots ---------------------

WORKSPACE_SEGMENTS = {
    "pune": {"attr": "city", "op": "is", "value": "pune", "case_sensitive": False},
    "big_spenders": {
        "performed": "purchase",
        "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 250},
    },
    "quiet": {"not_performed": "purchase", "within": "90d"},
    "tagged": {"attr": "tags", "op": "has_all", "value": ["beta", "wholesale"]},
    "recent": {"last_performed": "login", "within": "14d"},
    "pune_spenders": {"all": [{"in_segment": "pune"}, {"in_segment": "big_spenders"}]},
    "not_uploaded": {"not_in_segment": "uploaded"},
    "mixed": {
        "any": [
            {"attr": "email", "op": "matches", "value": "(?i)X\\.COM$"},
            {"performed": "support_ticket", "count": {"op": "between", "value": [2, 4]}},
            {"attr": "signup_at", "op": "after", "value": "now-30d"},
        ]
    },
}


def _workspace(root: Path) -> Workspace:
    ws = Workspace.init(root, clock=FixedClock(AS_OF))
    pq.write_table(CONTACTS, root / "contacts-in.parquet")
    pq.write_table(EVENTS, root / "events-in.parquet")
    ws.ingest("contacts", [root / "contacts-in.parquet"])
    ws.ingest("events", [root / "events-in.parquet"])
    for name, where in WORKSPACE_SEGMENTS.items():
        text = yaml.safe_dump({"description": f"{name} (both engines)", "where": where})
        (root / "segments" / f"{name}.yaml").write_text(text, encoding="utf-8")
    (root / "uploaded.csv").write_text("contact_id\nc2\nc7\n", encoding="utf-8")
    ws.static_change("uploaded", "create", root / "uploaded.csv")
    return ws


def _assert_same_snapshots(duck_ws: Workspace, spark_ws: Workspace, as_of: Any) -> None:
    _BOUND.clear()  # a workspace build binds the views to its own lake
    duck = {s.info.segment: s for s in duck_ws.build_all(as_of=as_of)}
    spark = {s.info.segment: s for s in spark_ws.build_all(as_of=as_of, engine="spark")}
    assert set(duck) == set(spark) and duck
    for name, snap in duck.items():
        other = spark[name]
        assert other.info.engine == "spark" and snap.info.engine == "duckdb"
        assert other.info.as_of == snap.info.as_of
        assert other.info.definition_hash == snap.info.definition_hash
        assert other.count == snap.count, name
        written = pq.read_table(spark_ws.root / other.info.path)
        expected = pq.read_table(duck_ws.root / snap.info.path)
        assert written.equals(expected), f"{name}: snapshot files differ"
        assert other.to_arrow().equals(snap.to_arrow().sort_by("contact_id")), name
        assert (
            "TIMESTAMP_NTZ" in other.info.compiled_sql or "TIMESTAMP" not in snap.info.compiled_sql
        )


def test_workspace_builds_identical_snapshots(tmp_path: Path, spark: SparkSession) -> None:
    duck_ws = _workspace(tmp_path / "duck")
    spark_ws = Workspace.open(shutil.copytree(duck_ws.root, tmp_path / "spark"), FixedClock(AS_OF))
    for as_of in (AS_OF, "2026-03-01"):
        _assert_same_snapshots(duck_ws, spark_ws, as_of)
    counts = {s: spark_ws.snapshot(s).count for s in WORKSPACE_SEGMENTS}
    assert 0 < counts["pune"] < len(CONTACTS) and counts["pune_spenders"] <= counts["pune"]


def test_sample_workspace_builds_identical_snapshots(
    sample_ws: Workspace, tmp_path: Path, spark: SparkSession
) -> None:
    spark_ws = Workspace.open(shutil.copytree(sample_ws.root, tmp_path / "spark"), sample_ws.clock)
    _assert_same_snapshots(sample_ws, spark_ws, None)
    assert set(sample_ws.segment_files()) <= {s for s in spark_ws.segment_files()}


def test_spark_build_is_recorded_in_history(tmp_path: Path, spark: SparkSession) -> None:
    _BOUND.clear()
    ws = _workspace(tmp_path / "ws")
    first = ws.build("pune", engine="duckdb")
    second = ws.build("pune", engine="spark")
    assert second.entered == 0 and second.exited == 0 and second.count == first.count
    history = ws.history("pune")
    assert history["engine"].to_list() == ["duckdb", "spark"]
    assert date.fromisoformat("2026-03-31") == second.info.as_of.astimezone(UTC).date()


def test_cli_build_on_spark(tmp_path: Path, spark: SparkSession) -> None:
    from typer.testing import CliRunner

    from duckseg.cli import app

    _BOUND.clear()
    ws = _workspace(tmp_path / "ws")
    args = ["build", "pune", "quiet", "--engine", "spark", "--as-of", "2026-03-31T12:00:00Z"]
    result = CliRunner().invoke(app, [*args, "-w", str(ws.root), "--json"])
    assert result.exit_code == 0, result.output
    built = {row["segment"]: row["count"] for row in json.loads(result.stdout)}
    assert built == {name: ws.snapshot(name).count for name in ("pune", "quiet")}
    assert ws.snapshot("pune").info.engine == "spark"


def test_missing_pyspark_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(InputError, match="needs pyspark") as info:
        spark_engine.session()
    assert "duckseg[spark]" in str(info.value)


def test_refresh_on_spark_rebuilds_with_the_same_members(
    tmp_path: Path, spark: SparkSession
) -> None:
    _BOUND.clear()
    duck_ws = _workspace(tmp_path / "duck")
    spark_ws = Workspace.open(shutil.copytree(duck_ws.root, tmp_path / "spark"), FixedClock(AS_OF))
    duck = {r.snapshot.segment: r for r in duck_ws.refresh(AS_OF).segments}
    _BOUND.clear()
    spark_ws.refresh(AS_OF, engine="spark")
    again = {r.snapshot.segment: r for r in spark_ws.refresh(AS_OF, engine="spark").segments}
    assert set(again) == set(duck) and again
    for name, result in again.items():
        assert result.reason == "the spark engine always rebuilds"
        assert result.snapshot.info.engine == "spark"
        assert result.snapshot.to_arrow().equals(duck[name].snapshot.to_arrow()), name
