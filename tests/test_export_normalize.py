"""Normalisation and hashing of identity fields (EXPORT-RULES.md)."""

from __future__ import annotations

import doctest
import hashlib
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest

from duckseg.export import normalize as n
from duckseg.export.base import Row, Skip
from duckseg.export.google import google_row
from duckseg.export.linkedin import linkedin_row
from duckseg.export.meta import meta_row
from duckseg.export.normalize import Dropped, Reason
from duckseg.export.tiktok import tiktok_row

INVALID_PHONE = Dropped(Reason.INVALID_PHONE)
INVALID_EMAIL = Dropped(Reason.INVALID_EMAIL)
LOWER_HEX64 = re.compile(r"[0-9a-f]{64}")

# The vector table of EXPORT-RULES.md, row for row: (normaliser, input, region,
# normalised, sha256).
VECTORS = [
    pytest.param(
        n.meta_email,
        "  John.Doe+Promo@GMail.com ",
        None,
        "john.doe+promo@gmail.com",
        "80f9126efd0446cb338c54ea6fe3d4af8fa3fe93db0024b14150441550e632a2",
        id="meta-email",
    ),
    pytest.param(
        n.meta_phone,
        "(650) 555-1234",
        "US",
        "16505551234",
        "6069d14bf122fdfd931dc7beb58e5dfbba395b1faf05bdcd42d12358d63d8599",
        id="meta-phone",
    ),
    pytest.param(
        n.meta_fn,
        "  Mary-Jane ",
        None,
        "maryjane",
        "f08f448a5e7a9dc3619bb7c129f6a7d5fc6af002cea17ad71dfdc1c68f4d4e0e",
        id="meta-fn",
    ),
    pytest.param(
        n.meta_zip,
        "94103-1234",
        None,
        "94103",
        "91dc2519ea98c5002cf2091e6a12b772eafdce9dca618e626d7d3b8275361789",
        id="meta-zip",
    ),
    pytest.param(
        n.google_email,
        "  John.Doe+Promo@GMail.com ",
        None,
        "johndoe@gmail.com",
        "06a240d11cc201676da976f7b49341181fd180da37cbe40a77432c0a366c80c3",
        id="google-email",
    ),
    pytest.param(
        n.google_phone,
        "(650) 555-1234",
        "US",
        "+16505551234",
        "a2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0",
        id="google-phone",
    ),
    pytest.param(
        n.google_name,
        "  Mrs. Alex ",
        None,
        "alex",
        "4135aa9dc1b842a653dea846903ddb95bfb8c5a10c504a7fa16e10bc31d1fdf0",
        id="google-first-name",
    ),
    pytest.param(
        n.tiktok_email,
        "  John.Doe+Promo@GMail.com ",
        None,
        "john.doe@gmail.com",
        "375320dd9ae7ed408002f3768e16cb5f28c861062fd50dff9a3bff62e9dce4ef",
        id="tiktok-email",
    ),
    pytest.param(
        n.tiktok_phone,
        "(657)777-0000",
        "US",
        "16577770000",
        "8d7bdaaf75196f351d22942fc0dd79304ffabc3eaf3339460ef9da0773e3aec2",
        id="tiktok-phone",
    ),
    pytest.param(
        n.linkedin_email,
        "Jane.Doe@Example.com",
        None,
        "jane.doe@example.com",
        "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d",
        id="linkedin-email",
    ),
]

JANE_SHA = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"


def _written(outcome: Row | Skip) -> Row:
    assert isinstance(outcome, Row), outcome
    return outcome


def _normalizer(
    fn: Callable[..., n.Normalized], region: str | None
) -> Callable[[object], n.Normalized]:
    return (lambda raw: fn(raw, region)) if region else fn


@pytest.mark.parametrize(("fn", "raw", "region", "normalized", "digest"), VECTORS)
def test_vector_normalised_value_and_hash(
    fn: Callable[..., n.Normalized], raw: str, region: str | None, normalized: str, digest: str
) -> None:
    assert _normalizer(fn, region)(raw) == normalized
    assert n.sha256_hex(normalized) == digest
    assert n.hash_field(raw, _normalizer(fn, region)) == digest


