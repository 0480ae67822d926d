"""Trait files and percentiles: per-contact values computed from events, one per
`traits/NAME.yaml`, and the percentage of a top_percent / bottom_percent test.

The shape of a trait file (docs/language.md, "Traits") is checked here: its keys,
the per-event `where`, the value's fn and whether it takes a prop. Typing it against
the lake (events, the property and whether fn fits it) is done here too, for
`resolve.py`, which calls these functions with its own context.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, assert_never

from duckseg.errors import DefinitionError, Problem, did_you_mean
from duckseg.errors import shown as _show
from duckseg.lang import ir
from duckseg.lang.ir import TRAIT_FNS_WITHOUT_PROP, TraitFn
from duckseg.lang.loader import load_yaml
from duckseg.lang.model import Condition
from duckseg.lang.spec import NAME_PATTERN, _Parser
from duckseg.types import Catalog, ValueType

TRAITS_DIR = "traits"
TRAIT_KEYS = ("description", "of", "where", "within", "value")
VALUE_KEYS = ("fn", "prop")


def trait_files(root: Path) -> dict[str, Path]:
    """The workspace's trait files by name: `traits/*.yaml`, then `traits/*.yml`."""
    folder = root / TRAITS_DIR
    if not folder.is_dir():
        return {}
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    return {f.stem: f for f in files}


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


# -- typed against the lake (called by resolve.py) --------------------------------------

# The compiler compares percentiles in 64-bit integers (100 * count * 10^d < P * 10^d * N).
MAX_PERCENT_DECIMALS = 6


class Checking(Protocol):
    """Where problems go while a definition is typed (resolve._Context)."""

    problems: list[Problem]

    def fail(self, path: str, message: str, hint: str | None = None) -> None: ...

    def event_filter(
        self, names: str | list[str], where: Any, within: Any, path: str, key: str
    ) -> ir.EventFilter | None: ...


class Traits(Protocol):
    """What the resolver knows: the catalog, the trait files, and typed traits by name."""

    catalog: Catalog
    traits: dict[str, TraitDefinition]
    broken_traits: dict[str, list[Problem]]

    def resolve_trait(self, name: str) -> ir.Trait: ...


def trait_column(ctx: Checking, known: Traits, name: str, path: str) -> ir.Column | None:
    """A trait read like an attribute; a problem in its file is reported against the file."""
    if name in known.broken_traits:
        ctx.problems.extend(known.broken_traits[name])
        return None
    if name not in known.traits:
        hint = did_you_mean(name, known.traits)
        if name in known.catalog.attributes:
            hint = f"{name} is an attribute: write attr: {name}"
        ctx.fail(f"{path}.trait", f"unknown trait {name}", hint or "no traits/NAME.yaml")
        return None
    try:
        return known.resolve_trait(name).column
    except DefinitionError as exc:
        ctx.problems.extend(exc.problems)
        return None


def typed_trait(ctx: Checking, known: Traits, definition: TraitDefinition) -> ir.Trait | None:
    """A trait file typed against the catalog (its problems use paths of that file)."""
    name = definition.name
    if name in known.catalog.attributes:
        ctx.fail(
            "",
            f"trait {name} has the name of a contact attribute",
            "rename the file: attributes and traits are read by the same names",
        )
    written_as_one = isinstance(definition.raw.get("of"), str)
    names = definition.events[0] if written_as_one else list(definition.events)
    flt = ctx.event_filter(names, definition.where, definition.within, "", "of")
    prop = None
    if definition.prop is not None:
        props = known.catalog.properties
        if definition.prop not in props:
            ctx.fail(
                "value.prop",
                f"unknown event property {definition.prop}",
                did_you_mean(definition.prop, props),
            )
            return None
        prop = ir.Column(definition.prop, props[definition.prop], "event")
    vtype = _trait_type(ctx, definition.fn, prop)
    if flt is None or vtype is None:
        return None
    return ir.Trait(name, flt, definition.fn, prop, vtype)


def _trait_type(ctx: Checking, fn: TraitFn, prop: ir.Column | None) -> ValueType | None:
    """The value type of fn over prop (integer sums and min / max stay integers), or None
    after a problem when fn does not fit the property's type."""
    if prop is None:
        return ValueType.INTEGER if fn is TraitFn.COUNT else ValueType.TIMESTAMP
    ptype = prop.type
    match fn:
        case TraitFn.SUM | TraitFn.AVG:
            fits, needs = ptype.is_number, "a numeric"
        case TraitFn.MIN | TraitFn.MAX:
            fits, needs = ptype.is_number or ptype.is_temporal, "a numeric, date or timestamp"
        case (
            TraitFn.COUNT_DISTINCT
            | TraitFn.FIRST_VALUE
            | TraitFn.LAST_VALUE
            | TraitFn.COUNT
            | TraitFn.FIRST_TIME
            | TraitFn.LAST_TIME
        ):
            fits, needs = ptype not in (ValueType.TEXT_LIST, ValueType.OTHER), "a single-valued"
        case _:
            assert_never(fn)
    if not fits:
        ctx.fail("value.fn", f"{fn.value} needs {needs} property; {prop.name} is {ptype.value}")
        return None
    if fn is TraitFn.COUNT_DISTINCT:
        return ValueType.INTEGER
    return ValueType.FLOAT if fn is TraitFn.AVG else ptype


def percentage(ctx: Checking, raw: Any, path: str) -> Decimal | None:
    """P of top_percent / bottom_percent, exactly as written (0.1 is one tenth)."""
    ok = isinstance(raw, int | float | Decimal) and not isinstance(raw, bool)
    if ok and isinstance(raw, float):
        ok = math.isfinite(raw)
    if not ok:
        ctx.fail(path, f"expected a percentage (a number with 0 < P <= 100), got {_show(raw)}")
        return None
    value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    if not 0 < value <= 100:
        ctx.fail(path, f"expected a percentage with 0 < P <= 100, got {raw}")
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PERCENT_DECIMALS:
        ctx.fail(path, f"a percentage has at most {MAX_PERCENT_DECIMALS} decimals, got {raw}")
        return None
    return Decimal(format(value.normalize(), "f"))  # 1E+2 is 100
