"""An audience of five segments against building those five segments together.

The audience (`include` of five seed segments, the default consent rule, a
split with a holdout and two agents) is built with `Workspace.audience_build`;
the baseline is `Workspace.build_many` of the same five segments at the same
as_of, which shares one pass over the events. A third build is the same
audience with `limit` by a trait (the top 5,000 by the sum of purchase amounts
at as_of): what ordering by a trait adds. Each round times all three, in
rotated order; the ratios are medians of per-round ratios.
Checked once: the audience holds exactly the union of the five snapshots minus
the opted-out contacts (the default consent rule), and the limited one the
members whose trait values (from `Workspace.traits`) rank first.

    .venv/bin/python -m benchmarks.run --sf 1 --only audience --merge
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pyarrow as pa
from sqlglot import exp

from benchmarks.common import AS_OF
from benchmarks.measure import Timings, paired_ratio, rotate, timed
from duckseg import Workspace
from duckseg.audiences.result import AudienceSnapshot

NAME = "bench_five"
TOP = "bench_five_top"
TRAIT = "bench_spend"
TOP_MAX = 5000
INCLUDE = ("regional_festival", "vip", "inactive_loyal", "high_intent_leads", "at_risk")
DEFINITION = f"""\
description: Five seed segments, split for a campaign
include: [{", ".join(INCLUDE)}]
split:
  salt: bench
  arms: {{holdout: 10, a: 45, b: 45}}
assign:
  agents: {{ravi: 1, meera: 1}}
"""
TRAIT_DEFINITION = (
    "description: Sum of purchase amounts\nof: purchase\nvalue: {fn: sum, prop: amount}\n"
)
LIMIT = f"limit: {{max: {TOP_MAX}, order_by: {TRAIT}, descending: true}}\n"


def bench_audience(ws: Workspace, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    folder = ws.root / "audiences"
    folder.mkdir(exist_ok=True)
    (folder / f"{NAME}.yaml").write_text(DEFINITION, encoding="utf-8")
    (folder / f"{TOP}.yaml").write_text(DEFINITION + LIMIT, encoding="utf-8")
    (ws.root / "traits").mkdir(exist_ok=True)
    (ws.root / "traits" / f"{TRAIT}.yaml").write_text(TRAIT_DEFINITION, encoding="utf-8")

    def segments() -> Any:
        return ws.build_many(list(INCLUDE), as_of=AS_OF)

    def audience() -> AudienceSnapshot:
        snap = ws.audience_build(NAME, as_of=AS_OF)
        assert isinstance(snap, AudienceSnapshot)
        return snap

    def limited() -> AudienceSnapshot:
        snap = ws.audience_build(TOP, as_of=AS_OF)
        assert isinstance(snap, AudienceSnapshot)
        return snap

    snaps = segments()  # warm-up, and the checks
    snap = audience()
    top = limited()
    union, verified = _check(ws, [s.to_arrow() for s in snaps], snap.to_arrow())
    top_verified = _check_top(ws, snap, top)
    timings = {"segments": Timings(), "audience": Timings(), "limit_by_trait": Timings()}
    steps = [("segments", segments), ("audience", audience), ("limit_by_trait", limited)]
    for i in range(runs):
        for label, fn in rotate(steps, i):
            seconds, _ = timed(fn)
            timings[label].add(seconds)
    ratio = paired_ratio(timings["audience"].seconds, timings["segments"].seconds)
    trait_ratio = paired_ratio(timings["limit_by_trait"].seconds, timings["audience"].seconds)
    log(
        f"  audience {timings['audience'].median:.3f}s, five segments "
        f"{timings['segments'].median:.3f}s: {ratio:.2f}x (verified: {verified}); limited by "
        f"a trait {timings['limit_by_trait'].median:.3f}s: {trait_ratio:.2f}x the audience "
        f"(verified: {top_verified})"
    )
    return {
        "include": list(INCLUDE),
        "members": snap.count,
        "union": union,
        "arms": snap.arms,
        "verified": verified and top_verified,
        "limited_members": top.count,
        "timings": {label: t.as_dict() for label, t in timings.items()},
        "audience_vs_segments": ratio,
        "limit_by_trait_vs_audience": trait_ratio,
    }


def _check_top(ws: Workspace, audience: AudienceSnapshot, top: AudienceSnapshot) -> bool:
    """The limited audience is the first TOP_MAX of the audience by the trait at as_of,
    descending, missing last, ties by contact_id (one sort of the members in polars)."""
    values = ws.traits(as_of=AS_OF, names=[TRAIT])
    members = pl.DataFrame(audience.to_arrow().select(["contact_id"]))
    ranked = members.join(values, on="contact_id", how="left").sort(
        [TRAIT, "contact_id"], descending=[True, False], nulls_last=True
    )
    expected = set(ranked["contact_id"].head(TOP_MAX).to_list())
    got = set(top.to_arrow().column("contact_id").to_pylist())
    return got == expected


def _check(ws: Workspace, segments: list[pa.Table], members: pa.Table) -> tuple[int, bool]:
    """The size of the segments' union, and whether the audience is that union minus the
    opted-out contacts; counted in DuckDB, so the check fits in memory at any scale factor."""
    key = exp.column("contact_id", quoted=True)
    con = ws.connect()
    try:
        for i, table in enumerate(segments):
            con.register(f"bench_segment_{i}", table.select(["contact_id"]))
        con.register("bench_audience", members.select(["contact_id"]))
        union: exp.Query = exp.select(key.copy()).from_("bench_segment_0")
        for i in range(1, len(segments)):
            union = union.union(exp.select(key.copy()).from_(f"bench_segment_{i}"), distinct=True)
        opted = exp.select(key.copy()).from_("contacts").where(exp.column("opted_out"))
        expected = exp.select(key.copy()).from_(union.subquery("u")).except_(opted).subquery("e")
        got = exp.to_table("bench_audience")
        # Each side of the UNION ALL in its own subquery: set operations chain left to right.
        missing = (
            exp.select(key.copy())
            .from_(expected.copy())
            .except_(exp.select(key.copy()).from_(got.copy()))
        )
        extra = (
            exp.select(key.copy())
            .from_(got.copy())
            .except_(exp.select(key.copy()).from_(expected.copy()))
        )
        apart = exp.union(
            exp.select(key.copy()).from_(missing.subquery("m")),
            exp.select(key.copy()).from_(extra.subquery("x")),
            distinct=False,
        )
        count = exp.select(exp.Count(this=exp.Star()))
        size = con.execute(count.copy().from_(union.subquery("u")).sql("duckdb")).fetchone()
        wrong = con.execute(count.from_(apart.subquery("d")).sql("duckdb")).fetchone()
    finally:
        con.close()
    assert size is not None and wrong is not None
    return int(size[0]), int(wrong[0]) == 0
