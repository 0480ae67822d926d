"""An audience checked against the workspace: names, the exclusion graph, the ordering.

Every problem names the audience file and the path inside it; a name that is
not found comes with a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    column: ir.Column
    descending: bool


def order_by(audience: Audience, resolver: Resolver, catalog: Catalog) -> OrderBy | None:
    """The value `limit` orders by, looked up the way a condition on it would be."""
    limit = audience.limit
    if limit is None or limit.order_by is None:
        return None
    name, at = limit.order_by, "limit.order_by"
    try:
        node = resolver.resolve_condition({"attr": name, "op": "is_set"}, audience.source)
    except DefinitionError as exc:
        known: Mapping[str, ValueType] = catalog.attributes
        raise DefinitionError(
            [
                Problem(
                    audience.source,
                    at,
                    f"unknown attribute {name}",
                    did_you_mean(name, known) or exc.problems[0].hint,
                )
            ]
        ) from exc
    assert isinstance(node, ir.ValueTest)
    column = node.column
    if column.type not in ORDERABLE:
        raise DefinitionError(
            [
                Problem(
                    audience.source,
                    at,
                    f"{name} is {column.type.value}: order_by needs a number, date or timestamp",
                )
            ]
        )
    if column.scope != "contact":
        raise DefinitionError([Problem(audience.source, at, f"{name} is not a contact attribute")])
    return OrderBy(replace(column), limit.descending)
