"""Trait files: per-contact values computed from events, one per `traits/NAME.yaml`.

This layer knows the shape of a trait file (docs/language.md, "Traits"): its keys,
the per-event `where`, the value's fn and whether it takes a prop. Names and types
are checked against the lake by `resolve.py`, like a segment's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duckseg.errors import DefinitionError, Problem, did_you_mean
from duckseg.lang.ir import TRAIT_FNS_WITHOUT_PROP, TraitFn
from duckseg.lang.model import Condition
from duckseg.lang.spec import NAME_PATTERN, _Parser, _show, load_yaml

TRAIT_KEYS = ("description", "of", "where", "within", "value")
VALUE_KEYS = ("fn", "prop")


@dataclass(frozen=True)
class TraitDefinition:
    """A parsed (structurally valid) trait file."""

    name: str
    source: str  # the file it came from
    raw: Mapping[str, Any]
    description: str | None
    events: tuple[str, ...]  # `of`: the event names whose events count
    where: Condition | None  # per event, over properties
    within: Any  # a window, typed when resolved
    fn: TraitFn
    prop: str | None

    @classmethod
    def from_yaml(cls, path: str | Path, source: str | None = None) -> TraitDefinition:
        path = Path(path)
        shown = source or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DefinitionError(
                [Problem(shown, "", f"cannot read file: {exc.strerror}")]
            ) from exc
        return cls.from_dict(load_yaml(text, shown), shown, path.stem)

    @classmethod
    def from_dict(cls, raw: Any, source: str, name: str) -> TraitDefinition:
        return parse_trait(raw, source, name)


def parse_trait(raw: Any, source: str, name: str) -> TraitDefinition:
    parser = _Parser(source)
    if not NAME_PATTERN.match(name):
        parser.problem("", f"a trait name is letters, digits, _ and -, got {name!r}")
    if not isinstance(raw, Mapping):
        parser.problem("", f"expected a mapping with of and value, got {_show(raw)}")
        raise DefinitionError(parser.problems)
    for key in raw:
        if key not in TRAIT_KEYS:
            parser.problem(str(key), f"unknown key {key!r}", did_you_mean(str(key), TRAIT_KEYS))
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        parser.problem("description", f"expected text, got {_show(description)}")
    events = _events(parser, raw)
    where = None
    if raw.get("where") is not None:
        where = parser.condition(raw["where"], "where", "prop")
    fn, prop = _value(parser, raw)
    if parser.problems or fn is None:
        raise DefinitionError(parser.problems)
    return TraitDefinition(
        name, source, raw, description, events, where, raw.get("within"), fn, prop
    )


def _events(parser: _Parser, raw: Mapping[str, Any]) -> tuple[str, ...]:
    if "of" not in raw:
        parser.problem("", "missing of: the event name (or names) whose events count")
        return ()
    names = raw["of"]
    if isinstance(names, str) and names:
        return (names,)
    if isinstance(names, list) and names and all(isinstance(n, str) and n for n in names):
        return tuple(dict.fromkeys(names))
    parser.problem("of", f"expected an event name or a non-empty list of names, got {_show(names)}")
    return ()


def _value(parser: _Parser, raw: Mapping[str, Any]) -> tuple[TraitFn | None, str | None]:
    """The value's fn and prop: count, first_time and last_time take no prop, the rest one."""
    if "value" not in raw:
        parser.problem("", "missing value: {fn: ..., prop: ...}")
        return None, None
    value = raw["value"]
    if not isinstance(value, Mapping):
        parser.problem("value", f"expected {{fn: ..., prop: ...}}, got {_show(value)}")
        return None, None
    for key in value:
        if key not in VALUE_KEYS:
            parser.problem(
                f"value.{key}", f"unknown key {key!r}", did_you_mean(str(key), VALUE_KEYS)
            )
    names = [f.value for f in TraitFn]
    raw_fn = value.get("fn")
    if not isinstance(raw_fn, str) or raw_fn not in names:
        parser.problem(
            "value.fn",
            f"expected one of {', '.join(names)}, got {_show(raw_fn)}",
            did_you_mean(raw_fn, names) if isinstance(raw_fn, str) else None,
        )
        return None, None
    fn = TraitFn(raw_fn)
    prop = value.get("prop")
    if fn in TRAIT_FNS_WITHOUT_PROP:
        if "prop" in value:
            what = "counts the qualifying events" if fn is TraitFn.COUNT else "is an event's time"
            parser.problem("value.prop", f"{fn.value} takes no prop: it {what}", "remove prop")
            return None, None
        return fn, None
    if not isinstance(prop, str) or not prop:
        parser.problem(
            "value.prop" if "prop" in value else "value",
            f"{fn.value} needs a prop: the event property it reads, got {_show(prop)}",
        )
        return None, None
    return fn, prop
