"""The report config file (`--config report.yaml`): breakdowns and event metrics.

```yaml
name: weekly-review              # the output folder: reports/weekly-review/
title: Weekly segment review      # the page title
breakdowns: [city, plan]          # attributes to break down (default: a few text attributes)
top_values: 6                     # values shown per attribute; the rest are "(other)"
metrics:
  - name: buyers_30d
    kind: reach                   # share of members who performed the event in the window
    event: purchase               # an event name or a list of names
    within: 30d                   # a window of the definition language (default: all history)
  - {name: orders, kind: events_per_member, event: purchase, within: 90d}
  - {name: revenue, kind: sum, event: purchase, prop: amount, within: 90d}
  - {name: basket, kind: avg, event: purchase, prop: amount}
  - {name: converted, kind: conversion, event: purchase, days: 14}   # after the snapshot's as_of
  - {name: spend, kind: avg, trait: lifetime_spend}   # a numeric trait at the snapshot's as_of
```

Every metric takes an optional `where` (a property condition, as in segment
definitions) and `label`. The shape is checked here (unknown keys are errors);
names, types and windows are checked against the lake by `resolve_metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from duckseg.errors import (
    DefinitionError,
    InputError,
    Problem,
    did_you_mean,
    relocated,
    validation_problem,
)
from duckseg.lang import ir
from duckseg.lang.resolve import Resolver
from duckseg.report.metrics import Metric, MetricKind
from duckseg.types import Catalog, ValueType

NAME = r"^[A-Za-z_][A-Za-z0-9_\-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Metric(_Model):
    name: str = Field(pattern=NAME)
    label: str | None = None
    where: Any = None


class ReachMetric(_Metric):
    kind: Literal["reach"]
    event: str | list[str]
    within: Any = None


class EventsPerMemberMetric(_Metric):
    kind: Literal["events_per_member"]
    event: str | list[str]
    within: Any = None


class SumMetric(_Metric):
    kind: Literal["sum"]
    event: str | list[str] | None = None  # or a trait instead of event and prop
    prop: str | None = None
    trait: str | None = None
    within: Any = None


class AvgMetric(_Metric):
    kind: Literal["avg"]
    event: str | list[str] | None = None
    prop: str | None = None
    trait: str | None = None
    within: Any = None


class ConversionMetric(_Metric):
    kind: Literal["conversion"]
    event: str | list[str]
    days: int = Field(gt=0, le=3650)


MetricSpec = Annotated[
    ReachMetric | EventsPerMemberMetric | SumMetric | AvgMetric | ConversionMetric,
    Field(discriminator="kind"),
]
KINDS = [k.value for k in MetricKind]


class ReportConfig(_Model):
    name: str | None = Field(default=None, pattern=NAME)
    title: str | None = None
    breakdowns: list[str] | None = None
    top_values: int = Field(default=6, ge=1, le=50)
    metrics: list[MetricSpec] | None = None


ConfigLike = ReportConfig | Mapping[str, Any] | str | Path | None


def load_report_config(config: ConfigLike) -> tuple[ReportConfig, str]:
    """The config and the name its errors are reported under."""
    if config is None:
        return ReportConfig(), "<default>"
    if isinstance(config, ReportConfig):
        return config, "<config>"
    if isinstance(config, Mapping):
        return _validate(dict(config), "<config>"), "<config>"
    path = Path(config)
    source = str(config)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError.single(source, f"cannot read file: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError.single(source, f"not valid YAML: {problem}", path=place) from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError.single(source, "expected a mapping (name, breakdowns, metrics, ...)")
    return _validate(raw, source), source


def _validate(raw: dict[str, Any], source: str) -> ReportConfig:
    try:
        return ReportConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [_problem(source, dict(err)) for err in exc.errors()]
        raise InputError(list(dict.fromkeys(problems))) from exc


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif (
            i >= 2 and loc[0] == "metrics" and isinstance(loc[1], int) and i == 2 and part in KINDS
        ):
            continue  # the union member pydantic names; not part of the file
        else:
            out += f".{part}" if out else str(part)
    return out


def _problem(source: str, err: dict[str, Any]) -> Problem:
    loc = tuple(err["loc"])
    path = _path(loc)
    kind = err["type"]
    if kind == "union_tag_not_found":
        return Problem(source, path, f"missing kind (one of {', '.join(KINDS)})")
    if kind == "union_tag_invalid":
        tag = str(err.get("ctx", {}).get("tag", ""))
        return Problem(
            source, f"{path}.kind", f"unknown metric kind {tag!r}", did_you_mean(tag, KINDS)
        )
    if kind == "missing":
        return Problem(source, path, "missing")
    if kind == "string_pattern_mismatch":
        return Problem(source, path, "expected a name of letters, digits, _ and -")
    return validation_problem(source, path, err, lambda: _known(loc))


def _known(loc: tuple[int | str, ...]) -> list[str]:
    if len(loc) >= 3 and loc[0] == "metrics" and str(loc[2]) in KINDS:
        models: dict[str, type[BaseModel]] = {
            "reach": ReachMetric,
            "events_per_member": EventsPerMemberMetric,
            "sum": SumMetric,
            "avg": AvgMetric,
            "conversion": ConversionMetric,
        }
        return list(models[str(loc[2])].model_fields)
    return list(ReportConfig.model_fields)


# -- checked against the lake -----------------------------------------------------------


def resolve_metrics(
    specs: Sequence[MetricSpec], resolver: Resolver, catalog: Catalog, source: str
) -> list[Metric]:
    """Each metric's events, where, window and property checked against the lake."""
    problems: list[Problem] = []
    metrics: list[Metric] = []
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        at = f"metrics[{i}]"
        if spec.name in seen:
            problems.append(Problem(source, f"{at}.name", f"metric {spec.name} is listed twice"))
        seen.add(spec.name)
        if isinstance(spec, SumMetric | AvgMetric) and (
            spec.trait is not None or spec.event is None
        ):
            found = _trait_metric(spec, resolver, source, at, problems)
            if found is not None:
                metrics.append(found)
            continue
        cond: dict[str, Any] = {"performed": spec.event}
        if spec.where is not None:
            cond["where"] = spec.where
        within = getattr(spec, "within", None)
        if within is not None:
            cond["within"] = within
        try:
            node = resolver.resolve_condition(cond, source)
        except DefinitionError as exc:
            moves = [(f"where.{old}", f"{at}.{new}") for old, new in _MOVES]
            problems.extend(relocated(p, p.source, moves, at) for p in exc.problems)
            continue
        assert isinstance(node, ir.EventTest)
        prop_name = getattr(spec, "prop", None)
        prop = None
        if prop_name is not None:
            vtype = catalog.properties.get(prop_name)
            if vtype is None:
                problems.append(
                    Problem(
                        source,
                        f"{at}.prop",
                        f"unknown event property {prop_name}",
                        did_you_mean(prop_name, catalog.properties),
                    )
                )
                continue
            if not vtype.is_number:
                problems.append(
                    Problem(
                        source,
                        f"{at}.prop",
                        f"{spec.kind} needs a number property; {prop_name} is {vtype.value}",
                    )
                )
                continue
            prop = ir.Column(prop_name, vtype, "event")
        metrics.append(
            Metric(
                spec.name,
                MetricKind(spec.kind),
                node.filter,
                spec.label,
                prop,
                getattr(spec, "days", None),
            )
        )
    if problems:
        raise InputError(problems)
    return metrics


