"""An audience's `limit` by an attribute or a trait, against the reference reading of SPEC 11.

Three ways: random worlds (every attribute and trait type, ties, missing values,
events after as_of) through the build's limit step; random shops built end to end
with `audience_build`; and the sample workspace, whose trait values come from a
hand-written query. The expected members always come from tests/reference.
"""

from __future__ import annotations

import json
import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from duckseg import FixedClock, Segment, Workspace
from duckseg.audiences.build import limited
from duckseg.audiences.plan import order_by
from duckseg.audiences.result import AudienceSnapshot
from duckseg.audiences.spec import parse_audience
from duckseg.compiler import compile_build
from duckseg.db import create_temp, regex_error
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext
from tests.cases import EXAMPLES
from tests.exportshop import run_cli
from tests.reference import strategies as refs
from tests.reference.audiences import ORDERABLE, audience_members, order_values
from tests.reference.audiences import limited as reference_limited
from tests.reference.evaluator import World, evaluate
from tests.test_differential import TRAIT_EXTENSIONS, _bind_world
from tests.test_traits_workspace import AS_OF as SAMPLE_AS_OF
from tests.test_traits_workspace import EARLIER as SAMPLE_EARLIER
from tests.test_traits_workspace import _hand_written

ORDER_NAMES = sorted(
    name for name, typ in {**refs.ATTR_TYPES, **refs.TRAIT_TYPES}.items() if typ in ORDERABLE
)


