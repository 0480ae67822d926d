"""The example notebook runs top to bottom in a real kernel, and its results render as HTML."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "tour.ipynb"


def _kernel_spec(folder: Path) -> None:
    """A `python3` kernel that runs this interpreter, so the notebook sees this duckseg."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )


def _html_outputs(cell: Any) -> list[str]:
    return [
        o["data"]["text/html"] for o in cell.get("outputs", []) if "text/html" in o.get("data", {})
    ]


def test_tour_notebook_runs_and_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbclient
    import nbformat

    _kernel_spec(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    client = nbclient.NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    html = {i: _html_outputs(c) for i, c in enumerate(code)}
    source = {i: c.source for i, c in enumerate(code)}

    def rendered(marker: str) -> str:
        found = [h for i, hs in html.items() for h in hs if marker in source[i]]
        assert found, f"no HTML output for the cell with {marker!r}"
        return found[0]

    segment = rendered("vip = ds.Segment.from_yaml_string")
    assert "Members: total_spent is greater than 6000 and performed purchase" in segment
    assert "<details><summary>definition</summary>" in segment
    preview = rendered("pv = ws.preview")
    assert "contacts</h4>" in preview and "<details><summary>SQL</summary>" in preview
    snapshot = rendered("snap = next(")
    assert "members</h4>" in snapshot and "entered" in snapshot and "<summary>SQL" in snapshot
    report = rendered("report = ws.report(")
    assert "Tour: three segments" in report and "metric-bar" in report
    assert (tmp_path / "tour-shop" / "workspace" / "reports").is_dir()
    html_files = list((tmp_path / "tour-shop" / "workspace" / "reports").glob("*/report.html"))
    assert len(html_files) == 2  # the segment report and the audience report
    audience = rendered("audience = ws.audience_build")
    assert "audience summer_push" in audience and "holdout" in audience and "meera" in audience
    arms = rendered("arms = ws.audience_report(")
    assert "Arms against the holdout" in arms and "<svg" in arms
    assert "distinguishable from zero" in arms
