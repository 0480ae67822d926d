"""Google Ads Customer Match upload file."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from duckseg.export.base import PlatformSpec, Row, RowCollector, Skip
from duckseg.export.normalize import (
    google_country,
    google_email,
    google_name,
    google_phone,
    google_zip,
    hash_field,
)

HEADERS = ("Email", "Phone", "First Name", "Last Name", "Country", "Zip")
PLAIN = frozenset({"Country", "Zip"})

# Email or phone on its own; the mailing address only as the full set of four
# (Customer Match matches an address on first name + last name + country + zip).
IDENTIFIERS = HEADERS


def google_row(attributes: Mapping[str, object], prehashed: bool = False) -> Row | Skip:
    """One contact's Customer Match line: email, phone and names hashed."""
    get = attributes.get
    country = get("country")
    hashed = partial(hash_field, prehashed=prehashed)
    row = RowCollector(HEADERS)
    row.put("Email", hashed(get("email"), google_email))
    row.put("Phone", hashed(get("phone"), partial(google_phone, default_region=country)))
    row.put("First Name", hashed(get("first_name"), google_name))
    row.put("Last Name", hashed(get("last_name"), google_name))
    row.put("Country", google_country(country))
    row.put("Zip", google_zip(get("zip"), country))
    usable = row.has("Email") or row.has("Phone") or row.has(*HEADERS[2:])
    return row.finish(usable, IDENTIFIERS)


GOOGLE = PlatformSpec(
    name="google",
    title="Google Customer Match",
    headers=HEADERS,
    hashed=frozenset(HEADERS) - PLAIN,
    identifiers=frozenset({"Email", "Phone"}),
    # The API takes at most 100,000 identifiers per request; one file per request.
    max_rows=100_000,
    max_bytes=None,
    # Commonly documented minimum: 1,000 active matched members to serve on
    # Search, YouTube and Gmail (Display needs 100; the stricter number is used).
    min_audience=1_000,
    build=google_row,
)