@pytest.mark.parametrize(
    ("build", "attributes", "header", "digest"),
    [
        (meta_row, {"email": "  John.Doe+Promo@GMail.com "}, "email", VECTORS[0].values[4]),
        (meta_row, {"phone": "(650) 555-1234", "country": "US"}, "phone", VECTORS[1].values[4]),
        (meta_row, {"email": "x@y.com", "zip": "94103-1234"}, "zip", VECTORS[3].values[4]),
        (google_row, {"email": "  John.Doe+Promo@GMail.com "}, "Email", VECTORS[4].values[4]),
        (google_row, {"phone": "(650) 555-1234", "country": "us"}, "Phone", VECTORS[5].values[4]),
        (
            google_row,
            {"email": "x@y.com", "first_name": "  Mrs. Alex "},
            "First Name",
            VECTORS[6].values[4],
        ),
        (
            tiktok_row,
            {"email": "  John.Doe+Promo@GMail.com "},
            "Email_SHA256",
            VECTORS[7].values[4],
        ),
        (
            tiktok_row,
            {"phone": "(657)777-0000", "country": "US"},
            "Phone_SHA256",
            VECTORS[8].values[4],
        ),
        (linkedin_row, {"email": "Jane.Doe@Example.com"}, "email", JANE_SHA),
    ],
)
def test_vectors_reach_the_platform_rows(
    build: Callable[..., Row | Skip], attributes: dict[str, object], header: str, digest: str
) -> None:
    assert _written(build(attributes)).values[header] == digest


# ---------------------------------------------------------------- must not be produced


def test_meta_phone_is_not_hashed_with_plus() -> None:
    row = _written(meta_row({"phone": "(650) 555-1234", "country": "US"}))
    assert row.values["phone"] == VECTORS[1].values[4]
    assert row.values["phone"] != n.sha256_hex("+16505551234")
    assert n.meta_phone("+1 650 555 1234") == "16505551234"


def test_a_hash_is_never_hashed_again() -> None:
    twice = n.sha256_hex(JANE_SHA)
    # Pre-hashed source: the digest passes through as it is.
    assert n.hash_field(JANE_SHA, n.linkedin_email, prehashed=True) == JANE_SHA
    assert _written(linkedin_row({"email": JANE_SHA}, prehashed=True)).values["email"] == JANE_SHA
    # Not pre-hashed: a digest is not an email, so it is dropped, not hashed.
    assert n.hash_field(JANE_SHA, n.linkedin_email) == INVALID_EMAIL
    assert twice not in {n.hash_field(JANE_SHA, fn) for fn in (n.meta_email, n.google_email)}
    assert n.hash_field(JANE_SHA, n.tiktok_phone) == INVALID_PHONE


def test_prehashed_uppercase_digest_is_lowercased_and_plain_values_still_hashed() -> None:
    assert n.hash_field(JANE_SHA.upper(), n.meta_email, prehashed=True) == JANE_SHA
    # A plain value in a pre-hashed source is normalised and hashed as usual.
    assert n.hash_field("Jane.Doe@Example.com", n.meta_email, prehashed=True) == JANE_SHA


def test_hashes_are_lowercase_hex() -> None:
    digest = n.sha256_hex("jane.doe@example.com")
    assert LOWER_HEX64.fullmatch(digest)
    assert digest != hashlib.sha256(b"jane.doe@example.com").hexdigest().upper()
    row = _written(
        meta_row(
            {
                "email": "A@B.COM",
                "phone": "6505551234",
                "first_name": "ANN",
                "last_name": "LEE",
                "city": "NYC",
                "state": "NY",
                "zip": "10001",
                "country": "US",
                "date_of_birth": "1980-01-02",
                "gender": "F",
            }
        )
    )
    hashed = [v for h, v in row.values.items() if h not in ("madid", "extern_id")]
    assert all(LOWER_HEX64.fullmatch(v) for v in hashed)


