"""The bundled sample: contacts, events and example segments shipped inside the package."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from duckseg.resources import (
    as_path,
    example_audiences,
    example_segments,
    example_traits,
    sample_file,
)

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace


def sample_as_of() -> datetime:
    """The sample's reference time: its data ends here, and the demo builds at it."""
    meta = json.loads(sample_file("sample.json").read_text(encoding="utf-8"))
    return datetime.fromisoformat(str(meta["as_of"]).replace("Z", "+00:00"))


def example_names() -> list[str]:
    """The names of the example segments, sorted."""
    return [f.name.removesuffix(".yaml") for f in example_segments()]


def land_sample(ws: Workspace) -> None:
    """Copy the example segments, traits and audiences into the workspace and land the sample
    data."""
    for folder, items in (
        ("segments", example_segments()),
        ("traits", example_traits()),
        ("audiences", example_audiences()),
    ):
        (ws.root / folder).mkdir(exist_ok=True)
        for item in items:
            target = ws.root / folder / item.name
            if not target.exists():
                target.write_bytes(item.read_bytes())
    for kind in ("contacts", "events"):
        with as_path(sample_file(f"{kind}.parquet")) as path:
            ws.ingest(kind, [path])
