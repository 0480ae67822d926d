"""`duckseg export` end to end: every format, manifests, consent, chunking, bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from duckseg import Workspace
from duckseg.export import PLATFORMS
from duckseg.export.history import last_export
from duckseg.export.writer import MANIFEST_KEYS
from tests.exportshop import (
    CONSENT_WITH_EVENTS,
    GOLD,
    LATE,
    NO_IDENTIFIER,
    OPTED_OUT,
    UNSUBSCRIBED,
    column,
    email,
    make_shop,
    read_csv,
    run_cli,
    sha,
)

EMAIL_HEADER = {"meta": "email", "google": "Email", "tiktok": "Email_SHA256", "linkedin": "email"}
HEADERS = {
    "meta": [
        "email", "phone", "fn", "ln", "ct", "st", "zip", "country",
        "doby", "dobm", "dobd", "gen", "madid", "extern_id",
    ],
    "google": ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"],
    "tiktok": ["Email_SHA256", "Phone_SHA256"],  # no mobile_ad_id attribute: no MAID column
    "linkedin": ["email", "firstname", "lastname", "title", "employeecompany", "country"],
}  # fmt: skip
CSV_COLUMNS = [
    "contact_id", "first_name", "last_name", "email", "phone", "city", "country",
    "tier", "opted_out", "date_of_birth", "gender",
]  # fmt: skip


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    ws = make_shop(tmp_path / "shop")
    ws.build_many(["gold", "buyers"], as_of=LATE)
    return ws


def export(capsys: pytest.CaptureFixture[str], ws: Workspace, *args: str) -> dict[str, Any]:
    result = run_cli(capsys, "export", *args, "-w", str(ws.root), "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def check_manifest(folder: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The manifest on disk: SPEC keys first, files whose sha256 and rows match the bytes."""
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest)[: len(MANIFEST_KEYS)] == list(MANIFEST_KEYS)
    assert {**manifest, "path": str(folder)} == data
    on_disk = sorted(p.name for p in folder.iterdir())
    assert on_disk == sorted(["manifest.json", *(f["path"] for f in manifest["files"])])
    for entry in manifest["files"]:
        assert set(entry) <= {"path", "rows", "sha256", "change"}
        body = (folder / entry["path"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        if entry["path"].endswith(".csv"):
            assert b"\r" not in body
            assert len(read_csv(folder / entry["path"])) == entry["rows"] + 1
        else:
            assert pq.read_metadata(folder / entry["path"]).num_rows == entry["rows"]
    assert manifest["rows"] == sum(f["rows"] for f in manifest["files"])
    return manifest


@pytest.mark.parametrize("fmt", list(PLATFORMS))
def test_platform_export(capsys: pytest.CaptureFixture[str], shop: Workspace, fmt: str) -> None:
    data = export(capsys, shop, "gold", "--format", fmt)
    folder = Path(data["path"])
    snap = shop.snapshots.latest("gold")
    assert snap is not None
    assert folder == shop.root / "exports" / "gold" / fmt / snap.snapshot_id
    manifest = check_manifest(folder, data)
    sent = [c for c in GOLD if c not in OPTED_OUT | NO_IDENTIFIER]
    assert manifest["segment"] == "gold" and manifest["format"] == fmt
    assert manifest["snapshot_id"] == snap.snapshot_id and manifest["as_of"] == LATE
    assert manifest["rows"] == len(sent)
    assert manifest["skipped"] == {"no_identifier": 1, "opted_out": 2}
    assert manifest["members"] == len(GOLD)
    assert manifest["description"] == 'tier is "Gold"'
    assert manifest["summary"] == "Gold tier"
    assert manifest["consent"] == {
        "exclude_when": "opted_out is true",
        "from": "default",
        "matching": 2,
        "applied": True,
    }
    rows = read_csv(folder / f"gold-{fmt}-part-0001.csv")
    assert rows[0] == HEADERS[fmt]
    assert column(rows, EMAIL_HEADER[fmt]) == [sha(email(c)) for c in sent]
    if fmt == "meta":
        assert column(rows, "extern_id") == sent
        assert set(column(rows, "country")) == {sha("us")}


def test_below_the_minimum_audience_is_a_warning(
    capsys: pytest.CaptureFixture[str], shop: Workspace
) -> None:
    result = run_cli(capsys, "export", "gold", "--format", "meta", "-w", str(shop.root))
    assert result.code == 0
    assert "warning:" in result.err and "below the 100" in result.err
    assert "gold -> meta: 5 rows" in result.out
    assert "skipped: 1 no_identifier, 2 opted_out" in result.out
    folder = Path(result.out.split("written to ", 1)[1].strip())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert any("below the 100" in w for w in manifest["warnings"])


def test_chunking_with_max_rows(capsys: pytest.CaptureFixture[str], shop: Workspace) -> None:
    data = export(capsys, shop, "gold", "--format", "google", "--max-rows", "2")
    manifest = check_manifest(Path(data["path"]), data)
    assert [f["path"] for f in manifest["files"]] == [
        "gold-google-part-0001.csv",
        "gold-google-part-0002.csv",
        "gold-google-part-0003.csv",
    ]
    assert [f["rows"] for f in manifest["files"]] == [2, 2, 1]


def test_csv_and_parquet(capsys: pytest.CaptureFixture[str], shop: Workspace) -> None:
    data = export(capsys, shop, "gold", "--format", "csv")
    manifest = check_manifest(Path(data["path"]), data)
    # Not an ad-platform upload: nobody is left out, but the manifest counts opt-outs.
    assert manifest["rows"] == len(GOLD) and manifest["skipped"] == {}
    assert manifest["consent"]["matching"] == 2 and manifest["consent"]["applied"] is False
    assert manifest["columns"] == CSV_COLUMNS
    rows = read_csv(Path(data["path"]) / "gold.csv")
    assert rows[0] == CSV_COLUMNS
    assert column(rows, "contact_id") == GOLD
    assert rows[1][:5] == ["c01", "Ann", "Lee", "user1@example.com", "(650) 555-1201"]

    data = export(capsys, shop, "gold", "--format", "parquet", "--columns", "tier, email")
    check_manifest(Path(data["path"]), data)
    table = pq.read_table(Path(data["path"]) / "gold.parquet")
    assert table.column_names == ["contact_id", "tier", "email"]
    assert table.column("contact_id").to_pylist() == GOLD
    assert table.column("email").to_pylist()[:2] == ["user1@example.com", "user2@example.com"]


def test_consent_with_event_conditions_and_include_opted_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ws = make_shop(tmp_path / "shop", CONSENT_WITH_EVENTS)
    ws.build("gold", as_of=LATE)
    data = export(capsys, ws, "gold", "--format", "meta")
    excluded = (OPTED_OUT | UNSUBSCRIBED) & set(GOLD)
    sent = [c for c in GOLD if c not in excluded | NO_IDENTIFIER]
    assert column(read_csv(Path(data["path"]) / "gold-meta-part-0001.csv"), "extern_id") == sent
    assert data["skipped"]["opted_out"] == len(excluded) == 3
    assert data["consent"]["from"] == "duckseg.toml"
    assert data["consent"]["exclude_when"] == "opted_out is true or performed unsubscribe"

    data = export(capsys, ws, "gold", "--format", "meta", "--include-opted-out")
    extern = column(read_csv(Path(data["path"]) / "gold-meta-part-0001.csv"), "extern_id")
    assert extern == [c for c in GOLD if c not in NO_IDENTIFIER]
    assert data["skipped"]["opted_out"] == 0
    assert data["consent"] == {**data["consent"], "matching": 3, "applied": False}
    assert any("--include-opted-out" in w for w in data["warnings"])


def test_a_bad_consent_condition_names_the_file_and_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ws = make_shop(tmp_path / "shop")
    ws.build("gold", as_of=LATE)
    (ws.root / "duckseg.toml").write_text(
        '[consent]\nexclude_when = { all = [ { attr = "opted_outt", op = "is_true" } ] }\n',
        encoding="utf-8",
    )
    for fmt in ("meta", "csv"):
        result = run_cli(capsys, "export", "gold", "--format", fmt, "-w", str(ws.root))
        assert result.code == 2
        assert result.err.strip() == (
            "duckseg.toml: consent.exclude_when.all[0].attr: unknown attribute opted_outt "
            "(did you mean opted_out?)"
        )
    assert list((ws.root / "exports").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "csv", "--columns", "city,tierr"],
            "--columns: unknown attribute or trait tierr (did you mean tier?)",
        ),
        (["--format", "metaa"], "--format: unknown export format 'metaa' (did you mean meta?)"),
        (["--format", "meta", "--columns", "city"], "--columns: --columns applies to csv"),
        (["--format", "csv", "--max-rows", "5"], "--max-rows: --max-rows applies to ad-platform"),
        (["--format", "meta", "--snapshot", "nope"], "--snapshot: no snapshot nope of segment"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], shop: Workspace, args: list[str], message: str
) -> None:
    result = run_cli(capsys, "export", "gold", *args, "-w", str(shop.root))
    assert result.code == 2
    assert result.err.startswith(message)
    assert list((shop.root / "exports").iterdir()) == []
    assert last_export(shop.store, "gold", args[1]) is None


