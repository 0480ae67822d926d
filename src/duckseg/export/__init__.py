"""Exports: csv / parquet files and ad-platform upload files (normalised, hashed,
chunked), each with a manifest. `duckseg.export.run.run_export` is `Workspace.export`."""

from duckseg.export.base import PlatformSpec, Row, Skip
from duckseg.export.normalize import Dropped, Reason, sha256_hex
from duckseg.export.platforms import PLATFORMS, get_platform
from duckseg.export.result import ExportResult
from duckseg.export.writer import (
    PlatformWriteResult,
    WrittenFile,
    platform_manifest,
    write_manifest,
    write_platform_files,
)

__all__ = [
    "PLATFORMS",
    "Dropped",
    "ExportResult",
    "PlatformSpec",
    "PlatformWriteResult",
    "Reason",
    "Row",
    "Skip",
    "WrittenFile",
    "get_platform",
    "platform_manifest",
    "sha256_hex",
    "write_manifest",
    "write_platform_files",
]
