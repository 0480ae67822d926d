"""Landing contacts and events (SPEC section 3): types, upserts, dedupe, rejects, atomicity, layout."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duckseg.errors import InputError
from duckseg.ingest import land as lake
from duckseg.ingest.land import LandingReport, land, live_contacts_files, live_event_files
from duckseg.state.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "ws")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows(path: Path, order_by: str | None = None) -> list[dict[str, Any]]:
    table = pq.read_table(path)
    out: list[dict[str, Any]] = table.to_pylist()
    return sorted(out, key=lambda r: str(r[order_by])) if order_by else out


def contacts(store: Store) -> dict[Any, dict[str, Any]]:
    files = live_contacts_files(store)
    assert len(files) == 1, "the lake holds exactly one current contacts file"
    return {r["contact_id"]: r for r in rows(files[0])}


def events(store: Store) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in live_event_files(store):
        out += rows(path)
    return out


def lake_files_on_disk(store: Store) -> set[str]:
    base = store.root / "lake"
    return {p.relative_to(store.root).as_posix() for p in base.rglob("*") if p.is_file()}


def catalog_rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def assert_balanced(report: LandingReport) -> None:
    assert report.rows_landed + report.rows_rejected + report.duplicates == report.rows_read


# -- formats and types -------------------------------------------------------------


def test_csv_contacts_infer_types(store: Store, tmp_path: Path) -> None:
    src = write(
        tmp_path / "contacts.csv",
        "contact_id,email,age,score,vip,birthday,signup_at,tags,zip,phone\n"
        'c1,a@x.com,30,1.5,true,1990-05-01,2026-01-01 10:00:00,"[""vip"",""new""]",01234,+14155550100\n'
        'c2,b@x.com,41,2,false,1985-12-31,2026-01-02T08:30:00Z,"[]",94107,+14155550101\n'
        'c3,,"",,,,,,,\n',  # a quoted empty value is a missing number, not a rejected one
    )
    report = land(store, "contacts", [src])
    assert (report.kind, report.rows_read, report.rows_landed, report.rows_rejected) == (
        "contacts",
        3,
        3,
        0,
    )
    assert report.new_attributes == (
        "email",
        "age",
        "score",
        "vip",
        "birthday",
        "signup_at",
        "tags",
        "zip",
        "phone",
    )
    assert report.rejects_path is None
    (path,) = live_contacts_files(store)
    assert path.name == f"contacts-{report.landing_id}.parquet"
    schema = pq.read_schema(path)
    assert {f.name: str(f.type) for f in schema} == {
        "contact_id": "string",
        "email": "string",
        "age": "int64",
        "score": "double",
        "vip": "bool",
        "birthday": "date32[day]",
        "signup_at": "timestamp[us]",
        "tags": "list<element: string>",
        "zip": "string",  # leading zeros keep it text
        "phone": "string",  # so does a leading "+"
    }
    got = contacts(store)
    assert got["c1"]["tags"] == ["vip", "new"] and got["c2"]["tags"] == []
    assert got["c2"]["signup_at"] == datetime(2026, 1, 2, 8, 30)
    assert got["c3"] == {"contact_id": "c3"} | {f: None for f in report.new_attributes}
    assert catalog_rows(store, "SELECT kind, rows_read, rows_landed FROM landings") == [
        ("contacts", 3, 3)
    ]


def test_parquet_contacts_and_events(store: Store, tmp_path: Path) -> None:
    src = tmp_path / "contacts.parquet"
    pq.write_table(
        pa.table({"contact_id": pa.array([1, 2], pa.int32()), "spend": [10.0, None]}), src
    )
    land(store, "contacts", [src])
    ev = tmp_path / "events.pq"
    kolkata = timezone(timedelta(hours=5, minutes=30))
    pq.write_table(
        pa.table(
            {
                "contact_id": [1, 3],
                "event": ["login", "purchase"],
                "ts": pa.array(
                    [datetime(2026, 1, 1, 10, tzinfo=kolkata), datetime(2026, 1, 2, tzinfo=UTC)],
                    pa.timestamp("ns", tz="Asia/Kolkata"),
                ),
                "amount": pa.array([None, 9.5], pa.float32()),
            }
        ),
        ev,
    )
    report = land(store, "events", [ev])
    assert (report.rows_landed, report.contacts_created, report.new_attributes) == (
        2,
        1,
        ("amount",),
    )
    schema = pq.read_schema(live_event_files(store)[0])
    assert str(schema.field("ts").type) == "timestamp[us]"  # naive UTC
    assert str(schema.field("contact_id").type) == "int64"
    assert str(schema.field("amount").type) == "double"
    got = {r["event"]: r for r in events(store)}
    assert got["login"]["ts"] == datetime(2026, 1, 1, 4, 30)
    assert got["purchase"]["ts"] == datetime(2026, 1, 2)
    assert set(contacts(store)) == {1, 2, 3}


def test_json_lines_and_json_array(store: Store, tmp_path: Path) -> None:
    people = [
        {"contact_id": "a", "zip": "01234", "visits": 3, "ratio": 0.5, "tags": ["x"], "ok": True},
        {"contact_id": "b", "zip": "99999", "visits": 7, "ratio": 1, "tags": [], "ok": None},
    ]
    write(tmp_path / "people.json", json.dumps(people))
    report = land(store, "contacts", [tmp_path / "people.json"])
    assert report.rows_landed == 2
    schema = pq.read_schema(live_contacts_files(store)[0])
    types = {f.name: str(f.type) for f in schema}
    assert types["zip"] == "string" and types["visits"] == "int64"
    assert types["ratio"] == "double" and types["ok"] == "bool"
    assert types["tags"] == "list<element: string>"

    lines = [
        {"contact_id": "a", "event": "open", "ts": "2026-02-01T00:00:00+01:00", "n": 1},
        {"contact_id": "b", "event": "open", "ts": "2026-02-02", "meta": {"k": 1}},
    ]
    write(tmp_path / "ev.jsonl", "\n".join(json.dumps(r) for r in lines) + "\n")
    report = land(store, "events", [tmp_path / "ev.jsonl"])
    assert (report.rows_landed, report.new_attributes) == (2, ("n", "meta"))
    got = {r["contact_id"]: r for r in events(store)}
    assert got["a"]["ts"] == datetime(2026, 1, 31, 23, 0)
    assert got["b"]["meta"] == '{"k":1}'  # nested JSON lands as its text


def test_format_from_argument_and_unknown_extension(store: Store, tmp_path: Path) -> None:
    src = write(tmp_path / "contacts.txt", "contact_id,city\n1,Pune\n")
    with pytest.raises(InputError, match=r"contacts\.txt: cannot tell the format"):
        land(store, "contacts", [src])
    assert land(store, "contacts", [src], "csv").rows_landed == 1


def test_bad_input_files_name_the_file_and_write_nothing(store: Store, tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", "contact_id,event,ts\n1,open,2026-01-01\n")
    no_ts = write(tmp_path / "no_ts.csv", "contact_id,event,time\n1,open,2026-01-01\n")
    broken = write(tmp_path / "broken.json", '{"contact_id": 1, "event": ')
    with pytest.raises(InputError) as err:
        land(store, "events", [good, no_ts])
    assert str(err.value) == (
        f"{no_ts}: missing required column 'ts' for events (columns found: contact_id, event, time)"
    )
    with pytest.raises(InputError, match=r"broken\.json: cannot read as JSON"):
        land(store, "events", [good, broken])
    with pytest.raises(InputError, match=r"missing\.csv: file not found"):
        land(store, "events", [tmp_path / "missing.csv"])
    with pytest.raises(InputError, match="no input files given"):
        land(store, "events", [])
    reserved = write(tmp_path / "reserved.csv", "contact_id,_source_row\n1,2\n")
    with pytest.raises(InputError, match="'_source_row' is reserved for the rejects file"):
        land(store, "contacts", [reserved])
    assert lake_files_on_disk(store) == set()
    assert catalog_rows(store, "SELECT count(*) FROM landings") == [(0,)]


# -- contacts upsert -------------------------------------------------------------------


def test_upsert_keeps_untouched_attributes_and_sets_present_nulls(
    store: Store, tmp_path: Path
) -> None:
    first = land(
        store,
        "contacts",
        [write(tmp_path / "a.csv", "contact_id,city,age\n1,Pune,30\n2,Delhi,40\n3,Goa,50\n")],
    )
    old = live_contacts_files(store)
    report = land(
        store,
        "contacts",
        [write(tmp_path / "b.csv", "contact_id,city,tier\n1,,gold\n2,Agra,\n4,Pune,silver\n")],
    )
    assert report.new_attributes == ("tier",)
    assert first.landing_id < report.landing_id
    got = contacts(store)
    assert got == {
        1: {"contact_id": 1, "city": None, "age": 30, "tier": "gold"},
        2: {"contact_id": 2, "city": "Agra", "age": 40, "tier": None},
        3: {"contact_id": 3, "city": "Goa", "age": 50, "tier": None},
        4: {"contact_id": 4, "city": "Pune", "age": None, "tier": "silver"},
    }
    # The new full file replaced the old one: registered, and the old one is gone from disk.
    assert not old[0].exists()
    assert catalog_rows(store, "SELECT count(*) FROM lake_files WHERE kind = 'contacts'") == [(1,)]
    ids = pq.read_table(live_contacts_files(store)[0]).column("contact_id").to_pylist()
    assert ids == sorted(ids)


def test_repeated_contact_in_one_landing_last_row_wins(store: Store, tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", "contact_id,city,age\n1,Pune,30\n1,Goa,31\n")
    b = write(tmp_path / "b.csv", "contact_id,city\n1,Agra\n")
    report = land(store, "contacts", [a, b])
    assert (report.rows_landed, report.duplicates) == (3, 0)
    assert contacts(store)[1] == {"contact_id": 1, "city": "Agra", "age": 31}


def test_existing_types_are_enforced(store: Store, tmp_path: Path) -> None:
    land(store, "contacts", [write(tmp_path / "a.csv", "contact_id,age,vip\n1,30,true\n")])
    report = land(
        store,
        "contacts",
        [write(tmp_path / "b.csv", "contact_id,age,vip\n2,ten,false\n3,1.5,yes\nx9,4,true\n5,,\n")],
    )
    assert (report.rows_landed, report.rows_rejected) == (1, 3)
    assert report.reject_reasons == {"age: not an integer": 2, "contact_id: not an integer": 1}
    assert report.rejects_path is not None
    assert [r["_reject_reason"] for r in rows(report.rejects_path)] == [
        "age: cannot parse 'ten' as an integer",
        "age: cannot parse '1.5' as an integer",
        "contact_id: cannot parse 'x9' as an integer",
    ]
    assert contacts(store)[5] == {"contact_id": 5, "age": None, "vip": None}


# -- events ------------------------------------------------------------------------------


def test_events_dedupe_by_event_id_across_and_within_landings(store: Store, tmp_path: Path) -> None:
    head = "contact_id,event,ts,event_id\n"
    first = land(
        store,
        "events",
        [write(tmp_path / "a.csv", head + "1,open,2026-01-01,e1\n1,open,2026-01-02,e2\n")],
    )
    assert (first.rows_landed, first.duplicates) == (2, 0)
    report = land(
        store,
        "events",
        [
            write(
                tmp_path / "b.csv",
                head + "1,open,2026-01-02,e2\n2,click,2026-01-03,e3\n2,click,2026-01-04,e3\n"
                "2,click,2026-01-05,\n2,click,2026-01-05,\n",
            )
        ],
    )
    assert (report.rows_read, report.rows_landed, report.duplicates) == (5, 3, 2)
    assert_balanced(report)
    clicks = [(r["event_id"], r["ts"]) for r in events(store) if r["event"] == "click"]
    got = sorted(clicks, key=lambda c: (c[0] is None, c[0] or "", c[1]))
    # The first e3 is kept; identical events without an event_id both land.
    assert got == [
        ("e3", datetime(2026, 1, 3)),
        (None, datetime(2026, 1, 5)),
        (None, datetime(2026, 1, 5)),
    ]
    landings = catalog_rows(store, "SELECT duplicates FROM landings ORDER BY landing_id")
    assert landings == [(0,), (2,)]

    again = land(
        store, "events", [tmp_path / "a.csv"], allow_repeat=True
    )  # everything landed before
    assert (again.rows_landed, again.duplicates) == (0, 2)
    assert len(live_event_files(store)) == 2  # no empty file for an all-duplicate batch


def test_events_create_unknown_contacts(store: Store, tmp_path: Path) -> None:
    land(store, "contacts", [write(tmp_path / "c.csv", "contact_id,city\nu1,Pune\n")])
    report = land(
        store,
        "events",
        [
            write(
                tmp_path / "e.csv",
                "contact_id,event,ts\nu1,open,2026-01-01\nu2,open,2026-01-01\nu3,open,2026-01-02\n"
                "u3,click,2026-01-03\n",
            )
        ],
    )
    assert report.contacts_created == 2
    assert contacts(store) == {
        "u1": {"contact_id": "u1", "city": "Pune"},
        "u2": {"contact_id": "u2", "city": None},
        "u3": {"contact_id": "u3", "city": None},
    }
    assert catalog_rows(store, "SELECT contacts_created FROM landings WHERE kind = 'events'") == [
        (2,)
    ]
    # Without any contacts landing first, events alone make the contacts file.
    other = Store(tmp_path / "other")
    assert land(other, "events", [tmp_path / "e.csv"]).contacts_created == 3
    assert set(contacts(other)) == {"u1", "u2", "u3"}


def test_property_keeps_its_first_type(store: Store, tmp_path: Path) -> None:
    head = "contact_id,event,ts,amount\n"
    land(store, "events", [write(tmp_path / "a.csv", head + "1,buy,2026-01-01,10\n")])
    report = land(
        store,
        "events",
        [write(tmp_path / "b.csv", head + "1,buy,2026-01-02,12.5\n1,buy,2026-01-03,lots\n")],
    )
    assert report.new_attributes == ()
    assert report.reject_reasons == {"amount: not an integer": 2}


# -- rejects and strict mode -------------------------------------------------------------


def test_rejects_file_contents(store: Store, tmp_path: Path) -> None:
    a = write(
        tmp_path / "a.csv",
        "contact_id,event,ts,amount\n1,open,2026-01-01,1.5\n,open,2026-01-01,2\n"
        "2,open,yesterday,3\n",
    )
    b = write(
        tmp_path / "b.csv", "contact_id,event,ts\n3,,2026-01-01\n3,open,\n4,open,2026-01-02\n"
    )
    report = land(store, "events", [a, b])
    assert (report.rows_read, report.rows_landed, report.rows_rejected) == (6, 2, 4)
    assert_balanced(report)
    assert report.reject_reasons == {
        "contact_id: missing": 1,
        "event: missing": 1,
        "ts: missing": 1,
        "ts: not a timestamp": 1,
    }
    assert report.rejects_path == (
        store.root / "lake" / "rejects" / f"{report.landing_id}-events.parquet"
    )
    assert rows(report.rejects_path) == [
        {
            "contact_id": None,
            "event": "open",
            "ts": "2026-01-01",
            "amount": "2",
            "_reject_reason": "contact_id: missing",
            "_source_file": str(a),
            "_source_row": 2,
        },
        {
            "contact_id": "2",
            "event": "open",
            "ts": "yesterday",
            "amount": "3",
            "_reject_reason": "ts: cannot parse 'yesterday' as a timestamp",
            "_source_file": str(a),
            "_source_row": 3,
        },
        {
            "contact_id": "3",
            "event": None,
            "ts": "2026-01-01",
            "amount": None,
            "_reject_reason": "event: missing",
            "_source_file": str(b),
            "_source_row": 1,
        },
        {
            "contact_id": "3",
            "event": "open",
            "ts": None,
            "amount": None,
            "_reject_reason": "ts: missing",
            "_source_file": str(b),
            "_source_row": 2,
        },
    ]
    registered = catalog_rows(store, "SELECT path, rows FROM lake_files WHERE kind = 'rejects'")
    assert registered == [(store.relative(report.rejects_path), 4)]


def test_strict_lands_nothing_and_names_file_and_row(store: Store, tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", "contact_id,event,ts\n1,open,2026-01-01\n")
    bad = write(
        tmp_path / "bad.csv",
        "contact_id,event,ts\n1,open,2026-01-01\n2,open,yesterday\n3,open,2026-01-02\n,open,2026-01-03\n",
    )
    with pytest.raises(InputError) as err:
        land(store, "events", [good, bad], strict=True)
    assert [str(p) for p in err.value.problems] == [
        f"{bad}: row 2: ts: cannot parse 'yesterday' as a timestamp",
        f"{bad}: row 4: contact_id: missing",
    ]
    assert err.value.exit_code == 2
    assert lake_files_on_disk(store) == set()
    assert catalog_rows(store, "SELECT count(*) FROM landings") == [(0,)]


def test_strict_lists_the_first_problems_then_a_summary(store: Store, tmp_path: Path) -> None:
    body = "".join(f"{i},open,never\n" for i in range(30))
    bad = write(tmp_path / "bad.csv", "contact_id,event,ts\n" + body)
    with pytest.raises(InputError) as err:
        land(store, "events", [bad], strict=True)
    problems = err.value.problems
    assert len(problems) == lake.MAX_PROBLEMS + 1
    assert problems[0].path == "row 1" and problems[19].path == "row 20"
    assert problems[-1].message.startswith("10 more bad rows not shown (30 in all)")


# -- time and names ------------------------------------------------------------------------


def test_zone_aware_timestamps_are_converted_to_utc(store: Store, tmp_path: Path) -> None:
    src = write(
        tmp_path / "e.csv",
        "contact_id,event,ts,seen_at\n"
        "1,a,2026-03-01T10:00:00+05:30,2026-03-01 00:30:00-02:00\n"
        "1,b,2026-03-01T10:00:00Z,2026-03-01T10:00:00.123456\n"
        "1,c,2026-03-01 10:00:00,2026-03-01\n",
    )
    land(store, "events", [src])
    got = {r["event"]: (r["ts"], r["seen_at"]) for r in events(store)}
    assert got == {
        "a": (datetime(2026, 3, 1, 4, 30), datetime(2026, 3, 1, 2, 30)),
        "b": (datetime(2026, 3, 1, 10), datetime(2026, 3, 1, 10, 0, 0, 123456)),
        "c": (datetime(2026, 3, 1, 10), datetime(2026, 3, 1)),
    }
    schema = pq.read_schema(live_event_files(store)[0])
    assert str(schema.field("seen_at").type) == "timestamp[us]"


def test_odd_column_names_survive(store: Store, tmp_path: Path) -> None:
    names = ["first name", 'say "hi"', "MixedCase", "select", "it's", "a.b", "ünï", "ts", "event"]
    header = ",".join('"' + n.replace('"', '""') + '"' for n in names)
    write(tmp_path / "c.csv", "contact_id," + header + "\n1," + ",".join("v" for _ in names) + "\n")
    report = land(store, "contacts", [tmp_path / "c.csv"])
    assert report.new_attributes == tuple(names)
    assert contacts(store)[1] == {"contact_id": 1} | {n: "v" for n in names}
    # A later file spelling a known column differently in case updates the same attribute.
    write(tmp_path / "d.csv", "CONTACT_ID,mixedcase\n1,w\n")
    assert land(store, "contacts", [tmp_path / "d.csv"]).new_attributes == ()
    assert contacts(store)[1]["MixedCase"] == "w"

    ev = tmp_path / "e.parquet"
    pq.write_table(
        pa.table(
            {
                "contact_id": [1],
                "event": ["open"],
                "ts": [datetime(2026, 1, 1)],
                "order": [5],
                'x "y" z': ["q"],
                "Total Spent": [1.5],
            }
        ),
        ev,
    )
    assert land(store, "events", [ev]).new_attributes == ("order", 'x "y" z', "Total Spent")
    (row,) = events(store)
    assert (row["order"], row['x "y" z'], row["Total Spent"]) == (5, "q", 1.5)


# -- atomicity -------------------------------------------------------------------------------


def _fail(*args: object, **kwargs: object) -> None:
    raise RuntimeError("crash between writing and registering")


def test_failed_landing_leaves_the_lake_as_it_was(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    land(store, "contacts", [write(tmp_path / "a.csv", "contact_id,city\n1,Pune\n")])
    before_files, before_rows = lake_files_on_disk(store), contacts(store)
    batch = write(tmp_path / "e.csv", "contact_id,event,ts\n2,open,2026-01-01\n3,x,soon\n")
    monkeypatch.setattr(lake, "_commit", _fail)
    with pytest.raises(RuntimeError, match="crash"):
        land(store, "events", [batch])
    assert lake_files_on_disk(store) == before_files  # temp and final files removed
    assert contacts(store) == before_rows
    assert live_event_files(store) == []


def test_killed_landing_leaves_orphans_that_the_next_writer_sweeps(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    land(store, "contacts", [write(tmp_path / "a.csv", "contact_id,city\n1,Pune\n")])
    before_files, before_rows = lake_files_on_disk(store), contacts(store)
    batch = write(tmp_path / "e.csv", "contact_id,event,ts\n2,open,2026-01-01\n3,x,soon\n")
    # A kill gives no chance to clean up: no commit, no discard.
    monkeypatch.setattr(lake, "_commit", _fail)
    monkeypatch.setattr(lake, "_discard", lambda paths: None)
    with pytest.raises(RuntimeError, match="crash"):
        land(store, "events", [batch])
    orphans = lake_files_on_disk(store) - before_files
    assert {p.split("/")[1] for p in orphans} == {"contacts", "events", "rejects"}
    assert contacts(store) == before_rows and live_event_files(store) == []
    assert catalog_rows(store, "SELECT count(*) FROM landings") == [(1,)]

    monkeypatch.undo()
    with store.writer():
        pass
    assert lake_files_on_disk(store) == before_files
    report = land(store, "events", [batch])
    assert (report.rows_landed, report.rows_rejected, report.contacts_created) == (1, 1, 1)


# -- layout for pruning ------------------------------------------------------------------------

EVENT_NAMES = ("browse", "cart", "purchase", "search")
START = datetime(2026, 1, 1)


def _many_events(tmp_path: Path, n: int) -> tuple[Path, list[tuple[str, datetime]]]:
    rng = random.Random(7)
    facts = [
        (rng.choice(EVENT_NAMES), START + timedelta(minutes=rng.randrange(0, 60 * 24 * 90)))
        for _ in range(n)
    ]
    lines = [f"c{i % 50},{name},{ts.isoformat()}\n" for i, (name, ts) in enumerate(facts)]
    return write(tmp_path / "many.csv", "contact_id,event,ts\n" + "".join(lines)), facts


def test_events_file_is_sorted_with_small_row_groups(store: Store, tmp_path: Path) -> None:
    src, _ = _many_events(tmp_path, 12_000)
    land(store, "events", [src], row_group_size=2048)
    (path,) = live_event_files(store)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 12_000 and meta.num_row_groups >= 4
    table = pq.read_table(path)
    keys = list(zip(table.column("event").to_pylist(), table.column("ts").to_pylist(), strict=True))
    assert keys == sorted(keys)
    ts_index = table.schema.get_field_index("ts")
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(ts_index).statistics
        assert stats is not None and stats.has_min_max


def _table_scans(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "TABLE_SCAN" or node.get("operator_type") == "TABLE_SCAN":
            found.append(node)
        for value in node.values():
            found += _table_scans(value)
    elif isinstance(node, list):
        for value in node:
            found += _table_scans(value)
    return found


def test_row_group_statistics_prune_event_and_time_filters(store: Store, tmp_path: Path) -> None:
    src, facts = _many_events(tmp_path, 20_000)
    land(store, "events", [src], row_group_size=2048)
    since = START + timedelta(days=80)
    expected = sum(1 for name, ts in facts if name == "cart" and ts >= since)

    con = duckdb.connect()
    con.read_parquet([str(p) for p in live_event_files(store)]).create_view("events")
    con.execute("PRAGMA enable_profiling = 'no_output'")
    con.execute("SET profiling_mode = 'detailed'")
    got = con.sql(
        "SELECT count(*) FROM events WHERE event = 'cart' AND ts >= TIMESTAMP '2026-03-22'"
    ).fetchall()
    profile = json.loads(con.get_profiling_information(format="json"))
    con.close()

    assert got == [(expected,)]
    (scan,) = _table_scans(profile)
    if "total_row_groups_to_scan" in scan:
        # 10 row groups of 2048 rows; the cart events of the last 10 days fit in one or two.
        assert scan["total_row_groups_to_scan"] == 10
        assert scan["row_groups_scanned"] <= 2, scan
    else:  # older profiles only count the rows read from the file
        assert scan["operator_rows_scanned"] < 20_000 / 4, scan


# -- misc ------------------------------------------------------------------------------------------


def test_progress_reports_each_file(store: Store, tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", "contact_id\n1\n")
    b = write(tmp_path / "b.csv", "contact_id\n2\n")
    seen: list[tuple[int, int]] = []
    land(store, "contacts", [a, b], progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]


def test_dates_stay_dates_and_reject_times(store: Store, tmp_path: Path) -> None:
    land(store, "contacts", [write(tmp_path / "a.csv", "contact_id,born\n1,1990-01-02\n")])
    report = land(
        store, "contacts", [write(tmp_path / "b.csv", "contact_id,born\n2,1991-02-03 10:00\n")]
    )
    assert report.reject_reasons == {"born: not a date (YYYY-MM-DD)": 1}
    assert contacts(store)[1]["born"] == date(1990, 1, 2)


# -- Parquet batches stream from the file ---------------------------------------------


def _events_parquet(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    """Events with (contact_id, event, ts, event_id, amount) rows as typed Parquet."""
    pq.write_table(
        pa.table(
            {
                "contact_id": [r[0] for r in rows],
                "event": [r[1] for r in rows],
                "ts": pa.array([r[2] for r in rows], pa.timestamp("us")),
                "event_id": [r[3] for r in rows],
                "amount": [r[4] for r in rows],
            }
        ),
        path,
        row_group_size=2,
    )
    return path


def test_parquet_events_without_repeats_land_as_they_are(store: Store, tmp_path: Path) -> None:
    day = datetime(2026, 1, 1)
    batch = _events_parquet(
        tmp_path / "e.parquet",
        [
            ("2", "open", day, "e1", 1.5),
            ("1", "buy", day, "e2", None),
            ("1", "open", day, None, 2.0),
        ],
    )
    report = land(store, "events", [batch])
    assert (report.rows_read, report.rows_landed, report.duplicates, report.rows_rejected) == (
        3,
        3,
        0,
        0,
    )
    assert report.contacts_created == 2 and set(contacts(store)) == {"1", "2"}
    landed = [(r["event"], r["contact_id"], r["event_id"]) for r in events(store)]
    assert landed[0] == ("buy", "1", "e2")  # sorted by (event, ts); the two opens tie
    assert sorted(landed[1:], key=str) == [("open", "1", None), ("open", "2", "e1")]


def test_parquet_events_with_repeats_and_bad_rows(store: Store, tmp_path: Path) -> None:
    day = datetime(2026, 1, 1)
    land(
        store, "events", [_events_parquet(tmp_path / "a.parquet", [("1", "open", day, "e1", 1.0)])]
    )
    batch = _events_parquet(
        tmp_path / "b.parquet",
        [
            ("1", "open", day, "e1", 1.0),  # landed before
            ("2", "buy", day, "e2", 5.0),
            ("2", "buy", day, "e2", 5.0),  # repeated in the batch
            (None, "buy", day, "e3", 1.0),  # no contact
            ("3", "", None, "e4", 1.0),  # no event name, no time
            ("3", "open", day, None, None),
        ],
    )
    report = land(store, "events", [batch])
    assert_balanced(report)
    assert (report.rows_read, report.rows_landed, report.duplicates, report.rows_rejected) == (
        6,
        2,
        2,
        2,
    )
    assert report.reject_reasons == {"contact_id: missing": 1, "event: missing": 1}
    assert report.rejects_path is not None
    rejected = rows(report.rejects_path)
    assert [r["_source_row"] for r in rejected] == [4, 5]
    assert rejected[1]["_reject_reason"] == "event: missing; ts: missing"
    assert sorted(r["event_id"] or "" for r in events(store)) == ["", "e1", "e2"]


def test_a_parquet_column_named_like_the_row_position_still_lands(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "e.parquet"
    pq.write_table(
        pa.table(
            {
                "contact_id": ["1", None],
                "event": ["open", "open"],
                "ts": pa.array([datetime(2026, 1, 1)] * 2, pa.timestamp("us")),
                "file_row_number": [7, 8],
            }
        ),
        path,
    )
    report = land(store, "events", [path])
    assert (report.rows_landed, report.rows_rejected) == (1, 1)
    assert report.rejects_path is not None
    assert rows(report.rejects_path)[0]["_source_row"] == 2
    assert events(store)[0]["file_row_number"] == 7
