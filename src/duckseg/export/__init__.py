"""Exports: csv / parquet files and ad-platform upload files (normalised, hashed,
chunked), each with a manifest. `duckseg.export.run.run_export` is `Workspace.export`."""

from duckseg.export.base import PlatformSpec, Row, Skip
from duckseg.export.normalize import Dropped, Reason, sha256_hex
from duckseg.export.platforms import PLATFORMS, get_platform
from duckseg.export.result import ExportResult
from duckseg.export.writer import WrittenFile, write_manifest

__all__ = [
    "PLATFORMS",
    "Dropped",
    "ExportResult",
    "PlatformSpec",
    "Reason",
    "Row",
    "Skip",
    "WrittenFile",
    "get_platform",
    "sha256_hex",
    "write_manifest",
]