@pytest.mark.parametrize("space", [" ", "\t", "\n", "\u00a0", "\u2003", "\u200b", "\ufeff"])
def test_no_hash_of_a_value_with_surrounding_whitespace(space: str) -> None:
    raw = f"{space}Jane.Doe@Example.com{space}"
    assert n.hash_field(raw, n.linkedin_email) == JANE_SHA
    assert n.hash_field(raw, n.linkedin_email) != n.sha256_hex("jane.doe@example.com" + space)
    assert n.meta_fn(f"{space}Ann{space}") == "ann"
    assert n.google_name(f"{space}Ann{space}") == "ann"


def test_emails_lose_all_whitespace_inside_too() -> None:
    assert n.meta_email("jane. doe @ example.com") == "jane.doe@example.com"
    assert n.google_email("user.name +NYC@Example.com") == "user.name+nyc@example.com"


@pytest.mark.parametrize(
    ("fn", "raw"),
    [
        (n.meta_fn, "José"),
        (n.google_name, "José"),
        (n.meta_email, "josé@example.com"),
        (n.google_email, "josé@example.com"),
        (n.meta_st, "Île-de-France"),
        (lambda raw: n.plain_text(raw), "Zoë"),
    ],
)
def test_nfd_text_hashes_like_nfc(fn: Callable[[object], n.Normalized], raw: str) -> None:
    nfc = unicodedata.normalize("NFC", raw)
    nfd = unicodedata.normalize("NFD", raw)
    assert nfc != nfd
    value = fn(nfd)
    assert isinstance(value, str)
    assert value == fn(nfc)
    assert unicodedata.is_normalized("NFC", value)
    assert n.hash_field(nfd, fn) == n.hash_field(nfc, fn)


def test_nfc_is_kept_when_punctuation_between_letter_and_accent_is_removed() -> None:
    value = n.meta_fn("e-\u0301")  # removing "-" leaves e + combining acute
    assert value == "\u00e9"


def test_empty_values_are_never_hashed() -> None:
    with pytest.raises(ValueError, match="empty"):
        n.sha256_hex("")
    for blank in (None, "", "   ", "\t\n", "\u00a0", float("nan")):
        assert n.hash_field(blank, n.meta_email) is None
        assert n.meta_fn(blank) is None
        assert n.meta_phone(blank, "US") is None


# ---------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    ("raw", "google", "tiktok", "meta"),
    [
        (
            "John.Doe+Promo@GMail.com",
            "johndoe@gmail.com",
            "john.doe@gmail.com",
            "john.doe+promo@gmail.com",
        ),
        (
            "j.o.h.n@googlemail.com",
            "john@googlemail.com",
            "j.o.h.n@googlemail.com",
            "j.o.h.n@googlemail.com",
        ),
        (
            "user.name+NYC@Example.com",
            "user.name+nyc@example.com",
            "user.name@example.com",
            "user.name+nyc@example.com",
        ),
        (
            "first.last@gmail.co.uk",
            "first.last@gmail.co.uk",
            "first.last@gmail.co.uk",
            "first.last@gmail.co.uk",
        ),
    ],
)
def test_gmail_rules_only_for_gmail_domains(raw: str, google: str, tiktok: str, meta: str) -> None:
    assert n.google_email(raw) == google
    assert n.tiktok_email(raw) == tiktok
    assert n.meta_email(raw) == meta
    assert n.linkedin_email(raw) == meta


@pytest.mark.parametrize(
    "raw",
    ["n/a", "jane@", "@example.com", "jane@localhost", "a@b@c.com", "jane@.com", "jane@x..com"],
)
def test_malformed_emails_are_dropped(raw: str) -> None:
    for fn in (n.meta_email, n.google_email, n.tiktok_email, n.linkedin_email):
        assert fn(raw) == INVALID_EMAIL


def test_emails_that_are_only_a_tag_are_dropped() -> None:
    assert n.tiktok_email("+promo@example.com") == INVALID_EMAIL
    assert n.google_email("+promo@gmail.com") == INVALID_EMAIL
    assert n.google_email("...@gmail.com") == INVALID_EMAIL


# ---------------------------------------------------------------------------- phone


