"""GET /contacts/{id} with trait files: the in-memory view holds every contact's trait
values, computed at a stated instant (`traits_as_of`), and the answer equals
`ws.contact(id, as_of=traits_as_of)`; the values are computed again, in a thread of their
own while the earlier view answers, after a landing and build, a trait file edit, and once
older than the max age; a trait file with an error keeps the earlier view."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI

from duckseg import Workspace
from duckseg.config import load_config
from duckseg.errors import DefinitionError, InputError
from duckseg.lang.time import iso
from duckseg.serve.app import create_app
from duckseg.serve.lookup import View
from duckseg.serve.reload import ContactLookup
from tests.test_serve import call

SEGMENTS = ["vip", "at_risk", "gold_oman"]
# c00104 and c00140 buy in the first and the last months of the year before as_of; c00042
# never buys; the others are spread over the contacts file.
IDS = ["c00005", "c00042", "c00104", "c00140", "c02500", "c04999"]


@dataclass
class Clock:
    """A clock a test moves: requests then run later than the view's trait values."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


@pytest.fixture
def clock(sample_ws: Workspace) -> Clock:
    return Clock(sample_ws.as_of())


@pytest.fixture
def ws(sample_ws: Workspace, clock: Clock) -> Workspace:
    """The sample, with its four trait files, built; its clock in the test's hands."""
    opened = Workspace.open(sample_ws.root, clock=clock)
    opened.build_many(SEGMENTS, as_of="2026-06-30")
    return opened


def _lookup(app: FastAPI) -> ContactLookup:
    lookup = app.state.lookup
    assert isinstance(lookup, ContactLookup)
    return lookup


def _settled(app: FastAPI) -> View:
    """The view once a load in the background is done."""
    view = _lookup(app).wait()
    assert view is not None
    return view


def _get(app: FastAPI, contact_id: str) -> dict[str, Any]:
    answer = call(app, "GET", f"/contacts/{contact_id}")
    assert answer.status_code == 200, answer.text
    got: dict[str, Any] = answer.json()
    return got


def _as_stated(app: FastAPI, ws: Workspace, ids: list[str]) -> str:
    """Every answer equals ws.contact at the instant it states; returns that instant."""
    stated = set()
    for cid in ids:
        got = _get(app, cid)
        assert list(got) == [
            "contact_id",
            "as_of",
            "attributes",
            "traits",
            "traits_as_of",
            "segments",
            "audiences",
        ]
        at = got.pop("traits_as_of")
        assert got.pop("as_of") == iso(ws.as_of())  # the request's instant
        want = json.loads(json.dumps(ws.contact(cid, as_of=at).to_dict()))
        assert want.pop("as_of") == at
        assert got == want, cid
        stated.add(at)
    assert len(stated) == 1
    return stated.pop()


def _land_purchase(ws: Workspace, tmp_path: Path, contact_id: str, at: datetime) -> None:
    events = pa.table(
        {
            "contact_id": [contact_id],
            "event": ["purchase"],
            "ts": pa.array([at.replace(tzinfo=None)], pa.timestamp("us")),
            "event_id": [f"late-{contact_id}"],
            "amount": [1234.5],
            "category": ["books"],
            "channel": ["web"],
        }
    )
    path = tmp_path / f"late-{contact_id}.parquet"
    pq.write_table(events, path)
    ws.ingest("events", [path])


def test_traits_are_served_at_the_instant_stated_and_follow_landings(
    ws: Workspace, clock: Clock, tmp_path: Path
) -> None:
    loaded_at = clock.instant
    app = create_app(ws, None)
    view = _lookup(app).refresh()
    assert view.servable and view.traits is not None
    assert view.traits.as_of == loaded_at

    # Requests two months later still get the values at the load's instant, and say so.
    clock.instant = loaded_at + timedelta(days=60)
    assert _as_stated(app, ws, IDS) == iso(loaded_at)
    later = ws.contact("c00104").to_dict()["traits"]
    assert later != _get(app, "c00104")["traits"]  # 365-day counts moved on meanwhile

    # A landing and a build: the earlier view answers until the new one is in.
    before = _get(app, "c00005")
    _land_purchase(ws, tmp_path, "c00005", loaded_at - timedelta(days=1))
    ws.build_many(SEGMENTS, as_of="2026-07-01")
    assert _get(app, "c00005") == before
    after = _settled(app)
    assert after is not view and after.traits is not None
    assert after.traits.as_of == clock.instant
    assert _as_stated(app, ws, IDS) == iso(clock.instant)
    spent = _get(app, "c00005")["traits"]["lifetime_spend"]
    assert spent == pytest.approx(before["traits"]["lifetime_spend"] + 1234.5)


def test_a_trait_file_edit_recomputes_the_values(ws: Workspace, clock: Clock) -> None:
    app = create_app(ws, None)
    _lookup(app).refresh()
    first = _as_stated(app, ws, IDS)
    yearly = [_get(app, cid)["traits"]["order_count"] for cid in IDS]
    path = ws.root / "traits" / "order_count.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("365d", "30d"), encoding="utf-8")
    clock.instant += timedelta(hours=1)
    assert _get(app, "c00042")["traits_as_of"] == first  # the earlier view, meanwhile
    _settled(app)
    assert _as_stated(app, ws, IDS) == iso(clock.instant)
    monthly = [_get(app, cid)["traits"]["order_count"] for cid in IDS]
    assert monthly != yearly and all(m <= y for m, y in zip(monthly, yearly, strict=True))

    # A new trait file is a new version too.
    (ws.root / "traits" / "orders_7d.yaml").write_text(
        "of: purchase\nwithin: 7d\nvalue: {fn: count}\n", encoding="utf-8"
    )
    _get(app, "c00005")
    _settled(app)
    assert "orders_7d" in _get(app, "c00005")["traits"]
    _as_stated(app, ws, IDS[:3])


