"""User-facing segment definitions: YAML loading and structural validation.

This layer knows the *shape* of the definition language (docs/language.md) and
nothing about the lake: keys, nesting, value kinds. Types are checked later by
`resolve.py` against the catalog. Every problem in a file is collected, each
with its path inside the file ("where.all[1].value").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from duckseg.errors import DefinitionError, Problem, did_you_mean
from duckseg.errors import shown as _show
from duckseg.lang.loader import Limits, load_yaml, read_text
from duckseg.lang.model import (
    KIND_KEYS,
    LIFECYCLE_KEYS,
    AggregateSpec,
    Condition,
    CountSpec,
    FirstLastCond,
    GroupAll,
    GroupAny,
    GroupNot,
    NotPerformedCond,
    PerformedCond,
    SegmentRefCond,
    ValueCond,
    _Model,
)
from duckseg.lang.spec_patterns import parse_lifecycle, parse_sequence

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
MAX_DEPTH = 64  # deeper nesting is refused rather than risking the recursion limit


@dataclass(frozen=True)
class Segment:
    """A parsed (structurally valid) segment definition."""

    name: str
    source: str  # file the definition came from, or "<string>"
    raw: Mapping[str, Any]
    description: str | None
    owner: str | None
    kind: str  # "dynamic" | "static"
    where: Condition | None

    @classmethod
    def from_yaml(cls, path: str | Path, limits: Limits | None = None) -> Segment:
        path = Path(path)
        text = read_text(path, str(path), limits)
        return cls.from_yaml_string(text, source=str(path), default_name=path.stem, limits=limits)

    @classmethod
    def from_yaml_string(
        cls,
        text: str,
        source: str = "<string>",
        default_name: str | None = None,
        limits: Limits | None = None,
    ) -> Segment:
        raw = load_yaml(text, source, limits)
        return cls.from_dict(raw, source=source, default_name=default_name)

    @classmethod
    def from_dict(
        cls, raw: Any, source: str = "<dict>", default_name: str | None = None
    ) -> Segment:
        return parse_segment(raw, source, default_name)

    @property
    def is_static(self) -> bool:
        return self.kind == "static"

    def _repr_html_(self) -> str:
        from duckseg.lang.outline import segment_html

        return segment_html(self)


# -- parsing --------------------------------------------------------------------


TOP_KEYS = ("name", "description", "owner", "kind", "where")


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.source, path, message, hint))

    def condition(self, raw: Any, path: str, scope: str, depth: int = 0) -> Condition | None:
        if depth > MAX_DEPTH:
            self.problem(path, f"conditions are nested more than {MAX_DEPTH} levels deep")
            return None
        if not isinstance(raw, Mapping):
            self.problem(
                path,
                f"expected a condition (a mapping with one of {', '.join(KIND_KEYS)}), got {_show(raw)}",
            )
            return None
        kinds = [k for k in KIND_KEYS if k in raw]
        if not kinds:
            unknown = next((str(k) for k in raw), "")
            self.problem(
                path,
                "expected a condition: a mapping with one of " + ", ".join(KIND_KEYS),
                did_you_mean(unknown, KIND_KEYS),
            )
            return None
        if len(kinds) > 1 and set(kinds) != {"attr", "prop"}:
            self.problem(
                path,
                f"a condition has exactly one kind, got {' and '.join(kinds)}",
                "wrap several in all: [...]",
            )
            return None
        kind = kinds[0]
        if kind in ("attr", "prop", "trait"):
            return self.value_condition(raw, path, scope)
        if scope == "prop" and kind not in ("all", "any", "not"):
            self.problem(path, f"{kind} is not allowed inside an event where: use prop conditions")
            return None
        if kind == "all":
            return self.group(raw, path, scope, depth, "all")
        if kind == "any":
            return self.group(raw, path, scope, depth, "any")
        if kind == "not":
            extra = [k for k in raw if k != "not"]
            if extra:
                self.problem(f"{path}.{extra[0]}", f"unknown key {extra[0]!r} next to not")
            child = self.condition(raw["not"], f"{path}.not", scope, depth + 1)
            return GroupNot(not_=child) if child is not None else None
        if kind in ("in_segment", "not_in_segment"):
            return self.segment_ref(raw, path, kind)
        if kind == "sequence":
            return parse_sequence(self, raw, path, depth)
        if kind in LIFECYCLE_KEYS:
            return parse_lifecycle(self, raw, path, kind, depth)
        return self.event_condition(raw, path, kind, depth)

    def group(
        self, raw: Mapping[str, Any], path: str, scope: str, depth: int, key: str
    ) -> Condition | None:
        extra = [k for k in raw if k != key]
        if extra:
            self.problem(f"{path}.{extra[0]}", f"unknown key {extra[0]!r} next to {key}")
        items = raw[key]
        if not isinstance(items, list):
            self.problem(f"{path}.{key}", f"expected a list of conditions, got {_show(items)}")
            return None
        if key == "any" and not items:
            self.problem(
                f"{path}.{key}",
                "an empty any matches nobody and is not allowed",
                "remove it or add a condition",
            )
            return None
        children = [
            self.condition(item, f"{path}.{key}[{i}]", scope, depth + 1)
            for i, item in enumerate(items)
        ]
        kept = [c for c in children if c is not None]
        if len(kept) != len(children):
            return None
        return GroupAll(all=kept) if key == "all" else GroupAny(any=kept)

    def value_condition(self, raw: Mapping[str, Any], path: str, scope: str) -> ValueCond | None:
        key = next(k for k in ("attr", "trait", "prop") if k in raw)
        if key == "trait" and scope == "prop":
            self.problem(
                f"{path}.trait",
                "a trait is a value per contact, not per event: use it outside the event where",
            )
            return None
        if key != scope and key != "trait":
            wanted = "attr" if scope == "attr" else "prop"
            where = "event properties" if scope == "prop" else "contact attributes"
            self.problem(
                f"{path}.{key}", f"use {wanted} for {where}", f"write {wanted}: {raw[key]}"
            )
            return None
        allowed = {key, "op", "value", "case_sensitive"}
        ok = True
        for k in raw:
            if k not in allowed:
                self.problem(
                    f"{path}.{k}", f"unknown key {k!r}", did_you_mean(str(k), sorted(allowed))
                )
                ok = False
        name, op = raw.get(key), raw.get("op")
        if not isinstance(name, str) or not name:
            self.problem(f"{path}.{key}", f"expected a name, got {_show(name)}")
            ok = False
        if "op" not in raw:
            self.problem(path, "missing op")
            ok = False
        elif not isinstance(op, str):
            self.problem(f"{path}.op", f"expected an operator name, got {_show(op)}")
            ok = False
        cs = raw.get("case_sensitive")
        if cs is not None and not isinstance(cs, bool):
            self.problem(f"{path}.case_sensitive", f"expected true or false, got {_show(cs)}")
            ok = False
        if not ok:
            return None
        return ValueCond(
            field=str(name),
            op=str(op),
            value=raw.get("value"),
            has_value="value" in raw,
            case_sensitive=cs,
            scope=key,
        )

    def segment_ref(self, raw: Mapping[str, Any], path: str, key: str) -> SegmentRefCond | None:
        extra = [k for k in raw if k != key]
        if extra:
            self.problem(f"{path}.{extra[0]}", f"unknown key {extra[0]!r} next to {key}")
            return None
        name = raw[key]
        if not isinstance(name, str) or not name:
            self.problem(f"{path}.{key}", f"expected a segment name, got {_show(name)}")
            return None
        return SegmentRefCond(segment=name, negated=key == "not_in_segment")

    def event_condition(
        self, raw: Mapping[str, Any], path: str, kind: str, depth: int
    ) -> Condition | None:
        model: type[_Model]
        data = dict(raw)
        if kind == "performed":
            model = PerformedCond
        elif kind == "not_performed":
            model = NotPerformedCond
        else:
            model = FirstLastCond
            data = {"which": kind.removesuffix("_performed"), "events": data.pop(kind), **data}
        names = raw[kind]
        names_ok = (isinstance(names, str) and names) or (
            isinstance(names, list) and names and all(isinstance(n, str) and n for n in names)
        )
        if not names_ok:
            self.problem(
                f"{path}.{kind}",
                f"expected an event name or a non-empty list of names, got {_show(names)}",
            )
            return None
        where_raw = data.pop("where", None)
        try:
            cond = model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = [kind if p == "events" else p for p in err["loc"] if p not in ("which",)]
                sub = ".".join(str(p) for p in loc)
                if err["type"] == "extra_forbidden":
                    known = [f for f in model.model_fields if f not in ("which", "events")] + [kind]
                    if len(loc) > 1 and loc[0] in ("count", "aggregate"):
                        sub_model = CountSpec if loc[0] == "count" else AggregateSpec
                        known = list(sub_model.model_fields)
                    self.problem(
                        f"{path}.{sub}",
                        f"unknown key {loc[-1]!r}",
                        did_you_mean(str(loc[-1]), known),
                    )
                elif err["type"] == "missing":
                    self.problem(f"{path}.{sub}", "missing")
                else:
                    self.problem(f"{path}.{sub}", err["msg"])
            return None
        if where_raw is not None or "where" in raw:
            where = self.condition(where_raw, f"{path}.where", "prop", depth + 1)
            if where is None:
                return None
            cond = cond.model_copy(update={"where": where})
        if isinstance(cond, FirstLastCond):
            tests = [k for k in ("before", "after", "within") if k in raw]
            if len(tests) != 1:
                self.problem(
                    path, f"{kind} needs exactly one of before, after, within (got {len(tests)})"
                )
                return None
        return cond


def parse_segment(raw: Any, source: str, default_name: str | None) -> Segment:
    parser = _Parser(source)
    if not isinstance(raw, Mapping):
        raise DefinitionError(
            [Problem(source, "", f"expected a mapping with a where condition, got {_show(raw)}")]
        )
    for key in raw:
        if key not in TOP_KEYS:
            parser.problem(str(key), f"unknown key {key!r}", did_you_mean(str(key), TOP_KEYS))
    # A definition given as a string or dict in a notebook may have no name: call it "segment".
    name = raw.get("name", default_name or "segment")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        parser.problem(
            "name", f"expected a segment name (letters, digits, _ and -), got {_show(name)}"
        )
    elif default_name is not None and name != default_name:
        # A file's segment is its stem: a name that disagrees would write another's history.
        parser.problem(
            "name",
            f"name {name} differs from the file name {default_name}: a segment's name is its "
            "file stem",
            f"rename the file to {name}.yaml or remove name:",
        )
    for key in ("description", "owner"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            parser.problem(key, f"expected text, got {_show(raw[key])}")
    kind = raw.get("kind", "dynamic")
    where: Condition | None = None
    if kind not in ("dynamic", "static"):
        parser.problem("kind", f"expected dynamic or static, got {_show(kind)}")
    elif kind == "static":
        if "where" in raw:
            parser.problem(
                "where", "a static segment has no where: its members are set by duckseg static"
            )
    elif "where" not in raw:
        parser.problem("", "missing where: a segment needs one condition")
    else:
        where = parser.condition(raw["where"], "where", "attr")
    if parser.problems:
        raise DefinitionError(parser.problems)
    return Segment(
        name=str(name),
        source=source,
        raw=raw,
        description=raw.get("description"),
        owner=raw.get("owner"),
        kind=str(kind),
        where=where,
    )
