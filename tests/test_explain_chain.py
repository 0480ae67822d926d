"""Explain's evidence for sequences and lifecycle: the chain shown is a chain by the rule of
sequences (checked with the reference evaluator on the contact's raw events, the shown ones
alone), the earliest to complete, and missing exactly when the contact is not a member; the
prefix shown when there is none is the longest any chain reaches; periods show their counts."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from duckseg import FixedClock, Segment, Workspace
from duckseg.api.explain import ExplainNode, jsonable
from duckseg.compiler.explain import explain_plan
from duckseg.db import regex_error
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext, iso
from tests.cases import cell
from tests.explainworld import EXAMPLES, bind_world, explain_each, world_catalog
from tests.reference import strategies as refs
from tests.reference.evaluator import World, evaluate


def _sequence_nodes(node: ExplainNode) -> list[ExplainNode]:
    found = [node] if node.kind == "sequence" else []
    for child in node.children:
        found.extend(_sequence_nodes(child))
    return found


def _prefix(cond: dict[str, Any], k: int) -> dict[str, Any]:
    """The definition matching contacts with a chain of the first k steps."""
    window = {"within": cond["within"]} if "within" in cond else {}
    if k >= 2:
        return {"where": {"sequence": cond["sequence"][:k], **window}}
    step = cond["sequence"][0]
    where = {"where": step["where"]} if "where" in step else {}
    return {"where": {"performed": step["performed"], **where, **window}}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def _raw_event(world: World, cid: Any, link: dict[str, Any]) -> dict[str, object]:
    """The contact's raw event the chain names: its name, time and shown properties."""
    for event in world.events:
        if event["contact_id"] != cid or event["event"] != link["event"]:
            continue
        if cell(event["ts"], "timestamp") != _instant(link["time"]):
            continue
        shown = {p: jsonable(cell(event.get(p), world.prop_types[p])) for p in link["properties"]}
        if shown == link["properties"]:
            return event
    raise AssertionError(f"{cid}: no raw event is {link}")


