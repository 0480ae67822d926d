"""Audience results: a built snapshot with its arms, agents and where contacts went."""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from duckseg.lang.time import iso
from duckseg.state.snapshots import SnapshotInfo, SnapshotMembers

if TYPE_CHECKING:
    pass

# Funnel steps in the order they apply, with the words `show` prints for each.
FUNNEL_WORDS = {
    "included": "in the included segments",
    "excluded": "removed: in an excluded segment",
    "in_other_audience": "removed: in an excluded audience",
    "opted_out": "removed: [consent] exclude_when",
    "capped": "removed: frequency cap",
    "limited": "removed: over the limit",
    "members": "members",
}


def counts(members: pa.Table, column: str, order: list[str]) -> dict[str, int]:
    """How many members each arm (or agent) holds, in the order written, zeros included."""
    found = Counter(v for v in members.column(column).to_pylist() if v is not None)
    return {name: found.get(name, 0) for name in [*order, *sorted(set(found) - set(order))]}


@dataclass(frozen=True)
class AudienceSnapshot(SnapshotMembers):
    """One audience snapshot: members with arm and agent, and what changed since the last."""

    audience: str
    info: SnapshotInfo
    entered: int
    exited: int
    arms: dict[str, int]
    agents: dict[str, int]
    funnel: dict[str, int] | None = None  # only right after a build
    warnings: tuple[str, ...] = ()
    limit: str | None = None  # `limit` in words: how many, by what, in which direction
    _members: pa.Table = field(default_factory=pa.table, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "audience": self.audience,
            "snapshot_id": self.snapshot_id,
            "count": self.count,
            "entered": self.entered,
            "exited": self.exited,
            "as_of": iso(self.as_of),
            "built_at": iso(self.info.built_at),
            "arms": self.arms,
            "agents": self.agents,
        }
        if self.funnel is not None:
            out["funnel"] = self.funnel
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.limit is not None:
            out["limit"] = self.limit
        return out

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v:,}</td></tr>" for k, v in self.arms.items()
        )
        agents = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v:,}</td></tr>" for k, v in self.agents.items()
        )
        return (
            f"<h4>audience {html.escape(self.audience)}: {self.count:,} members</h4>"
            f"<p>snapshot {html.escape(self.snapshot_id)}, as of {html.escape(iso(self.as_of))}; "
            f"{self.entered:,} entered, {self.exited:,} exited</p>"
            + (f"<p>limit: {html.escape(self.limit)}</p>" if self.limit else "")
            + f"<table><tr><th>arm</th><th>members</th></tr>{rows}</table>"
            + (f"<table><tr><th>agent</th><th>members</th></tr>{agents}</table>" if agents else "")
            + self.to_polars().head(10)._repr_html_()
        )
