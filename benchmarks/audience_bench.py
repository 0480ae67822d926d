"""An audience of five segments against building those five segments together.

The audience (`include` of five seed segments, the default consent rule, a
split with a holdout and two agents) is built with `Workspace.audience_build`;
the baseline is `Workspace.build_many` of the same five segments at the same
as_of, which shares one pass over the events. Each round times both, in
alternating order; the ratio is the median of per-round ratios.
Checked once: the audience holds exactly the union of the five snapshots minus
the opted-out contacts (the default consent rule).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.common import AS_OF
from benchmarks.measure import Timings, paired_ratio, timed
from duckseg import Workspace
from duckseg.audiences.result import AudienceSnapshot

NAME = "bench_five"
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


def bench_audience(ws: Workspace, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    folder = ws.root / "audiences"
    folder.mkdir(exist_ok=True)
    (folder / f"{NAME}.yaml").write_text(DEFINITION, encoding="utf-8")

    def segments() -> Any:
        return ws.build_many(list(INCLUDE), as_of=AS_OF)

    def audience() -> AudienceSnapshot:
        snap = ws.audience_build(NAME, as_of=AS_OF)
        assert isinstance(snap, AudienceSnapshot)
        return snap

    snaps = segments()  # warm-up, and the check
    snap = audience()
    union = set().union(*(set(s.to_arrow().column("contact_id").to_pylist()) for s in snaps))
    members = set(snap.to_arrow().column("contact_id").to_pylist())
    con = ws.connect()
    try:
        opted = {
            r[0] for r in con.sql("SELECT contact_id FROM contacts WHERE opted_out").fetchall()
        }
    finally:
        con.close()
    verified = members == union - opted
    timings = {"segments": Timings(), "audience": Timings()}
    for i in range(runs):
        order = [("segments", segments), ("audience", audience)]
        for label, fn in order if i % 2 == 0 else reversed(order):
            seconds, _ = timed(fn)
            timings[label].add(seconds)
    ratio = paired_ratio(timings["audience"].seconds, timings["segments"].seconds)
    log(
        f"  audience {timings['audience'].median:.3f}s, five segments "
        f"{timings['segments'].median:.3f}s: {ratio:.2f}x (verified: {verified})"
    )
    return {
        "include": list(INCLUDE),
        "members": len(members),
        "union": len(union),
        "arms": snap.arms,
        "verified": verified,
        "timings": {label: t.as_dict() for label, t in timings.items()},
        "audience_vs_segments": ratio,
    }
