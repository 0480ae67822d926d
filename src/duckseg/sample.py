"""The bundled sample in `data/`: contacts, events and example segments."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duckseg.workspace import Workspace

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SAMPLE_DIR = DATA_DIR / "sample"
EXAMPLE_SEGMENTS = DATA_DIR / "segments"


def sample_as_of() -> datetime:
    """The sample's reference time: its data ends here, and the demo builds at it."""
    meta = json.loads((SAMPLE_DIR / "sample.json").read_text(encoding="utf-8"))
    return datetime.fromisoformat(str(meta["as_of"]).replace("Z", "+00:00"))


def land_sample(ws: Workspace) -> None:
    """Copy the example segments into the workspace and land the sample data."""
    for path in sorted(EXAMPLE_SEGMENTS.glob("*.yaml")):
        target = ws.root / "segments" / path.name
        if not target.exists():
            shutil.copyfile(path, target)
    ws.ingest("contacts", [SAMPLE_DIR / "contacts.parquet"])
    ws.ingest("events", [SAMPLE_DIR / "events.parquet"])
