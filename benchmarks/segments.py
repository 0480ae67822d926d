"""The benchmark's segment definitions: 11 seed use cases and 39 parameter variants.

Every definition is a plain dict in the definition language (SPEC 6), written
to the workspace as `segments/<name>.yaml`. The seed segments also have a
hand-written DuckDB query (benchmarks/queries/<name>.sql), a polars and a
pandas version, and every approach must return the same members.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

Definition = dict[str, Any]

GULF = ["AE", "SA", "OM", "QA", "KW"]
RESPONSES = ["email_open", "email_click", "whatsapp_read", "message_reply"]
OUTREACH = ["email_sent", "whatsapp_sent"]


def _new_signups(window: str) -> Definition:
    return {"attr": "signup_at", "op": "within_last", "value": window}


def _abandoned_cart(window: str) -> Definition:
    return {
        "all": [
            {"performed": "add_to_cart", "within": window},
            {"not_performed": "purchase", "within": window},
        ]
    }


def _festival(cities: list[str], start: str, end: str) -> Definition:
    return {
        "all": [
            {"attr": "city", "op": "is", "value": cities},
            {
                "performed": ["product_view", "add_to_cart", "purchase"],
                "where": {"prop": "category", "op": "is", "value": "festive"},
                "within": {"between": [start, end]},
            },
        ]
    }


def _high_intent(score: int, views: int, window: str = "30d") -> Definition:
    return {
        "all": [
            {"attr": "lead_score", "op": "gte", "value": score},
            {
                "performed": "pricing_page_view",
                "within": window,
                "count": {"op": "gte", "value": views},
            },
            {"not_performed": "purchase", "within": "30d"},
        ]
    }


def _non_responsive(window: str) -> Definition:
    return {
        "all": [
            {"performed": OUTREACH, "within": window, "count": {"op": "gte", "value": 2}},
            {"not_performed": RESPONSES, "within": window},
        ]
    }


def _inactive_loyal(spent: int, window: str) -> Definition:
    return {
        "all": [
            {"attr": "total_spent", "op": "gt", "value": spent},
            {"not_performed": "purchase", "within": window},
        ]
    }


def _vip(orders: int, amount: int) -> Definition:
    return {
        "any": [
            {"attr": "tags", "op": "has", "value": "VIP"},
            {
                "performed": "purchase",
                "within": "365d",
                "count": {"op": "gte", "value": orders},
                "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": amount},
            },
        ]
    }


def _at_risk(quiet: str) -> Definition:
    return {
        "all": [
            {"performed": "purchase", "count": {"op": "gte", "value": 3}},
            {"last_performed": "session_start", "before": f"now-{quiet}"},
            {"not": {"attr": "opted_out", "op": "is_true"}},
        ]
    }


def _tier_in(tier: str, country: str) -> Definition:
    return {
        "all": [
            {"attr": "tier", "op": "is", "value": tier},
            {"attr": "country", "op": "is", "value": country},
        ]
    }


def _whatsapp(*extra: Definition) -> Definition:
    return {
        "all": [
            {"attr": "whatsapp_opt_in", "op": "is_true"},
            {"attr": "phone", "op": "is_set"},
            *extra,
        ]
    }


def _in_vip(*extra: Definition) -> Definition:
    return {"all": [{"in_segment": "vip"}, *extra]}


SEED: dict[str, Definition] = {
    "new_signups_7d": _new_signups("7d"),
    "abandoned_cart_48h": _abandoned_cart("48h"),
    "regional_festival": _festival(["Mumbai", "Pune", "Nagpur"], "2025-08-20", "2025-09-10"),
    "high_intent_leads": _high_intent(60, 1),
    "non_responsive_15d": _non_responsive("15d"),
    "inactive_loyal": _inactive_loyal(10000, "90d"),
    "vip": _vip(5, 5000),
    "at_risk": _at_risk("30d"),
    "gold_in_oman": _tier_in("Gold", "OM"),
    "whatsapp_opted_in": _whatsapp(),
    "vip_arabic": _in_vip({"attr": "language", "op": "is", "value": "ar"}),
}

DESCRIPTIONS: dict[str, str] = {
    "new_signups_7d": "Signed up in the last 7 days",
    "abandoned_cart_48h": "Added to cart in the last 48 hours and did not buy",
    "regional_festival": "Mumbai, Pune, Nagpur: festive shoppers around Ganesh Chaturthi 2025",
    "high_intent_leads": "Lead score 60+, viewed pricing in 30 days, no purchase in 30 days",
    "non_responsive_15d": "Messaged twice or more in 15 days, no open, click, read or reply",
    "inactive_loyal": "Spent over 10k, nothing bought for 90 days",
    "vip": "Tagged VIP, or 5+ purchases worth over 5,000 in a year",
    "at_risk": "3+ purchases ever, no session for 30 days, not opted out",
    "gold_in_oman": "Gold tier in Oman",
    "whatsapp_opted_in": "Opted in to WhatsApp with a phone number",
    "vip_arabic": "VIP Arabic speakers",
}

VARIANTS: dict[str, Definition] = {
    "new_signups_1d": _new_signups("1d"),
    "new_signups_3d": _new_signups("3d"),
    "new_signups_14d": _new_signups("14d"),
    "new_signups_30d": _new_signups("30d"),
    "abandoned_cart_24h": _abandoned_cart("24h"),
    "abandoned_cart_72h": _abandoned_cart("72h"),
    "abandoned_cart_7d": _abandoned_cart("7d"),
    "diwali_2025_delhi": _festival(["Delhi"], "2025-10-10", "2025-10-30"),
    "diwali_2024_maharashtra": _festival(["Mumbai", "Pune", "Nagpur"], "2024-10-20", "2024-11-08"),
    "ramadan_2026_gulf": {
        "all": [
            {"attr": "country", "op": "is", "value": GULF},
            {
                "performed": "purchase",
                "within": {"between": ["2026-02-18", "2026-03-19"]},
                "count": {"op": "gte", "value": 2},
            },
        ]
    },
    "high_intent_leads_40": _high_intent(40, 1),
    "high_intent_leads_14d": _high_intent(60, 1, "14d"),
    "high_intent_leads_2_views": _high_intent(40, 2),
    "non_responsive_7d": _non_responsive("7d"),
    "non_responsive_30d": _non_responsive("30d"),
    "inactive_loyal_5k": _inactive_loyal(5000, "90d"),
    "inactive_loyal_20k_180d": _inactive_loyal(20000, "180d"),
    "inactive_loyal_60d": _inactive_loyal(10000, "60d"),
    "vip_10_orders": _vip(10, 10000),
    "vip_big_spend": _vip(3, 20000),
    "at_risk_60d": _at_risk("60d"),
    "at_risk_90d": _at_risk("90d"),
    "gold_in_uae": _tier_in("Gold", "AE"),
    "platinum_in_saudi": _tier_in("Platinum", "SA"),
    "silver_in_oman": _tier_in("Silver", "OM"),
    "gold_in_india": _tier_in("Gold", "IN"),
    "whatsapp_india": _whatsapp({"attr": "country", "op": "is", "value": "IN"}),
    "whatsapp_arabic": _whatsapp({"attr": "language", "op": "is", "value": "ar"}),
    "vip_hindi": _in_vip({"attr": "language", "op": "is", "value": "hi"}),
    "vip_in_oman": _in_vip({"attr": "country", "op": "is", "value": "OM"}),
    "repeat_buyers_90d": {
        "performed": "purchase",
        "within": "90d",
        "count": {"op": "gte", "value": 3},
    },
    "big_spenders_30d": {
        "performed": "purchase",
        "within": "30d",
        "aggregate": {"fn": "sum", "prop": "amount", "op": "gt", "value": 2000},
    },
    "high_basket_180d": {
        "performed": "purchase",
        "within": "180d",
        "aggregate": {"fn": "avg", "prop": "amount", "op": "gte", "value": 1000},
    },
    "first_purchase_30d": {"first_performed": "purchase", "within": "30d"},
    "app_users_no_purchase": {
        "all": [
            {"performed": "app_install"},
            {"not_performed": "purchase", "within": "180d"},
        ]
    },
    "recent_refunders": {"performed": "refund", "within": "180d"},
    "demo_requested_30d": {
        "all": [
            {"performed": "demo_request", "within": "30d"},
            {"not": {"attr": "opted_out", "op": "is_true"}},
        ]
    },
    "multi_category_shoppers": {
        "performed": ["product_view", "add_to_cart", "purchase"],
        "within": "180d",
        "aggregate": {"fn": "count_distinct", "prop": "category", "op": "gte", "value": 4},
    },
    "dormant_90d": {
        "all": [
            {"not_performed": ["session_start", "page_view"], "within": "90d"},
            {"attr": "signup_at", "op": "before", "value": "now-180d"},
        ]
    },
}

assert len(SEED) + len(VARIANTS) == 50, "the build --all benchmark uses 50 definitions"


def all_definitions() -> dict[str, Definition]:
    return {**SEED, **VARIANTS}


def write_segments(folder: Path, definitions: Mapping[str, Definition]) -> None:
    """Write each definition as `<folder>/<name>.yaml`, replacing what is there."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for name, where in definitions.items():
        doc: dict[str, Any] = {}
        if name in DESCRIPTIONS:
            doc["description"] = DESCRIPTIONS[name]
        doc["owner"] = "benchmarks"
        doc["where"] = where
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