def test_phone_uses_the_country_as_default_region() -> None:
    assert n.google_phone("07911 123456", "GB") == "+447911123456"
    assert n.google_phone("07911 123456", " gb ") == "+447911123456"
    assert n.google_phone("07911 123456", "UK") == "+447911123456"
    assert n.meta_phone("07911 123456", "GB") == "447911123456"
    assert n.tiktok_phone("16505551234", "US") == "16505551234"
    assert n.google_phone(6505551234, "US") == "+16505551234"


def test_international_numbers_need_no_region() -> None:
    assert n.google_phone("+44 7911 123456") == "+447911123456"
    assert n.google_phone("+44 7911 123456", "US") == "+447911123456"


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("123", "US"),
        ("555-1234", "US"),
        ("not a phone", "US"),
        ("(650) 555-1234", None),  # national number, no country to read it with
        ("(650) 555-1234", "Narnia"),
        ("+1 123 456 7890", None),  # US numbers never start 1 after the country code
    ],
)
def test_invalid_phone_is_dropped_never_guessed(raw: str, region: str | None) -> None:
    for fn in (n.meta_phone, n.google_phone, n.tiktok_phone):
        assert fn(raw, region) == INVALID_PHONE


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Mrs. Alex ", "alex"),
        ("Mr. John", "john"),
        ("Ms Jane", "jane"),
        ("Dr. Ann", "ann"),
        ("DR ANN", "ann"),
        ("Doe Jr.", "doe"),
        ("Doe, Sr.", "doe"),
        ("Smith III", "smith"),
        ("Smith II", "smith"),
        ("Mr. John Smith Jr.", "john smith"),
        ("O'Brien", "obrien"),
        ("Mary-Jane", "maryjane"),
        ("Van  der   Berg", "van der berg"),
        ("Émile", "émile"),
        ("Dr", "dr"),  # a title alone is the whole value: kept
        ("Mr.", "mr"),
        ("!!!", Dropped(Reason.INVALID_NAME)),
    ],
)
def test_google_names(raw: str, expected: object) -> None:
    assert n.google_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Mary-Jane ", "maryjane"),
        ("O'Brien", "obrien"),
        ("Mary Jane", "maryjane"),
        ("ÉMILE", "émile"),
        ("Søren", "søren"),
        ("山田", "山田"),
        ("Ann2", "ann"),
        ("--", Dropped(Reason.INVALID_NAME)),
    ],
)
def test_meta_names(raw: str, expected: object) -> None:
    assert n.meta_fn(raw) == expected
    assert n.meta_ln(raw) == expected


def test_plain_text_keeps_case_and_collapses_spaces() -> None:
    assert n.plain_text("  Acme,   Inc. \n") == "Acme, Inc."
    assert n.plain_text("  ") is None


# ------------------------------------------------------------- city / state / zip / ...


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("San Francisco", "sanfrancisco"),
        ("St. Louis", "stlouis"),
        ("São Paulo", "saopaulo"),
        ("Straße", "strasse"),
        ("Winston-Salem 27101", "winstonsalem"),
        ("東京", Dropped(Reason.INVALID_CITY)),
    ],
)
def test_meta_city(raw: str, expected: object) -> None:
    assert n.meta_ct(raw) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("California", "US", "ca"),
        ("CA", "US", "ca"),
        (" ny ", "us", "ny"),
        ("New York", "US", "ny"),
        ("District of Columbia", "US", "dc"),
        ("Texas", None, "tx"),
        ("Calif.", "US", Dropped(Reason.INVALID_STATE)),
        ("Bayern", "DE", "bayern"),
        ("Île-de-France", "FR", "îledefrance"),
        ("New South Wales", "AU", "newsouthwales"),
        ("California", "MX", "california"),  # not the US: no US codes
        ("Ontario", None, "ontario"),
    ],
)
def test_meta_state(raw: str, country: str | None, expected: object) -> None:
    assert n.meta_st(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "meta", "google"),
    [
        ("94103-1234", "US", "94103", "94103"),
        ("94103-1234", None, "94103", "94103"),
        ("941031234", "US", "94103", "94103"),
        (" 94103 ", "US", "94103", "94103"),
        (2134, "US", "02134", "02134"),  # integer column lost the leading zero
        (21341234, "US", "02134", "02134"),
        ("2134", "US", Dropped(Reason.INVALID_ZIP), Dropped(Reason.INVALID_ZIP)),
        ("SW1A 1AA", "GB", "sw1a1aa", "SW1A 1AA"),
        ("sw1a   1aa", "GB", "sw1a1aa", "SW1A 1AA"),
        ("00-950", "PL", "00-950", "00-950"),
        ("K1A 0B1", None, "k1a0b1", "K1A 0B1"),
    ],
)
def test_zip(raw: object, country: str | None, meta: object, google: object) -> None:
    assert n.meta_zip(raw, country) == meta
    assert n.google_zip(raw, country) == google


