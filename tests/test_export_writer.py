"""Ad-platform upload files: headers, rows, chunking, streaming, manifest.

Files are written the way `duckseg export` writes them (upload.write_audience over a
DuckDB query), from contacts given here as rows."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

from duckseg.config import IdentityConfig
from duckseg.errors import InputError
from duckseg.export import PLATFORMS, WrittenFile, get_platform, sha256_hex, upload, write_manifest
from duckseg.export.writer import MANIFEST_KEYS, PlatformRows, audience_warnings

IDENTITY = IdentityConfig()
JANE_SHA = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"


def _batch(rows: Sequence[Mapping[str, object]], schema: pa.Schema | None = None) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(rows, schema=schema)


@dataclass(frozen=True)
class Written:
    headers: tuple[str, ...]
    files: tuple[WrittenFile, ...]
    rows: int
    skipped: Mapping[str, int]
    dropped: Mapping[str, int]
    warnings: tuple[str, ...]


def upload_files(
    platform: str,
    rows: Sequence[Mapping[str, object]],
    identity: IdentityConfig,
    out: Path,
    stem: str,
    *,
    prehashed: bool = False,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> Written:
    """The upload files for `rows` (contacts; contact_id defaults to the row number), written
    by the export's own path: the members query read in batches into the platform's rows."""
    spec = get_platform(platform)
    names = ["contact_id", *dict.fromkeys(k for r in rows for k in r if k != "contact_id")]
    table = pa.table(
        {n: [r.get(n, i if n == "contact_id" else None) for i, r in enumerate(rows)] for n in names}
    )
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.register("people", table)
        target = upload.PartsTarget(
            out,
            stem,
            spec.max_rows if max_rows is None else max_rows,
            spec.max_bytes if max_bytes is None else max_bytes,
        )
        audience_path = out.parent / f".{out.name}-{stem}-audience.parquet"
        headers, rows_of, audience, files = upload.write_audience(
            con,
            exp.select("*").from_("people"),
            spec,
            identity,
            audience_path,
            target,
            prehashed=prehashed,
        )
        audience_path.unlink()
    finally:
        con.close()
    return Written(
        headers,
        files,
        audience,
        dict(sorted(rows_of.skipped.items())),
        dict(sorted(rows_of.dropped.items())),
        audience_warnings(spec, audience),
    )


def _contacts(count: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {
            "contact_id": i,
            "email": f"user{i}@example.com",
            "phone": "(650) 555-1234",
            "first_name": "Ann",
            "last_name": "Lee",
            "country": "US",
        }
        for i in range(start, start + count)
    ]


def _read(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _assert_files_match_disk(out: Path, result: Written) -> None:
    for written in result.files:
        data = (out / written.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == written.sha256
        assert len(_read(out / written.path)) == written.rows + 1


# ------------------------------------------------------------------------- headers

EXPECTED_HEADERS = {
    "meta": [
        "email", "phone", "fn", "ln", "ct", "st", "zip", "country",
        "doby", "dobm", "dobd", "gen", "madid", "extern_id",
    ],
    "google": ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"],
    "tiktok": ["Email_SHA256", "Phone_SHA256"],
    "linkedin": ["email", "firstname", "lastname", "title", "employeecompany", "country"],
}  # fmt: skip


@pytest.mark.parametrize("platform", sorted(EXPECTED_HEADERS))
def test_header_row_is_exact(platform: str, tmp_path: Path) -> None:
    result = upload_files(platform, _contacts(3), IDENTITY, tmp_path, "seg")
    first_line = (tmp_path / "seg-part-0001.csv").read_bytes().split(b"\n")[0]
    assert first_line.decode("utf-8").split(",") == [
        f'"{h}"' if "," in h else h for h in EXPECTED_HEADERS[platform]
    ]
    assert list(result.headers) == EXPECTED_HEADERS[platform]
    assert result.rows == 3


def test_tiktok_maid_column_only_when_the_attribute_is_in_the_data(tmp_path: Path) -> None:
    rows = _contacts(2)
    rows[0]["mobile_ad_id"] = "AECE52E7-03EE-455A-B3C4-E57283966239"
    rows[1]["mobile_ad_id"] = None
    result = upload_files("tiktok", rows, IDENTITY, tmp_path, "t")
    assert result.headers == ("Email_SHA256", "Phone_SHA256", "MAID_SHA256")
    table = _read(tmp_path / "t-part-0001.csv")
    assert table[1][2] == sha256_hex("aece52e7-03ee-455a-b3c4-e57283966239")
    assert table[2][2] == ""


def test_platform_specs() -> None:
    assert set(PLATFORMS) == {"meta", "google", "tiktok", "linkedin"}
    meta, google = PLATFORMS["meta"], PLATFORMS["google"]
    tiktok, linkedin = PLATFORMS["tiktok"], PLATFORMS["linkedin"]
    assert (meta.max_rows, google.max_rows, tiktok.max_rows, linkedin.max_rows) == (
        10_000,
        100_000,
        None,
        300_000,
    )
    assert tiktok.max_bytes is not None and tiktok.max_bytes <= 1024**3
    assert linkedin.max_bytes is not None and linkedin.max_bytes <= 20 * 1024**2
    assert (meta.min_audience, google.min_audience) == (100, 1_000)
    assert (tiktok.min_audience, linkedin.min_audience) == (1_000, 300)
    assert meta.hashed == set(meta.headers) - {"madid", "extern_id"}
    assert google.hashed == {"Email", "Phone", "First Name", "Last Name"}
    assert tiktok.hashed == set(tiktok.headers)
    assert linkedin.hashed == {"email"}


def test_unknown_platform_is_an_input_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown ad platform 'metta'") as info:
        get_platform("metta")
    assert "did you mean meta?" in str(info.value)
    with pytest.raises(InputError, match="one of: meta, google, tiktok, linkedin"):
        get_platform("snapchat")


# ---------------------------------------------------------------------------- rows


def test_meta_row_values(tmp_path: Path) -> None:
    contact = {
        "contact_id": "c-17",
        "email": "  John.Doe+Promo@GMail.com ",
        "phone": "(650) 555-1234",
        "first_name": "  Mary-Jane ",
        "last_name": "O'Brien",
        "city": "San Francisco",
        "state": "California",
        "zip": "94103-1234",
        "country": "US",
        "date_of_birth": "1990-05-17",
        "gender": "Female",
        "mobile_ad_id": "AECE52E7-03EE-455A-B3C4-E57283966239",
    }
    upload_files("meta", [contact], IDENTITY, tmp_path, "m")
    header, row = _read(tmp_path / "m-part-0001.csv")
    values = dict(zip(header, row, strict=True))
    assert values == {
        "email": "80f9126efd0446cb338c54ea6fe3d4af8fa3fe93db0024b14150441550e632a2",
        "phone": "6069d14bf122fdfd931dc7beb58e5dfbba395b1faf05bdcd42d12358d63d8599",
        "fn": "f08f448a5e7a9dc3619bb7c129f6a7d5fc6af002cea17ad71dfdc1c68f4d4e0e",
        "ln": sha256_hex("obrien"),
        "ct": sha256_hex("sanfrancisco"),
        "st": sha256_hex("ca"),
        "zip": "91dc2519ea98c5002cf2091e6a12b772eafdce9dca618e626d7d3b8275361789",
        "country": sha256_hex("us"),
        "doby": sha256_hex("1990"),
        "dobm": sha256_hex("05"),
        "dobd": sha256_hex("17"),
        "gen": sha256_hex("f"),
        "madid": "aece52e7-03ee-455a-b3c4-e57283966239",
        "extern_id": "c-17",
    }


def test_linkedin_plain_text_is_quoted_when_needed(tmp_path: Path) -> None:
    rows = [{"email": "Jane.Doe@Example.com", "first_name": "Jane", "last_name": 'Doe, "JD"'}]
    upload_files("linkedin", rows, IDENTITY, tmp_path, "l")
    assert _read(tmp_path / "l-part-0001.csv")[1] == [JANE_SHA, "Jane", 'Doe, "JD"', "", "", ""]


def test_identity_mapping_names_the_columns(tmp_path: Path) -> None:
    identity = IdentityConfig(email="work_email", country="country_code")
    rows = [{"contact_id": 1, "work_email": "Jane.Doe@Example.com", "email": "other@x.com"}]
    result = upload_files("linkedin", rows, identity, tmp_path, "l")
    assert result.rows == 1
    assert _read(tmp_path / "l-part-0001.csv")[1][0] == JANE_SHA


def test_prehashed_source_passes_digests_through(tmp_path: Path) -> None:
    rows = [{"email": JANE_SHA.upper()}]
    upload_files("linkedin", rows, IDENTITY, tmp_path, "p", prehashed=True)
    assert _read(tmp_path / "p-part-0001.csv")[1][0] == JANE_SHA
    result = upload_files("linkedin", rows, IDENTITY, tmp_path, "q")
    assert result.skipped == {"invalid_email": 1}


def test_skips_and_drops_are_counted(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"contact_id": 1, "email": "a@example.com", "phone": "(650) 555-1234", "country": "US"},
        {"contact_id": 2, "email": "b@example.com", "phone": "123", "country": "US"},
        {"contact_id": 3, "email": None, "phone": "555-0000", "country": "US"},
        {"contact_id": 4, "email": "  ", "phone": None, "country": "US"},
        {"contact_id": 5, "email": None, "phone": None, "country": "US", "zip": "bad"},
        {"contact_id": 6, "email": "nope", "phone": "(650) 555-1234", "country": "US"},
    ]
    result = upload_files("tiktok", rows, IDENTITY, tmp_path, "t")
    assert result.rows == 3
    assert result.skipped == {"invalid_phone": 1, "no_identifier": 2}
    assert result.dropped == {"invalid_email": 1, "invalid_phone": 1}
    assert result.rows + sum(result.skipped.values()) == len(rows)
    table = _read(tmp_path / "t-part-0001.csv")
    assert table[2] == [sha256_hex("b@example.com"), ""]  # the invalid phone left empty


def test_meta_skips_contacts_with_only_an_extern_id_or_one_name(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"contact_id": 1, "first_name": "Ann", "last_name": None, "country": "US"},
        {"contact_id": 2, "first_name": "Ann", "last_name": "Lee", "country": "US"},
        {"contact_id": 3, "first_name": None, "last_name": None, "country": "US"},
    ]
    result = upload_files("meta", rows, IDENTITY, tmp_path, "m")
    assert result.rows == 1
    assert result.skipped == {"no_identifier": 2}


def test_google_address_needs_all_four_parts(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"first_name": "Mrs. Alex", "last_name": "Doe Jr.", "country": "us", "zip": "94103-1234"},
        {"first_name": "Alex", "last_name": "Doe", "country": "US", "zip": None},
    ]
    result = upload_files("google", rows, IDENTITY, tmp_path, "g")
    assert result.skipped == {"no_identifier": 1}
    table = _read(tmp_path / "g-part-0001.csv")
    assert table[1] == ["", "", sha256_hex("alex"), sha256_hex("doe"), "US", "94103"]


def test_warning_below_the_minimum_audience(tmp_path: Path) -> None:
    result = upload_files("linkedin", _contacts(5), IDENTITY, tmp_path, "l")
    assert result.warnings == (
        "linkedin: 5 rows is below the 300 a LinkedIn Matched Audience audience needs to be "
        "usable; the platform may refuse or never serve it",
    )
    result = upload_files("meta", _contacts(100), IDENTITY, tmp_path, "m")
    assert result.warnings == ()


# ------------------------------------------------------------------- files, chunks


def test_files_are_utf8_with_unix_line_endings(tmp_path: Path) -> None:
    rows = [{"email": "zoë@example.com", "first_name": "Zoë", "last_name": "Ørsted"}]
    upload_files("linkedin", rows, IDENTITY, tmp_path, "l")
    data = (tmp_path / "l-part-0001.csv").read_bytes()
    assert b"\r" not in data
    assert data.endswith(b"\n")
    assert not data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xff\xfe")
    assert "Zoë,Ørsted" in data.decode("utf-8")


def test_chunking_at_the_row_limit(tmp_path: Path) -> None:
    result = upload_files("google", _contacts(25), IDENTITY, tmp_path, "vip", max_rows=10)
    assert [(f.path, f.rows) for f in result.files] == [
        ("vip-part-0001.csv", 10),
        ("vip-part-0002.csv", 10),
        ("vip-part-0003.csv", 5),
    ]
    assert result.rows == 25
    for written in result.files:
        assert _read(tmp_path / written.path)[0] == EXPECTED_HEADERS["google"]
    _assert_files_match_disk(tmp_path, result)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f.path for f in result.files]


def test_exact_multiple_of_the_limit_leaves_no_empty_part(tmp_path: Path) -> None:
    result = upload_files("meta", _contacts(20), IDENTITY, tmp_path, "m", max_rows=10)
    assert [f.rows for f in result.files] == [10, 10]


def test_chunking_at_the_byte_limit(tmp_path: Path) -> None:
    result = upload_files("tiktok", _contacts(10), IDENTITY, tmp_path, "t", max_bytes=500)
    assert len(result.files) > 1
    assert sum(f.rows for f in result.files) == 10
    for written in result.files:
        assert (tmp_path / written.path).stat().st_size <= 500
    _assert_files_match_disk(tmp_path, result)


def test_empty_input_writes_one_header_only_part(tmp_path: Path) -> None:
    result = upload_files("google", [], IDENTITY, tmp_path, "none")
    assert result.rows == 0
    assert [(f.path, f.rows) for f in result.files] == [("none-part-0001.csv", 0)]
    assert (
        tmp_path / "none-part-0001.csv"
    ).read_text() == "Email,Phone,First Name,Last Name,Country,Zip\n"


def test_many_batches_write_what_one_batch_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = upload_files("meta", _contacts(2100), IDENTITY, tmp_path / "b", "s", max_rows=1000)
    monkeypatch.setattr(upload, "BATCH_ROWS", 7)  # the query read back 7 rows at a time
    streamed = upload_files("meta", _contacts(2100), IDENTITY, tmp_path / "a", "s", max_rows=1000)
    assert streamed.rows == 2100
    assert [f.rows for f in streamed.files] == [1000, 1000, 100]
    assert streamed.files == whole.files  # same names, rows and bytes


def test_a_missing_column_in_a_later_batch_means_absent() -> None:
    first = _batch([{"contact_id": 1, "email": "a@example.com", "phone": "+16505551234"}])
    second = _batch([{"contact_id": 2, "phone": "+16505551234"}])
    rows_of = PlatformRows(get_platform("tiktok"), IDENTITY)
    headers = rows_of.headers(first.schema.names)
    assert rows_of.convert(second, headers) == ([2], [["", sha256_hex("16505551234")]])


def test_a_failure_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    convert = PlatformRows.convert
    calls: list[int] = []

    def failing(self: PlatformRows, batch: pa.RecordBatch, headers: Sequence[str]) -> Any:
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("source went away")
        return convert(self, batch, headers)

    monkeypatch.setattr(upload, "BATCH_ROWS", 10)
    monkeypatch.setattr(PlatformRows, "convert", failing)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="source went away"):
        upload_files("meta", _contacts(25), IDENTITY, out, "m", max_rows=10)
    assert list(out.iterdir()) == []


# ------------------------------------------------------------------------ manifest


def test_write_manifest_orders_spec_keys_first_and_rejects_missing_ones(tmp_path: Path) -> None:
    manifest = {
        "warnings": [],
        "files": [],
        "skipped": {},
        "rows": 0,
        "as_of": "2025-03-01",
        "snapshot_id": "s",
        "format": "csv",
        "segment": "x",
    }
    data = json.loads(write_manifest(tmp_path, manifest).read_text())
    assert list(data) == [*MANIFEST_KEYS, "warnings"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    del manifest["snapshot_id"]
    with pytest.raises(ValueError, match="manifest lacks snapshot_id"):
        write_manifest(tmp_path, manifest)
