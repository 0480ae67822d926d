"""Meta (Facebook / Instagram) Customer List Custom Audience upload file."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from duckseg.export.base import PlatformSpec, Row, RowCollector, Skip
from duckseg.export.normalize import (
    hash_field,
    meta_country,
    meta_ct,
    meta_dob,
    meta_email,
    meta_extern_id,
    meta_fn,
    meta_gen,
    meta_ln,
    meta_madid,
    meta_phone,
    meta_st,
    meta_zip,
    sha256_hex,
)

HEADERS = (
    "email", "phone", "fn", "ln", "ct", "st", "zip", "country",
    "doby", "dobm", "dobd", "gen", "madid", "extern_id",
)  # fmt: skip
PLAIN = frozenset({"madid", "extern_id"})  # every other column is SHA-256

# A contact is uploaded when it has one of these. Names count only as a pair.
# extern_id is written for every contact (it is the contact id) but does not
# count: on its own it matches only people whose events carried the same id.
IDENTIFIERS = ("email", "phone", "madid", "fn", "ln")


def meta_row(attributes: Mapping[str, object], prehashed: bool = False) -> Row | Skip:
    """One contact's Meta line: every field but madid and extern_id hashed."""
    get = attributes.get
    country = get("country")
    hashed = partial(hash_field, prehashed=prehashed)
    row = RowCollector(HEADERS)
    row.put("email", hashed(get("email"), meta_email))
    row.put("phone", hashed(get("phone"), partial(meta_phone, default_region=country)))
    row.put("fn", hashed(get("first_name"), meta_fn))
    row.put("ln", hashed(get("last_name"), meta_ln))
    row.put("ct", hashed(get("city"), meta_ct))
    row.put("st", hashed(get("state"), partial(meta_st, country=country)))
    row.put("zip", hashed(get("zip"), partial(meta_zip, country=country)))
    row.put("country", hashed(country, meta_country))
    dob = meta_dob(get("date_of_birth"))
    if isinstance(dob, tuple):
        for header, part in zip(("doby", "dobm", "dobd"), dob, strict=True):
            row.put(header, sha256_hex(part))
    else:
        row.put("doby", dob)
    row.put("gen", hashed(get("gender"), meta_gen))
    row.put("madid", meta_madid(get("mobile_ad_id")))
    row.put("extern_id", meta_extern_id(get("contact_id")))
    usable = row.has("email") or row.has("phone") or row.has("madid") or row.has("fn", "ln")
    return row.finish(usable, IDENTIFIERS)


META = PlatformSpec(
    name="meta",
    title="Meta Customer List",
    headers=HEADERS,
    hashed=frozenset(HEADERS) - PLAIN,
    # The Marketing API takes at most 10,000 rows per request; one file per request.
    max_rows=10_000,
    max_bytes=None,
    # Commonly documented minimum: about 100 matched people before the audience
    # can be used for delivery (and as a lookalike source).
    min_audience=100,
    build=meta_row,
    identifiers=frozenset({"email", "phone", "madid"}),
    contact_keys=frozenset({"extern_id"}),
)
