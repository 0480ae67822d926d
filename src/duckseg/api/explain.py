"""`duckseg explain SEGMENT ID` and `ws.explain(...)`: why a contact is or is not a member,
node by node, with the evidence DuckDB computed for that contact (docs/memberships.md)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from duckseg.compiler.explain import NodePlan, explain_plan
from duckseg.errors import InputError, did_you_mean
from duckseg.lang import ir
from duckseg.lang.time import TimeContext, iso, jsonable

if TYPE_CHECKING:
    from duckseg.api.workspace import SegmentLike, Workspace


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

    def _html(self) -> str:
        mark = "&#10003;" if self.result else "&#10007;"
        color = "#1a7f37" if self.result else "#cf222e"
        facts = ", ".join(
            f"{html.escape(k)}: {html.escape(str(v))}"
            for k, v in self.evidence.items()
            if k != "condition"
        )
        kids = "".join(c._html() for c in self.children)
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
        cursor = con.execute(plan.query.sql("duckdb"), [key, key])
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
    result = values[plan.result]
    assert isinstance(result, bool), f"{plan.kind} gave {result!r}, not true or false"
    return ExplainNode(plan.kind, result, evidence, tuple(_node(c, values) for c in plan.children))