@settings(
    max_examples=max(EXAMPLES // 3, 20),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    world=refs.worlds(extensions=TRAIT_EXTENSIONS),
    family=refs.segment_families(),
    name=st.sampled_from(ORDER_NAMES),
    most=st.integers(1, 30),
    descending=st.booleans(),
)
def test_limit_order_matches_reference(
    world: World,
    family: tuple[dict[str, dict[str, Any]], str],
    name: str,
    most: int,
    descending: bool,
) -> None:
    """The kept members in the order the limit takes them, by every orderable attribute and
    trait of the reference schema (traits of every fn, at as_of)."""
    definitions, target = family
    limit = {"max": most, "order_by": name, "descending": descending}
    included = evaluate(definitions[target], world, refs.AS_OF, definitions)
    values = order_values(name, world, refs.AS_OF)[1]
    expected = reference_limited(included, most, values, descending)
    with tempfile.TemporaryDirectory() as tmp:
        got = _engine_limit(world, definitions, target, limit, Path(tmp))
    assert got == expected, (
        f"zone {world.zone}, traits {world.traits}, limit {limit}: "
        f"engine {got} vs reference {expected}"
    )


def _engine_limit(
    world: World,
    definitions: dict[str, dict[str, Any]],
    target: str,
    limit: dict[str, Any],
    tmp: Path,
) -> list[Any]:
    """The included segment compiled, then the audience build's own limit step."""
    con, catalog, traits = _bind_world(world, tmp)
    try:
        segs = {n: Segment.from_dict({"name": n, **body}) for n, body in definitions.items()}
        resolver = Resolver(
            catalog, world.zone, segs.get, list(segs), regex_error=regex_error, traits=traits
        )
        ctx = TimeContext.create(refs.AS_OF, world.zone)
        tree = resolver.resolve(segs[target]).tree
        assert tree is not None
        create_temp(con, "kept", compile_build({target: tree}, ctx).standalone(target), "TABLE")
        audience = parse_audience(
            {"include": [target], "consent": False, "limit": limit}, "audiences/a.yaml", "a"
        )
        ordering = order_by(audience, resolver, catalog)
        assert ordering is not None
        kept = exp.select(exp.column("contact_id", quoted=True)).from_("kept")
        query = limited(con, kept, ordering, limit["max"], ctx)
        return [row[0] for row in con.execute(query.sql("duckdb")).fetchall()]
    finally:
        con.close()


# -- random shops, built end to end ------------------------------------------------------

AS_OF = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
SHOP_TRAITS = {
    "spend": {"of": "purchase", "value": {"fn": "sum", "prop": "amount"}},
    "orders_30d": {"of": "purchase", "within": "30d", "value": {"fn": "count"}},
    "last_buy": {"of": "purchase", "value": {"fn": "last_time"}},
    "last_amount": {"of": "purchase", "value": {"fn": "last_value", "prop": "amount"}},
    "average": {"of": "purchase", "value": {"fn": "avg", "prop": "amount"}},
}
SHOP_SEGMENTS: dict[str, dict[str, Any]] = {
    "scored": {"where": {"attr": "score", "op": "is_set"}},
    "buyers": {"where": {"performed": "purchase"}},
    "big": {"where": {"trait": "spend", "op": "gt", "value": 100}},
}
# Instants on both sides of as_of and of the 30-day window, several of them shared.
INSTANTS = [AS_OF + timedelta(days=d) for d in (-40, -30, -29, -3, -1, 0, 1, 5)]
AMOUNTS = st.one_of(st.sampled_from([10.0, 50.0, 120.5]), st.none())
SCORES = st.one_of(st.sampled_from([1.0, 2.0, 2.0, 7.5]), st.none(), st.just(math.nan))


@st.composite
def shops(draw: st.DrawFn) -> tuple[dict[str, float | None], list[dict[str, Any]]]:
    size = draw(st.integers(1, 12))
    scores = {f"c{n:02d}": draw(SCORES) for n in range(1, size + 1)}
    purchase = st.fixed_dictionaries(
        {
            "contact_id": st.sampled_from(sorted(scores)),
            "ts": st.sampled_from(INSTANTS),
            "amount": AMOUNTS,
        }
    )
    return scores, draw(st.lists(purchase, max_size=30))


@st.composite
def audiences(draw: st.DrawFn) -> dict[str, Any]:
    audience: dict[str, Any] = {
        "include": draw(st.sampled_from([["scored"], ["buyers"], ["scored", "buyers"]])),
        "consent": False,
        "limit": {
            "max": draw(st.integers(1, 12)),
            "order_by": draw(st.sampled_from(["score", *sorted(SHOP_TRAITS)])),
            "descending": draw(st.booleans()),
        },
        "split": {"salt": "s", "arms": {"holdout": 1, "a": 2}},
    }
    if draw(st.booleans()):
        audience["exclude"] = ["big"]
    return audience


def _shop(root: Path, scores: dict[str, float | None], events: list[dict[str, Any]]) -> Workspace:
    ws = Workspace.init(root, clock=FixedClock(AS_OF + timedelta(days=10)))
    contacts = pa.table(
        {"contact_id": list(scores), "score": pa.array(list(scores.values()), pa.float64())}
    )
    pq.write_table(contacts, root.parent / "contacts.parquet")
    ws.ingest("contacts", [root.parent / "contacts.parquet"])
    rows = _purchases(scores, events)
    table = pa.table(
        {
            "contact_id": [r["contact_id"] for r in rows],
            "event": [r["event"] for r in rows],
            "ts": pa.array([r["ts"] for r in rows], pa.timestamp("us", "UTC")),
            "amount": pa.array([r["amount"] for r in rows], pa.float64()),
        }
    )
    pq.write_table(table, root.parent / "events.parquet")
    ws.ingest("events", [root.parent / "events.parquet"])
    for name, body in SHOP_SEGMENTS.items():
        (root / "segments" / f"{name}.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    for name, body in SHOP_TRAITS.items():
        (root / "traits" / f"{name}.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return ws


def _purchases(
    scores: dict[str, float | None], events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The drawn events as purchases; without any, one after as_of, so that the catalog
    knows the event name all the same (it never counts at as_of)."""
    late = {"contact_id": next(iter(scores)), "ts": INSTANTS[-1], "amount": None}
    return [{**e, "event": "purchase"} for e in events or [late]]


def _world(scores: dict[str, float | None], events: list[dict[str, Any]]) -> World:
    return World(
        contacts={cid: {"score": s} for cid, s in scores.items()},
        events=_purchases(scores, events),
        attr_types={"score": "float"},
        prop_types={"amount": "float"},
        traits=SHOP_TRAITS,
        event_names=frozenset({"purchase"}),
    )


@settings(
    max_examples=max(EXAMPLES // 10, 12),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(shop=shops(), audience=audiences())
def test_audience_build_matches_reference(
    shop: tuple[dict[str, float | None], list[dict[str, Any]]], audience: dict[str, Any]
) -> None:
    """`audience_build` end to end: members, arms and the funnel's limit count."""
    scores, events = shop
    world = _world(scores, events)
    segments = {name: {"name": name, **body} for name, body in SHOP_SEGMENTS.items()}
    expected = audience_members({"name": "top", **audience}, world, AS_OF, segments)
    with tempfile.TemporaryDirectory() as tmp:
        ws = _shop(Path(tmp) / "ws", scores, events)
        (ws.root / "audiences").mkdir(exist_ok=True)
        (ws.root / "audiences" / "top.yaml").write_text(
            yaml.safe_dump(audience, sort_keys=False), "utf-8"
        )
        snap = ws.audience_build("top", as_of=AS_OF.isoformat())
        assert isinstance(snap, AudienceSnapshot)
        got = {r["contact_id"]: (r["arm"], r["agent"]) for r in snap.to_polars().to_dicts()}
    assert got == expected, f"scores {scores}, events {events}, audience {audience}"
    assert snap.funnel is not None
    assert snap.funnel["limited"] == snap.funnel["eligible"] - len(expected)
    kind = "attribute" if audience["limit"]["order_by"] == "score" else "trait"
    assert snap.limit is not None and f"by {kind} {audience['limit']['order_by']}" in snap.limit


# -- the sample workspace ---------------------------------------------------------------

SAMPLE_AUDIENCE = """\
include: [festival_offer_maharashtra, vip]
exclude: [abandoned_cart_48h]
consent: false
limit: {max: 150, order_by: lifetime_spend, descending: true}
"""


@pytest.mark.parametrize("as_of", [SAMPLE_AS_OF, SAMPLE_EARLIER])
def test_the_sample_limits_by_a_trait_at_the_builds_as_of(sample_ws: Workspace, as_of: str) -> None:
    """Members from the segment snapshots, trait values from a hand-written query over the
    events up to as_of, the order from the reference: the build keeps the same contacts."""
    (sample_ws.root / "audiences" / "top_spenders.yaml").write_text(SAMPLE_AUDIENCE, "utf-8")
    snaps = sample_ws.build_many(
        ["festival_offer_maharashtra", "vip", "abandoned_cart_48h"], as_of=as_of
    )
    sets = [set(s.to_arrow().column("contact_id").to_pylist()) for s in snaps]
    included = (sets[0] | sets[1]) - sets[2]
    values = _lifetime_spend(sample_ws, as_of)
    expected = reference_limited(included, 150, values, descending=True)
    # The values at the other as_of pick others: what is read now cannot stand in for them.
    other = SAMPLE_EARLIER if as_of == SAMPLE_AS_OF else SAMPLE_AS_OF
    assert reference_limited(included, 150, _lifetime_spend(sample_ws, other), True) != expected
    snap = sample_ws.audience_build("top_spenders", as_of=as_of)
    assert isinstance(snap, AudienceSnapshot)
    assert len(included) > 150 and snap.count == 150
    assert set(snap.to_arrow().column("contact_id").to_pylist()) == set(expected)
    assert snap.limit == (
        "the first 150 by trait lifetime_spend, at the build's as_of "
        "(descending; missing values last, ties by contact_id)"
    )


def _lifetime_spend(ws: Workspace, as_of: str) -> dict[Any, Any]:
    frame = _hand_written(ws, as_of)
    return dict(zip(frame["contact_id"], frame["lifetime_spend"], strict=True))


def test_show_and_json_name_the_trait(
    sample_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample_ws.root / "audiences" / "top_spenders.yaml").write_text(SAMPLE_AUDIENCE, "utf-8")
    w = ["-w", str(sample_ws.root)]
    built = run_cli(capsys, "audience", "build", "top_spenders", "--as-of", SAMPLE_AS_OF, *w)
    assert built.code == 0, built.err
    assert "limit: the first 150 by trait lifetime_spend, at the build's as_of" in built.out
    shown = run_cli(capsys, "audience", "show", "top_spenders", *w)
    assert "by trait lifetime_spend" in shown.out
    as_json = json.loads(run_cli(capsys, "audience", "show", "top_spenders", "--json", *w).out)
    assert as_json["limit"].startswith("the first 150 by trait lifetime_spend")
    # Once the definition changes, the words of the file no longer describe that snapshot.
    (sample_ws.root / "audiences" / "top_spenders.yaml").write_text(
        SAMPLE_AUDIENCE.replace("150", "10"), "utf-8"
    )
    assert "limit" not in json.loads(
        run_cli(capsys, "audience", "show", "top_spenders", "--json", *w).out
    )


BAD_ORDER = [
    (
        {},
        "lifetime_spnd",
        "audiences/bad.yaml: limit.order_by: unknown attribute or trait lifetime_spnd "
        "(did you mean lifetime_spend?)",
    ),
    (
        {"first_channel": "of: message_received\nvalue: {fn: first_value, prop: channel}\n"},
        "first_channel",
        "audiences/bad.yaml: limit.order_by: trait first_channel is text: order_by needs a "
        "number, date or timestamp",
    ),
    (
        {"broken": "of: purchase\nvalue: {fn: sum, prop: amont}\n"},
        "broken",
        "traits/broken.yaml: value.prop: unknown event property amont (did you mean amount?)",
    ),
]


@pytest.mark.parametrize(("traits", "name", "message"), BAD_ORDER)
def test_a_bad_order_by_is_exit_2_and_writes_nothing(
    sample_ws: Workspace,
    capsys: pytest.CaptureFixture[str],
    traits: dict[str, str],
    name: str,
    message: str,
) -> None:
    for trait, body in traits.items():
        (sample_ws.root / "traits" / f"{trait}.yaml").write_text(body, "utf-8")
    (sample_ws.root / "audiences" / "bad.yaml").write_text(
        f"include: [vip]\nlimit: {{max: 5, order_by: {name}}}\n", "utf-8"
    )
    before = sorted(p.name for p in (sample_ws.root / "state").rglob("*"))
    result = run_cli(capsys, "audience", "build", "bad", "-w", str(sample_ws.root))
    assert result.code == 2, result.err
    assert message in result.err
    assert sorted(p.name for p in (sample_ws.root / "state").rglob("*")) == before
