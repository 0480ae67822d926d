"""Ad-platform exports that could match nobody are refused, not written as headers only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.exportshop import LATE, NO_IDENTIFIER, make_shop, run_cli


@pytest.mark.parametrize("fmt", ["meta", "google", "tiktok", "linkedin"])
def test_no_usable_identifier_is_exit_2_naming_identity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    ws = make_shop(tmp_path / "shop")
    (ws.root / "segments" / "bare.yaml").write_text(
        "where: {attr: email, op: is_not_set}\n", encoding="utf-8"
    )
    assert set(ws.build("bare", as_of=LATE).to_polars()["contact_id"]) == NO_IDENTIFIER
    out = tmp_path / "out"
    result = run_cli(
        capsys, "export", "bare", "--format", fmt, "--out", str(out), "-w", str(ws.root)
    )
    assert result.code == 2, result.err
    assert result.err.startswith(
        f"duckseg.toml: identity: none of the 1 {fmt} members of bare has a usable identifier; "
        "looked for email (attribute email), phone (attribute phone)"
    )
    assert "mobile_ad_id (attribute mobile_ad_id, which the contacts do not have)" in result.err
    assert "[identity]" in result.err
    assert not out.exists()
    assert not list((ws.root / "state").glob("exports/**/*.parquet"))


def test_an_empty_segment_still_exports_an_empty_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ws = make_shop(tmp_path / "shop")
    (ws.root / "segments" / "nobody.yaml").write_text(
        "where: {attr: tier, op: is, value: Platinum}\n", encoding="utf-8"
    )
    ws.build("nobody", as_of=LATE)
    result = run_cli(capsys, "export", "nobody", "--format", "meta", "-w", str(ws.root))
    assert result.code == 0, result.err
