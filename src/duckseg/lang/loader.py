"""Bounded YAML: definition files read with limits an attacker cannot talk past.

A YAML file is a graph, not a tree: aliases (`*a`) share nodes, so 1 KB of
nested aliases stands for billions of nodes once a reader walks it. Before
anything is built from a file we count the nodes *after* alias expansion and
the depth of that expansion, on the composed graph (memoised, so the count
itself is cheap), and refuse past the limits of `[limits]` in duckseg.toml
(docs/data-model.md). Duplicate keys are refused with both line numbers; an
impossible date (`2026-02-30`) stays text, for the resolver to report at its
path in the definition.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from duckseg.errors import DefinitionError, Problem

DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_MAX_NODES = 100_000
# YAML nesting a definition may use: 64 levels of conditions take about 130.
MAX_YAML_DEPTH = 200
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Limits:
    """What one definition file may hold: bytes on disk, nodes after alias expansion."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_nodes: int = DEFAULT_MAX_NODES


class _Refused(Exception):
    """A limit or rule broken while composing; carries the place and the message."""

    def __init__(self, place: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.place, self.message, self.hint = place, message, hint


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _Loader(yaml.SafeLoader):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # PyYAML composes recursively: stop well before the interpreter's recursion limit.
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _Refused(
                    f"line {mark.line + 1}",
                    f"nested more than {MAX_YAML_DEPTH} levels deep",
                    "a definition needs far fewer; flatten the groups",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = self.construct_object(key_node)
            try:
                first = seen.get(key)
                seen.setdefault(key, _line(key_node))
            except TypeError:
                continue
            if first is not None:
                raise _Refused(
                    f"line {_line(key_node)}",
                    f"duplicate key {key!r} (at line {first} and again at line {_line(key_node)})",
                    "keep one: YAML would silently use the last",
                )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)  # "2026-02-30": text, reported where it is used


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _measure(root: Node, max_nodes: int) -> None:
    """Nodes and depth of `root` once every alias is expanded, without expanding it."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            size[key] = min(1 + sum(size[id(c)] for c in children), max_nodes + 1)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > max_nodes:
                raise _Refused(
                    f"line {_line(node)}",
                    f"expands to more than {max_nodes:,} nodes once its aliases are expanded",
                    "raise [limits] definition_nodes in duckseg.toml if this is intended",
                )
            if depth[key] > MAX_YAML_DEPTH:
                raise _Refused(
                    f"line {_line(node)}",
                    f"nested more than {MAX_YAML_DEPTH} levels deep once its aliases are expanded",
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Refused(f"line {_line(node)}", "an alias refers to a node that contains it")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_yaml(text: str, source: str, limits: Limits | None = None) -> Any:
    """Parse one YAML document within `limits`; every refusal is a DefinitionError."""
    limits = limits or Limits()
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limits.max_bytes:
        raise _error(
            source,
            "",
            f"is {size:,} bytes, more than the {limits.max_bytes:,} a definition may have",
            "raise [limits] definition_bytes in duckseg.toml if this is intended",
        )
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader refuses control characters at once
        root = loader.get_single_node()
        if root is None:
            return None
        _measure(root, limits.max_nodes)
        return loader.construct_document(root)
    except _Refused as exc:
        raise _error(source, exc.place, exc.message, exc.hint) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _error(source, place, f"not valid YAML: {problem}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path: Path, source: str, limits: Limits | None = None) -> str:
    """A definition file's text: UTF-8 (a BOM is allowed), no larger than the limit."""
    limits = limits or Limits()
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise _error(source, "", f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > limits.max_bytes:
        raise _error(
            source,
            "",
            f"is larger than the {limits.max_bytes:,} bytes a definition may have",
            "raise [limits] definition_bytes in duckseg.toml if this is intended",
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _error(source, "", "is UTF-16 text", "save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error(
            source,
            f"line {line}",
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "save it as UTF-8",
        ) from None


def _error(source: str, place: str, message: str, hint: str | None = None) -> DefinitionError:
    return DefinitionError([Problem(source, place, message, hint)])
