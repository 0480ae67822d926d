"""duckseg: a segmentation engine for customer data.

import duckseg as ds
ws = ds.Workspace.open("shop/")
seg = ds.Segment.from_yaml("shop/segments/vip.yaml")
ws.preview(seg).count
"""

from duckseg.api.results import Diff, Preview, Snapshot
from duckseg.api.workspace import Workspace
from duckseg.errors import DefinitionError, DucksegError, InputError, WorkspaceBusyError
from duckseg.export import ExportResult
from duckseg.lang.spec import Segment
from duckseg.lang.time import FixedClock, SystemClock
from duckseg.report import Report

__version__ = "0.1.0"

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
