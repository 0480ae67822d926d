"""`list`: every segment with its kind, owner, latest count and change, and whether its
definition changed since it was built."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duckseg.api.definitions import references, source_name
from duckseg.errors import DefinitionError
from duckseg.state.snapshots import latest_counts

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace


def list_segments(ws: Workspace) -> list[dict[str, Any]]:
    """Every defined segment, then those with snapshots but no file (built from a Segment
    object in Python, or deleted with --keep-history): `file` is None for those."""
    out = []
    files = ws.segment_files()
    unfiled = sorted(ws.snapshots.segments() - set(files))
    for name in [*files, *unfiled]:
        path = files.get(name)
        row: dict[str, Any] = {
            "segment": name,
            "file": source_name(ws.root, path) if path else None,
        }
        current_hash: str | None = None
        if path is None:
            row.update(kind=None, owner=None, description=None)
        else:
            try:
                seg = ws.load(name)
                row.update(kind=seg.kind, owner=seg.owner, description=seg.description)
                current_hash = ws.definition_hash(seg)
                row["references"] = sorted(references(seg))
            except DefinitionError as exc:
                row.update(kind=None, owner=None, description=None, error=str(exc.problems[0]))
        history = ws.snapshots.history(name)
        if path is None and history:
            row["kind"] = history[-1].kind
        latest = history[-1] if history else None
        row.update(
            latest_counts(history),
            definition_changed=bool(
                latest
                and current_hash
                and latest.kind == "dynamic"
                and latest.definition_hash != current_hash
            ),
        )
        out.append(row)
    return out
