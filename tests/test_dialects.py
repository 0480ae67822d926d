"""The dialect matrix: golden SQL per dialect for every example segment and semantic case.

Each definition is compiled for every dialect at a fixed as_of and zone and compared
exactly with `tests/golden/<dialect>/<name>.sql`. A file is rewritten only with
`pytest --update-golden`; read its diff as a review of what the change does to the
SQL users see. Every output must also parse back with sqlglot for its dialect and
call only functions that exist there.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from duckseg import FixedClock, Segment, Workspace
from duckseg.api.sample import example_names, sample_as_of
from duckseg.compiler import DIALECTS, compile_build, to_sql
from duckseg.lang.time import TimeContext
from tests.cases import CASES, CONTACTS, EVENTS
from tests.lakefixture import AS_OF, MiniLake, make_lake
from tests.test_patterns import CASES as PATTERN_CASES
from tests.test_patterns import CONTACTS as PATTERN_CONTACTS
from tests.test_patterns import EVENTS as PATTERN_EVENTS
from tests.test_traits import TRAIT_CASES, TRAITS

GOLDEN = Path(__file__).parent / "golden"
CASE_ZONE = "UTC"
EXAMPLES = example_names()

# Every function each dialect's output may call, checked against the engines' documentation.
# A new name here is a claim that the function exists there: check it before adding it.
FUNCTIONS: dict[str, set[str]] = {
    "duckdb": {
        "ABS",
        "ARRAY_CONTAINS",
        "ARRAY_LENGTH",
        "DATE_DIFF",
        "ENDS_WITH",
        "FLOOR",
        "FSUM",
        "ISNAN",
        "REGEXP_MATCHES",
        "STARTS_WITH",
        "STRPOS",
        "TRY_CAST",
    },
    "spark": {
        "ARRAY",
        "IF",
        "ARRAY_EXCEPT",
        "ARRAY_INTERSECT",
        "DATEDIFF",  # DATEDIFF(unit, start, end): Spark 3.3 and later
        "ENDSWITH",
        "ISNAN",
        "LOCATE",
        "SIZE",
        "STARTSWITH",
        "STRUCT",
        "TO_DATE",  # how sqlglot reads DATEDIFF's arguments back; never written
    },
    "bigquery": {
        "ARRAY_AGG",
        "ARRAY_LENGTH",
        "DATETIME_DIFF",
        "ENDS_WITH",
        "EXISTS",
        "IF",
        "INSTR",
        "IS_NAN",
        "REGEXP_CONTAINS",
        "STARTS_WITH",
        "UNNEST",
    },
    "snowflake": {
        "ARRAY_AGG",
        "ARRAY_EXCEPT",
        "ARRAY_INTERSECTION",
        "ARRAY_SIZE",
        "CHARINDEX",
        "DATEDIFF",
        "ENDSWITH",
        "IFF",
        "REGEXP_INSTR",
        "STARTSWITH",
        "TRUNC",
    },
    "trino": {
        "ARRAY_AGG",
        "ARRAY_EXCEPT",
        "ARRAY_INTERSECT",
        "CARDINALITY",
        "DATE_DIFF",
        "IF",
        "IS_NAN",
        "LENGTH",
        "REGEXP_LIKE",
        "STARTS_WITH",
        "STRPOS",
        "SUBSTR",
        "TRUNCATE",
    },
    "postgres": {
        "ARRAY_AGG",
        "CARDINALITY",
        "DIV",
        "EXTRACT",
        "LENGTH",
        "POSITION",
        "RIGHT",
        "STARTS_WITH",
    },
}
COMMON_FUNCTIONS = {
    "CAST",
    "COALESCE",
    "COUNT",
    "EXISTS",
    "LOWER",
    "MAX",
    "MIN",
    "NULLIF",
    "RANK",
    "SUM",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("''", "empty")).strip("_")


CASE_SLUGS = [_slug(case) for case, _, _ in CASES]
assert len(set(CASE_SLUGS)) == len(CASE_SLUGS), "two semantic cases share a golden file name"
TRAIT_SLUGS = [_slug(case) for case, _, _ in TRAIT_CASES]
assert len(set(TRAIT_SLUGS)) == len(TRAIT_SLUGS), "two trait cases share a golden file name"
PATTERN_SLUGS = [_slug(case) for case, *_ in PATTERN_CASES]
assert len(set(PATTERN_SLUGS)) == len(PATTERN_SLUGS), "two pattern cases share a golden file name"


def _header(test: str, what: str, dialect: str, as_of: datetime, zone: str) -> str:
    return (
        f"-- tests/test_dialects.py::{test}\n"
        f"-- {what}; dialect {dialect}, as_of {as_of.isoformat()}, zone {zone}\n"
        "-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`\n"
    )


def check_golden(path: Path, text: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}: run pytest --update-golden to create it"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                str(path),
                "compiled now",
            )
        )
        pytest.fail(f"compiled SQL differs from {path.name} (--update-golden to accept):\n{diff}")


def check_dialect(text: str, dialect: str) -> None:
    """Parses back for its dialect, and calls only functions known to exist there."""
    tree = sqlglot.parse_one(text, read=dialect)
    assert isinstance(tree, exp.Select)
    called = set()
    for node in tree.walk():
        if isinstance(node, exp.Func):
            name = re.match(r"([A-Z_][A-Z0-9_]*)\(", node.sql(dialect))
            if name:
                called.add(name.group(1))
    unknown = called - FUNCTIONS[dialect] - COMMON_FUNCTIONS
    assert not unknown, f"{dialect} output calls {sorted(unknown)}, not known to exist there"
    if not DIALECTS[dialect].supports_filter_clause:
        assert not list(tree.find_all(exp.Filter)), f"{dialect} has no FILTER clause"


@pytest.fixture(scope="module")
def case_lake(tmp_path_factory: pytest.TempPathFactory) -> MiniLake:
    return make_lake(
        tmp_path_factory.mktemp("dialect-lake"), CONTACTS, EVENTS, static={"uploaded": ["c2", "c7"]}
    )


@pytest.mark.parametrize("dialect", list(DIALECTS))
@pytest.mark.parametrize(
    ("slug", "case", "where"),
    [(s, c[0], c[1]) for s, c in zip(CASE_SLUGS, CASES, strict=True)],
    ids=CASE_SLUGS,
)
def test_case_sql(
    case_lake: MiniLake, update_golden: bool, dialect: str, slug: str, case: str, where: Any
) -> None:
    name = f"case_{slug}"
    tree = case_lake.resolver().resolve(Segment.from_dict({"name": name, "where": where})).tree
    assert tree is not None
    build = compile_build({name: tree}, TimeContext.create(AS_OF, CASE_ZONE), dialect)
    sql = to_sql(build.standalone(name), dialect)
    header = _header(
        f"test_case_sql[{slug}-{dialect}]", f"semantic case {case!r}", dialect, AS_OF, CASE_ZONE
    )
    text = header + sql + "\n"
    check_golden(GOLDEN / dialect / f"{name}.sql", text, update_golden)
    check_dialect(text, dialect)


@pytest.fixture(scope="module")
def trait_lake(tmp_path_factory: pytest.TempPathFactory) -> MiniLake:
    big = Segment.from_dict({"name": "big", "where": {"trait": "spend", "op": "gte", "value": 300}})
    return make_lake(
        tmp_path_factory.mktemp("dialect-traits"),
        CONTACTS,
        EVENTS,
        segments={"big": big},
        traits=TRAITS,
    )


@pytest.mark.parametrize("dialect", list(DIALECTS))
@pytest.mark.parametrize(
    ("slug", "case", "where"),
    [(s, c[0], c[1]) for s, c in zip(TRAIT_SLUGS, TRAIT_CASES, strict=True)],
    ids=TRAIT_SLUGS,
)
def test_trait_case_sql(
    trait_lake: MiniLake, update_golden: bool, dialect: str, slug: str, case: str, where: Any
) -> None:
    name = f"trait_{slug}"
    tree = trait_lake.resolver().resolve(Segment.from_dict({"name": name, "where": where})).tree
    assert tree is not None
    build = compile_build({name: tree}, TimeContext.create(AS_OF, CASE_ZONE), dialect)
    sql = to_sql(build.standalone(name), dialect)
    header = _header(
        f"test_trait_case_sql[{slug}-{dialect}]", f"trait case {case!r}", dialect, AS_OF, CASE_ZONE
    )
    text = header + sql + "\n"
    check_golden(GOLDEN / dialect / f"{name}.sql", text, update_golden)
    check_dialect(text, dialect)


@pytest.fixture(scope="module")
def sample_workspace(sample_workspace_dir: Path, sample_clock: FixedClock) -> Workspace:
    return Workspace.open(sample_workspace_dir, clock=sample_clock)


@pytest.mark.parametrize("dialect", list(DIALECTS))
@pytest.mark.parametrize("segment", EXAMPLES)
def test_example_segment_sql(
    sample_workspace: Workspace, update_golden: bool, dialect: str, segment: str
) -> None:
    as_of = sample_as_of()
    sql = sample_workspace.compile(segment, dialect=dialect, as_of=as_of)
    zone = sample_workspace.config.time.zone
    what = f"example segment {segment} (data/segments/{segment}.yaml)"
    text = _header(f"test_example_segment_sql[{segment}-{dialect}]", what, dialect, as_of, zone)
    text += sql + "\n"
    check_golden(GOLDEN / dialect / f"segment_{segment}.sql", text, update_golden)
    check_dialect(text, dialect)


@pytest.fixture(scope="module")
def pattern_lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MiniLake]:
    zones = {zone for _, zone, _, _ in PATTERN_CASES}
    return {
        zone: make_lake(
            tmp_path_factory.mktemp("pattern-lake"), PATTERN_CONTACTS, PATTERN_EVENTS, zone
        )
        for zone in zones
    }


@pytest.mark.parametrize("dialect", list(DIALECTS))
@pytest.mark.parametrize(
    ("slug", "case", "zone", "where"),
    [(s, c[0], c[1], c[2]) for s, c in zip(PATTERN_SLUGS, PATTERN_CASES, strict=True)],
    ids=PATTERN_SLUGS,
)
def test_pattern_case_sql(
    pattern_lakes: dict[str, MiniLake],
    update_golden: bool,
    dialect: str,
    slug: str,
    case: str,
    zone: str,
    where: Any,
) -> None:
    """Sequences, lifecycle conditions and first/last windows (tests/test_patterns.py)."""
    name = f"pattern_{slug}"
    lake = pattern_lakes[zone]
    tree = lake.resolver().resolve(Segment.from_dict({"name": name, "where": where})).tree
    assert tree is not None
    build = compile_build({name: tree}, TimeContext.create(AS_OF, zone), dialect)
    sql = to_sql(build.standalone(name), dialect)
    header = _header(
        f"test_pattern_case_sql[{slug}-{dialect}]", f"pattern case {case!r}", dialect, AS_OF, zone
    )
    text = header + sql + "\n"
    check_golden(GOLDEN / dialect / f"{name}.sql", text, update_golden)
    check_dialect(text, dialect)


def test_every_golden_file_belongs_to_a_test() -> None:
    expected = {f"case_{s}.sql" for s in CASE_SLUGS} | {f"segment_{s}.sql" for s in EXAMPLES}
    expected |= {f"pattern_{s}.sql" for s in PATTERN_SLUGS}
    expected |= {f"trait_{s}.sql" for s in TRAIT_SLUGS}
    for dialect in DIALECTS:
        found = {p.name for p in (GOLDEN / dialect).glob("*.sql")}
        assert found <= expected, f"stale golden files in {dialect}/: {sorted(found - expected)}"


def test_float_sums_do_not_depend_on_scan_order(case_lake: MiniLake) -> None:
    """Exact sums of the binary doubles on DuckDB (compiler/floatsum.py, SPEC 6.3); exact
    decimal sums where the engine has no 128-bit integers."""
    where = {
        "performed": "purchase",
        "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 250},
    }
    for dialect in DIALECTS:
        sql = case_lake.sql(where, dialect=dialect)
        casts = [
            c
            for c in sqlglot.parse_one(sql, read=dialect).find_all(exp.Cast)
            if c.to.is_type(exp.DType.DECIMAL, exp.DType.BIGDECIMAL)
        ]
        if DIALECTS[dialect].exact_binary_sums:
            assert "AS INT128)" in sql and not casts, dialect
            assert 'ORDER BY ABS("events"."amount") DESC, "events"."amount" DESC)' in sql, sql
        else:
            assert casts, f"{dialect}: the float sum is not over exact decimals"
            assert "FSUM" not in sql.upper()
