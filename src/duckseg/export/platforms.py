"""The ad-platform upload formats by export format name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from duckseg.errors import InputError, did_you_mean
from duckseg.export.base import PlatformSpec
from duckseg.export.google import GOOGLE
from duckseg.export.linkedin import LINKEDIN
from duckseg.export.meta import META
from duckseg.export.tiktok import TIKTOK

PLATFORMS: Mapping[str, PlatformSpec] = MappingProxyType(
    {spec.name: spec for spec in (META, GOOGLE, TIKTOK, LINKEDIN)}
)


def get_platform(name: str) -> PlatformSpec:
    """The upload format called `name`; an unknown name is an input error."""
    spec = PLATFORMS.get(name)
    if spec is None:
        hint = did_you_mean(name, PLATFORMS) or f"one of: {', '.join(PLATFORMS)}"
        raise InputError.single("--format", f"unknown ad platform {name!r}", hint=hint)
    return spec
