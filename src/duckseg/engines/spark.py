"""Running compiled builds on Spark over the same lake Parquet files (docs/spark.md).

The compiler's Spark SQL reads the relations `contacts`, `events` and
`static_members`; here they are bound as temporary views over the live Parquet
files, exactly the files DuckDB reads. Results are identical to DuckDB's
because the time semantics are pinned down on both sides:

- the lake stores instants as naive-UTC TIMESTAMP (Parquet isAdjustedToUTC =
  false), which Spark reads as TIMESTAMP_NTZ, the same wall values DuckDB sees;
- the compiled constants are `CAST('...' AS TIMESTAMP_NTZ)`, so comparisons
  never pass through a session time zone (it is set to UTC all the same);
- ANSI mode is on, so an overflow or a bad cast fails the build instead of
  quietly becoming NULL.

pyspark is an optional dependency (`pip install duckseg[spark]`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from duckseg.compiler import CompiledBuild
from duckseg.compiler.sqlbuild import CONTACTS, EVENTS, KEY, STATIC_MEMBERS
from duckseg.config import SparkConfig
from duckseg.errors import InputError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Session settings the equivalence with DuckDB depends on; applied to every session used.
SESSION_CONF: Mapping[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}
# Settings for a session duckseg starts itself (static: they only apply at start-up).
STARTUP_CONF: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}

EMPTY_SCHEMAS = {
    CONTACTS: "contact_id STRING",
    EVENTS: "contact_id STRING, event STRING, ts TIMESTAMP_NTZ, event_id STRING",
    STATIC_MEMBERS: "segment STRING, contact_id STRING",
}

Progress = Callable[[str, int, int], None]


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:
        raise InputError.single(
            "--engine",
            "the spark engine needs pyspark",
            hint="install it with: pip install 'duckseg[spark]'",
        ) from exc
    return pyspark.sql


def session(
    config: SparkConfig | None = None, conf: Mapping[str, str] | None = None
) -> SparkSession:
    """The SparkSession builds run in.

    An active session (a notebook's, a test's) is reused. Otherwise `SPARK_REMOTE`
    selects Spark Connect, and `[spark] master` (default `local[*]`) a classic session.
    """
    sql = _pyspark()
    spark: SparkSession | None = sql.SparkSession.getActiveSession()
    if spark is None:
        builder = sql.SparkSession.builder.appName("duckseg")
        remote = os.environ.get("SPARK_REMOTE")
        if remote:
            builder = builder.remote(remote)
        else:
            master = (config or SparkConfig()).master
            builder = builder.master(master)
            for key, value in STARTUP_CONF.items():
                builder = builder.config(key, value)
            if master.startswith("local"):
                # One machine: a few shuffle partitions per core, not the cluster default of 200.
                builder = builder.config("spark.sql.shuffle.partitions", str(2 * _cores()))
        for key, value in (conf or {}).items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        if not remote:
            spark.sparkContext.setLogLevel("ERROR")
    assert spark is not None
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    return spark


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _read(spark: SparkSession, name: str, files: Sequence[Path]) -> DataFrame:
    if not files:
        return spark.createDataFrame([], EMPTY_SCHEMAS[name])
    # Files landed at different times may carry different columns: union them by name,
    # as DuckDB's read_parquet(union_by_name) does.
    return spark.read.option("mergeSchema", "true").parquet(*(str(p.resolve()) for p in files))


def bind_lake(
    spark: SparkSession,
    contacts: Sequence[Path],
    events: Sequence[Path],
    static: Sequence[tuple[str, Path]] = (),
) -> None:
    """Create the temporary views `contacts`, `events`, `static_members` on `spark`."""
    sql = _pyspark()
    functions = sql.functions
    _read(spark, CONTACTS, contacts).createOrReplaceTempView(CONTACTS)
    _read(spark, EVENTS, events).createOrReplaceTempView(EVENTS)
    members: DataFrame | None = None
    for name, path in static:
        part = spark.read.parquet(str(path.resolve())).select(
            functions.lit(name).alias("segment"), functions.col(KEY)
        )
        members = part if members is None else members.unionByName(part)
    if members is None:
        members = spark.createDataFrame([], EMPTY_SCHEMAS[STATIC_MEMBERS])
    members.createOrReplaceTempView(STATIC_MEMBERS)


def to_arrow(frame: DataFrame, key_type: pa.DataType | None = None) -> pa.Table:
    """A query's contact_ids as a sorted Arrow table (typed as the lake types them, if given)."""
    if hasattr(frame, "toArrow"):  # pyspark >= 4
        column = frame.toArrow().column(KEY)
    else:
        column = pa.chunked_array([pa.array([row[0] for row in frame.collect()])])
    if key_type is not None:
        column = column.cast(key_type)
    return pa.table({KEY: column}).sort_by(KEY)  # Spark's row order is the partitions'


def run_build(
    spark: SparkSession,
    build: CompiledBuild,
    names: Sequence[str],
    key_type: pa.DataType | None = None,
    progress: Progress | None = None,
) -> dict[str, pa.Table]:
    """Each segment's members, on views already bound with `bind_lake`.

    The shared tables (fact pass, member flags) are computed once and cached, as DuckDB
    materialises them once.
    """
    cached: list[tuple[str, DataFrame]] = []
    try:
        for table, query in build.shared():
            frame = spark.sql(query.sql("spark")).persist()
            frame.createOrReplaceTempView(table)
            cached.append((table, frame))
        out = {}
        for i, name in enumerate(names):
            if progress:
                progress(name, i, len(names))
            out[name] = to_arrow(spark.sql(build.members[name].sql("spark")), key_type)
        return out
    finally:
        for table, frame in cached:
            spark.catalog.dropTempView(table)
            frame.unpersist()


def build_members(
    config: SparkConfig,
    lake: tuple[Sequence[Path], Sequence[Path]],
    static: Sequence[tuple[str, Path]],
    build: CompiledBuild,
    names: Sequence[str],
    key_type: pa.DataType | None = None,
    progress: Progress | None = None,
) -> dict[str, pa.Table]:
    """A workspace build on Spark: bind the live (contacts, events) files, run every segment."""
    spark = session(config)
    contacts, events = lake
    bind_lake(spark, contacts, events, static)
    return run_build(spark, build, names, key_type, progress)
