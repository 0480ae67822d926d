"""Time values, durations and dates against instants for the reference evaluator.

SPEC 3: "Timestamps are instants"; SPEC 6.4 durations; SPEC 6.5 time values.
A time value is either date-only (a ``date``) or an instant (an aware
``datetime`` in UTC); nothing here knows about definitions beyond that.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Final, TypeAlias
from zoneinfo import ZoneInfo

TimeValue: TypeAlias = date | datetime
TIMESTAMP: Final = "timestamp"

_FIXED_SECONDS: Final[Mapping[str, int]] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MONTHS: Final[Mapping[str, int]] = {"mo": 1, "y": 12}
_DURATION = re.compile(r"(\d+)(mo|s|m|h|d|w|y)")
_RELATIVE = re.compile(r"now(?:\s*([+-])\s*(\d+)(mo|s|m|h|d|w|y))?")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidDefinition(ValueError):
    """The definition breaks a rule of SPEC section 6; the engine must reject it too."""


def parse_duration(raw: object) -> tuple[int, str]:
    """``"90d"`` -> ``(90, "d")``: a positive integer and a unit (SPEC 6.4)."""
    found = _DURATION.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if found is None or int(found.group(1)) <= 0:
        raise InvalidDefinition(f"not a duration: {raw!r}")
    return int(found.group(1)), found.group(2)


def fixed_length(amount: int, unit: str) -> timedelta:
    """A duration in the fixed units ``s m h d w`` only; ``mo`` / ``y`` have no fixed length.

    SPEC 6.8: "then_within takes the fixed units s m h d w only (mo/y there is a
    definition error)".
    """
    if unit not in _FIXED_SECONDS:
        raise InvalidDefinition(f"{amount}{unit}: only the fixed units s m h d w are allowed here")
    return timedelta(seconds=amount * _FIXED_SECONDS[unit])


def shift(instant: datetime, amount: int, unit: str, zone: ZoneInfo) -> datetime:
    """``instant + amount unit``: s m h d w are fixed lengths, mo and y calendar steps.

    SPEC 6.4: "mo y (calendar months / years in the workspace time zone; a day
    that does not exist is clamped: 31 March - 1mo = 28 February)". The wall
    clock time in the zone is kept; a wall time that a DST change skips or
    repeats is read with ``fold=0`` (the offset in force before the change).
    """
    instant = instant.astimezone(UTC)
    if unit in _FIXED_SECONDS:
        return instant + timedelta(seconds=amount * _FIXED_SECONDS[unit])
    if unit not in _MONTHS:
        raise InvalidDefinition(f"unknown duration unit {unit!r}")
    local = instant.astimezone(zone)
    year, month0 = divmod(local.year * 12 + local.month - 1 + amount * _MONTHS[unit], 12)
    day = min(local.day, calendar.monthrange(year, month0 + 1)[1])
    return local.replace(year=year, month=month0 + 1, day=day, fold=0).astimezone(UTC)


def to_instant(value: datetime, zone: ZoneInfo) -> datetime:
    """An aware UTC instant; a naive value is wall time in ``zone`` (SPEC 3)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone, fold=0)
    return value.astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date of an instant in the workspace zone."""
    return instant.astimezone(zone).date()


def parse_time_value(raw: object, zone: ZoneInfo, as_of: datetime) -> TimeValue:
    """A time value of SPEC 6.5: a ``date`` when date-only, else an aware UTC instant."""
    if isinstance(raw, datetime):
        return to_instant(raw, zone)
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise InvalidDefinition(f"not a time value: {raw!r}")
    text = raw.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative is not None:
        if relative.group(1) is None:
            return as_of
        amount = int(relative.group(2))
        if amount <= 0:
            raise InvalidDefinition(f"not a time value: {raw!r}")
        sign = 1 if relative.group(1) == "+" else -1
        return shift(as_of, sign * amount, relative.group(3), zone)
    try:
        if _DATE_ONLY.fullmatch(text):
            return date.fromisoformat(text)
        return to_instant(datetime.fromisoformat(text), zone)
    except ValueError:
        raise InvalidDefinition(f"not a time value: {raw!r}") from None


def time_keys(actual: TimeValue, bound: TimeValue, zone: ZoneInfo) -> tuple[date, date]:
    """Two comparable keys, per "Dates against instants" (SPEC 6.2).

    "when a date-only value meets a timestamp ... the timestamp's calendar date
    in the workspace zone is compared with the date". Two instants or two dates
    compare as they are (a ``datetime`` is a ``date``, hence the return type).
    """
    actual_instant, bound_instant = isinstance(actual, datetime), isinstance(bound, datetime)
    if actual_instant and not bound_instant:
        assert isinstance(actual, datetime)
        return local_date(actual, zone), bound
    if bound_instant and not actual_instant:
        assert isinstance(bound, datetime)
        return actual, local_date(bound, zone)
    return actual, bound


def landed_time(value: object, typ: str) -> TimeValue:
    """A stored date or timestamp; naive landed timestamps are UTC (SPEC 3)."""
    if typ == TIMESTAMP:
        if not isinstance(value, datetime):
            raise TypeError(f"timestamp value expected, got {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"date value expected, got {value!r}")
    return value
