"""The bundled sample: contacts, events and example segments shipped inside the package."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from duckseg.api.definitions import SEGMENTS_DIR
from duckseg.config import CONFIG_FILE
from duckseg.errors import InputError
from duckseg.resources import (
    as_path,
    example_audiences,
    example_segments,
    example_traits,
    sample_file,
)
from duckseg.state.snapshots import SnapshotStore
from duckseg.state.store import Store

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


def refuse_sample_over_data(root: Path) -> None:
    """`init --demo` lands the sample only into a workspace with no data and no segments:
    mixed into a user's lake, sample contacts and example segments cannot be told apart."""
    if not (root / CONFIG_FILE).exists():
        return
    store = Store(root)
    landed = store.live_files("contacts") + store.live_files("events")
    segments = sorted(p.name for p in (root / SEGMENTS_DIR).glob("*.y*ml"))
    if landed or segments or SnapshotStore(store).all():
        held = [
            *([f"{len(landed)} landed lake file(s)"] if landed else []),
            *([f"{len(segments)} segment definition(s)"] if segments else []),
        ]
        raise InputError.single(
            str(root),
            "already a workspace with data"
            + (f" ({', '.join(held)})" if held else " (snapshots)")
            + ": --demo would mix the sample into it; nothing was changed",
            hint="run duckseg init --demo on a new folder, or duckseg demo --dir NEW_FOLDER",
        )
