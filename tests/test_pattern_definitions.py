"""Sequences, lifecycle conditions and first/last windows: each misuse the language names is
a definition error with the file, the path inside it and a hint (docs/language.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import run
from tests.test_definitions import problems

VIEW, BUY = {"performed": "login"}, {"performed": "purchase"}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (
            {"sequence": [VIEW]},
            "segments/t.yaml: where.sequence: expected a list of at least two steps, got "
            "[{'performed': 'login'}] (one step alone is a performed condition)",
        ),
        (
            {"sequence": "login"},
            'segments/t.yaml: where.sequence: expected a list of at least two steps, got "login" '
            "(one step alone is a performed condition)",
        ),
        (
            {"sequence": [{"performed": "login", "then_within": "1h"}, BUY]},
            "segments/t.yaml: where.sequence[0].then_within: then_within on the first step: there "
            "is no step before it (remove it; a within next to sequence bounds every step)",
        ),
        (
            {"sequence": [VIEW, {"performed": "purchase", "then_within": "1mo"}]},
            "segments/t.yaml: where.sequence[1].then_within: then_within takes a fixed length "
            "(s m h d w), got 1mo: a month or a year has no fixed length (write days or weeks, "
            "like 30d or 4w)",
        ),
        (
            {"sequence": [VIEW, {"performed": "purchase", "then_within": "2y"}]},
            "segments/t.yaml: where.sequence[1].then_within: then_within takes a fixed length "
            "(s m h d w), got 2y: a month or a year has no fixed length (write days or weeks, "
            "like 30d or 4w)",
        ),
        (
            {"sequence": [VIEW, {"performed": "purchase", "then_within": "0h"}]},
            'segments/t.yaml: where.sequence[1].then_within: a duration must be positive, got "0h"',
        ),
        (
            {"sequence": [VIEW, {"performed": "purchas"}]},
            "segments/t.yaml: where.sequence[1].performed: unknown event purchas "
            "(did you mean purchase?)",
        ),
        (
            {"sequence": [VIEW, {"performed": "purchase", "count": 2}]},
            "segments/t.yaml: where.sequence[1].count: unknown key 'count'",
        ),
        (
            {"sequence": [VIEW, {"then_within": "1h"}]},
            "segments/t.yaml: where.sequence[1]: a step needs performed: an event name or a list "
            "of names",
        ),
        (
            {"sequence": [VIEW, BUY], "within": {"lastt": "7d"}},
            "segments/t.yaml: where.within.lastt: unknown window 'lastt' (did you mean last?)",
        ),
        (
            {"sequence": [VIEW, BUY], "withn": "7d"},
            "segments/t.yaml: where.withn: unknown key 'withn' (did you mean within?)",
        ),
        (
            {
                "sequence": [
                    VIEW,
                    {"performed": "purchase", "where": {"attr": "city", "op": "is_set"}},
                ]
            },
            "segments/t.yaml: where.sequence[1].where.attr: use prop for event properties "
            "(write prop: city)",
        ),
        (
            {"performed_regularly": "purchase", "every": "1mo", "periods": 3, "min_periods": 4},
            "segments/t.yaml: where.min_periods: min_periods (4) is more than periods (3) "
            "(at most 3: the contact can be active in at most every period)",
        ),
        (
            {"performed_regularly": "purchase", "every": "1mo", "periods": 0},
            "segments/t.yaml: where.periods: periods must be a whole number of at least 1, got 0 "
            "(periods, min_periods and times count periods and events: 1 or more)",
        ),
        (
            {"performed_regularly": "purchase", "every": "1mo", "periods": 3, "times": 0},
            "segments/t.yaml: where.times: times must be a whole number of at least 1, got 0 "
            "(periods, min_periods and times count periods and events: 1 or more)",
        ),
        (
            {"performed_regularly": "purchase", "every": "1mo", "periods": 3, "min_periods": 1.5},
            "segments/t.yaml: where.min_periods: min_periods must be a whole number of at least 1, "
            "got 1.5 (periods, min_periods and times count periods and events: 1 or more)",
        ),
        (
            {"performed_regularly": "purchase", "every": "1mo", "periods": True},
            "segments/t.yaml: where.periods: periods must be a whole number of at least 1, got "
            "True (periods, min_periods and times count periods and events: 1 or more)",
        ),
        (
            {"performed_regularly": "purchase", "periods": 3},
            "segments/t.yaml: where: performed_regularly needs every (the length of one period, "
            "like every: 1mo)",
        ),
        (
            {"performed_regularly": "purchase", "every": "month", "periods": 3},
            "segments/t.yaml: where.every: expected a duration like 90d, 48h or 3mo (units s m h "
            'd w mo y), got "month"',
        ),
        (
            {"performed_regularly": "purchase", "every": "1mo", "periods": 3, "within": "90d"},
            "segments/t.yaml: where.within: unknown key 'within'",
        ),
        (
            {"performed_regularly": "purchase", "every": "1000mo", "periods": 1000},
            "segments/t.yaml: where.periods: 1000 periods of 1000mo reach too far back "
            "(at most 100000 mo in all)",
        ),
        (
            {"stopped_performing": "purchase", "recent": "30d"},
            "segments/t.yaml: where: stopped_performing needs prior (the stretch before recent "
            "with events, like prior: 60d)",
        ),
        (
            {"stopped_performing": "purchase", "recent": "30d", "prior": "60d", "gap": "60d"},
            "segments/t.yaml: where.gap: unknown key 'gap'",
        ),
        (
            {"restarted_performing": "purchase", "recent": "-3d", "gap": "60d"},
            "segments/t.yaml: where.recent: expected a duration like 90d, 48h or 3mo (units s m "
            'h d w mo y), got "-3d"',
        ),
        (
            {"restarted_performing": [], "recent": "3d", "gap": "60d"},
            "segments/t.yaml: where.restarted_performing: expected an event name or a non-empty "
            "list of names, got []",
        ),
        (
            {"last_performed": "purchase", "within": {"between": ["2026-02-01", "2026-01-01"]}},
            "segments/t.yaml: where.within.between: between needs low <= high, got "
            "[2026-02-01, 2026-01-01]",
        ),
        (
            {"first_performed": "purchase", "within": {"sometime": "2026-01-01"}},
            "segments/t.yaml: where.within.sometime: unknown window 'sometime'",
        ),
    ],
)
def test_error_messages(where: Any, expected: str) -> None:
    assert problems(where) == [expected]


def test_every_problem_of_a_sequence_is_reported_at_once() -> None:
    where = {
        "sequence": [
            {"performed": "login", "then_within": "1h"},
            {"performed": "purchas", "then_within": "1mo"},
        ]
    }
    found = problems(where)
    assert [p.split(": ")[1] for p in found] == [
        "where.sequence[0].then_within",
    ]  # the shape is wrong: names and durations are checked once the shape is right
    where["sequence"][0] = {"performed": "login"}  # type: ignore[index]
    assert [p.split(": ")[1] for p in problems(where)] == [
        "where.sequence[1].performed",
        "where.sequence[1].then_within",
    ]


@pytest.mark.parametrize(
    "where",
    [
        {"sequence": [VIEW, {"performed": ["purchase", "login"], "then_within": "2w"}]},
        {"sequence": [VIEW, BUY], "within": {"between": ["2026-01-01", "2026-01-31"]}},
        {"performed_regularly": "purchase", "every": "1w", "periods": 4, "min_periods": 4},
        {"performed_regularly": "purchase", "every": "1mo", "periods": 1, "times": 3},
        {"stopped_performing": "purchase", "recent": "1mo", "prior": "2mo"},
        {
            "restarted_performing": "purchase",
            "recent": "7d",
            "gap": "60d",
            "where": {"prop": "amount", "op": "gt", "value": 5},
        },
        {"last_performed": "purchase", "within": {"last": "1mo"}},
        {"first_performed": "purchase", "within": {"after": "now-30d"}},
        {"last_performed": "purchase", "within": {"before": "2026-01-01"}},
    ],
)
def test_valid_definitions(where: Any) -> None:
    assert problems(where) == []


def test_cli_check_exits_2_naming_file_and_path(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    run("init", str(root))
    (root / "segments" / "bad_sequence.yaml").write_text(
        "where:\n  sequence:\n    - performed: pricing_page_view\n      then_within: 1h\n"
        "    - performed: demo_request\n",
        encoding="utf-8",
    )
    proc = run("check", "-w", str(root), ok=False)
    assert proc.returncode == 2
    assert (
        "segments/bad_sequence.yaml: where.sequence[0].then_within: then_within on the first "
        "step: there is no step before it (remove it; a within next to sequence bounds every step)"
        in proc.stderr
    )
