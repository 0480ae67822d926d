"""LinkedIn Matched Audiences contact list upload file."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from duckseg.export.base import PlatformSpec, Row, RowCollector, Skip
from duckseg.export.normalize import hash_field, linkedin_country, linkedin_email, plain_text

HEADERS = ("email", "firstname", "lastname", "title", "employeecompany", "country")
HASHED = frozenset({"email"})  # names, title, company and country go as plain text

# An email, or first and last name together (title, company and country help
# LinkedIn match a name but are not enough on their own).
IDENTIFIERS = ("email", "firstname", "lastname")


def linkedin_row(attributes: Mapping[str, object], prehashed: bool = False) -> Row | Skip:
    """One contact's LinkedIn line. `title` and `company` are read when the
    caller supplies those roles; `[identity]` has no keys for them yet."""
    get = attributes.get
    row = RowCollector(HEADERS)
    row.put("email", partial(hash_field, prehashed=prehashed)(get("email"), linkedin_email))
    row.put("firstname", plain_text(get("first_name")))
    row.put("lastname", plain_text(get("last_name")))
    row.put("title", plain_text(get("title")))
    row.put("employeecompany", plain_text(get("company")))
    row.put("country", linkedin_country(get("country")))
    return row.finish(row.has("email") or row.has("firstname", "lastname"), IDENTIFIERS)


LINKEDIN = PlatformSpec(
    name="linkedin",
    title="LinkedIn Matched Audience",
    headers=HEADERS,
    hashed=HASHED,
    identifiers=frozenset({"email"}),
    max_rows=300_000,  # 300 to 300,000 rows per file
    max_bytes=20_000_000,  # "at most 20 MB": 20 * 10^6 bytes is within it on either reading
    min_audience=300,  # LinkedIn: at least 300 rows (and 300 matched members to run)
    build=linkedin_row,
)
