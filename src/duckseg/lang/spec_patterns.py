"""The shape of sequences and lifecycle conditions (docs/language.md, "Sequences" and
"Lifecycle"): keys, nesting and value kinds. Durations, counts and event names are
checked by `resolve_patterns`, against the lake, like the rest of the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from duckseg.errors import did_you_mean, shown
from duckseg.lang.model import (
    Condition,
    RegularlyCond,
    RestartedCond,
    SequenceCond,
    SequenceStepSpec,
    StoppedCond,
)

STEP_KEYS = ("performed", "where", "then_within")
LIFECYCLE_MODELS: dict[str, type[RegularlyCond] | type[StoppedCond] | type[RestartedCond]] = {
    "performed_regularly": RegularlyCond,
    "stopped_performing": StoppedCond,
    "restarted_performing": RestartedCond,
}


class Parser(Protocol):
    def problem(self, path: str, message: str, hint: str | None = None) -> None: ...

    def condition(self, raw: Any, path: str, scope: str, depth: int = 0) -> Condition | None: ...


def _names_ok(names: Any) -> bool:
    if isinstance(names, str):
        return bool(names)
    return isinstance(names, list) and bool(names) and all(isinstance(n, str) and n for n in names)


def _unknown_keys(
    parser: Parser, raw: Mapping[str, Any], path: str, known: tuple[str, ...]
) -> bool:
    ok = True
    for key in raw:
        if key not in known:
            parser.problem(f"{path}.{key}", f"unknown key {key!r}", did_you_mean(str(key), known))
            ok = False
    return ok


def _where(parser: Parser, raw: Mapping[str, Any], path: str, depth: int) -> tuple[bool, Any]:
    """(ok, the parsed event `where` or None)."""
    if "where" not in raw:
        return True, None
    where = parser.condition(raw["where"], f"{path}.where", "prop", depth + 1)
    return where is not None, where


def parse_sequence(
    parser: Parser, raw: Mapping[str, Any], path: str, depth: int
) -> SequenceCond | None:
    ok = _unknown_keys(parser, raw, path, ("sequence", "within"))
    items = raw["sequence"]
    if not isinstance(items, list) or len(items) < 2:
        parser.problem(
            f"{path}.sequence",
            f"expected a list of at least two steps, got {shown(items)}",
            "one step alone is a performed condition",
        )
        return None
    steps = []
    for index, item in enumerate(items):
        step = _step(parser, item, f"{path}.sequence[{index}]", index, depth)
        ok = ok and step is not None
        steps.append(step)
    if not ok:
        return None
    return SequenceCond(sequence=[s for s in steps if s is not None], within=raw.get("within"))


def _step(parser: Parser, raw: Any, path: str, index: int, depth: int) -> SequenceStepSpec | None:
    if not isinstance(raw, Mapping):
        parser.problem(path, f"expected a step like {{performed: purchase}}, got {shown(raw)}")
        return None
    ok = _unknown_keys(parser, raw, path, STEP_KEYS)
    if "performed" not in raw:
        parser.problem(path, "a step needs performed: an event name or a list of names")
        return None
    if not _names_ok(raw["performed"]):
        parser.problem(
            f"{path}.performed",
            f"expected an event name or a non-empty list of names, got {shown(raw['performed'])}",
        )
        ok = False
    if index == 0 and "then_within" in raw:
        parser.problem(
            f"{path}.then_within",
            "then_within on the first step: there is no step before it",
            "remove it; a within next to sequence bounds every step",
        )
        ok = False
    where_ok, where = _where(parser, raw, path, depth)
    if not ok or not where_ok:
        return None
    return SequenceStepSpec(
        performed=raw["performed"], where=where, then_within=raw.get("then_within")
    )


def parse_lifecycle(
    parser: Parser, raw: Mapping[str, Any], path: str, kind: str, depth: int
) -> Condition | None:
    model = LIFECYCLE_MODELS[kind]
    known = tuple(model.model_fields)
    ok = _unknown_keys(parser, raw, path, known)
    for key, info in model.model_fields.items():
        if info.is_required() and key not in raw:
            parser.problem(path, f"{kind} needs {key}", _NEEDS.get(key))
            ok = False
    if not _names_ok(raw[kind]):
        parser.problem(
            f"{path}.{kind}",
            f"expected an event name or a non-empty list of names, got {shown(raw[kind])}",
        )
        ok = False
    where_ok, where = _where(parser, raw, path, depth)
    if not ok or not where_ok:
        return None
    data = {k: v for k, v in raw.items() if k != "where"}
    return model.model_validate({**data, "where": where})


_NEEDS = {
    "every": "the length of one period, like every: 1mo",
    "periods": "how many periods back from as_of, like periods: 3",
    "recent": "the recent stretch that ends at as_of, like recent: 30d",
    "prior": "the stretch before recent with events, like prior: 60d",
    "gap": "the stretch before recent without events, like gap: 60d",
}