def _check_chain(world: World, cond: dict[str, Any], cid: Any, node: ExplainNode) -> None:
    steps = len(cond["sequence"])
    chain = node.evidence["chain"]
    members = evaluate({"where": cond}, world, refs.AS_OF)
    assert node.result == (cid in members)
    assert (len(chain) == steps) == node.result, node.evidence
    assert [link["step"] for link in chain] == list(range(1, len(chain) + 1))
    if chain:
        # Valid: the shown events alone make a chain of their steps by the rule.
        shown = [_raw_event(world, cid, link) for link in chain]
        alone = World(world.contacts, shown, world.attr_types, world.prop_types, world.zone)
        assert cid in evaluate(_prefix(cond, len(chain)), alone, refs.AS_OF), chain
        # Earliest: no chain of as many steps ends before the shown one.
        end = _instant(chain[-1]["time"])
        early = [e for e in world.events if cell(e["ts"], "timestamp") < end]
        sooner = World(world.contacts, early, world.attr_types, world.prop_types, world.zone)
        assert cid not in evaluate(_prefix(cond, len(chain)), sooner, refs.AS_OF), chain
    if not node.result:
        # Longest: no chain reaches the step that is said to fail.
        assert node.evidence["failed_step"] == len(chain) + 1
        assert cid not in evaluate(_prefix(cond, len(chain) + 1), world, refs.AS_OF)
        assert node.evidence["reason"].startswith("no qualifying ")
    else:
        assert "failed_step" not in node.evidence


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    world=refs.worlds(max_contacts=8, max_events=60, extensions=("sequences",)),
    cond=refs.sequences(),
)
def test_the_chain_shown_is_a_valid_earliest_chain_exactly_for_members(
    world: World, cond: dict[str, Any]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        con = bind_world(world, Path(tmp))
        try:
            catalog = world_catalog(con)
            seg = Segment.from_dict({"name": "seq", "where": cond})
            resolver = Resolver(catalog, world.zone, {}.get, [], regex_error=regex_error)
            tree = resolver.resolve(seg).tree
            assert tree is not None
            plan = explain_plan(tree, TimeContext.create(refs.AS_OF, world.zone))
            for cid, root in explain_each(con, plan):
                (node,) = _sequence_nodes(root)
                _check_chain(world, cond, cid, node)
        finally:
            con.close()


# -- a small shop ---------------------------------------------------------------------

NOW = datetime(2026, 4, 1, tzinfo=UTC)
TRIAL = """\
where:
  sequence:
    - performed: signup
      where: {prop: plan, op: is, value: pro}
    - performed: demo_request
      then_within: 7d
    - performed: purchase
  within: 60d
"""
REGULAR = "where: {performed_regularly: purchase, every: 1mo, periods: 3, min_periods: 2}\n"


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws", clock=FixedClock(NOW))
    pq.write_table(pa.table({"contact_id": ["a", "b", "c"]}), tmp_path / "contacts.parquet")
    ws.ingest("contacts", [tmp_path / "contacts.parquet"])
    rows = [
        # a: two pro signups; only the later one is followed by a demo within 7 days.
        ("a", "signup", "2026-03-01T09:00:00", "pro"),
        ("a", "signup", "2026-03-10T09:00:00", "pro"),
        ("a", "demo_request", "2026-03-12T15:00:00", None),
        ("a", "purchase", "2026-03-20T08:00:00", None),
        ("a", "purchase", "2026-03-25T08:00:00", None),
        ("a", "purchase", "2026-01-25T08:00:00", None),
        # b: a demo, but ten days after the signup.
        ("b", "signup", "2026-03-01T10:00:00", "pro"),
        ("b", "signup", "2026-03-02T10:00:00", "free"),
        ("b", "demo_request", "2026-03-11T10:00:00", None),
        ("b", "purchase", "2026-03-12T10:00:00", None),
    ]
    pq.write_table(
        pa.table(
            {
                "contact_id": [r[0] for r in rows],
                "event": [r[1] for r in rows],
                "ts": pa.array([datetime.fromisoformat(r[2]) for r in rows], pa.timestamp("us")),
                "plan": [r[3] for r in rows],
            }
        ),
        tmp_path / "events.parquet",
    )
    ws.ingest("events", [tmp_path / "events.parquet"])
    (ws.root / "segments" / "trial.yaml").write_text(TRIAL, encoding="utf-8")
    (ws.root / "segments" / "regular.yaml").write_text(REGULAR, encoding="utf-8")
    return ws


def test_chain_of_a_member_and_where_others_fail(shop: Workspace) -> None:
    a = shop.explain("trial", "a").tree
    assert a.kind == "sequence" and a.result
    assert a.evidence["chain"] == [
        {
            "step": 1,
            "event": "signup",
            "time": "2026-03-10T09:00:00Z",
            "properties": {"plan": "pro"},
        },
        {"step": 2, "event": "demo_request", "time": "2026-03-12T15:00:00Z", "properties": {}},
        {"step": 3, "event": "purchase", "time": "2026-03-20T08:00:00Z", "properties": {}},
    ]
    assert [s["count"] for s in a.evidence["steps"]] == [2, 1, 2]
    b = shop.explain("trial", "b").tree
    assert not b.result and b.evidence["failed_step"] == 2
    assert b.evidence["chain"][0]["time"] == "2026-03-01T10:00:00Z"
    assert (
        b.evidence["reason"]
        == "no qualifying demo_request within 7 days after 2026-03-01T10:00:00Z"
    )
    c = shop.explain("trial", "c").tree
    assert c.evidence["chain"] == [] and c.evidence["reason"] == "no qualifying signup"
    members = set(shop.build("trial").to_polars()["contact_id"].to_list())
    assert members == {"a"}


def test_periods_of_performed_regularly(shop: Workspace) -> None:
    a = shop.explain("regular", "a").tree
    assert a.result and a.evidence["periods_met"] == 2
    assert [(p["period"], p["count"], p["met"]) for p in a.evidence["periods"]] == [
        (1, 2, True),
        (2, 0, False),
        (3, 1, True),
    ]
    assert a.evidence["periods"][0] == {
        "period": 1,
        "from": "2026-03-01T00:00:00Z",
        "to": "2026-04-01T00:00:00Z",
        "to_inclusive": True,
        "count": 2,
        "met": True,
    }
    assert not a.evidence["periods"][1]["to_inclusive"]
    # Stopped / restarted show the count in each stretch of time they read.
    stopped = "where: {stopped_performing: purchase, recent: 30d, prior: 60d}\n"
    (shop.root / "segments" / "stopped.yaml").write_text(stopped, encoding="utf-8")
    (lowered,) = shop.explain("stopped", "a").tree.children
    assert [(c.kind, c.evidence["count"], c.result) for c in lowered.children] == [
        ("performed", 1, True),
        ("not_performed", 2, False),
    ]
    # ... and the stretch each counts in: [as_of - 90d, as_of - 30d) and [as_of - 30d, as_of]
    recent = NOW - timedelta(days=30)
    stretches = [
        f"[{iso(recent - timedelta(days=60))}, {iso(recent)})",
        f"[{iso(recent)}, {iso(NOW)}]",
    ]
    assert [c.evidence["window"] for c in lowered.children] == stretches
    assert "window: [" in lowered.children[1].facts()


def test_chain_in_text_json_and_html(shop: Workspace) -> None:
    at = ["--as-of", "2026-04-01T00:00:00Z"]
    base = [sys.executable, "-m", "duckseg", "explain", "-w", str(shop.root), *at]
    run = lambda *a: subprocess.run([*base, *a], capture_output=True, text=True, timeout=120)  # noqa: E731
    doc = json.loads(run("trial", "b", "--json").stdout)
    assert doc["tree"]["evidence"]["failed_step"] == 2
    text = " ".join(run("trial", "b").stdout.split())  # as rich wraps it at any width
    assert "step 1: signup at 2026-03-01T10:00:00Z (plan: pro)" in text
    assert "step 2: no qualifying demo_request within 7 days after 2026-03-01T10:00:00Z" in text
    assert "period 3 [" in run("regular", "a").stdout
    html = shop.explain("trial", "a")._repr_html_()
    assert "step 3: purchase at 2026-03-20T08:00:00Z" in html
