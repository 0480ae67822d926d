"""Per-platform normalisation of identity fields, and SHA-256 hashing.

Every function here is pure and takes one raw attribute value (any type a
Parquet column can hold) and returns one of three things:

- a `str`: the normalised value, ready to hash (or to write as plain text);
- `None`: the contact has no value for this field (NULL, empty, only spaces);
- `Dropped(reason)`: a value was there but cannot be used (an invalid phone
  number, an email without a domain, ...). The caller leaves the field empty
  and counts the reason; nothing is ever guessed.

The rules are those of docs/exports.md. Common to all of them:

- text is NFC-normalised first (and again last, so that removing characters
  can never leave decomposed text behind): an NFD "José" hashes like an NFC one;
- surrounding whitespace is stripped with Python's notion of whitespace
  (`str.strip()`: tabs, newlines, no-break spaces, ...) plus zero-width
  spaces and byte-order marks. Emails lose ALL whitespace, inside too.
  This module is the only implementation of these rules: exports and static
  segment matching both call it, and no SQL twin exists, so DuckDB's `trim()`
  (spaces only) can never disagree with it;
- phone numbers go through `phonenumbers`, with the contact's country as the
  default region; a number that does not parse or is not valid is dropped
  with reason `invalid_phone`;
- `sha256_hex` refuses an empty value, so an empty field is never hashed.

Pre-hashed sources: `hash_field(..., prehashed=True)` passes a value that
already looks like a SHA-256 digest (64 hex characters) through, lowercased,
without normalising it. Without that flag a 64-hex value is ordinary input:
it is normalised like any other value and hashed once (an email or phone
field rejects it, having no `@` or digits that parse). Guessing from the
shape alone would let a plain value that happens to be hex escape hashing, so
only the caller, who knows the source, can say so.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

import phonenumbers


class Reason(enum.StrEnum):
    """Why a contact was skipped, or why one of its values was left out."""

    NO_IDENTIFIER = "no_identifier"  # nothing the platform can match on
    OPTED_OUT = "opted_out"  # matched [consent] exclude_when (counted by the caller)
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    INVALID_NAME = "invalid_name"
    INVALID_CITY = "invalid_city"
    INVALID_STATE = "invalid_state"
    INVALID_ZIP = "invalid_zip"
    INVALID_COUNTRY = "invalid_country"
    INVALID_DATE_OF_BIRTH = "invalid_date_of_birth"
    UNSUPPORTED_GENDER = "unsupported_gender"
    INVALID_MOBILE_AD_ID = "invalid_mobile_ad_id"


@dataclass(frozen=True, slots=True)
class Dropped:
    """A value that was present but is unusable; the field is left empty."""

    reason: Reason


Normalized: TypeAlias = str | Dropped | None

# ---------------------------------------------------------------- text basics

_EDGE_CHARS = "\u200b\ufeff"  # zero-width space, byte-order mark: not str.isspace()
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def text(raw: object) -> str | None:
    r"""A raw attribute as NFC text without surrounding whitespace; None when blank.

    >>> text("  Jose\u0301 ") == "Jos\u00e9"  # NFD in, NFC out
    True
    >>> text(94103.0), text(None), text(" \t\u00a0\u200b")
    ('94103', None, None)
    """
    if raw is None:
        return None
    if isinstance(raw, float):
        if math.isnan(raw):
            return None
        value = str(int(raw)) if raw.is_integer() else repr(raw)
    elif isinstance(raw, Decimal):
        value = str(int(raw)) if raw == raw.to_integral_value() else str(raw)
    elif isinstance(raw, date):  # datetime included
        value = raw.isoformat()
    elif isinstance(raw, bytes):
        value = raw.decode("utf-8", errors="replace")
    else:
        value = str(raw)
    value = unicodedata.normalize("NFC", value).strip().strip(_EDGE_CHARS).strip()
    return value or None


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _no_whitespace(value: str) -> str:
    return "".join(value.split()).replace("\u200b", "").replace("\ufeff", "")


def _letters(value: str, *, digits: bool = False) -> str:
    """Only letters and combining marks (and digits if asked): no punctuation, no spaces."""
    keep = ("L", "M", "N") if digits else ("L", "M")
    return _nfc("".join(c for c in value if unicodedata.category(c)[0] in keep))


# ---------------------------------------------------------------------- hashing


def sha256_hex(value: str) -> str:
    """SHA-256 of the UTF-8 bytes, lowercase hex. An empty value is refused.

    >>> sha256_hex("jane.doe@example.com")[:16]
    '86e0b9e56c17cc4d'
    """
    if not value:
        raise ValueError("refusing to hash an empty value")
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def looks_hashed(value: str) -> bool:
    """True for exactly 64 hex characters (the shape of a SHA-256 digest)."""
    return _HEX64.fullmatch(value) is not None


def hash_field(
    raw: object, normalize: Callable[[object], Normalized], *, prehashed: bool = False
) -> Normalized:
    """Normalise then hash one field; see the module notes on `prehashed`."""
    if prehashed:
        given = text(raw)
        if given is not None and looks_hashed(given):
            return given.lower()
    value = normalize(raw)
    return sha256_hex(value) if isinstance(value, str) else value


# ------------------------------------------------------------------------ email


def _email(raw: object) -> tuple[str, str] | Dropped | None:
    """(local part, domain) of a lowercased email without whitespace."""
    value = text(raw)
    if value is None:
        return None
    value = _nfc(_no_whitespace(value).lower())
    local, at, domain = value.partition("@")
    labels = domain.split(".")
    if not (at and local) or "@" in domain or len(labels) < 2 or not all(labels):
        return Dropped(Reason.INVALID_EMAIL)
    return local, domain


def meta_email(raw: object) -> Normalized:
    """Meta `email`: trimmed, lowercase; no provider-specific rules."""
    parts = _email(raw)
    return parts if not isinstance(parts, tuple) else f"{parts[0]}@{parts[1]}"


def linkedin_email(raw: object) -> Normalized:
    """LinkedIn `email`: trimmed, lowercase."""
    return meta_email(raw)


_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def google_email(raw: object) -> Normalized:
    """Google `Email`: lowercase, no whitespace; gmail.com / googlemail.com lose
    every dot of the local part and any `+tag`; other domains keep both."""
    parts = _email(raw)
    if not isinstance(parts, tuple):
        return parts
    local, domain = parts
    if domain in _GMAIL_DOMAINS:
        local = local.partition("+")[0].replace(".", "")
        if not local:
            return Dropped(Reason.INVALID_EMAIL)
    return f"{local}@{domain}"


def tiktok_email(raw: object) -> Normalized:
    """TikTok `Email_SHA256`: lowercase, no whitespace, `+tag` dropped (dots kept)."""
    parts = _email(raw)
    if not isinstance(parts, tuple):
        return parts
    local = parts[0].partition("+")[0]
    return f"{local}@{parts[1]}" if local else Dropped(Reason.INVALID_EMAIL)


# ------------------------------------------------------------------------ phone


def _phone_e164(raw: object, default_region: object) -> Normalized:
    value = text(raw)
    if value is None:
        return None
    region = country_code(default_region)
    try:
        number = phonenumbers.parse(value, region if isinstance(region, str) else None)
    except phonenumbers.NumberParseException:
        return Dropped(Reason.INVALID_PHONE)
    if not phonenumbers.is_valid_number(number):
        return Dropped(Reason.INVALID_PHONE)
    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164


def google_phone(raw: object, default_region: object = None) -> Normalized:
    """Google `Phone`: E.164 with the `+` (`+16505551234`)."""
    return _phone_e164(raw, default_region)


def meta_phone(raw: object, default_region: object = None) -> Normalized:
    """Meta `phone`: digits only with the country code, no `+` (`16505551234`)."""
    value = _phone_e164(raw, default_region)
    return value.removeprefix("+") if isinstance(value, str) else value


def tiktok_phone(raw: object, default_region: object = None) -> Normalized:
    """TikTok `Phone_SHA256`: digits only with the country code, no `+`."""
    return meta_phone(raw, default_region)


# ---------------------------------------------------------------------- country

# ISO 3166-1 alpha-2: the regions phonenumbers knows (less AC and TA, which are
# not ISO codes), plus the uninhabited territories it has no numbering plan for.
# XK (Kosovo) is kept: it is user-assigned but what every platform accepts.
_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS - {"AC", "TA"}) | {
    "AQ", "BV", "GS", "HM", "PN", "TF", "UM",
}  # fmt: skip
_COUNTRY_ALIASES = {"UK": "GB"}  # exceptionally reserved by ISO for the United Kingdom


def country_code(raw: object) -> Normalized:
    """ISO 3166-1 alpha-2, uppercase (`" us "` -> `US`, `U.K.` -> `GB`)."""
    value = text(raw)
    return None if value is None else _country_of(value)


@functools.lru_cache(maxsize=1024)  # a few hundred distinct values, read once per field
def _country_of(value: str) -> str | Dropped:
    code = _no_whitespace(value).replace(".", "").upper()
    code = _COUNTRY_ALIASES.get(code, code)
    return code if code in _COUNTRIES else Dropped(Reason.INVALID_COUNTRY)


def meta_country(raw: object) -> Normalized:
    """Meta `country`: alpha-2, lowercase (`us`)."""
    code = country_code(raw)
    return code.lower() if isinstance(code, str) else code


def google_country(raw: object) -> Normalized:
    """Google `Country` (plain text): alpha-2, uppercase."""
    return country_code(raw)


def linkedin_country(raw: object) -> Normalized:
    """LinkedIn `country` (plain text): alpha-2, uppercase."""
    return country_code(raw)


def _is_us(country: object) -> bool | None:
    """True / False when the country is known, None when missing or invalid."""
    code = country_code(country)
    return code == "US" if isinstance(code, str) else None


# ------------------------------------------------------------------------ names


def meta_name(raw: object) -> Normalized:
    """Meta `fn` / `ln`: lowercase, punctuation and spaces removed, letters of
    any script kept (`Mary-Jane` -> `maryjane`, `O'Brien` -> `obrien`)."""
    value = text(raw)
    if value is None:
        return None
    return _letters(value.lower()) or Dropped(Reason.INVALID_NAME)


meta_fn = meta_name
meta_ln = meta_name

_NAME_PREFIXES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof"})
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "md", "phd", "esq"})


def google_name(raw: object) -> Normalized:
    """Google `First Name` / `Last Name`: lowercase, trimmed, a leading title
    (Mr., Mrs., Ms., Dr., ...) and trailing suffixes (Jr., Sr., II, III, ...)
    removed, punctuation removed; inner words keep one space between them.
    A title is only removed when something else remains (`Dr` alone stays)."""
    value = text(raw)
    if value is None:
        return None
    words = [w for w in (_letters(w, digits=True) for w in value.lower().split()) if w]
    while len(words) > 1 and words[0] in _NAME_PREFIXES:
        words.pop(0)
    while len(words) > 1 and words[-1] in _NAME_SUFFIXES:
        words.pop()
    return " ".join(words) or Dropped(Reason.INVALID_NAME)


def plain_text(raw: object) -> Normalized:
    """A plain-text field (LinkedIn names, title, company): trimmed, inner
    whitespace runs collapsed to one space, case kept."""
    value = text(raw)
    return None if value is None else " ".join(value.split())


# ------------------------------------------------------------- city / state / zip


# Latin letters that have no decomposition into a-z plus an accent.
_LATIN_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def meta_ct(raw: object) -> Normalized:
    """Meta `ct`: lowercase a-z only (`San Francisco` -> `sanfrancisco`).
    Latin letters lose their accents (`São Paulo` -> `saopaulo`, `ß` -> `ss`);
    a city with no Latin letters at all is dropped."""
    value = text(raw)
    if value is None:
        return None
    latin = unicodedata.normalize("NFKD", value.lower().translate(_LATIN_LETTERS))
    return "".join(c for c in latin if "a" <= c <= "z") or Dropped(Reason.INVALID_CITY)


_US_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga",
    "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia",
    "kansas": "ks", "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
    "massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms",
    "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv", "newhampshire": "nh",
    "newjersey": "nj", "newmexico": "nm", "newyork": "ny", "northcarolina": "nc",
    "northdakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa",
    "rhodeisland": "ri", "southcarolina": "sc", "southdakota": "sd", "tennessee": "tn",
    "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa",
    "westvirginia": "wv", "wisconsin": "wi", "wyoming": "wy", "districtofcolumbia": "dc",
    "washingtondc": "dc", "puertorico": "pr", "guam": "gu", "usvirginislands": "vi",
    "virginislands": "vi", "americansamoa": "as", "northernmarianaislands": "mp",
}  # fmt: skip
_US_STATE_CODES = frozenset(_US_STATES.values()) | {"aa", "ae", "ap"}  # + military mail


def meta_st(raw: object, country: object = None) -> Normalized:
    """Meta `st`: in the US (or when the country is missing and the value is a
    US state), the 2-letter code lowercase (`California` -> `ca`); elsewhere
    lowercase without punctuation or spaces. An unknown US state is dropped."""
    value = text(raw)
    if value is None:
        return None
    key = _letters(value.lower(), digits=True)
    if not key:
        return Dropped(Reason.INVALID_STATE)
    us = _is_us(country)
    if us is False:
        return key
    if key in _US_STATE_CODES:
        return key
    if key in _US_STATES:
        return _US_STATES[key]
    return Dropped(Reason.INVALID_STATE) if us else key


_US_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")


def _zip(raw: object, country: object) -> Normalized:
    """US: the 5-digit ZIP; elsewhere: uppercase, whitespace runs collapsed."""
    value = text(raw)
    if value is None:
        return None
    compact = _no_whitespace(value)
    us = _is_us(country)
    if us is None and _US_ZIP.fullmatch(compact):
        us = True
    if not us:
        return " ".join(value.split()).upper()
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 10**9:
        # An integer column lost the leading zeros (02134 -> 2134): put them back.
        compact = compact.zfill(5) if raw < 10**5 else compact.zfill(9)
    match = _US_ZIP.fullmatch(compact)
    return match.group(1) if match else Dropped(Reason.INVALID_ZIP)


def meta_zip(raw: object, country: object = None) -> Normalized:
    """Meta `zip`: lowercase, no spaces; US: first 5 digits (`94103-1234` -> `94103`)."""
    value = _zip(raw, country)
    return _no_whitespace(value).lower() if isinstance(value, str) else value


def google_zip(raw: object, country: object = None) -> Normalized:
    """Google `Zip` (plain text): US: 5 digits; elsewhere as written, uppercase
    (`sw1a  1aa` -> `SW1A 1AA`)."""
    return _zip(raw, country)


# ---------------------------------------------------- gender, birth date, device


def meta_gen(raw: object) -> Normalized:
    """Meta `gen`: `m` or `f`; any other value is dropped."""
    value = text(raw)
    if value is None:
        return None
    gender = {"m": "m", "male": "m", "f": "f", "female": "f"}.get(value.lower())
    return gender or Dropped(Reason.UNSUPPORTED_GENDER)


def meta_dob(raw: object) -> tuple[str, str, str] | Dropped | None:
    """Meta `doby` / `dobm` / `dobd` from a date, a timestamp or ISO text
    (`1990-05-17` or `1990-05-17T...`): `("1990", "05", "17")`."""
    if isinstance(raw, datetime):
        day: date = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        value = text(raw)
        if value is None:
            return None
        if len(value) < 10 or (len(value) > 10 and value[10] not in "T "):
            return Dropped(Reason.INVALID_DATE_OF_BIRTH)
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return Dropped(Reason.INVALID_DATE_OF_BIRTH)
    return f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}"


_MAID = re.compile(r"([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})")


def meta_madid(raw: object) -> Normalized:
    """Meta `madid` (IDFA / GAID, not hashed): lowercase UUID with hyphens.
    The all-zero ID (tracking switched off) and anything not a UUID are dropped."""
    value = text(raw)
    if value is None:
        return None
    match = _MAID.fullmatch(value.lower())
    if not match or set(match.group(0)) <= {"0", "-"}:
        return Dropped(Reason.INVALID_MOBILE_AD_ID)
    return "-".join(match.groups())


def tiktok_maid(raw: object) -> Normalized:
    """TikTok `MAID_SHA256` before hashing: lowercase UUID with hyphens."""
    return meta_madid(raw)


def meta_extern_id(raw: object) -> Normalized:
    """Meta `extern_id` (not hashed): the contact id as text."""
    return text(raw)
