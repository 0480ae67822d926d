"""Calendar months, years and date-only values honour the workspace zone (DST, month ends)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from duckseg.lang.time import AbsoluteDate, Cmp, Duration, TimeContext, Unit, instant_range
from tests.lakefixture import make_lake

TS = pa.timestamp("us")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "as_of", "duration", "expected"),
    [
        # 31 March - 1mo = 28 February (clamped), at the same wall-clock time.
        ("UTC", "2026-03-31 12:00", Duration(1, Unit.MONTH), "2026-02-28 12:00"),
        # New York: 31 March is EDT (UTC-4), 28 February is EST (UTC-5): 12:00 local both times.
        ("America/New_York", "2026-03-31 16:00", Duration(1, Unit.MONTH), "2026-02-28 17:00"),
        # Kolkata: 20:00Z on 31 March is already 1 April 01:30 local -> 1 March 01:30 local.
        ("Asia/Kolkata", "2026-03-31 20:00", Duration(1, Unit.MONTH), "2026-02-28 20:00"),
        # A leap day minus a year clamps to 28 February.
        ("UTC", "2028-02-29 00:00", Duration(1, Unit.YEAR), "2027-02-28 00:00"),
        # Fixed units ignore DST: 1d across the New York spring-forward is 24 hours.
        ("America/New_York", "2026-03-09 12:00", Duration(1, Unit.DAY), "2026-03-08 12:00"),
        ("America/New_York", "2026-03-09 12:00", Duration(2, Unit.MONTH), "2026-01-09 13:00"),
    ],
)
def test_calendar_steps(zone: str, as_of: str, duration: Duration, expected: str) -> None:
    ctx = TimeContext.create(utc(as_of), zone)
    assert ctx.back(duration) == utc(expected)


def test_a_date_is_a_local_day_even_when_it_is_23_hours_long() -> None:
    ctx = TimeContext.create(utc("2026-04-01 00:00"), "America/New_York")
    rng = instant_range(ctx, Cmp.EQ, AbsoluteDate(date(2026, 3, 8)))
    assert rng.low is not None and rng.high is not None
    assert (rng.low.at, rng.high.at) == (utc("2026-03-08 05:00"), utc("2026-03-09 04:00"))
    assert not rng.high.inclusive


@pytest.fixture
def events_around_dst(tmp_path: Path) -> tuple[pa.Table, pa.Table]:
    stamps = {
        "before": "2026-03-08 04:59:59",  # 7 March 23:59:59 EST
        "first": "2026-03-08 05:00:00",  # 8 March 00:00 EST
        "last": "2026-03-09 03:59:59",  # 8 March 23:59:59 EDT
        "after": "2026-03-09 04:00:00",  # 9 March 00:00 EDT
    }
    contacts = pa.table(
        {
            "contact_id": list(stamps),
            "seen": pa.array([datetime.fromisoformat(v) for v in stamps.values()], TS),
        }
    )
    events = pa.table(
        {
            "contact_id": list(stamps),
            "event": ["login"] * 4,
            "ts": pa.array([datetime.fromisoformat(v) for v in stamps.values()], TS),
        }
    )
    return contacts, events


def test_date_window_on_the_dst_day(
    tmp_path: Path, events_around_dst: tuple[pa.Table, pa.Table]
) -> None:
    lake = make_lake(tmp_path, *events_around_dst, zone="America/New_York")
    as_of = utc("2026-04-01 00:00")
    day = {"performed": "login", "within": {"between": ["2026-03-08", "2026-03-08"]}}
    assert lake.members(day, as_of) == {"first", "last"}
    assert lake.members({"attr": "seen", "op": "is", "value": "2026-03-08"}, as_of) == {
        "first",
        "last",
    }
    assert lake.members({"attr": "seen", "op": "after", "value": "2026-03-08"}, as_of) == {"after"}
    assert lake.members({"attr": "seen", "op": "before", "value": "2026-03-08"}, as_of) == {
        "before"
    }
    # A naive timestamp value is read in the workspace zone: 00:00 local on 8 March is 05:00Z.
    assert lake.members({"attr": "seen", "op": "gte", "value": "2026-03-08T00:00:00"}, as_of) == {
        "first",
        "last",
        "after",
    }


def test_month_window_at_month_end_in_kolkata(tmp_path: Path) -> None:
    contacts = pa.table({"contact_id": ["in", "out"]})
    events = pa.table(
        {
            "contact_id": ["in", "out"],
            "event": ["purchase", "purchase"],
            "ts": pa.array([datetime(2026, 2, 28, 20, 0), datetime(2026, 2, 28, 19, 59, 59)], TS),
        }
    )
    lake = make_lake(tmp_path, contacts, events, zone="Asia/Kolkata")
    as_of = utc("2026-03-31 20:00")  # 1 April 01:30 IST; one month back is 1 March 01:30 IST
    assert lake.members({"performed": "purchase", "within": "1mo"}, as_of) == {"in"}
    utc_lake = make_lake(tmp_path / "utc", contacts, events, zone="UTC")
    # In UTC the same as_of minus one month is 28 February 20:00Z as well (31 March clamps to 28 February).
    assert utc_lake.members({"performed": "purchase", "within": "1mo"}, as_of) == {"in"}
    assert utc_lake.members({"performed": "purchase", "within": "4w"}, as_of) == set()


def test_within_last_on_dates_uses_local_calendar_days(tmp_path: Path) -> None:
    contacts = pa.table({"contact_id": ["a", "b"], "born": [date(2026, 3, 25), date(2026, 3, 24)]})
    events = pa.table(
        {"contact_id": ["a"], "event": ["x"], "ts": pa.array([datetime(2026, 1, 1)], TS)}
    )
    lake = make_lake(tmp_path, contacts, events, zone="Asia/Kolkata")
    # as_of 2026-03-31T20:00Z is 1 April in Kolkata: 7 days back is 25 March local.
    assert lake.members(
        {"attr": "born", "op": "within_last", "value": "7d"}, utc("2026-03-31 20:00")
    ) == {"a"}
