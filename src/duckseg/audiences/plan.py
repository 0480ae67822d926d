"""An audience checked against the workspace: names, the exclusion graph, the ordering.

Every problem names the audience file and the path inside it; a name that is
not found comes with a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from duckseg.audiences.spec import AUDIENCES_DIR, Audience
from duckseg.errors import DefinitionError, Problem, did_you_mean
from duckseg.lang import ir
from duckseg.lang.resolve import Resolver
from duckseg.types import Catalog, ValueType

if TYPE_CHECKING:
    from duckseg.context import WorkspaceContext

ORDERABLE = frozenset(
    {ValueType.INTEGER, ValueType.FLOAT, ValueType.DECIMAL, ValueType.DATE, ValueType.TIMESTAMP}
)


def audience_files(root: Path) -> dict[str, Path]:
    folder = root / AUDIENCES_DIR
    if not folder.is_dir():
        return {}
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    return {f.stem: f for f in files}


def load_audience(root: Path, name: str) -> Audience:
    files = audience_files(root)
    if name not in files:
        raise DefinitionError(
            [Problem(AUDIENCES_DIR, "", f"unknown audience {name}", did_you_mean(name, files))]
        )
    path = files[name]
    return Audience.from_yaml(path, path.relative_to(root).as_posix())


def check_names(ws: WorkspaceContext, audience: Audience) -> None:
    """Segments and audiences named by `audience` exist; its exclusions have no cycle."""
    problems: list[Problem] = []
    segments = ws.segment_files()
    for key, names in (("include", audience.include), ("exclude", audience.exclude)):
        for i, name in enumerate(names):
            if name not in segments:
                problems.append(
                    Problem(
                        audience.source,
                        f"{key}[{i}]",
                        f"unknown segment {name}",
                        did_you_mean(name, segments),
                    )
                )
    audiences = audience_files(ws.root)
    for i, name in enumerate(audience.exclude_audiences):
        if name not in audiences:
            problems.append(
                Problem(
                    audience.source,
                    f"exclude_audiences[{i}]",
                    f"unknown audience {name}",
                    did_you_mean(name, audiences),
                )
            )
    if not problems:
        problems.extend(_cycle(ws.root, audience))
    if problems:
        raise DefinitionError(problems)


def _cycle(root: Path, audience: Audience) -> list[Problem]:
    """An audience that excludes itself through other audiences' exclude_audiences."""

    def excluded_by(name: str) -> Sequence[str]:
        if name == audience.name:
            return audience.exclude_audiences
        try:
            return load_audience(root, name).exclude_audiences
        except DefinitionError:
            return ()  # that file's own problems are reported when it is built

    for i, first in enumerate(audience.exclude_audiences):
        path = [audience.name, first]
        stack = [(first, iter(excluded_by(first)))]
        seen = {first}
        while stack:
            _, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                continue
            if child == audience.name:
                chain = " -> ".join([*path, child])
                return [
                    Problem(
                        audience.source,
                        f"exclude_audiences[{i}]",
                        f"audience {audience.name} excludes itself: {chain}",
                    )
                ]
            if child not in seen:
                seen.add(child)
                path.append(child)
                stack.append((child, iter(excluded_by(child))))
    return []


@dataclass(frozen=True)
class OrderBy:
    """What `limit` orders by: a contact attribute, or a trait computed at the build's as_of."""

    column: ir.Column  # scope "contact", or "trait" with the trait's definition
    descending: bool

    @property
    def kind(self) -> str:
        return "trait" if self.column.trait is not None else "attribute"


def order_by(audience: Audience, resolver: Resolver, catalog: Catalog) -> OrderBy | None:
    """The value `limit` orders by, looked up the way a condition on it would be: an
    attribute by its name, else a trait of `traits/NAME.yaml` (the two never share a name)."""
    limit = audience.limit
    if limit is None or limit.order_by is None:
        return None
    name, at = limit.order_by, "limit.order_by"
    if name in catalog.attributes:
        condition = {"attr": name, "op": "is_set"}
    elif name in resolver.traits or name in resolver.broken_traits:
        condition = {"trait": name, "op": "is_set"}
    else:
        known = sorted({*catalog.attributes, *resolver.traits, *resolver.broken_traits})
        raise DefinitionError(
            [
                Problem(
                    audience.source,
                    at,
                    f"unknown attribute or trait {name}",
                    did_you_mean(name, known) or "order_by names an attribute or a trait",
                )
            ]
        )
    # A trait file with problems reports them against that file.
    node = resolver.resolve_condition(condition, audience.source)
    assert isinstance(node, ir.ValueTest)
    column = node.column
    if column.type not in ORDERABLE:
        noun = "trait " if column.trait is not None else ""
        raise DefinitionError(
            [
                Problem(
                    audience.source,
                    at,
                    f"{noun}{name} is {column.type.value}: "
                    "order_by needs a number, date or timestamp",
                )
            ]
        )
    return OrderBy(replace(column), limit.descending)


def describe_limit(audience: Audience, ordering: OrderBy | None) -> str | None:
    """`limit` in words, as `audience build` and `show` print it."""
    limit = audience.limit
    if limit is None:
        return None
    if ordering is None:
        return f"the first {limit.max:,} by contact_id"
    way = "descending" if ordering.descending else "ascending"
    when = ", at the build's as_of" if ordering.kind == "trait" else ""
    return (
        f"the first {limit.max:,} by {ordering.kind} {ordering.column.name}{when} ({way}; "
        "missing values last, ties by contact_id)"
    )
