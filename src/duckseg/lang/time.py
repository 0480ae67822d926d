"""Time: the clock, durations, time values and their resolution to instants.

All time arithmetic happens here, in Python, at compile time: the compiler only
ever emits constant instants (naive UTC, like the lake's `ts`) and dates. That
keeps the SQL portable across dialects and lets Parquet statistics prune.
"""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, assert_never
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock that always says the same instant (tests, reproducible builds)."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


class Unit(enum.Enum):
    SECOND = "s"
    MINUTE = "m"
    HOUR = "h"
    DAY = "d"
    WEEK = "w"
    MONTH = "mo"
    YEAR = "y"


UNIT_WORDS = {
    Unit.SECOND: "second",
    Unit.MINUTE: "minute",
    Unit.HOUR: "hour",
    Unit.DAY: "day",
    Unit.WEEK: "week",
    Unit.MONTH: "month",
    Unit.YEAR: "year",
}

_DURATION = re.compile(r"^\s*(\d+)\s*(mo|s|m|h|d|w|y)\s*$")
_RELATIVE = re.compile(r"^\s*now\s*(?:([+-])\s*(\d+\s*(?:mo|s|m|h|d|w|y)))?\s*$")
MAX_DURATION_AMOUNT = 100_000  # more than enough for any window; beyond it datetime overflows


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"

    def words(self) -> str:
        word = UNIT_WORDS[self.unit]
        return f"{self.amount} {word}" + ("" if self.amount == 1 else "s")


def iso(at: datetime) -> str:
    """An instant as ISO-8601 text in UTC with a "Z" suffix (aware values are converted)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.isoformat().replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """DuckDB values as JSON: instants in ISO-8601 UTC, dates ISO, decimals as numbers."""
    if isinstance(value, datetime):
        # DuckDB gives the lake's instants as naive UTC.
        return iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def parse_duration(text: str) -> Duration:
    """`90d`, `48h`, `3mo` -> Duration. Raises ValueError with a readable message."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(
            f'expected a duration like 90d, 48h or 3mo (units s m h d w mo y), got "{text}"'
        )
    amount = int(match.group(1))
    if amount <= 0:
        raise ValueError(f'a duration must be positive, got "{text}"')
    if amount > MAX_DURATION_AMOUNT:
        raise ValueError(f'duration "{text}" is too long')
    return Duration(amount, Unit(match.group(2)))


# -- time values ---------------------------------------------------------------


@dataclass(frozen=True)
class AbsoluteDate:
    """A date-only value: a calendar day in the workspace zone."""

    day: date

    def __str__(self) -> str:
        return self.day.isoformat()


@dataclass(frozen=True)
class AbsoluteInstant:
    """A timestamp; `instant` is aware UTC."""

    instant: datetime

    def __str__(self) -> str:
        return iso(self.instant)


@dataclass(frozen=True)
class Relative:
    """`now`, `now-7d`, `now+1d`: relative to the build's as_of."""

    offset: Duration | None = None
    sign: int = -1

    def __str__(self) -> str:
        if self.offset is None:
            return "now"
        return f"now{'-' if self.sign < 0 else '+'}{self.offset}"


TimeValue = AbsoluteDate | AbsoluteInstant | Relative


