"""`between` bounds of different relative units are ordered at the as_of; unknown ops list the
valid ones; a build far past the newest event says so."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from duckseg import DefinitionError, Segment, Workspace
from duckseg.db import regex_error
from duckseg.lang.resolve import Resolver, check_order
from duckseg.lang.time import (
    AbsoluteDate,
    AbsoluteInstant,
    Duration,
    Relative,
    TimeContext,
    Unit,
    out_of_order,
)
from duckseg.types import Catalog
from duckseg.types import ValueType as T

CATALOG = Catalog(
    {"city": T.TEXT, "signup_at": T.TIMESTAMP, "birthday": T.DATE, "score": T.INTEGER},
    {"amount": T.FLOAT},
    frozenset({"purchase"}),
)


def resolve(where: object) -> list[str]:
    seg = Segment.from_dict({"name": "t", "where": where}, source="segments/t.yaml")
    try:
        Resolver(CATALOG, "UTC", lambda _n: None, [], regex_error=regex_error).resolve(seg)
    except DefinitionError as exc:
        return [str(p) for p in exc.problems]
    return []


def ago(n: int, unit: Unit) -> Relative:
    return Relative(Duration(n, unit), -1)


def ctx_at(text: str) -> TimeContext:
    return TimeContext.create(datetime.fromisoformat(text), ZoneInfo("UTC"))


def test_relative_bounds_of_one_scale_are_ordered_without_an_as_of() -> None:
    assert out_of_order(ago(7, Unit.DAY), ago(1, Unit.WEEK)) is False
    assert out_of_order(ago(1, Unit.DAY), ago(2, Unit.DAY)) is True
    assert out_of_order(ago(13, Unit.MONTH), ago(1, Unit.YEAR)) is False
    assert out_of_order(Relative(), ago(1, Unit.MONTH)) is True


def test_days_against_months_wait_for_the_as_of() -> None:
    low, high = ago(90, Unit.DAY), ago(3, Unit.MONTH)
    assert out_of_order(low, high) is None
    # 31 May: 3 months back is 28 February (92 days), so now-90d is after it.
    assert out_of_order(low, high, ctx_at("2026-05-31T00:00:00+00:00")) is True
    # 31 March: 3 months back is 31 December (90 days): the same instant, in order.
    assert out_of_order(low, high, ctx_at("2026-03-31T00:00:00+00:00")) is False
    # 1 March: 3 months back is 1 December (90 days): in order.
    assert out_of_order(low, high, ctx_at("2026-03-01T00:00:00+00:00")) is False


def test_a_date_against_an_instant_compares_the_date_in_the_zone() -> None:
    day = AbsoluteDate(datetime(2026, 1, 31).date())
    late = AbsoluteInstant(datetime(2026, 1, 31, 23, 0, tzinfo=UTC))
    assert out_of_order(day, late, ctx_at("2026-06-01T00:00:00+00:00")) is False
    kolkata = TimeContext.create(datetime(2026, 6, 1, tzinfo=UTC), ZoneInfo("Asia/Kolkata"))
    assert out_of_order(AbsoluteDate(datetime(2026, 2, 1).date()), late, kolkata) is False


def test_between_days_and_months_resolves_and_is_checked_at_the_as_of() -> None:
    where = {"performed": "purchase", "within": {"between": ["now-90d", "now-3mo"]}}
    assert resolve(where) == []
    seg = Segment.from_dict({"name": "t", "where": where}, source="segments/t.yaml")
    resolved = Resolver(CATALOG, "UTC", lambda _n: None, []).resolve(seg)
    check_order([resolved], ctx_at("2026-03-31T00:00:00+00:00"))  # both ends 31 December
    with pytest.raises(DefinitionError) as caught:
        check_order([resolved], ctx_at("2026-05-31T00:00:00+00:00"))
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        "segments/t.yaml: where.within.between: between needs low <= high, got [now-90d, now-3mo]"
    )
    assert "2026-03-02T00:00:00Z" in str(problem) and "2026-02-28T00:00:00Z" in str(problem)


def test_bounds_out_of_order_without_an_as_of_are_still_refused_at_once() -> None:
    where = {"attr": "signup_at", "op": "between", "value": ["now-1d", "now-2d"]}
    assert resolve(where) == [
        "segments/t.yaml: where.value: between needs low <= high, got [now-1d, now-2d]"
    ]


def test_a_relative_bound_against_a_fixed_one_is_checked_at_the_build(
    sample_ws: Workspace,
) -> None:
    where = {"performed": "purchase", "within": {"between": ["2026-06-01", "now-90d"]}}
    seg = Segment.from_dict({"name": "late", "where": where}, source="segments/late.yaml")
    with pytest.raises(DefinitionError, match="between needs low <= high"):
        sample_ws.build(seg, as_of="2026-06-30T18:00:00Z")
    with pytest.raises(DefinitionError, match="between needs low <= high"):
        sample_ws.preview(seg, as_of="2026-06-30T18:00:00Z")
    assert sample_ws.build(seg, as_of="2026-12-31T00:00:00Z").count >= 0


def test_an_unknown_op_lists_the_valid_ops_for_the_type() -> None:
    (problem,) = resolve({"attr": "score", "op": "greater_than", "value": 1})
    assert problem == (
        "segments/t.yaml: where.op: unknown op greater_than (valid ops for attribute score "
        "(integer): between, bottom_percent, gt, gte, is, is_not, is_not_set, is_set, lt, lte, top_percent)"
    )
    (problem,) = resolve({"attr": "city", "op": "contain", "value": "x"})
    assert "(did you mean contains? valid ops for attribute city (text):" in problem


def run_cli(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "duckseg", *args, "-w", str(ws.root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_build_and_preview_warn_when_as_of_is_far_past_the_events(sample_ws: Workspace) -> None:
    late = run_cli(sample_ws, "build", "vip", "--as-of", "2027-01-01")
    assert (
        "warning: as_of 2027-01-01 is 184 days after the newest event (2026-06-30)" in late.stderr
    )
    assert "warning" in run_cli(sample_ws, "preview", "at_risk", "--as-of", "2026-09-01").stderr
    on_time = run_cli(sample_ws, "build", "vip", "--as-of", "2026-07-15")
    assert "warning" not in on_time.stderr
