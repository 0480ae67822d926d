"""`duckseg report --audience NAME`: each arm against the holdout (docs/audiences.md).

The metrics are those of segment reports (report/metrics.py), evaluated at the
snapshot's as_of with each arm as a population: conversion within N days after
as_of above all. Each arm's value comes with a 95% interval, and each arm but
the holdout with its difference to the holdout and that difference's interval
(audiences/stats.py). A conversion window that has not ended yet is marked
incomplete: its value can still grow.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_never

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg.audiences import stats
from duckseg.audiences.run import snapshot, snapshot_info
from duckseg.audiences.spec import HOLDOUT
from duckseg.compiler.sqlbuild import CONTACTS, KEY
from duckseg.db import create_temp, parquet_scan, union_all
from duckseg.lang.time import TimeContext, iso, parse_duration
from duckseg.report import metrics as m
from duckseg.report.config import ConfigLike, load_report_config, resolve_metrics
from duckseg.state.snapshots import SnapshotInfo

if TYPE_CHECKING:
    from duckseg.context import WorkspaceContext

DEFAULT_EVENTS = 3  # conversion metrics for the most frequent events before as_of
DEFAULT_DAYS = 7
RECENT = "30d"
TABLE_FILE = "arms.parquet"
HTML_FILE = "report.html"
MANIFEST_FILE = "report.json"
SHARES = (m.MetricKind.REACH, m.MetricKind.CONVERSION)


@dataclass(frozen=True)
class ArmReport:
    """Per metric and arm: value, interval, difference to the holdout and its interval."""

    audience: str
    snapshot: SnapshotInfo
    path: Path
    created_at: datetime
    rows: list[dict[str, Any]] = field(repr=False)

    @property
    def html_path(self) -> Path:
        return self.path / HTML_FILE

    def to_polars(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, infer_schema_length=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "audience": self.audience,
            "snapshot_id": self.snapshot.snapshot_id,
            "as_of": iso(self.snapshot.as_of),
            "created_at": iso(self.created_at),
            "path": str(self.path),
            "html": str(self.html_path),
            "arms": [
                {k: iso(v) if isinstance(v, datetime) else v for k, v in row.items()}
                for row in self.rows
            ],
        }

    def _repr_html_(self) -> str:
        from duckseg.audiences.arms_html import arms_section

        return arms_section(self)


def audience_report(
    ws: WorkspaceContext, name: str, out: str | Path | None = None, config: ConfigLike = None
) -> ArmReport:
    from duckseg.audiences.arms_html import render_page

    info = snapshot_info(ws, name)
    cfg, source = load_report_config(config)
    now = ws.clock.now()
    ctx = TimeContext.create(info.as_of, ws.config.time.zone)
    arms = list(snapshot(ws, name, info.snapshot_id).arms)  # in the order written
    con = ws.connect()
    try:
        catalog = ws.read_catalog(con)
        specs = cfg.metrics
        if specs is None:
            since = ctx.back(parse_duration(RECENT))
            events = m.frequent_events(con, since, ctx.as_of, DEFAULT_EVENTS)
            raw = [
                {
                    "name": f"{e}_{DEFAULT_DAYS}d",
                    "kind": "conversion",
                    "event": e,
                    "days": DEFAULT_DAYS,
                }
                for e in events
            ]
            specs = load_report_config({"metrics": raw})[0].metrics or []
        metrics = resolve_metrics(specs, ws.resolver(catalog), catalog, source)
        _bind_arms(con, ws.root / info.path)
        rows: list[dict[str, Any]] = []
        for metric in metrics:
            rows += _compare(con, metric, ctx, arms, now)
    finally:
        con.close()
    folder = Path(out).resolve() if out else ws.root / "reports" / (cfg.name or f"audience-{name}")
    report = ArmReport(name, info, folder, now, rows)
    _write(report, render_page(report))
    return report


def _bind_arms(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """report_members: each arm as a population, then all contacts under BASE."""
    arms = exp.select(
        exp.column("arm", quoted=True).as_("population"), exp.column(KEY, quoted=True)
    ).from_(parquet_scan([path]).subquery("s"))
    base = exp.select(
        exp.Literal.string(m.BASE).as_("population"), exp.column(KEY, quoted=True)
    ).from_(CONTACTS)
    create_temp(con, m.MEMBERS, union_all([arms, base]), kind="TABLE")


def _compare(
    con: duckdb.DuckDBPyConnection,
    metric: m.Metric,
    ctx: TimeContext,
    arms: Sequence[str],
    now: datetime,
) -> list[dict[str, Any]]:
    found = {r["population"]: r for r in m.metric_rows(con, metric, ctx, arms, now)}
    share = metric.kind in SHARES
    values = {} if share else _values(con, metric, ctx, arms)
    holdout = found.get(HOLDOUT)
    out = []
    for arm in arms:
        row = found[arm]
        if share:
            interval = stats.share_interval(row["members_with_event"], row["members"])
        else:
            interval = stats.mean_interval(values[arm])
        diff: float | None = None
        against = stats.NONE
        if holdout is not None and arm != HOLDOUT:
            if row["value"] is not None and holdout["value"] is not None:
                diff = row["value"] - holdout["value"]
            if share:
                against = stats.share_difference(
                    row["members_with_event"],
                    row["members"],
                    holdout["members_with_event"],
                    holdout["members"],
                )
            else:
                against = stats.mean_difference(values[arm], values[HOLDOUT])
        out.append(
            {
                "metric": metric.name,
                "label": metric.title,
                "description": metric.description(),
                "kind": metric.kind.value,
                "unit": m.UNITS[metric.kind],
                "arm": arm,
                "is_holdout": arm == HOLDOUT,
                "members": row["members"],
                "members_with_event": row["members_with_event"],
                "value": row["value"],
                "low": interval.low,
                "high": interval.high,
                "difference": diff,
                "difference_low": against.low,
                "difference_high": against.high,
                "distinguishable": against.excludes_zero,
                "window_end": row["window_end"],
                "complete": row["complete"],
            }
        )
    return out


def _values(
    con: duckdb.DuckDBPyConnection, metric: m.Metric, ctx: TimeContext, arms: Sequence[str]
) -> dict[str, np.ndarray]:
    """The numbers a mean metric averages, per arm: per member (events, amount; 0 without
    events) or, for `avg`, per qualifying event with the property set."""
    query, _ = m.metric_query(metric, ctx, arms)
    with_ = query.args["with_"]
    qualifying = with_.expressions[0].this.copy()
    mem, q = "m", "q"
    population = exp.column("population", table=mem, quoted=True)
    in_arms = exp.In(this=population, expressions=[exp.Literal.string(a) for a in arms])
    zero = exp.Literal.number(0)
    join_type = "left"  # members without qualifying events count as 0
    value: exp.Expr
    match metric.kind:
        case m.MetricKind.AVG:  # the sample is the events with the property set
            assert metric.prop is not None
            prop = exp.column(metric.prop.name, table="events", quoted=True)
            qualifying.set("group", None)
            qualifying.set(
                "expressions", [exp.column(KEY, table="events", quoted=True), prop.as_("v")]
            )
            qualifying = qualifying.where(prop.copy().is_(exp.null()).not_())
            join_type = "inner"
            value = exp.column("v", table=q)
        case m.MetricKind.EVENTS_PER_MEMBER:
            value = exp.func("coalesce", exp.column("n", table=q), zero)
        case m.MetricKind.SUM:
            value = exp.func("coalesce", exp.column("total", table=q), zero)
        case m.MetricKind.REACH | m.MetricKind.CONVERSION:
            raise ValueError(f"{metric.name} is a share: it has no values to average")
        case _:
            assert_never(metric.kind)
    select = (
        exp.select(population, exp.cast(value, exp.DataType.Type.DOUBLE).as_("v"))
        .with_("qualifying", as_=qualifying)
        .from_(exp.to_table(m.MEMBERS).as_(mem))
        .join(
            exp.to_table("qualifying").as_(q),
            on=exp.column(KEY, table=q, quoted=True).eq(exp.column(KEY, table=mem, quoted=True)),
            join_type=join_type,
        )
        .where(in_arms)
    )
    table: pa.Table = con.sql(select.sql("duckdb")).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return {
        arm: frame.filter(pl.col("population") == arm)["v"].to_numpy().astype(float) for arm in arms
    }


def _write(report: ArmReport, page: str) -> None:
    """Parquet table, JSON and HTML into a hidden folder, renamed into place."""
    target = report.path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        frame = report.to_polars()
        pq.write_table(frame.to_arrow(), tmp / TABLE_FILE, compression="zstd")
        (tmp / MANIFEST_FILE).write_text(
            json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
        (tmp / HTML_FILE).write_text(page, encoding="utf-8")
        if target.exists():
            for path in sorted(tmp.iterdir()):
                os.replace(path, target / path.name)
            tmp.rmdir()
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
