"""Hostile landings: names that differ only by case, ids that merge, instants no calendar has."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duckseg import Workspace
from duckseg.errors import InputError


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws")


def land(ws: Workspace, kind: str, name: str, text: str, strict: bool = False) -> object:
    path = ws.root.parent / name
    path.write_text(text, encoding="utf-8")
    return ws.ingest(kind, [path], strict=strict)


def rejects(ws: Workspace, report: object) -> list[tuple[str, str]]:
    path = getattr(report, "rejects_path", None)
    if path is None:
        return []
    table = pq.read_table(path)
    ids = table.column("contact_id").to_pylist()
    return list(zip(ids, table.column("_reject_reason").to_pylist(), strict=True))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_column_names_differing_only_by_case_are_refused(ws: Workspace, fmt: str) -> None:
    path = ws.root.parent / f"twins.{fmt}"
    if fmt == "csv":
        path.write_text("contact_id,Email,email\n1,a@x.com,b@x.com\n", encoding="utf-8")
    else:
        pq.write_table(pa.table({"contact_id": [1], "Email": ["a"], "email": ["b"]}), path)
    with pytest.raises(InputError, match="columns 'Email' and 'email' differ only by case"):
        ws.ingest("contacts", [path])
    assert ws.store.live_files("contacts") == []


def test_integer_ids_are_taken_only_as_written(ws: Workspace) -> None:
    land(ws, "contacts", "first.csv", "contact_id,city\n7,Pune\n8,Goa\n")
    report = land(ws, "contacts", "odd.csv", 'contact_id,city\n007,A\n+7,B\n" 7 ",C\n7,Delhi\n')
    reasons = dict(rejects(ws, report))
    assert set(reasons) == {"007", "+7", " 7 "}
    assert all("not an integer id as written" in r for r in reasons.values())
    con = ws.connect()
    try:
        rows = con.sql("SELECT contact_id, city FROM contacts ORDER BY 1").fetchall()
    finally:
        con.close()
    assert rows == [(7, "Delhi"), (8, "Goa")]
    events = "contact_id,event,ts\n+8,login,2026-01-01T00:00:00Z\n8,login,2026-01-02T00:00:00Z\n"
    report = land(ws, "events", "events.csv", events)
    assert [r[0] for r in rejects(ws, report)] == ["+8"]


@pytest.mark.parametrize("value", ["infinity", "-infinity", "epoch", "294247-01-01 00:00:00"])
def test_instants_no_calendar_has_are_rejected(ws: Workspace, value: str) -> None:
    text = f"contact_id,event,ts\nc1,login,{value}\nc2,login,2026-01-01T00:00:00Z\n"
    report = land(ws, "events", "events.csv", text)
    assert rejects(ws, report) == [("c1", f"ts: cannot parse '{value}' as a timestamp")]
    land(ws, "contacts", "c.csv", "contact_id,signup_at\nc1,2026-01-01T00:00:00Z\n")
    report = land(ws, "contacts", "c2.csv", f"contact_id,signup_at\nc2,{value}\n")
    assert [r[0] for r in rejects(ws, report)] == ["c2"]


def test_the_calendar_ends_at_years_1_and_9999(ws: Workspace) -> None:
    """Dates of year 0000, and instants an offset moves out of years 1 to 9999, are rejected;
    the first and last instants of the calendar land."""
    land(ws, "contacts", "c.csv", "contact_id,born,seen\nc0,2020-01-01,2020-01-01T00:00:00Z\n")
    rows = [
        ("c1", "0001-01-01", "0001-01-01T00:00:00Z"),
        ("c2", "9999-12-31", "9999-12-31T23:59:59.999999Z"),
        ("c3", "0000-01-01", "2020-01-01T00:00:00Z"),
        ("c4", "2020-01-01", "9999-12-31T23:00:00-05:00"),
        ("c5", "2020-01-01", "0001-01-01T01:00:00+05:00"),
    ]
    text = "contact_id,born,seen\n" + "".join(",".join(r) + "\n" for r in rows)
    report = land(ws, "contacts", "edges.csv", text)
    assert [r[0] for r in rejects(ws, report)] == ["c3", "c4", "c5"]
    assert report.reject_reasons == {"born: not a date (YYYY-MM-DD)": 1, "seen: not a timestamp": 2}
    path = ws.root.parent / "edges.parquet"
    import duckdb

    duckdb.sql(
        "SELECT * FROM (VALUES ('p1', DATE '0001-01-01', TIMESTAMP '9999-12-31 23:59:59.999999'), "
        "('p2', DATE '10000-01-01', TIMESTAMP '2020-01-01'), "
        "('p3', DATE '2020-01-01', TIMESTAMP '0001-01-01' - INTERVAL 1 MICROSECOND), "
        "('p4', DATE '-infinity', TIMESTAMP '2020-01-01')) t(contact_id, born, seen)"
    ).write_parquet(str(path))
    report = ws.ingest("contacts", [path])
    assert [r[0] for r in rejects(ws, report)] == ["p2", "p3", "p4"]


def test_infinite_instants_in_parquet_are_rejected(ws: Workspace) -> None:
    con_path = ws.root.parent / "inf.json"
    rows = [
        {"contact_id": "c1", "event": "x", "ts": "2026-01-01T00:00:00Z"},
        {"contact_id": "c2", "event": "x", "ts": "2026-01-02T00:00:00Z"},
    ]
    con_path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    ws.ingest("events", [con_path])
    import duckdb

    path = ws.root.parent / "inf.parquet"
    duckdb.sql(
        "SELECT * FROM (VALUES ('c3', 'x', 'infinity'::TIMESTAMP), "
        "('c4', 'x', TIMESTAMP '2026-01-03 00:00:00')) t(contact_id, event, ts)"
    ).write_parquet(str(path))
    report = ws.ingest("events", [path])
    assert [r[0] for r in rejects(ws, report)] == ["c3"]


@settings(max_examples=60 if os.environ.get("DUCKSEG_FUZZ") == "1" else 8, deadline=None)
@given(st.lists(st.text(alphabet="0123 +-", min_size=1, max_size=4), min_size=1, max_size=6))
def test_integer_ids_never_merge(tmp_path_factory: pytest.TempPathFactory, ids: list[str]) -> None:
    ws = Workspace.init(tmp_path_factory.mktemp("ids") / "ws")
    land(ws, "contacts", "first.csv", "contact_id,n\n1,0\n")
    rows = "".join(f'"{cid}",{i}\n' for i, cid in enumerate(ids))
    report = land(ws, "contacts", "ids.csv", "contact_id,n\n" + rows)
    rejected = {cid for cid, _ in rejects(ws, report)}
    canonical = [c for c in ids if re.fullmatch(r"-?(0|[1-9][0-9]*)", c)]
    assert report.rows_landed + report.rows_rejected == len(ids)
    assert set(ids) - set(canonical) - {c for c in ids if not c.strip()} <= rejected
    assert not rejected & set(canonical)
