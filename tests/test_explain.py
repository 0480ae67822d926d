"""Explain: its top result is build membership for every contact (random definitions of the
reference generator), each group's result follows from its children, evidence is the
contact's own data; text, JSON and HTML output."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from duckseg import Segment, Workspace
from duckseg.compiler import compile_build
from duckseg.compiler.explain import explain_plan
from duckseg.db import regex_error
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext
from tests.explainworld import EXAMPLES, bind_world, explain_each, world_catalog
from tests.reference import strategies as refs
from tests.reference.evaluator import World

# Sequences and lifecycle conditions are drawn too (traits need trait files: not here).
EXTENSIONS = ("first_last_windows", "sequences", "lifecycle")


def _consistent(node: Any) -> None:
    """A group's result is what its children's results make it."""
    kids = [c.result for c in node.children]
    expected = {
        "all": all(kids),
        "any": any(kids),
        "not": not kids[0] if kids else None,
        "in_segment": kids[0] if kids else None,
    }.get(node.kind, node.result)
    assert node.result == expected, node.to_dict()
    if node.kind == "sequence":  # a complete chain exactly when the sequence holds
        assert (len(node.evidence["chain"]) == len(node.evidence["steps"])) == node.result
    for child in node.children:
        _consistent(child)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    world=refs.worlds(max_contacts=12, max_events=60, extensions=EXTENSIONS),
    family=refs.segment_families(extensions=EXTENSIONS),
)
def test_explain_top_result_is_build_membership_for_every_contact(
    world: World, family: tuple[dict[str, dict[str, Any]], str]
) -> None:
    definitions, target = family
    with tempfile.TemporaryDirectory() as tmp:
        con = bind_world(world, Path(tmp))
        try:
            catalog = world_catalog(con)
            segs = {n: Segment.from_dict({"name": n, **body}) for n, body in definitions.items()}
            resolver = Resolver(catalog, world.zone, segs.get, list(segs), regex_error=regex_error)
            tree = resolver.resolve(segs[target]).tree
            assert tree is not None
            ctx = TimeContext.create(refs.AS_OF, world.zone)
            build = compile_build({target: tree}, ctx)
            members = {r[0] for r in con.execute(build.standalone(target).sql("duckdb")).fetchall()}
            for cid, root in explain_each(con, explain_plan(tree, ctx)):
                assert root.result == (cid in members), (
                    f"{cid}: explain says {root.result}, build says {cid in members} "
                    f"for {definitions[target]}"
                )
                _consistent(root)
        finally:
            con.close()


# -- on the sample --------------------------------------------------------------------


def test_evidence_is_the_contacts_own_data(sample_ws: Workspace) -> None:
    e = sample_ws.explain("at_risk", "c00005", as_of="2026-06-30")
    assert e.to_dict().keys() == {"segment", "contact_id", "as_of", "result", "tree"}
    assert set(e.tree.to_dict()) == {"kind", "result", "evidence", "children"}
    tickets, no_purchase = e.tree.children
    con = sample_ws.connect()
    try:
        (count, first, last) = con.execute(
            "SELECT count(*), min(ts), max(ts) FROM events "
            "WHERE contact_id = 'c00005' AND event = 'purchase' "
            "AND ts >= TIMESTAMP '2026-05-01 00:00:00' AND ts <= TIMESTAMP '2026-06-30 00:00:00'"
        ).fetchall()[0]
    finally:
        con.close()
    assert no_purchase.kind == "not_performed"
    assert no_purchase.evidence["count"] == count
    assert no_purchase.result == (count == 0)
    assert tickets.kind == "performed" and tickets.evidence["events"] == ["support_ticket"]
    if count:
        assert no_purchase.evidence["first_time"].startswith(first.isoformat()[:19])
        assert no_purchase.evidence["last_time"].startswith(last.isoformat()[:19])


def test_explain_agrees_with_a_build_and_explains_references(sample_ws: Workspace) -> None:
    snap = sample_ws.build("vip_arabic", as_of="2026-06-30")
    members = set(snap.to_polars()["contact_id"].to_list())
    inside, outside = sorted(members)[0], "c00005"
    assert outside not in members
    for cid in (inside, outside):
        e = sample_ws.explain("vip_arabic", cid, as_of="2026-06-30")
        assert e.result == (cid in members)
    ref = sample_ws.explain("vip_arabic", inside, as_of="2026-06-30").tree.children[0]
    assert ref.kind == "in_segment" and ref.evidence["segment"] == "vip"
    assert ref.children[0].kind == "any"  # vip's own tree, explained in turn
    html = sample_ws.explain("vip_arabic", inside, as_of="2026-06-30")._repr_html_()
    assert "is a member" in html and "in segment vip" in html


def test_cli_explain_json_text_and_unknown_contact(sample_ws: Workspace) -> None:
    base = [sys.executable, "-m", "duckseg", "explain", "-w", str(sample_ws.root)]
    run = lambda *a: subprocess.run([*base, *a], capture_output=True, text=True, timeout=120)  # noqa: E731
    doc = json.loads(run("vip", "c00005", "--as-of", "2026-06-30", "--json").stdout)
    assert doc["segment"] == "vip" and doc["contact_id"] == "c00005"
    assert doc["result"] == sample_ws.explain("vip", "c00005", as_of="2026-06-30").result
    text = run("vip", "c00005", "--as-of", "2026-06-30")
    assert text.returncode == 0 and "lifetime_value" in text.stdout
    unknown = run("vip", "c00005x")
    assert unknown.returncode == 2 and "unknown contact c00005x" in unknown.stderr
    assert "did you mean c00005?" in unknown.stderr
    assert "did you mean" not in run("vip", "zzzzzzzzzzzz").stderr
