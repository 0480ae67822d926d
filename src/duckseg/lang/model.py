"""The condition models of the definition language (docs/language.md), one per kind.

Pydantic checks each mapping's keys and value kinds; `spec` turns YAML into
these, `resolve` types them against the lake.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- condition models (one per kind) -------------------------------------------


class GroupAll(_Model):
    all: list[Any]


class GroupAny(_Model):
    any: list[Any]


class GroupNot(_Model):
    not_: Any  # `not` is a Python keyword


class ValueCond(_Model):
    """`{attr: ...}` on contacts, `{prop: ...}` on events, or `{trait: ...}` on a contact's
    computed value."""

    field: str
    op: str
    value: Any = None
    has_value: bool = False
    case_sensitive: bool | None = None
    scope: str = "attr"  # "attr" | "prop" | "trait"


class CountSpec(_Model):
    op: str
    value: Any


class AggregateSpec(_Model):
    fn: str
    prop: str
    op: str
    value: Any


class PerformedCond(_Model):
    performed: str | list[str]
    where: Any = None
    within: Any = None
    count: CountSpec | None = None
    aggregate: AggregateSpec | None = None


class NotPerformedCond(_Model):
    not_performed: str | list[str]
    where: Any = None
    within: Any = None


class FirstLastCond(_Model):
    which: str  # "first" | "last"
    events: str | list[str]
    where: Any = None
    before: Any = None
    after: Any = None
    within: Any = None


class SegmentRefCond(_Model):
    segment: str
    negated: bool = False


# -- sequences and lifecycle (docs/language.md) ----------------------------------


class SequenceStepSpec(_Model):
    performed: str | list[str]
    where: Any = None
    then_within: Any = None


class SequenceCond(_Model):
    sequence: list[SequenceStepSpec]
    within: Any = None


class RegularlyCond(_Model):
    performed_regularly: str | list[str]
    where: Any = None
    every: Any
    periods: Any
    min_periods: Any = None
    times: Any = None


class StoppedCond(_Model):
    stopped_performing: str | list[str]
    where: Any = None
    recent: Any
    prior: Any


class RestartedCond(_Model):
    restarted_performing: str | list[str]
    where: Any = None
    recent: Any
    gap: Any


LIFECYCLE_KEYS = ("performed_regularly", "stopped_performing", "restarted_performing")

# The key that says which kind of condition a mapping is.
KIND_KEYS = (
    "all",
    "any",
    "not",
    "attr",
    "prop",
    "trait",
    "performed",
    "not_performed",
    "first_performed",
    "last_performed",
    "in_segment",
    "not_in_segment",
    "sequence",
    *LIFECYCLE_KEYS,
)

Condition = (
    GroupAll
    | GroupAny
    | GroupNot
    | ValueCond
    | PerformedCond
    | NotPerformedCond
    | FirstLastCond
    | SegmentRefCond
    | SequenceCond
    | RegularlyCond
    | StoppedCond
    | RestartedCond
)