@pytest.mark.parametrize(
    ("raw", "code"),
    [("US", "US"), (" us ", "US"), ("U.S.", "US"), ("gb", "GB"), ("UK", "GB"), ("de", "DE")],
)
def test_country(raw: str, code: str) -> None:
    assert n.country_code(raw) == code
    assert n.meta_country(raw) == code.lower()
    assert n.google_country(raw) == code
    assert n.linkedin_country(raw) == code


@pytest.mark.parametrize("raw", ["USA", "United States", "XX", "1"])
def test_unknown_country_is_dropped(raw: str) -> None:
    assert n.meta_country(raw) == Dropped(Reason.INVALID_COUNTRY)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("m", "m"),
        ("M", "m"),
        (" Male ", "m"),
        ("f", "f"),
        ("FEMALE", "f"),
        ("x", Dropped(Reason.UNSUPPORTED_GENDER)),
        ("non-binary", Dropped(Reason.UNSUPPORTED_GENDER)),
        (None, None),
    ],
)
def test_meta_gender(raw: str | None, expected: object) -> None:
    assert n.meta_gen(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-05-17", ("1990", "05", "17")),
        (" 1990-05-17 ", ("1990", "05", "17")),
        ("1990-05-17T08:00:00Z", ("1990", "05", "17")),
        (date(2001, 1, 9), ("2001", "01", "09")),
        (datetime(1975, 12, 31, 23, 59), ("1975", "12", "31")),
        ("1990-02-30", Dropped(Reason.INVALID_DATE_OF_BIRTH)),
        ("17/05/1990", Dropped(Reason.INVALID_DATE_OF_BIRTH)),
        ("1990-05-17junk", Dropped(Reason.INVALID_DATE_OF_BIRTH)),
        ("", None),
    ],
)
def test_meta_date_of_birth_split(raw: object, expected: object) -> None:
    assert n.meta_dob(raw) == expected


def test_meta_row_hashes_each_date_part() -> None:
    values = _written(meta_row({"email": "a@b.com", "date_of_birth": "1990-05-17"})).values
    assert (values["doby"], values["dobm"], values["dobd"]) == tuple(
        n.sha256_hex(p) for p in ("1990", "05", "17")
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AECE52E7-03EE-455A-B3C4-E57283966239", "aece52e7-03ee-455a-b3c4-e57283966239"),
        ("aece52e703ee455ab3c4e57283966239", "aece52e7-03ee-455a-b3c4-e57283966239"),
        ("00000000-0000-0000-0000-000000000000", Dropped(Reason.INVALID_MOBILE_AD_ID)),
        ("not-an-id", Dropped(Reason.INVALID_MOBILE_AD_ID)),
    ],
)
def test_mobile_ad_id(raw: str, expected: object) -> None:
    assert n.meta_madid(raw) == expected
    assert n.tiktok_maid(raw) == expected


def test_raw_values_of_other_types_become_text() -> None:
    assert n.text(Decimal("94103")) == "94103"
    assert n.text(Decimal("1.50")) == "1.50"
    assert n.text(94103.0) == "94103"
    assert n.text(b" abc ") == "abc"
    assert n.meta_extern_id(12345) == "12345"


def test_docstring_examples() -> None:
    result = doctest.testmod(n, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
