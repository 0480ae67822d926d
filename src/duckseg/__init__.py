"""duckseg: a segmentation engine for customer data.

import duckseg as ds
ws = ds.Workspace.open("shop/")
seg = ds.Segment.from_yaml("shop/segments/vip.yaml")
ws.preview(seg).count

The names below load on first use, so that the command line starts without the
query engines (docs/operations.md: cron jobs call it many times).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duckseg.api.results import Diff, Preview, Snapshot
    from duckseg.api.workspace import Workspace
    from duckseg.errors import DefinitionError, DucksegError, InputError, WorkspaceBusyError
    from duckseg.export import ExportResult
    from duckseg.lang.spec import Segment
    from duckseg.lang.time import FixedClock, SystemClock
    from duckseg.report import Report

__version__ = "0.1.0"

_HOMES = {
    "DefinitionError": "duckseg.errors",
    "DucksegError": "duckseg.errors",
    "InputError": "duckseg.errors",
    "WorkspaceBusyError": "duckseg.errors",
    "ExportResult": "duckseg.export",
    "Report": "duckseg.report",
    "Diff": "duckseg.api.results",
    "Preview": "duckseg.api.results",
    "Snapshot": "duckseg.api.results",
    "Segment": "duckseg.lang.spec",
    "FixedClock": "duckseg.lang.time",
    "SystemClock": "duckseg.lang.time",
    "Workspace": "duckseg.api.workspace",
}

__all__ = [
    "DefinitionError",
    "Diff",
    "DucksegError",
    "ExportResult",
    "FixedClock",
    "InputError",
    "Preview",
    "Report",
    "Segment",
    "Snapshot",
    "SystemClock",
    "Workspace",
    "WorkspaceBusyError",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'duckseg' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
