"""Landing Parquet batches read where they are: checks ruled out by row-group statistics,
de-duplication only when an event_id repeats, the events file sorted on event names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duckseg.errors import InputError
from duckseg.ingest import checks as landing_checks
from duckseg.ingest import events as landing_events
from duckseg.ingest import plan as landing_plan
from duckseg.ingest.land import LandingReport, land, live_event_files
from duckseg.state.store import Store

DAY = datetime(2026, 1, 1)
KOLKATA = timezone(timedelta(hours=5, minutes=30))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "ws")


def events_parquet(path: Path, columns: dict[str, Any], row_group_size: int = 2) -> Path:
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return path


def lake_rows(store: Store) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in live_event_files(store):
        out += pq.read_table(path).to_pylist()
    return out


def catalog(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def balanced(report: LandingReport) -> bool:
    return report.rows_landed + report.rows_rejected + report.duplicates == report.rows_read


class Calls:
    """Wraps a landing query builder and records the arguments it was called with."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, name: str, module: Any = landing_plan
    ) -> None:
        self.args: list[tuple[Any, ...]] = []
        wrapped: Callable[..., Any] = getattr(module, name)

        def spy(*args: Any) -> Any:
            self.args.append(args)
            return wrapped(*args)

        monkeypatch.setattr(module, name, spy)