def parse_time_value(value: object, zone: ZoneInfo) -> TimeValue:
    """A time value of docs/language.md: ISO date/timestamp (string or YAML-native) or relative."""
    if isinstance(value, datetime):
        return AbsoluteInstant(_aware(value, zone))
    if isinstance(value, date):
        return AbsoluteDate(value)
    if not isinstance(value, str):
        raise ValueError(
            f"expected a date, a timestamp or a relative time like now-7d, got {value!r}"
        )
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        if match.group(1) is None:
            return Relative()
        return Relative(parse_duration(match.group(2)), -1 if match.group(1) == "-" else 1)
    try:
        if len(text) == 10:
            return AbsoluteDate(date.fromisoformat(text))
        return AbsoluteInstant(_aware(datetime.fromisoformat(text), zone))
    except ValueError:
        raise ValueError(
            f'expected an ISO-8601 date or timestamp (2026-01-31, 2026-01-31T12:00:00Z) or now-7d, got "{value}"'
        ) from None


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    """Naive values are read in the workspace zone; the result is UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


# -- resolution against an as_of -------------------------------------------------


@dataclass(frozen=True)
class TimeContext:
    """What a compile or evaluation is anchored to: the as_of instant and the workspace zone."""

    as_of: datetime  # aware UTC
    zone: ZoneInfo

    @classmethod
    def create(cls, as_of: datetime, zone: str | ZoneInfo) -> TimeContext:
        tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        return cls(_aware(as_of, tz), tz)

    def shift(self, instant: datetime, duration: Duration, sign: int) -> datetime:
        """instant +/- duration; mo and y are calendar steps in the workspace zone, clamped."""
        unit = duration.unit
        n = duration.amount * sign
        match unit:
            case Unit.SECOND:
                return instant + timedelta(seconds=n)
            case Unit.MINUTE:
                return instant + timedelta(minutes=n)
            case Unit.HOUR:
                return instant + timedelta(hours=n)
            case Unit.DAY:
                return instant + timedelta(days=n)
            case Unit.WEEK:
                return instant + timedelta(weeks=n)
            case Unit.MONTH | Unit.YEAR:
                months = n if unit is Unit.MONTH else 12 * n
                local = instant.astimezone(self.zone)
                index = local.year * 12 + (local.month - 1) + months
                year, month = divmod(index, 12)
                day = min(local.day, calendar.monthrange(year, month + 1)[1])
                wall = local.replace(tzinfo=None).replace(year=year, month=month + 1, day=day)
                return wall.replace(tzinfo=self.zone).astimezone(UTC)
            case _:
                assert_never(unit)

    def back(self, duration: Duration) -> datetime:
        """as_of - duration."""
        return self.shift(self.as_of, duration, -1)

    def resolve(self, value: TimeValue) -> datetime | date:
        """An instant (aware UTC) for timestamps and relative values, a date for date-only values."""
        match value:
            case AbsoluteDate(day):
                return day
            case AbsoluteInstant(instant):
                return instant
            case Relative(offset, sign):
                return self.as_of if offset is None else self.shift(self.as_of, offset, sign)
            case _:
                assert_never(value)

    def day_of(self, instant: datetime) -> date:
        """The calendar date of an instant in the workspace zone."""
        return instant.astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        """The instant (aware UTC) at which a calendar day begins in the workspace zone."""
        return datetime(day.year, day.month, day.day, tzinfo=self.zone).astimezone(UTC)

    def as_date(self, value: TimeValue) -> date:
        resolved = self.resolve(value)
        return resolved if not isinstance(resolved, datetime) else self.day_of(resolved)


def out_of_order(low: TimeValue, high: TimeValue, ctx: TimeContext | None = None) -> bool | None:
    """Whether `low` comes after `high`; None when that depends on the as_of and no `ctx` is
    given (now-90d against now-3mo: a month is 28 to 31 days; a relative time against a fixed
    one). Where a date meets an instant, the instant's date in the workspace zone is compared
    (docs/language.md, dates against instants)."""
    if isinstance(low, Relative) and isinstance(high, Relative):
        (lo_scale, lo), (hi_scale, hi) = _relative_steps(low), _relative_steps(high)
        if lo_scale is None or hi_scale is None or lo_scale == hi_scale:
            return lo > hi
    elif not isinstance(low, Relative) and not isinstance(high, Relative):
        if isinstance(low, AbsoluteInstant) and isinstance(high, AbsoluteInstant):
            return low.instant > high.instant
        if isinstance(low, AbsoluteDate) and isinstance(high, AbsoluteDate):
            return low.day > high.day
    if ctx is None:
        return None
    a, b = ctx.resolve(low), ctx.resolve(high)
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a > b
    return ctx.as_date(low) > ctx.as_date(high)


_FIXED_SECONDS = {
    Unit.SECOND: 1,
    Unit.MINUTE: 60,
    Unit.HOUR: 3600,
    Unit.DAY: 86400,
    Unit.WEEK: 604800,
}


def _relative_steps(value: Relative) -> tuple[str | None, int]:
    """A relative time as (scale, signed steps) where steps of one scale compare without an
    as_of: seconds for s..w, months for mo and y; `now` (no scale, 0 steps) fits either."""
    if value.offset is None:
        return None, 0
    unit, n = value.offset.unit, value.sign * value.offset.amount
    if unit in _FIXED_SECONDS:
        return "seconds", n * _FIXED_SECONDS[unit]
    return "months", n * (12 if unit is Unit.YEAR else 1)


@dataclass(frozen=True)
class Bound:
    """One side of an instant range; `at` is aware UTC."""

    at: datetime
    inclusive: bool


@dataclass(frozen=True)
class InstantRange:
    low: Bound | None = None
    high: Bound | None = None

    def intersect(self, other: InstantRange) -> InstantRange:
        return InstantRange(
            _tighter(self.low, other.low, lower=True), _tighter(self.high, other.high, lower=False)
        )


def _tighter(a: Bound | None, b: Bound | None, *, lower: bool) -> Bound | None:
    if a is None:
        return b
    if b is None:
        return a
    if a.at != b.at:
        return a if (a.at > b.at) == lower else b
    return a if not a.inclusive else b


class Cmp(enum.Enum):
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    EQ = "eq"


def instant_range(ctx: TimeContext, cmp: Cmp, value: TimeValue) -> InstantRange:
    """The instants t for which `t <cmp> value` holds.

    A date-only value compares the instant's calendar date in the workspace zone
    with the date (docs/language.md, dates against instants): `> 2026-01-31` starts when
    1 February begins, `<= 2026-01-31` ends when 1 February begins.
    """
    resolved = ctx.resolve(value)
    if isinstance(resolved, datetime):
        at = resolved
        match cmp:
            case Cmp.GT:
                return InstantRange(low=Bound(at, False))
            case Cmp.GTE:
                return InstantRange(low=Bound(at, True))
            case Cmp.LT:
                return InstantRange(high=Bound(at, False))
            case Cmp.LTE:
                return InstantRange(high=Bound(at, True))
            case Cmp.EQ:
                return InstantRange(Bound(at, True), Bound(at, True))
            case _:
                assert_never(cmp)
    start = ctx.start_of(resolved)
    next_start = ctx.start_of(resolved + timedelta(days=1))
    match cmp:
        case Cmp.GT:
            return InstantRange(low=Bound(next_start, True))
        case Cmp.GTE:
            return InstantRange(low=Bound(start, True))
        case Cmp.LT:
            return InstantRange(high=Bound(start, False))
        case Cmp.LTE:
            return InstantRange(high=Bound(next_start, False))
        case Cmp.EQ:
            return InstantRange(Bound(start, True), Bound(next_start, False))
        case _:
            assert_never(cmp)
