"""GET /contacts/{id} from the server's in-memory lookup: the same JSON as ws.contact for
every contact, before and after builds, landings and backtests; unknown ids 404 as before;
the view reloaded only when what it shows changed."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI

from duckseg import FixedClock, Workspace
from duckseg.errors import BadInputError
from duckseg.serve.app import create_app
from duckseg.serve.lookup import View
from duckseg.serve.reload import ContactLookup
from duckseg.state import member_index
from duckseg.state.snapshots import PendingSnapshot
from tests.test_serve import call

SEGMENTS = ["vip", "vip_arabic", "gold_oman", "at_risk", "inactive_loyal"]
UNKNOWN = ["nobody", "c00005x", "C00005", " c00005", "c0000", "0", "-1", "%", "c 5"]


@pytest.fixture
def plain_ws(sample_ws: Workspace) -> Workspace:
    """The sample without trait files: the contact view has no values at `as_of` to compute."""
    shutil.rmtree(sample_ws.root / "traits")
    (sample_ws.root / "segments" / "top10_spenders_stopped.yaml").unlink()
    return sample_ws


def _audience(ws: Workspace, members: list[str], arms: list[str], at: datetime) -> None:
    table = pa.table({"contact_id": members, "arm": arms, "agent": ["ravi"] * len(members)})
    pending = PendingSnapshot("audience:diwali", "audience", at, "h", "--", "duckdb", table)
    with ws.store.writer():
        ws.snapshots.commit([pending], at)


def _ids(ws: Workspace) -> list[str]:
    every = pq.read_table(ws.store.live_files("contacts")[0]).column("contact_id").to_pylist()
    return [str(i) for i in every]


def _expected(ws: Workspace, contact_id: str) -> tuple[int, Any]:
    try:
        return 200, json.loads(json.dumps(ws.contact(contact_id).to_dict()))
    except BadInputError as exc:
        return 404, exc.problems[0].message


def _same(app: FastAPI, ws: Workspace, ids: list[str]) -> None:
    for cid in ids:
        status, want = _expected(ws, cid)
        got = call(app, "GET", "/contacts/" + quote(cid, safe=""))
        assert got.status_code == status, (cid, got.text)
        if status == 200:
            assert got.json() == want, cid
        else:
            assert got.json()["error"].startswith(want), cid


def _view(app: FastAPI) -> View:
    lookup = app.state.lookup
    assert isinstance(lookup, ContactLookup)
    view = lookup.fresh() or lookup.refresh()
    return view


def test_every_contact_is_served_from_memory_as_ws_contact_shows_it(plain_ws: Workspace) -> None:
    ws = plain_ws
    ws.build_many(SEGMENTS, as_of="2026-05-31")
    _audience(ws, ["c00005", "c00010"], ["a", "holdout"], datetime(2026, 6, 1, tzinfo=UTC))
    app = create_app(ws, None)
    ids = _ids(ws)
    view = _view(app)
    assert view.servable
    # Straight from the view (no HTTP), for every seventh contact.
    when = ws.as_of()
    for cid in ids[::7]:
        assert view.answer(cid, when) == ws.contact(cid).to_dict(), cid
    _same(app, ws, ids[::100] + UNKNOWN)

    # A later build moves memberships; a backtest slots into the history; the audience
    # changes arms. The next request sees all of it.
    ws.build_many(SEGMENTS, as_of="2026-06-30")
    ws.build_many(["vip"], as_of="2026-06-15")
    _audience(ws, ["c00005", "c00011"], ["b", "a"], datetime(2026, 6, 30, tzinfo=UTC))
    _same(app, ws, [*ids[1::100], "c00005", "c00010", "c00011", *UNKNOWN])
    after = _view(app)
    assert after is not view and after.servable
    for cid in ids[3::7]:
        assert after.answer(cid, when) == ws.contact(cid).to_dict(), cid


def test_a_contacts_landing_is_seen_by_the_next_request(
    plain_ws: Workspace, tmp_path: Path
) -> None:
    ws = plain_ws
    ws.build_many(["vip"], as_of="2026-06-30")
    app = create_app(ws, None)
    assert call(app, "GET", "/contacts/c99999").status_code == 404
    people = tmp_path / "people.csv"
    people.write_text("contact_id,city\nc00005,Kochi\nc99999,Surat\n", encoding="utf-8")
    ws.ingest("contacts", [people])
    for cid in ("c00005", "c99999"):
        got = call(app, "GET", "/contacts/" + quote(cid, safe="")).json()
        assert got == json.loads(json.dumps(ws.contact(cid).to_dict()))
        assert got["attributes"]["city"] in ("Kochi", "Surat")
    assert _view(app).servable


def test_a_catalog_write_that_changes_nothing_shown_keeps_the_view(plain_ws: Workspace) -> None:
    ws = plain_ws
    ws.build_many(["vip"], as_of="2026-06-30")
    app = create_app(ws, None)
    view = _view(app)
    ws.changes(consumer="crm", limit=5)  # moves a cursor in the catalog
    assert call(app, "GET", "/contacts/c00005").status_code == 200
    assert _view(app) is view


def test_integer_ids_are_matched_as_the_lake_types_them(
    tmp_path: Path, sample_clock: FixedClock
) -> None:
    ws = Workspace.init(tmp_path / "ws", clock=sample_clock)
    people = tmp_path / "people.csv"
    people.write_text(
        "contact_id,city,joined\n7,Pune,2026-01-02\n12,Doha,\n300,Pune,2025-12-31\n",
        encoding="utf-8",
    )
    ws.ingest("contacts", [people])
    (ws.root / "segments" / "pune.yaml").write_text(
        "where: {attr: city, op: is, value: Pune}\n", encoding="utf-8"
    )
    ws.build_many(["pune"], as_of="2026-06-30")
    app = create_app(ws, None)
    assert _view(app).integer_ids
    _same(app, ws, ["7", "007", "12", "300", "-7", "8", "99999999999999999999", "x7", "+7"])


def test_a_segment_the_index_missed_is_answered_by_the_contact_view(plain_ws: Workspace) -> None:
    ws = plain_ws
    ws.build_many(["vip", "at_risk"], as_of="2026-06-30")
    app = create_app(ws, None)
    assert _view(app).servable
    with ws.store.connect() as con:  # as a catalog written before the index was
        member_index.forget(con, "vip")
    member = ws.snapshot("vip").to_polars()["contact_id"][0]
    assert not _view(app).servable
    _same(app, ws, [member, "c00005", "nobody"])
    assert any(
        s["segment"] == "vip" for s in call(app, "GET", f"/contacts/{member}").json()["segments"]
    )


def test_a_copy_that_cannot_load_leaves_lookups_to_the_contact_view(
    plain_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain_ws.build_many(["vip"], as_of="2026-06-30")

    def broken(store: object) -> View:
        raise OSError("disk went away")

    monkeypatch.setattr("duckseg.serve.reload.load", broken)
    app = create_app(plain_ws, None)
    assert not _view(app).servable
    _same(app, plain_ws, ["c00005", "nobody"])
