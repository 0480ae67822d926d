"""The HTML report in a real browser: headless Chromium, offline, no console errors, the charts
in the rendered DOM, and a screenshot.

Set DUCKSEG_SCREENSHOT_DIR to keep the screenshot for a look. Chromium comes from Debian's
`chromium` package (`.ci/run` installs it); without it these tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from duckseg.report import Report
from tests.reportshop import CONFIG, build_shop


def _chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium: apt-get install -y --no-install-recommends chromium"
)


def open_offline(page: Path, work: Path, height: int = 3200) -> tuple[str, list[str], Path]:
    """Load a page with no network at all; returns (DOM after load, console lines, screenshot)."""
    assert CHROMIUM is not None
    shot = work / "screenshot.png"
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: no host resolves
            f"--user-data-dir={work / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            f"--window-size=1200,{height}",
            f"--screenshot={shot}",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=work,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console, shot


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    ws = build_shop(tmp_path_factory.mktemp("shop") / "ws")
    return ws.report(["big_spenders", "pune", "lapsed"], config=CONFIG)


def test_console_errors_are_caught(tmp_path: Path) -> None:
    """The check below is not vacuous: a page that reaches out is reported on the console."""
    page = tmp_path / "canary.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"></head><body>"
        '<img src="https://example.com/pixel.png"><p>canary</p></body></html>',
        encoding="utf-8",
    )
    dom, console, _ = open_offline(page, tmp_path, height=400)
    assert "canary" in dom
    assert console and "example.com" in "\n".join(console)


def test_report_page_in_a_browser(report: Report, tmp_path: Path) -> None:
    dom, console, shot = open_offline(report.html_path, tmp_path)
    assert console == [], "\n".join(console)

    assert f"<title>{report.title}</title>" in dom
    for section in ("summary", "size", "overlap", "metrics", "breakdowns"):
        assert f'id="{section}"' in dom
    assert dom.count("<svg") >= 1 + 1 + 6  # size chart, heat-map, one bar chart per metric
    assert dom.count('class="chart-line"') == 3
    assert dom.count('class="heat-cell"') == 9
    assert dom.count('class="metric-bar"') == 6 * 3
    assert dom.count('class="metric-bar metric-base"') == 6
    assert dom.count('class="card"') == 3
    assert dom.count('<table class="breakdown"') == 4

    width, height = png_size(shot)
    assert (width, height) == (1200, 3200)
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
    keep = os.environ.get("DUCKSEG_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / "report.png")
