"""TikTok Customer File audience upload file."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from duckseg.export.base import PlatformSpec, Row, RowCollector, Skip
from duckseg.export.normalize import hash_field, tiktok_email, tiktok_maid, tiktok_phone

HEADERS = ("Email_SHA256", "Phone_SHA256", "MAID_SHA256")
IDENTIFIERS = HEADERS


def tiktok_row(attributes: Mapping[str, object], prehashed: bool = False) -> Row | Skip:
    """One contact's TikTok line: every value hashed."""
    get = attributes.get
    hashed = partial(hash_field, prehashed=prehashed)
    row = RowCollector(HEADERS)
    row.put("Email_SHA256", hashed(get("email"), tiktok_email))
    row.put(
        "Phone_SHA256",
        hashed(get("phone"), partial(tiktok_phone, default_region=get("country"))),
    )
    row.put("MAID_SHA256", hashed(get("mobile_ad_id"), tiktok_maid))
    return row.finish(any(row.has(h) for h in HEADERS), IDENTIFIERS)


TIKTOK = PlatformSpec(
    name="tiktok",
    title="TikTok Customer File",
    headers=HEADERS,
    hashed=frozenset(HEADERS),
    identifiers=frozenset(IDENTIFIERS),
    max_rows=None,  # no row limit, only a size limit
    max_bytes=1_000_000_000,  # "under 1 GB": 10^9 bytes is under it on either reading of GB
    min_audience=1_000,  # TikTok: at least 1,000 rows for the audience to be usable
    build=tiktok_row,
    # The MAID column is written only when a mobile_ad_id attribute is in the data.
    optional_headers={"MAID_SHA256": "mobile_ad_id"},
)
