"""`duckseg explain SEGMENT ID` and `ws.explain(...)`: why a contact is or is not a member,
node by node, with the evidence DuckDB computed for that contact (docs/memberships.md)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from duckseg.compiler.explain import NodePlan, PeriodPlan, StepPlan, explain_plan
from duckseg.errors import InputError, did_you_mean
from duckseg.lang import ir
from duckseg.lang.time import TimeContext, iso, jsonable

if TYPE_CHECKING:
    from duckseg.api.workspace import SegmentLike, Workspace


# Evidence shown apart from the condition's line: said by the condition itself, or on lines
# of its own (ExplainNode.lines).
_OWN_LINES = frozenset(
    {"condition", "events", "attribute", "segment", "steps", "chain", "failed_step", "reason"}
    | {"periods"}
)


@dataclass(frozen=True)
class ExplainNode:
    kind: str
    result: bool
    evidence: dict[str, Any]
    children: tuple[ExplainNode, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "result": self.result,
            "evidence": self.evidence,
            "children": [c.to_dict() for c in self.children],
        }

    def facts(self) -> str:
        """The evidence that fits on the condition's line, as `key: value` pairs."""
        return ", ".join(
            f"{k}: {v}" for k, v in self.evidence.items() if k not in _OWN_LINES and v is not None
        )

    def lines(self) -> list[str]:
        """The evidence shown on lines of its own: a sequence's chain, step by step, and
        where it fails; a lifecycle condition's periods."""
        out = []
        for link in self.evidence.get("chain", ()):
            props = ", ".join(f"{k}: {v}" for k, v in link["properties"].items())
            out.append(
                f"step {link['step']}: {link['event']} at {link['time']}"
                + (f" ({props})" if props else "")
            )
        if "failed_step" in self.evidence:
            out.append(f"step {self.evidence['failed_step']}: {self.evidence['reason']}")
        for p in self.evidence.get("periods", ()):
            close = "]" if p["to_inclusive"] else ")"
            met = "met" if p["met"] else "not met"
            out.append(f"period {p['period']} [{p['from']}, {p['to']}{close}: {p['count']}, {met}")
        return out

    def _html(self) -> str:
        mark = "&#10003;" if self.result else "&#10007;"
        color = "#1a7f37" if self.result else "#cf222e"
        facts = html.escape(self.facts())
        lines = "".join(f"<li><small>{html.escape(line)}</small></li>" for line in self.lines())
        kids = lines + "".join(c._html() for c in self.children)
        return (
            f'<li><span style="color:{color}">{mark}</span> '
            f"<b>{html.escape(self.kind)}</b> {html.escape(str(self.evidence['condition']))}"
            + (f" <small>({facts})</small>" if facts else "")
            + (f"<ul>{kids}</ul>" if kids else "")
            + "</li>"
        )


@dataclass(frozen=True)
class Explanation:
    segment: str
    contact_id: Any
    as_of: datetime
    result: bool
    tree: ExplainNode

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "contact_id": self.contact_id,
            "as_of": iso(self.as_of),
            "result": self.result,
            "tree": self.tree.to_dict(),
        }

    def _repr_html_(self) -> str:
        verdict = "is a member" if self.result else "is not a member"
        return (
            f"<div><b>{html.escape(str(self.contact_id))}</b> {verdict} of "
            f"<b>{html.escape(self.segment)}</b> at {html.escape(iso(self.as_of))}"
            f"<ul>{self.tree._html()}</ul></div>"
        )


def contact_key(con: duckdb.DuckDBPyConnection, contact_id: Any) -> Any:
    """The id as the lake types it, or an exit-2 error with a did-you-mean when no contact
    has it."""
    found = con.execute(
        "SELECT contact_id FROM contacts WHERE CAST(contact_id AS VARCHAR) = ? LIMIT 1",
        [str(contact_id)],
    ).fetchall()
    if found:
        return found[0][0]
    raise unknown_contact(con, contact_id)


