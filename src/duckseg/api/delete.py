"""`delete`: remove a definition and (unless its history is kept) its snapshots.

History goes first and the file last, so a failure half-way leaves the definition in
place, and deleting again finishes what an interrupted delete began.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duckseg.api.definitions import SEGMENTS_DIR, references, source_name
from duckseg.errors import DefinitionError, InputError, unknown_segment

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace


def delete(ws: Workspace, name: str, keep_history: bool = False) -> int:
    """The number of snapshots removed."""
    files = ws.segment_files()
    if name not in files and (keep_history or not ws.snapshots.history(name)):
        raise InputError([unknown_segment(name, files)])
    with ws.store.writer():
        users = [n for n in files if n != name and name in _references_of(ws, n)]
        if users:
            raise InputError.single(
                source_name(ws.root, files[name]) if name in files else SEGMENTS_DIR,
                f"segment {name} is referenced by {', '.join(users)}",
            )
        removed = 0 if keep_history else ws.snapshots.delete_history(name)
        if name in files:
            files[name].unlink()
        return removed


def _references_of(ws: Workspace, name: str) -> set[str]:
    # A broken definition references nothing we can know of; it must not block a delete.
    try:
        return references(ws.load(name))
    except DefinitionError:
        return set()
