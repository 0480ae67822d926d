"""`audiences/NAME.yaml`: the shape of a campaign audience (docs/audiences.md).

This layer checks keys, value kinds and weights, and collects every problem
with its path inside the file ("split.arms.b"). Names of segments, audiences
and attributes are checked against the workspace later (`audiences/plan.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from duckseg.errors import DefinitionError, Problem, did_you_mean
from duckseg.lang.spec import NAME_PATTERN
from duckseg.lang.time import Duration, parse_duration

AUDIENCES_DIR = "audiences"
ALL_ARM = "all"  # the one arm of an audience without a split
HOLDOUT = "holdout"  # never exported unless asked for
TOP_KEYS = (
    "name",
    "description",
    "owner",
    "include",
    "exclude",
    "exclude_audiences",
    "frequency_cap",
    "consent",
    "limit",
    "split",
    "assign",
)
# Weights are compared as h * W < cum * 2**64 in 128-bit integers (audiences/assign.py).
MAX_TOTAL_WEIGHT = 2**62


@dataclass(frozen=True)
class FrequencyCap:
    max: int
    within: Duration


@dataclass(frozen=True)
class Limit:
    max: int
    order_by: str | None
    descending: bool


@dataclass(frozen=True)
class Weighted:
    """Names with positive integer weights, in the order written."""

    weights: tuple[tuple[str, int], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.weights]


@dataclass(frozen=True)
class Audience:
    name: str
    source: str  # the file, relative to the workspace root where it is inside it
    raw: Mapping[str, Any]
    description: str | None
    owner: str | None
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    exclude_audiences: tuple[str, ...]
    consent: bool
    salt: str  # split.salt, by default the audience name
    frequency_cap: FrequencyCap | None
    limit: Limit | None
    split: Weighted | None
    assign: Weighted | None

    @property
    def key(self) -> str:
        """Its name in the snapshot catalog and the change feed: `audience:NAME`."""
        return audience_key(self.name)

    @property
    def agent_salt(self) -> str:
        return f"{self.salt}:agent"

    @property
    def arms(self) -> list[str]:
        return self.split.names if self.split is not None else [ALL_ARM]

    @classmethod
    def from_yaml_string(cls, text: str, source: str, name: str) -> Audience:
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise DefinitionError([Problem(source, place, f"not valid YAML: {problem}")]) from exc
        except RecursionError as exc:
            raise DefinitionError(
                [Problem(source, "", "not valid YAML: nested too deeply")]
            ) from exc
        return parse_audience(raw, source, name)

    @classmethod
    def from_yaml(cls, path: str | Path, source: str | None = None) -> Audience:
        path = Path(path)
        where = source or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DefinitionError(
                [Problem(where, "", f"cannot read file: {exc.strerror}")]
            ) from exc
        return cls.from_yaml_string(text, where, path.stem)


def audience_key(name: str) -> str:
    return f"audience:{name}"


def parse_audience(raw: Any, source: str, name: str) -> Audience:
    p = _Parser(source)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise DefinitionError([Problem(source, "", f"expected a mapping, got {_show(raw)}")])
    for key in raw:
        if key not in TOP_KEYS:
            p.fail(str(key), f"unknown key {key!r}", did_you_mean(str(key), TOP_KEYS))
    given = raw.get("name", name)
    if not isinstance(given, str) or not NAME_PATTERN.match(given):
        p.fail("name", f"expected an audience name (letters, digits, _ and -), got {_show(given)}")
    elif given != name:
        p.fail("name", f"the name is the file's stem ({name}), got {_show(given)}")
    for key in ("description", "owner"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            p.fail(key, f"expected text, got {_show(raw[key])}")
    if "include" not in raw:
        p.fail("", "missing include: an audience needs at least one segment")
    include = p.names(raw.get("include", []), "include", required=True)
    exclude = p.names(raw.get("exclude", []), "exclude")
    exclude_audiences = p.names(raw.get("exclude_audiences", []), "exclude_audiences")
    if name in exclude_audiences:
        at = f"exclude_audiences[{exclude_audiences.index(name)}]"
        p.fail(at, f"audience {name} excludes itself")
    consent = raw.get("consent", True)
    if not isinstance(consent, bool):
        p.fail("consent", f"expected true or false, got {_show(consent)}")
    split = p.mapping(raw["split"], "split", ("salt", "arms")) if "split" in raw else None
    salt = split.get("salt", name) if split is not None else name
    if not isinstance(salt, str) or not salt:
        p.fail("split.salt", f"expected text, got {_show(salt)}")
    audience = Audience(
        name=name,
        source=source,
        raw=raw,
        description=raw.get("description"),
        owner=raw.get("owner"),
        include=tuple(include),
        exclude=tuple(exclude),
        exclude_audiences=tuple(exclude_audiences),
        consent=bool(consent),
        salt=str(salt),
        frequency_cap=p.frequency_cap(raw.get("frequency_cap")),
        limit=p.limit(raw.get("limit")),
        split=p.weighted(split, "split", "arms") if split is not None else None,
        assign=p.weighted(raw.get("assign"), "assign", "agents"),
    )
    if p.problems:
        raise DefinitionError(p.problems)
    return audience


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.source, path, message, hint))

    def names(self, value: Any, path: str, required: bool = False) -> list[str]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            self.fail(path, f"expected a list of names, got {_show(value)}")
            return []
        if required and not items:
            self.fail(path, "expected at least one segment")
        out: list[str] = []
        for i, item in enumerate(items):
            at = f"{path}[{i}]" if not isinstance(value, str) else path
            if not isinstance(item, str) or not NAME_PATTERN.match(item):
                self.fail(at, f"expected a name, got {_show(item)}")
            elif item in out:
                self.fail(at, f"{item} is listed twice")
            else:
                out.append(item)
        return out

    def mapping(self, value: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a mapping, got {_show(value)}")
            return None
        for key in value:
            if key not in keys:
                self.fail(f"{path}.{key}", f"unknown key {key!r}", did_you_mean(str(key), keys))
        return value

    def positive(self, value: Any, path: str, what: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(path, f"expected {what} (a positive integer), got {_show(value)}")
            return None
        return value

    def frequency_cap(self, value: Any) -> FrequencyCap | None:
        if value is None:
            return None
        raw = self.mapping(value, "frequency_cap", ("max", "within"))
        if raw is None:
            return None
        cap = self.positive(raw.get("max"), "frequency_cap.max", "a number of sends")
        within = raw.get("within")
        duration = None
        if not isinstance(within, str):
            self.fail("frequency_cap.within", f"expected a duration like 7d, got {_show(within)}")
        else:
            try:
                duration = parse_duration(within)
            except ValueError as exc:
                self.fail("frequency_cap.within", str(exc))
        return FrequencyCap(cap, duration) if cap is not None and duration is not None else None

    def limit(self, value: Any) -> Limit | None:
        if value is None:
            return None
        raw = self.mapping(value, "limit", ("max", "order_by", "descending"))
        if raw is None:
            return None
        most = self.positive(raw.get("max"), "limit.max", "a number of members")
        order_by = raw.get("order_by")
        if order_by is not None and (not isinstance(order_by, str) or not order_by):
            self.fail("limit.order_by", f"expected an attribute or trait, got {_show(order_by)}")
            order_by = None
        descending = raw.get("descending", False)
        if not isinstance(descending, bool):
            self.fail("limit.descending", f"expected true or false, got {_show(descending)}")
        return Limit(most, order_by, bool(descending)) if most is not None else None

    def weighted(self, value: Any, path: str, key: str) -> Weighted | None:
        if value is None:
            return None
        raw = value if key == "arms" else self.mapping(value, path, (key,))
        if raw is None:
            return None
        weights = raw.get(key)
        if not isinstance(weights, Mapping) or not weights:
            self.fail(
                f"{path}.{key}",
                f"expected a mapping of names to positive integer weights, got {_show(weights)}",
            )
            return None
        out: list[tuple[str, int]] = []
        for name, weight in weights.items():
            at = f"{path}.{key}.{name}"
            if not isinstance(name, str) or not NAME_PATTERN.match(name):
                self.fail(at, f"expected a name (letters, digits, _ and -), got {_show(name)}")
                continue
            w = self.positive(weight, at, "a weight")
            if w is not None:
                out.append((name, w))
        if sum(w for _, w in out) > MAX_TOTAL_WEIGHT:
            self.fail(
                f"{path}.{key}", f"the weights add up to more than 2**62 ({MAX_TOTAL_WEIGHT})"
            )
        if len(out) != len(weights):
            return None
        return Weighted(tuple(out))


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."