def test_a_trait_file_with_an_error_keeps_the_earlier_view(ws: Workspace, clock: Clock) -> None:
    app = create_app(ws, None)
    view = _lookup(app).refresh()
    served = {cid: _get(app, cid) for cid in IDS}
    path = ws.root / "traits" / "lifetime_spend.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("fn: sum", "fn: total"), encoding="utf-8")
    with pytest.raises(DefinitionError):
        ws.contact("c00005")
    for cid in IDS:
        assert _get(app, cid) == served[cid]
    assert _settled(app) is view  # the load failed: the earlier view stays, whole
    for cid in IDS:
        assert _get(app, cid) == served[cid]
    assert _settled(app) is view  # tries while the catalog's stat is fresh fail the same way

    path.write_text(good.replace("Total", "All"), encoding="utf-8")
    clock.instant += timedelta(days=1)
    _get(app, "c00005")
    fixed = _settled(app)
    assert fixed is not view and fixed.servable
    assert _as_stated(app, ws, IDS) == iso(clock.instant)


def test_without_an_earlier_view_the_error_is_the_answer(ws: Workspace) -> None:
    (ws.root / "traits" / "broken.yaml").write_text(
        "of: purchase\nvalue: {fn: total}\n", encoding="utf-8"
    )
    app = create_app(ws, None)
    answer = call(app, "GET", "/contacts/c00005")
    assert answer.status_code == 400
    assert set(answer.json()) == {"error", "path"}
    assert "broken.yaml" in answer.text and "total" in answer.text
    assert not _settled(app).servable

    (ws.root / "traits" / "broken.yaml").unlink()
    _as_stated(app, ws, IDS[:2])  # the next change brings another try
    assert _settled(app).servable


def test_values_older_than_the_max_age_are_computed_again(ws: Workspace, clock: Clock) -> None:
    lasting = create_app(ws, None)  # the default: 15 minutes
    view = _lookup(lasting).refresh()
    clock.instant += timedelta(days=30)
    _get(lasting, "c00005")
    assert _settled(lasting) is view

    app = create_app(ws, None, traits_max_age_s=0.001)
    first = _lookup(app).refresh()
    assert first.traits is not None and first.traits.as_of == clock.instant
    clock.instant += timedelta(days=30)
    assert _get(app, "c00042")["traits_as_of"] == iso(first.traits.as_of)
    second = _settled(app)
    assert second is not first and second.version == first.version
    assert second.traits is not None and second.traits.as_of == clock.instant
    assert _as_stated(app, ws, IDS) == iso(clock.instant)
    _settled(app)  # each request past the max age starts another: let the last one end


def test_without_trait_files_the_answer_is_as_before(ws: Workspace) -> None:
    for path in (ws.root / "traits").iterdir():
        path.unlink()
    (ws.root / "segments" / "top10_spenders_stopped.yaml").unlink()
    app = create_app(ws, None)
    view = _lookup(app).refresh()
    assert view.servable and view.traits is None
    for cid in IDS:
        got = _get(app, cid)
        assert "traits_as_of" not in got and got["traits"] == {}
        assert got == json.loads(json.dumps(ws.contact(cid).to_dict()))


def test_the_max_age_is_configured_in_serve(tmp_path: Path) -> None:
    path = tmp_path / "duckseg.toml"
    assert load_config(path).serve.max_age_s() == 900
    path.write_text('[serve]\ntraits_max_age = "30s"\n', encoding="utf-8")
    assert load_config(path).serve.max_age_s() == 30
    path.write_text('[serve]\ntraits_max_age = "2h"\n', encoding="utf-8")
    assert load_config(path).serve.max_age_s() == 7200
    for bad in ("soon", "0m", "15", "3mo"):
        path.write_text(f'[serve]\ntraits_max_age = "{bad}"\n', encoding="utf-8")
        with pytest.raises(InputError) as err:
            load_config(path)
        assert "traits_max_age" in str(err.value)


def test_integer_ids_find_their_trait_values(tmp_path: Path, clock: Clock) -> None:
    ws = Workspace.init(tmp_path / "ints", clock=clock)
    people, orders = tmp_path / "people.csv", tmp_path / "orders.csv"
    people.write_text("contact_id,city\n7,Pune\n12,Doha\n300,Pune\n", encoding="utf-8")
    orders.write_text(
        "contact_id,event,ts,amount\n"
        "7,purchase,2026-06-01T10:00:00Z,20.5\n"
        "300,purchase,2026-06-02T10:00:00Z,5\n"
        "300,purchase,2026-06-03T10:00:00Z,7.25\n",
        encoding="utf-8",
    )
    ws.ingest("contacts", [people])
    ws.ingest("events", [orders])
    (ws.root / "segments" / "pune.yaml").write_text(
        "where: {attr: city, op: is, value: Pune}\n", encoding="utf-8"
    )
    (ws.root / "traits").mkdir(exist_ok=True)
    (ws.root / "traits" / "spend.yaml").write_text(
        "of: purchase\nvalue: {fn: sum, prop: amount}\n", encoding="utf-8"
    )
    ws.build_many(["pune"], as_of="2026-06-30")
    app = create_app(ws, None)
    view = _lookup(app).refresh()
    assert view.servable and view.integer_ids and view.traits is not None
    _as_stated(app, ws, ["7", "12", "300"])
    assert _get(app, "300")["traits"] == {"spend": 12.25}
    _as_stated(app, ws, ["0300"])  # as the lake types it, as ws.contact reads it