def unknown_contact(con: duckdb.DuckDBPyConnection, contact_id: Any) -> InputError:
    """Exit 2 for an id no contact has, with the closest ids as a did-you-mean."""
    close = con.execute(
        "SELECT CAST(contact_id AS VARCHAR) FROM contacts "
        "WHERE jaro_winkler_similarity(CAST(contact_id AS VARCHAR), ?) >= 0.8 "
        "ORDER BY levenshtein(CAST(contact_id AS VARCHAR), ?), 1 LIMIT 5",
        [str(contact_id), str(contact_id)],
    ).fetchall()
    return InputError.single(
        "contact",
        f"unknown contact {contact_id}",
        hint=did_you_mean(str(contact_id), [r[0] for r in close]),
    )


def explain(
    ws: Workspace,
    segment: SegmentLike,
    contact_id: Any,
    as_of: datetime | date | str | None = None,
) -> Explanation:
    seg = ws.load(segment)
    ctx: TimeContext = ws.time_context(as_of)
    con = ws.connect()
    try:
        (resolved,) = ws.resolve([seg], con)
        tree = resolved.tree if resolved.tree is not None else ir.StaticMembers(seg.name)
        key = contact_key(con, contact_id)
        plan = explain_plan(tree, ctx)
        cursor = con.execute(plan.query.sql("duckdb"), plan.parameters(key))
        names = [d[0] for d in cursor.description or []]
        (row,) = cursor.fetchall()
    finally:
        con.close()
    values = dict(zip(names, row, strict=True))
    root = _node(plan.root, values)
    return Explanation(seg.name, jsonable(key), ctx.as_of, root.result, root)


def _node(plan: NodePlan, values: dict[str, Any]) -> ExplainNode:
    evidence: dict[str, Any] = {"condition": plan.description, **plan.fixed}
    evidence.update({k: jsonable(values[col]) for k, col in plan.evidence.items()})
    if plan.steps:
        evidence.update(_chain(plan.steps, values))
    if plan.periods:
        evidence["periods"] = [_period(k, p, values) for k, p in enumerate(plan.periods, 1)]
        evidence["periods_met"] = sum(p["met"] for p in evidence["periods"])
    result = values[plan.result]
    assert isinstance(result, bool), f"{plan.kind} gave {result!r}, not true or false"
    return ExplainNode(plan.kind, result, evidence, tuple(_node(c, values) for c in plan.children))


def _chain(steps: list[StepPlan], values: dict[str, Any]) -> dict[str, Any]:
    """The steps with their counts, the chain the query chose and, when it stops short,
    the step where every chain fails and why."""
    out: dict[str, Any] = {
        "steps": [
            {
                "step": k,
                "events": s.events,
                "then_within": None if s.then_within is None else str(s.then_within),
                "count": values[s.count],
            }
            for k, s in enumerate(steps, 1)
        ],
        "chain": [],
    }
    for k, step in enumerate(steps, 1):
        if values[step.event] is None:
            out["failed_step"] = k
            out["reason"] = _reason(step, values[step.count], out["chain"])
            break
        props = {name: jsonable(values[col]) for name, col in step.properties.items()}
        out["chain"].append(
            {
                "step": k,
                "event": values[step.event],
                "time": jsonable(values[step.time]),
                "properties": props,
            }
        )
    return out


def _reason(step: StepPlan, count: int, chain: list[dict[str, Any]]) -> str:
    what = f"no qualifying {' or '.join(step.events)}"
    if not chain or not count:
        return what
    within = f" within {step.then_within.words()}" if step.then_within else ""
    return f"{what}{within} after {chain[-1]['time']}"


def _period(k: int, plan: PeriodPlan, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "period": k,
        "from": plan.start,
        "to": plan.end,
        "to_inclusive": plan.end_inclusive,
        "count": values[plan.count],
        "met": values[plan.met],
    }
