"""The workspace folder: what makes a folder a workspace, and creating one (`init`)."""

from __future__ import annotations

from pathlib import Path

from duckseg.api.definitions import SEGMENTS_DIR
from duckseg.config import CONFIG_FILE, DEFAULT_CONFIG_TEXT
from duckseg.errors import InputError
from duckseg.state.snapshots import SnapshotStore
from duckseg.state.store import Store

WORKSPACE_DIRS = (
    SEGMENTS_DIR,
    "traits",
    "lake/contacts",
    "lake/events",
    "state",
    "reports",
    "exports",
)


def existing_root(path: str | Path) -> Path:
    """The resolved folder of an existing workspace; a clear error for any other folder."""
    root = Path(path).resolve()
    if not (root / CONFIG_FILE).exists() and not (root / SEGMENTS_DIR).is_dir():
        raise InputError.single(
            str(path),
            "not a duckseg workspace (no duckseg.toml)",
            hint="create one with duckseg init",
        )
    return root


def create(path: str | Path, demo: bool = False) -> Path:
    """Make the workspace folders and a default duckseg.toml (an existing one is kept)."""
    root = Path(path).resolve()
    if demo:
        _refuse_sample_over_data(root)
    root.mkdir(parents=True, exist_ok=True)
    for folder in WORKSPACE_DIRS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    if not (root / CONFIG_FILE).exists():
        (root / CONFIG_FILE).write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
    return root


def _refuse_sample_over_data(root: Path) -> None:
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
