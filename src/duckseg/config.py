"""`duckseg.toml`: the workspace configuration, every key validated."""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from duckseg.errors import InputError, validation_problem

CONFIG_FILE = "duckseg.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeConfig(_Section):
    zone: str = "UTC"

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Kolkata)"
            ) from exc
        return value


class ConsentConfig(_Section):
    # A condition of the definition language; checked against the lake when used.
    exclude_when: dict[str, Any] | None = None


class IdentityConfig(_Section):
    email: str = "email"
    phone: str = "phone"
    first_name: str = "first_name"
    last_name: str = "last_name"
    city: str = "city"
    state: str = "state"
    zip: str = "zip"
    country: str = "country"
    date_of_birth: str = "date_of_birth"
    gender: str = "gender"
    mobile_ad_id: str = "mobile_ad_id"


class SparkConfig(_Section):
    master: str = "local[*]"


class DuckDBConfig(_Section):
    """Settings for the DuckDB engine; unset means DuckDB's own defaults."""

    memory_limit: str | None = None  # e.g. "2GB": larger work spills to temp_directory
    threads: int | None = None
    temp_directory: str | None = None


_AGE = re.compile(r"\s*(\d+)\s*(s|m|h|d)\s*")
_AGE_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ServeConfig(_Section):
    token: str | None = None  # bearer token for duckseg serve (DUCKSEG_TOKEN overrides)
    # Trait values the server holds are computed again once older than this (docs/memberships.md).
    traits_max_age: str = "15m"

    @field_validator("traits_max_age")
    @classmethod
    def _an_age(cls, value: str) -> str:
        match = _AGE.fullmatch(value)
        if match is None or int(match.group(1)) <= 0:
            raise ValueError(f"expected a duration like 30s, 15m or 1h, got {value!r}")
        return value

    def max_age_s(self) -> float:
        """`traits_max_age` in seconds."""
        match = _AGE.fullmatch(self.traits_max_age)
        assert match is not None  # checked when read
        return float(int(match.group(1)) * _AGE_SECONDS[match.group(2)])


class LimitsConfig(_Section):
    """What one definition file may hold (docs/data-model.md): beyond it, exit 2 at once."""

    definition_bytes: int = Field(default=1_000_000, ge=1)
    definition_nodes: int = Field(default=100_000, ge=1)  # after YAML alias expansion


class Config(_Section):
    time: TimeConfig = TimeConfig()
    consent: ConsentConfig = ConsentConfig()
    identity: IdentityConfig = IdentityConfig()
    spark: SparkConfig = SparkConfig()
    duckdb: DuckDBConfig = DuckDBConfig()
    serve: ServeConfig = ServeConfig()
    limits: LimitsConfig = LimitsConfig()


DEFAULT_CONFIG_TEXT = """\
# duckseg workspace configuration. Every key is optional; the values shown are the defaults.

# [time]
# zone = "UTC"                      # calendar semantics (mo, y, date-only values)

# [consent]                         # contacts matching this never reach ad platforms
# exclude_when = { attr = "opted_out", op = "is_true" }

# [identity]                        # which contact attributes exports read
# email = "email"
# phone = "phone"
# first_name = "first_name"
# last_name = "last_name"
# city = "city"
# state = "state"
# zip = "zip"
# country = "country"
# date_of_birth = "date_of_birth"
# gender = "gender"
# mobile_ad_id = "mobile_ad_id"

# [spark]
# master = "local[*]"               # or spark://host:7077; SPARK_REMOTE for Spark Connect

# [serve]
# token = "..."                     # bearer token for duckseg serve (or DUCKSEG_TOKEN)
# traits_max_age = "15m"            # trait values served are computed again once this old

# [duckdb]                          # engine settings; unset keys keep DuckDB's defaults
# memory_limit = "2GB"              # larger work spills to temp_directory
# threads = 4
# temp_directory = "/tmp/duckseg"

# [limits]                          # what one definition file may hold; beyond it, exit 2
# definition_bytes = 1000000        # file size
# definition_nodes = 100000         # YAML nodes once aliases (*name) are expanded
"""


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def load_config(path: Path) -> Config:
    """Read and validate `duckseg.toml`; a missing file means all defaults."""
    if not path.exists():
        return Config()
    source = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError.single(source, f"not valid TOML: {exc}") from exc
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        problems = [
            validation_problem(
                source,
                ".".join(str(p) for p in err["loc"]),
                dict(err),
                partial(_known_keys, tuple(err["loc"])),
            )
            for err in exc.errors()
        ]
        raise InputError(problems) from exc
