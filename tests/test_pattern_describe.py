"""Sequences, lifecycle conditions and first/last windows in plain English: the words that
previews, reports, manifests and SQL comments show."""

from __future__ import annotations

from typing import Any

import pytest

from duckseg import Segment
from duckseg.compiler import compile_build, to_sql
from duckseg.lang.describe import describe
from duckseg.lang.outline import describe_definition
from duckseg.lang.resolve import Resolver
from duckseg.lang.time import TimeContext
from tests.lakefixture import AS_OF
from tests.test_definitions import CATALOG

SEQ = [{"performed": "login"}, {"performed": "purchase", "then_within": "1h"}]


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ({"sequence": SEQ}, "performed login, then purchase within 1 hour"),
        (
            {
                "sequence": [
                    {"performed": "login", "where": {"prop": "category", "op": "is", "value": "a"}},
                    {"performed": ["purchase", "login"]},
                ],
                "within": "30d",
            },
            'performed login (where category is "a"), then purchase or login, '
            "all in the last 30 days",
        ),
        (
            {"performed_regularly": "purchase", "every": "1mo", "periods": 3},
            "performed purchase in each of the last 3 months",
        ),
        (
            {"performed_regularly": "purchase", "every": "2w", "periods": 4, "min_periods": 2},
            "performed purchase in at least 2 of the last 4 periods of 2 weeks",
        ),
        (
            {"performed_regularly": "purchase", "every": "1w", "periods": 1, "times": 3},
            "performed purchase at least 3 times in the last 1 week",
        ),
        (
            {"stopped_performing": "purchase", "recent": "30d", "prior": "60d"},
            "stopped performing purchase: performed it in the 60 days before the last 30 days, "
            "not since",
        ),
        (
            {"restarted_performing": "login", "recent": "7d", "gap": "1mo"},
            "restarted performing login: performed it in the last 7 days, not in the 1 month "
            "before that, and before then",
        ),
        (
            {"last_performed": "purchase", "within": {"between": ["2025-10-10", "2025-11-15"]}},
            "last performed purchase between 2025-10-10 and 2025-11-15",
        ),
        (
            {"first_performed": "purchase", "within": {"last": "1mo"}},
            "first performed purchase within the last 1 month",
        ),
        (
            {"not": {"sequence": SEQ}},
            "not (performed login, then purchase within 1 hour)",
        ),
    ],
)
def test_words(where: Any, words: str) -> None:
    segment = Segment.from_dict({"name": "t", "where": where})
    tree = Resolver(CATALOG, "UTC", lambda _: None).resolve(segment).tree
    assert tree is not None
    assert describe(tree) == words
    # Without a lake (a notebook outline), the same words.
    assert describe_definition(segment) == words


def test_sql_comments_say_what_each_part_does() -> None:
    where = {
        "all": [
            {"sequence": SEQ},
            {"stopped_performing": "purchase", "recent": "30d", "prior": "60d"},
        ]
    }
    tree = (
        Resolver(CATALOG, "UTC", lambda _: None)
        .resolve(Segment.from_dict({"name": "t", "where": where}))
        .tree
    )
    assert tree is not None
    build = compile_build({"t": tree}, TimeContext.create(AS_OF, "UTC"))
    sql = to_sql(build.standalone("t"))
    assert "/* contacts who: performed login, then purchase within 1 hour */" in sql
    assert "contacts who: performed purchase in the 60 days before the last 30 days" in sql