def test_unbuilt_segment_is_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ws = make_shop(tmp_path / "shop")
    result = run_cli(capsys, "export", "gold", "--format", "csv", "-w", str(ws.root))
    assert result.code == 2
    assert result.err.startswith("gold: no snapshot yet for segment gold")


def test_snapshot_option_exports_an_older_snapshot(
    capsys: pytest.CaptureFixture[str], shop: Workspace
) -> None:
    first = shop.snapshots.latest("buyers")
    assert first is not None
    shop.build("buyers", as_of="2026-07-20T00:00:00Z")  # later: only c01..c03 still in 30d
    data = export(capsys, shop, "buyers", "--format", "csv", "--snapshot", first.snapshot_id)
    assert data["snapshot_id"] == first.snapshot_id and data["as_of"] == LATE
    assert column(read_csv(Path(data["path"]) / "buyers.csv"), "contact_id") == [
        "c01",
        "c02",
        "c03",
    ]
    assert Path(data["path"]).name == first.snapshot_id


def test_out_folder_rules(
    capsys: pytest.CaptureFixture[str], shop: Workspace, tmp_path: Path
) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_cli(
        capsys, "export", "gold", "--format", "csv", "--out", str(busy), "-w", str(shop.root)
    )
    assert result.code == 2 and "is not empty and holds no earlier export" in result.err
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]

    target = tmp_path / "sync"
    first = export(
        capsys, shop, "gold", "--format", "meta", "--out", str(target), "--max-rows", "2"
    )
    assert len(first["files"]) == 3
    second = export(capsys, shop, "gold", "--format", "meta", "--out", str(target))
    assert len(second["files"]) == 1  # the earlier export's parts are replaced, not mixed in
    check_manifest(target, second)
    record = last_export(shop.store, "gold", "meta")
    assert record is not None and record.out_dir == str(target)


def test_default_folder_never_overwrites(
    capsys: pytest.CaptureFixture[str], shop: Workspace
) -> None:
    one = Path(export(capsys, shop, "gold", "--format", "tiktok")["path"])
    two = Path(export(capsys, shop, "gold", "--format", "tiktok")["path"])
    assert two == one.with_name(one.name + "-2")
    assert (one / "manifest.json").exists() and (two / "manifest.json").exists()


def test_as_a_real_process(shop: Workspace) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "duckseg",
            "export",
            "gold",
            "--format",
            "linkedin",
            "-w",
            str(shop.root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "below the 300" in proc.stderr
    assert "gold -> linkedin: 5 rows in 1 file(s)" in proc.stdout
