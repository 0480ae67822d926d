"""Cases shared by several test modules, kept here so that no test module imports another.

- The semantic cases: each operator and condition kind with a hand-written DuckDB query
  over a small lake whose values sit exactly on the edges that matter (test_semantics runs
  them on DuckDB, test_spark on Spark, test_dialects keeps their SQL per dialect).
- The reference worlds' column types for the differential and shape tests.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

TS = pa.timestamp("us")


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


CONTACTS = pa.table(
    {
        "contact_id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"],
        "city": ["Pune", "pune", "", None, "Mumbai", "São Paulo", "Nagpur", "PUNE"],
        "total_spent": [12000.0, 500.5, None, 10000.0, 0.0, 20000.0, 3.0, 10.0],
        "lead_score": [80, None, 10, 50, 100, 0, 5, 60],
        "opted_out": [False, True, None, False, True, False, None, False],
        "signup_at": pa.array(
            [
                dt("2026-03-24 12:00:00"),
                dt("2026-03-24 11:59:59.999999"),
                None,
                dt("2026-01-31 23:59:59"),
                dt("2026-02-01 00:00:00"),
                dt("2026-03-31 12:00:00"),
                dt("2025-01-01 00:00:00"),
                dt("2026-04-01 00:00:00"),
            ],
            TS,
        ),
        "birthday": [
            date(2026, 3, 24),
            date(2026, 3, 23),
            None,
            date(2026, 1, 31),
            date(2026, 2, 1),
            date(2026, 3, 31),
            date(1990, 5, 5),
            date(2026, 4, 1),
        ],
        "tags": pa.array(
            [
                ["VIP", "beta"],
                [],
                None,
                ["vip"],
                ["VIP"],
                ["wholesale"],
                ["beta", "wholesale"],
                None,
            ],
            pa.list_(pa.string()),
        ),
        "email": ["a@x.com", "", None, "B@Y.COM", "c@example.org", "d@x.com", "e@x.com", "f@x.org"],
    }
)

_EVENTS: list[tuple[str, str, str, float | None, str | None]] = [
    ("c1", "purchase", "2026-01-01 12:00:00", 100.0, "shoes"),
    ("c1", "purchase", "2025-12-31 12:00:00", 200.0, "Shoes"),  # exactly as_of - 90d
    ("c1", "purchase", "2026-03-30 09:00:00", None, None),
    ("c1", "login", "2026-03-31 12:00:00", None, None),  # exactly as_of
    ("c2", "purchase", "2025-12-31 11:59:59.999999", 50.0, "bags"),  # just before as_of - 90d
    ("c2", "purchase", "2026-04-01 00:00:00", 1000.0, "bags"),  # after as_of: never counts
    ("c3", "purchase", "2026-03-01 10:00:00", 300.25, ""),
    ("c3", "purchase", "2026-03-02 10:00:00", 300.25, "shoes"),
    ("c3", "purchase", "2026-03-03 10:00:00", 10.0, "hats"),
    ("c3", "support_ticket", "2026-03-10 10:00:00", None, None),
    ("c3", "support_ticket", "2026-03-11 10:00:00", None, None),
    ("c3", "support_ticket", "2026-03-12 10:00:00", None, None),
    ("c3", "support_ticket", "2026-03-13 10:00:00", None, None),
    ("c4", "login", "2026-03-17 12:00:00", None, None),  # exactly as_of - 14d
    ("c4", "cart_abandoned", "2026-03-30 12:00:00", None, None),
    ("c5", "cart_abandoned", "2026-03-29 12:00:00", None, None),  # exactly as_of - 48h
    ("c5", "purchase", "2026-03-30 13:00:00", 5.0, "socks"),
    ("c6", "login", "2026-04-02 00:00:00", None, None),  # after as_of only
    ("c8", "support_ticket", "2026-02-01 00:00:00", None, None),
]

EVENTS = pa.table(
    {
        "contact_id": [e[0] for e in _EVENTS],
        "event": [e[1] for e in _EVENTS],
        "ts": pa.array([dt(e[2]) for e in _EVENTS], TS),
        "amount": pa.array([e[3] for e in _EVENTS], pa.float64()),
        "category": [e[4] for e in _EVENTS],
    }
)

ASOF = "TIMESTAMP '2026-03-31 12:00:00'"


def contacts_where(predicate: str) -> str:
    return f"SELECT contact_id FROM contacts WHERE {predicate}"


def events_count(filter_sql: str, having: str) -> str:
    """Contacts whose qualifying events (up to as_of) satisfy `having` over n = count(*)."""
    return f"""
        SELECT c.contact_id FROM contacts c LEFT JOIN (
            SELECT contact_id, count(*) AS n, sum(amount) AS total, avg(amount) AS mean,
                   min(amount) AS lo, max(amount) AS hi, count(DISTINCT amount) AS nd,
                   min(ts) AS first_ts, max(ts) AS last_ts
            FROM events WHERE ts <= {ASOF} AND ({filter_sql}) GROUP BY contact_id
        ) e USING (contact_id) WHERE {having}
    """


CASES: list[tuple[str, Any, str]] = [
    # -- text ---------------------------------------------------------------
    ("is", {"attr": "city", "op": "is", "value": "Pune"}, contacts_where("city = 'Pune'")),
    (
        "is list",
        {"attr": "city", "op": "is", "value": ["Pune", "Mumbai"]},
        contacts_where("city IN ('Pune', 'Mumbai')"),
    ),
    ("is ''", {"attr": "city", "op": "is", "value": ""}, contacts_where("city = ''")),
    (
        "is ignoring case",
        {"attr": "city", "op": "is", "value": "pune", "case_sensitive": False},
        contacts_where("lower(city) = 'pune'"),
    ),
    (
        "is_not includes missing",
        {"attr": "city", "op": "is_not", "value": "Pune"},
        contacts_where("city IS NULL OR city <> 'Pune'"),
    ),
    (
        "is_not list",
        {"attr": "city", "op": "is_not", "value": ["Pune", "pune"]},
        contacts_where("city IS NULL OR city NOT IN ('Pune', 'pune')"),
    ),
    (
        "is_set text",
        {"attr": "city", "op": "is_set"},
        contacts_where("city IS NOT NULL AND city <> ''"),
    ),
    (
        "is_not_set text",
        {"attr": "city", "op": "is_not_set"},
        contacts_where("city IS NULL OR city = ''"),
    ),
    (
        "contains",
        {"attr": "city", "op": "contains", "value": "UN"},
        contacts_where("lower(city) LIKE '%un%'"),
    ),
    (
        "contains case",
        {"attr": "city", "op": "contains", "value": "UN", "case_sensitive": True},
        contacts_where("city LIKE '%UN%'"),
    ),
    (
        "not_contains",
        {"attr": "city", "op": "not_contains", "value": "un"},
        contacts_where("city IS NULL OR lower(city) NOT LIKE '%un%'"),
    ),
    (
        "starts_with",
        {"attr": "email", "op": "starts_with", "value": "B@"},
        contacts_where("lower(email) LIKE 'b@%'"),
    ),
    (
        "ends_with",
        {"attr": "email", "op": "ends_with", "value": "X.COM"},
        contacts_where("lower(email) LIKE '%x.com'"),
    ),
    (
        "matches",
        {"attr": "email", "op": "matches", "value": "^[a-c]@"},
        contacts_where("regexp_matches(email, '^[a-c]@')"),
    ),
    (
        "matches (?i)",
        {"attr": "email", "op": "matches", "value": "(?i)^b@y"},
        contacts_where("lower(email) LIKE 'b@y%'"),
    ),
    (
        "unicode",
        {"attr": "city", "op": "is", "value": "São Paulo"},
        contacts_where("contact_id = 'c6'"),
    ),
    # -- numbers --------------------------------------------------------------
    (
        "gt",
        {"attr": "total_spent", "op": "gt", "value": 10000},
        contacts_where("total_spent > 10000"),
    ),
    (
        "gte",
        {"attr": "total_spent", "op": "gte", "value": 10000},
        contacts_where("total_spent >= 10000"),
    ),
    ("lt int", {"attr": "lead_score", "op": "lt", "value": 50}, contacts_where("lead_score < 50")),
    (
        "lte float value on int",
        {"attr": "lead_score", "op": "lte", "value": 50.5},
        contacts_where("lead_score <= 50"),
    ),
    (
        "between",
        {"attr": "total_spent", "op": "between", "value": [0, 500.5]},
        contacts_where("total_spent >= 0 AND total_spent <= 500.5"),
    ),
    (
        "is number",
        {"attr": "lead_score", "op": "is", "value": [0, 100]},
        contacts_where("lead_score IN (0, 100)"),
    ),
    (
        "is_not number",
        {"attr": "lead_score", "op": "is_not", "value": 80},
        contacts_where("lead_score IS NULL OR lead_score <> 80"),
    ),
    (
        "is_not_set number",
        {"attr": "total_spent", "op": "is_not_set"},
        contacts_where("total_spent IS NULL"),
    ),
    # -- booleans ---------------------------------------------------------------
    ("is_true", {"attr": "opted_out", "op": "is_true"}, contacts_where("opted_out")),
    (
        "is_false skips missing",
        {"attr": "opted_out", "op": "is_false"},
        contacts_where("NOT opted_out"),
    ),
    (
        "not is_true keeps missing",
        {"not": {"attr": "opted_out", "op": "is_true"}},
        contacts_where("opted_out IS NULL OR NOT opted_out"),
    ),
    (
        "is boolean",
        {"attr": "opted_out", "op": "is", "value": False},
        contacts_where("opted_out = false"),
    ),
    # -- timestamps and dates ------------------------------------------------------
    (
        "within_last ts edge",
        {"attr": "signup_at", "op": "within_last", "value": "7d"},
        contacts_where(f"signup_at >= {ASOF} - INTERVAL 7 DAY AND signup_at <= {ASOF}"),
    ),
    (
        "within_last date",
        {"attr": "birthday", "op": "within_last", "value": "7d"},
        contacts_where("birthday BETWEEN DATE '2026-03-24' AND DATE '2026-03-31'"),
    ),
    (
        "between dates on ts covers last day",
        {"attr": "signup_at", "op": "between", "value": ["2026-01-01", "2026-01-31"]},
        contacts_where(
            "signup_at >= TIMESTAMP '2026-01-01' AND signup_at < TIMESTAMP '2026-02-01'"
        ),
    ),
    (
        "after date on ts",
        {"attr": "signup_at", "op": "after", "value": "2026-01-31"},
        contacts_where("signup_at >= TIMESTAMP '2026-02-01'"),
    ),
    (
        "before date on ts",
        {"attr": "signup_at", "op": "before", "value": "2026-02-01"},
        contacts_where("signup_at < TIMESTAMP '2026-02-01'"),
    ),
    (
        "gt timestamp",
        {"attr": "signup_at", "op": "gt", "value": "2026-03-24T12:00:00Z"},
        contacts_where("signup_at > TIMESTAMP '2026-03-24 12:00:00'"),
    ),
    (
        "lte relative",
        {"attr": "signup_at", "op": "lte", "value": "now-7d"},
        contacts_where("signup_at <= TIMESTAMP '2026-03-24 12:00:00'"),
    ),
    (
        "is date on ts",
        {"attr": "signup_at", "op": "is", "value": "2026-03-24"},
        contacts_where("CAST(signup_at AS DATE) = DATE '2026-03-24'"),
    ),
    (
        "date gte relative",
        {"attr": "birthday", "op": "gte", "value": "now-7d"},
        contacts_where("birthday >= DATE '2026-03-24'"),
    ),
    (
        "date lt timestamp",
        {"attr": "birthday", "op": "lt", "value": "2026-02-01T10:00:00Z"},
        contacts_where("birthday < DATE '2026-02-01'"),
    ),
    (
        "after now",
        {"attr": "signup_at", "op": "after", "value": "now"},
        contacts_where(f"signup_at > {ASOF}"),
    ),
    # -- lists ---------------------------------------------------------------------
    (
        "has",
        {"attr": "tags", "op": "has", "value": "VIP"},
        contacts_where("list_contains(tags, 'VIP')"),
    ),
    (
        "has any",
        {"attr": "tags", "op": "has", "value": ["vip", "wholesale"]},
        contacts_where("list_contains(tags, 'vip') OR list_contains(tags, 'wholesale')"),
    ),
    (
        "has_all",
        {"attr": "tags", "op": "has_all", "value": ["beta", "wholesale"]},
        contacts_where("list_contains(tags, 'beta') AND list_contains(tags, 'wholesale')"),
    ),
    (
        "has_none includes missing",
        {"attr": "tags", "op": "has_none", "value": "VIP"},
        contacts_where("tags IS NULL OR NOT list_contains(tags, 'VIP')"),
    ),
    ("is_set list", {"attr": "tags", "op": "is_set"}, contacts_where("len(tags) > 0")),
    (
        "is_not_set list",
        {"attr": "tags", "op": "is_not_set"},
        contacts_where("tags IS NULL OR len(tags) = 0"),
    ),
    # -- groups ---------------------------------------------------------------------
    ("empty all", {"all": []}, contacts_where("true")),
    (
        "any",
        {
            "any": [
                {"attr": "city", "op": "is", "value": "Pune"},
                {"attr": "lead_score", "op": "gt", "value": 90},
            ]
        },
        contacts_where("city = 'Pune' OR lead_score > 90"),
    ),
    (
        "not exact complement",
        {"not": {"attr": "total_spent", "op": "gt", "value": 100}},
        contacts_where("total_spent IS NULL OR total_spent <= 100"),
    ),
    (
        "not not",
        {"not": {"not": {"attr": "city", "op": "is_not", "value": "Pune"}}},
        contacts_where("city IS NULL OR city <> 'Pune'"),
    ),
    # -- events ------------------------------------------------------------------------
    ("performed", {"performed": "purchase"}, events_count("event = 'purchase'", "n >= 1")),
    (
        "performed within edge",
        {"performed": "purchase", "within": "90d"},
        events_count(f"event = 'purchase' AND ts >= {ASOF} - INTERVAL 90 DAY", "n >= 1"),
    ),
    (
        "not_performed within",
        {"not_performed": "purchase", "within": "90d"},
        events_count(
            f"event = 'purchase' AND ts >= {ASOF} - INTERVAL 90 DAY", "coalesce(n, 0) = 0"
        ),
    ),
    (
        "count lt includes zero",
        {"performed": "purchase", "count": {"op": "lt", "value": 2}},
        events_count("event = 'purchase'", "coalesce(n, 0) < 2"),
    ),
    (
        "count eq 0",
        {"performed": "purchase", "count": {"op": "eq", "value": 0}},
        events_count("event = 'purchase'", "coalesce(n, 0) = 0"),
    ),
    (
        "count gt 3",
        {"performed": "support_ticket", "count": {"op": "gt", "value": 3}},
        events_count("event = 'support_ticket'", "n > 3"),
    ),
    (
        "count between",
        {"performed": "purchase", "count": {"op": "between", "value": [2, 3]}},
        events_count("event = 'purchase'", "n BETWEEN 2 AND 3"),
    ),
    (
        "count neq",
        {"performed": "purchase", "count": {"op": "neq", "value": 1}},
        events_count("event = 'purchase'", "coalesce(n, 0) <> 1"),
    ),
    (
        "list of names",
        {
            "performed": ["login", "cart_abandoned"],
            "within": "14d",
            "count": {"op": "gte", "value": 2},
        },
        events_count(
            f"event IN ('login', 'cart_abandoned') AND ts >= {ASOF} - INTERVAL 14 DAY", "n >= 2"
        ),
    ),
    (
        "where prop",
        {"performed": "purchase", "where": {"prop": "amount", "op": "gt", "value": 100}},
        events_count("event = 'purchase' AND amount > 100", "n >= 1"),
    ),
    (
        "where not prop matches missing",
        {"performed": "purchase", "where": {"not": {"prop": "amount", "op": "gt", "value": 5}}},
        events_count("event = 'purchase' AND (amount IS NULL OR amount <= 5)", "n >= 1"),
    ),
    (
        "where text case-insensitive",
        {"performed": "purchase", "where": {"prop": "category", "op": "contains", "value": "SHOE"}},
        events_count("event = 'purchase' AND lower(category) LIKE '%shoe%'", "n >= 1"),
    ),
    (
        "where is_not_set prop",
        {"performed": "purchase", "where": {"prop": "category", "op": "is_not_set"}},
        events_count("event = 'purchase' AND (category IS NULL OR category = '')", "n >= 1"),
    ),
    (
        "sum",
        {
            "performed": "purchase",
            "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 250},
        },
        events_count("event = 'purchase'", "n >= 1 AND total > 250"),
    ),
    (
        "sum zero without events",
        {
            "performed": "purchase",
            "count": {"op": "gte", "value": 0},
            "aggregate": {"fn": "sum", "prop": "amount", "op": "lt", "value": 1},
        },
        events_count("event = 'purchase'", "coalesce(total, 0) < 1"),
    ),
    (
        "avg ignores missing",
        {
            "performed": "purchase",
            "aggregate": {"fn": "avg", "prop": "amount", "op": "gte", "value": 150},
        },
        events_count("event = 'purchase'", "mean >= 150"),
    ),
    (
        "min",
        {
            "performed": "purchase",
            "aggregate": {"fn": "min", "prop": "amount", "op": "lte", "value": 10},
        },
        events_count("event = 'purchase'", "lo <= 10"),
    ),
    (
        "max between",
        {
            "performed": "purchase",
            "aggregate": {"fn": "max", "prop": "amount", "op": "between", "value": [100, 300]},
        },
        events_count("event = 'purchase'", "hi BETWEEN 100 AND 300"),
    ),
    (
        "count_distinct",
        {
            "performed": "purchase",
            "aggregate": {"fn": "count_distinct", "prop": "amount", "op": "eq", "value": 2},
        },
        events_count("event = 'purchase'", "nd = 2"),
    ),
    (
        "not avg never matched",
        {
            "not": {
                "performed": "purchase",
                "count": {"op": "gte", "value": 0},
                "aggregate": {"fn": "avg", "prop": "amount", "op": "gt", "value": 5},
            }
        },
        events_count("event = 'purchase'", "mean IS NULL OR mean <= 5"),
    ),
    (
        "window between dates",
        {"performed": "purchase", "within": {"between": ["2026-03-01", "2026-03-02"]}},
        events_count(
            "event = 'purchase' AND ts >= TIMESTAMP '2026-03-01' AND ts < TIMESTAMP '2026-03-03'",
            "n >= 1",
        ),
    ),
    (
        "window before",
        {"performed": "purchase", "within": {"before": "2026-01-01"}},
        events_count("event = 'purchase' AND ts < TIMESTAMP '2026-01-01'", "n >= 1"),
    ),
    (
        "window after date",
        {"performed": "purchase", "within": {"after": "2026-03-29"}},
        events_count("event = 'purchase' AND ts >= TIMESTAMP '2026-03-30'", "n >= 1"),
    ),
    (
        "window after timestamp",
        {"performed": "cart_abandoned", "within": {"after": "2026-03-29T12:00:00Z"}},
        events_count("event = 'cart_abandoned' AND ts > TIMESTAMP '2026-03-29 12:00:00'", "n >= 1"),
    ),
    (
        "window last hours edge",
        {"performed": "cart_abandoned", "within": {"last": "48h"}},
        events_count(f"event = 'cart_abandoned' AND ts >= {ASOF} - INTERVAL 48 HOUR", "n >= 1"),
    ),
    (
        "window months",
        {"performed": "purchase", "within": "3mo"},
        events_count("event = 'purchase' AND ts >= TIMESTAMP '2025-12-31 12:00:00'", "n >= 1"),
    ),
    (
        "first_performed before",
        {"first_performed": "purchase", "before": "2026-01-01"},
        events_count("event = 'purchase'", "first_ts < TIMESTAMP '2026-01-01'"),
    ),
    (
        "last_performed within",
        {"last_performed": "login", "within": "14d"},
        events_count("event = 'login'", f"last_ts >= {ASOF} - INTERVAL 14 DAY"),
    ),
    (
        "last_performed after",
        {"last_performed": "purchase", "after": "2026-03-02"},
        events_count("event = 'purchase'", "last_ts >= TIMESTAMP '2026-03-03'"),
    ),
    (
        "not last_performed: never performed included",
        {"not": {"last_performed": "login", "within": "14d"}},
        events_count("event = 'login'", f"last_ts IS NULL OR last_ts < {ASOF} - INTERVAL 14 DAY"),
    ),
    (
        "first_performed where",
        {
            "first_performed": "purchase",
            "where": {"prop": "category", "op": "is", "value": "shoes"},
            "after": "2026-02-01",
        },
        events_count(
            "event = 'purchase' AND category = 'shoes'", "first_ts >= TIMESTAMP '2026-02-02'"
        ),
    ),
    # -- references ------------------------------------------------------------------
    ("static segment", {"in_segment": "uploaded"}, contacts_where("contact_id IN ('c2', 'c7')")),
    (
        "not static",
        {"not_in_segment": "uploaded"},
        contacts_where("contact_id NOT IN ('c2', 'c7')"),
    ),
    # -- combined -------------------------------------------------------------------------
    (
        "inactive loyal",
        {
            "all": [
                {"attr": "total_spent", "op": "gt", "value": 10000},
                {"not_performed": "purchase", "within": "90d"},
            ]
        },
        events_count(
            f"event = 'purchase' AND ts >= {ASOF} - INTERVAL 90 DAY",
            "c.total_spent > 10000 AND n IS NULL",
        ),
    ),
    (
        "at risk",
        {
            "all": [
                {"performed": "support_ticket", "count": {"op": "gt", "value": 3}},
                {"not_performed": "purchase", "within": "60d"},
            ]
        },
        "SELECT contact_id FROM contacts WHERE contact_id = 'c3' AND false",
    ),
    (
        "tagged or big spender",
        {
            "any": [
                {"attr": "tags", "op": "has", "value": "VIP"},
                {
                    "performed": "purchase",
                    "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 250},
                },
            ]
        },
        events_count("event = 'purchase'", "list_contains(c.tags, 'VIP') OR total > 250"),
    ),
    (
        "lapsed with a city",
        {
            "all": [
                {"attr": "city", "op": "is_set"},
                {"last_performed": "purchase", "before": "2026-03-02"},
            ]
        },
        events_count("event = 'purchase'", "c.city <> '' AND last_ts < TIMESTAMP '2026-03-02'"),
    ),
    (
        "first performed within, scored",
        {
            "all": [
                {"attr": "lead_score", "op": "gte", "value": 10},
                {"first_performed": "purchase", "within": "90d"},
            ]
        },
        events_count(
            "event = 'purchase'",
            f"c.lead_score >= 10 AND first_ts >= {ASOF} - INTERVAL 90 DAY",
        ),
    ),
]


# -- reference worlds as Arrow tables ----------------------------------------------------

EXAMPLES = int(
    os.environ.get("DUCKSEG_EXAMPLES", "3000" if os.environ.get("DUCKSEG_FUZZ") == "1" else "150")
)

ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "list of text": pa.list_(pa.string()),
}


def cell(value: Any, kind: str) -> Any:
    if kind == "timestamp" and isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return value