def test_clean_parquet_is_not_tested_row_by_row_nor_deduplicated(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed, dedupe = (
        Calls(monkeypatch, "typed_select", landing_checks),
        Calls(monkeypatch, "kept_events", landing_events),
    )
    batch = events_parquet(
        tmp_path / "e.parquet",
        {
            "contact_id": ["c1", " c2", "c3"],  # a leading space is not a blank value
            "event": ["open", "buy", "open"],
            "ts": [DAY, DAY, DAY + timedelta(hours=1)],
            "event_id": ["e1", "e2", None],
        },
    )
    report = land(store, "events", [batch])
    assert (report.rows_landed, report.rows_rejected, report.duplicates) == (3, 0, 0)
    assert report.contacts_created == 3
    # Row-group statistics rule out every check: no row is tested as it streams.
    assert [found for _, _, found in typed.args] == [[]]
    assert dedupe.args == []
    assert catalog(store, "SELECT event FROM event_names ORDER BY event") == [("buy",), ("open",)]


def test_parquet_blank_values_are_found_in_any_row_group(store: Store, tmp_path: Path) -> None:
    good = [("c1", "open", DAY)] * 5
    bad = [
        ("\u3000", "open", DAY),  # an ideographic space only
        ("c2", " \u00a0 ", DAY),  # spaces, one of them no-break
        ("c3", "open", None),
        ("", "", None),
    ]
    rows = [*good, bad[0], *good, bad[1], bad[2], *good, bad[3]]
    batch = events_parquet(
        tmp_path / "e.parquet",
        {
            "contact_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "ts": [r[2] for r in rows],
        },
        row_group_size=3,
    )
    report = land(store, "events", [batch])
    assert balanced(report)
    assert (report.rows_read, report.rows_landed, report.rows_rejected) == (19, 15, 4)
    assert report.reject_reasons == {
        "contact_id: missing": 2,
        "event: missing": 1,
        "ts: missing": 1,
    }
    assert report.rejects_path is not None
    rejected = pq.read_table(report.rejects_path).to_pylist()
    assert [(r["_source_row"], r["_reject_reason"]) for r in rejected] == [
        (6, "contact_id: missing"),
        (12, "event: missing"),
        (13, "ts: missing"),
        (19, "contact_id: missing; event: missing; ts: missing"),
    ]
    assert rejected[0]["contact_id"] == "\u3000" and rejected[2]["ts"] is None
    assert len(lake_rows(store)) == 15


def test_parquet_values_that_do_not_fit_the_lake_are_rejected(store: Store, tmp_path: Path) -> None:
    first = events_parquet(
        tmp_path / "a.parquet",
        {"contact_id": [1], "event": ["buy"], "ts": [DAY], "qty": [3], "seen": [DAY]},
    )
    land(store, "events", [first])
    batch = events_parquet(
        tmp_path / "b.parquet",
        {
            "contact_id": pa.array([2, 3, 4], pa.int32()),  # cast to the lake's BIGINT
            "event": ["buy", "buy", "buy"],
            "ts": ["2026-01-02 10:00:00", "2026-01-02T11:00:00+01:00", "soon"],  # text
            "qty": ["4", "four", None],  # text into the lake's BIGINT
            "seen": pa.array(
                [DAY.replace(tzinfo=KOLKATA), None, None], pa.timestamp("ms", "+05:30")
            ),
        },
    )
    report = land(store, "events", [batch])
    assert balanced(report)
    assert (report.rows_landed, report.rows_rejected) == (1, 2)
    assert report.reject_reasons == {"qty: not an integer": 1, "ts: not a timestamp": 1}
    assert report.rejects_path is not None
    reasons = [r["_reject_reason"] for r in pq.read_table(report.rejects_path).to_pylist()]
    assert reasons == [
        "qty: cannot parse 'four' as an integer",
        "ts: cannot parse 'soon' as a timestamp",
    ]
    landed = {r["contact_id"]: r for r in lake_rows(store)}
    assert landed[2]["ts"] == datetime(2026, 1, 2, 10) and landed[2]["qty"] == 4
    assert landed[2]["seen"] == DAY - timedelta(hours=5, minutes=30)


def test_strict_parquet_batch_with_a_bad_row_lands_nothing(store: Store, tmp_path: Path) -> None:
    batch = events_parquet(
        tmp_path / "e.parquet",
        {"contact_id": ["c1", "c2", None], "event": ["open"] * 3, "ts": [DAY] * 3},
    )
    with pytest.raises(InputError) as err:
        land(store, "events", [batch], strict=True)
    assert [(p.path, p.message) for p in err.value.problems] == [("row 3", "contact_id: missing")]
    assert live_event_files(store) == []
    assert catalog(store, "SELECT count(*) FROM landings") == [(0,)]


def test_repeats_across_files_and_against_the_lake(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Events landed before without an event_id never make later ones repeats.
    (tmp_path / "old.csv").write_text("contact_id,event,ts\nc1,open,2026-01-01\n", encoding="utf-8")
    land(store, "events", [tmp_path / "old.csv"])
    dedupe = Calls(monkeypatch, "kept_events", landing_events)
    first = events_parquet(
        tmp_path / "a.parquet",
        {
            "contact_id": ["c1", "c2"],
            "event": ["open", "buy"],
            "ts": [DAY] * 2,
            "event_id": ["e1", "e2"],
        },
    )
    assert land(store, "events", [first]).duplicates == 0
    assert dedupe.args == []

    csv = tmp_path / "b.csv"
    csv.write_text("contact_id,event,ts,event_id\nc3,view,2026-01-03,e3\n", encoding="utf-8")
    again = events_parquet(
        tmp_path / "c.parquet",
        {
            "contact_id": ["c9", "c4", "c4"],
            "event": ["refund", "view", "click"],
            "ts": [DAY + timedelta(days=i) for i in range(3)],
            "event_id": ["e2", "e3", "e4"],  # e2 landed before, e3 is in the CSV before it
        },
    )
    report = land(store, "events", [csv, again])
    assert balanced(report)
    assert (report.rows_read, report.rows_landed, report.duplicates) == (4, 2, 2)
    assert len(dedupe.args) == 1
    assert report.contacts_created == 2  # c3 and c4; c9's only event was a repeat
    new = [(r["event_id"], r["event"], r["contact_id"]) for r in lake_rows(store)]
    assert sorted(n for n in new if n[0] in ("e3", "e4")) == [
        ("e3", "view", "c3"),
        ("e4", "click", "c4"),
    ]
    # A repeat's event name is not one of the landed events'.
    names = catalog(store, "SELECT event FROM event_names ORDER BY event")
    assert names == [("buy",), ("click",), ("open",), ("view",)]


@pytest.mark.parametrize("as_enum", [True, False])
def test_events_file_order_is_the_text_order_of_names_then_time(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_enum: bool
) -> None:
    if not as_enum:
        monkeypatch.setattr(landing_events, "MAX_ENUM_EVENT_NAMES", 2)
    output = Calls(monkeypatch, "events_output", landing_events)
    names = ["b", "B", "a", "ä", "it's", "_x", "a b", "Z", "a"]
    rows = [
        (f"c{(7 * i) % 5}", names[i % len(names)], DAY + timedelta(minutes=i % 4))
        for i in range(60)
    ]
    batch = events_parquet(
        tmp_path / "e.parquet",
        {
            "contact_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "ts": [r[2] for r in rows],
        },
        row_group_size=16,
    )
    land(store, "events", [batch], row_group_size=2048)
    ((plan, sorted_names),) = output.args
    assert ("ENUM(" in landing_events.events_output(plan, sorted_names).sql("duckdb")) is as_enum
    got = [(r["event"], r["ts"], r["contact_id"]) for r in lake_rows(store)]
    assert sorted(got) == sorted((event, ts, contact) for contact, event, ts in rows)
    keys = [(event.encode(), ts) for event, ts, _ in got]
    assert keys == sorted(keys)
    expected = sorted({(n,) for n in names})
    assert catalog(store, "SELECT event FROM event_names ORDER BY event") == expected


def test_an_unreadable_parquet_file_is_named_and_nothing_lands(
    store: Store, tmp_path: Path
) -> None:
    n = 2000
    path = tmp_path / "broken.parquet"
    pq.write_table(
        pa.table(
            {
                "contact_id": [f"c{i}" for i in range(n)],
                "event": ["open"] * n,
                "ts": pa.array([DAY] * n, pa.timestamp("us")),
                "note": [f"note {i} " * 4 for i in range(n)],
            }
        ),
        path,
        use_dictionary=False,
    )
    # The footer is intact, so the file opens; the pages of one column are garbage.
    note = pq.ParquetFile(path).metadata.row_group(0).column(3)
    data = bytearray(path.read_bytes())
    data[note.data_page_offset + 100 : note.data_page_offset + 2000] = b"\xff" * 1900
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"broken\.parquet: cannot read as PARQUET"):
        land(store, "events", [path])
    assert live_event_files(store) == []
    assert not [p for p in (store.root / "lake").rglob("*") if p.is_file()]