def _trait_metric(
    spec: SumMetric | AvgMetric, resolver: Resolver, source: str, at: str, problems: list[Problem]
) -> Metric | None:
    """A sum or average of a numeric trait over members (missing values left out)."""
    if spec.trait is None:
        problems.append(Problem(source, at, f"{spec.kind} needs an event and a prop, or a trait"))
        return None
    extra = [k for k in ("event", "prop", "where", "within") if getattr(spec, k) is not None]
    if extra:
        problems.append(Problem(source, f"{at}.{extra[0]}", f"a trait metric takes no {extra[0]}"))
        return None
    if spec.trait not in resolver.traits:
        hint = did_you_mean(spec.trait, resolver.traits)
        problems.append(Problem(source, f"{at}.trait", f"unknown trait {spec.trait}", hint))
        return None
    try:
        trait = resolver.resolve_trait(spec.trait)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        return None
    if not trait.type.is_number:
        problems.append(
            Problem(
                source,
                f"{at}.trait",
                f"{spec.kind} needs a numeric trait; {trait.name} is {trait.type.value}",
            )
        )
        return None
    return Metric(spec.name, MetricKind(spec.kind), trait.filter, spec.label, trait.column)


# Where the parts of a metric's generated event condition are in the config file.
_MOVES = (("performed", "event"), ("where", "where"), ("within", "within"))


def check_breakdowns(
    names: Sequence[str],
    catalog: Catalog,
    source: str,
    traits: Mapping[str, ValueType] | None = None,
) -> list[tuple[str, ValueType]]:
    """Each breakdown's type: an attribute's, or a trait's (`traits`, by name)."""
    problems = []
    out: list[tuple[str, ValueType]] = []
    for i, name in enumerate(names):
        vtype = catalog.attributes.get(name) or (traits or {}).get(name)
        if vtype is None:
            problems.append(
                Problem(
                    source,
                    f"breakdowns[{i}]",
                    f"unknown attribute or trait {name}",
                    did_you_mean(name, [*catalog.attributes, *(traits or {})]),
                )
            )
        elif vtype is ValueType.OTHER:
            problems.append(
                Problem(source, f"breakdowns[{i}]", f"attribute {name} cannot be broken down")
            )
        else:
            out.append((name, vtype))
    if problems:
        raise InputError(problems)
    return out
