"""Exports: ad-platform upload files (normalised, hashed, chunked) and manifests."""

from duckseg.export.base import PlatformSpec, Row, Skip
from duckseg.export.normalize import Dropped, Reason, sha256_hex
from duckseg.export.platforms import PLATFORMS, get_platform
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
