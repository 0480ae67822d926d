"""Segment definitions of a workspace: finding and loading the files of `segments/`,
who may write a segment's history, resolving against the lake, and the definition hash
that marks a built segment changed (docs/language.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckseg.api import traits as traits_api
from duckseg.db import regex_error
from duckseg.errors import DefinitionError, Problem, unknown_segment
from duckseg.lang.loader import read_text
from duckseg.lang.resolve import ResolvedSegment, Resolver
from duckseg.lang.spec import Segment
from duckseg.lang.traits import trait_files
from duckseg.types import Catalog

if TYPE_CHECKING:
    import duckdb

    from duckseg.api.workspace import SegmentLike, Workspace

SEGMENTS_DIR = "segments"


def segment_files(root: Path) -> dict[str, Path]:
    folder = root / SEGMENTS_DIR
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.exists() else []
    found: dict[str, Path] = {}
    for f in files:
        found.setdefault(f.stem, f)  # vip.yaml beside vip.yml: load() refuses both
    return found


def source_name(root: Path, path: Path) -> str:
    """How messages name a file: relative to the workspace when it lies inside it."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def load(ws: Workspace, name_or_path: SegmentLike) -> Segment:
    """A definition by segment name, by YAML path, or as given."""
    if isinstance(name_or_path, Segment):
        return name_or_path
    text = str(name_or_path)
    files = ws.segment_files()
    if text in files:
        path = files[text]
    elif text.endswith((".yaml", ".yml")) or Path(text).exists():
        path = Path(text)
        if not path.is_absolute() and not path.exists():
            path = ws.root / text
    else:
        raise DefinitionError([unknown_segment(text, files)])
    source = source_name(ws.root, path)
    own = _own_file(ws.root, path)
    if own is not None:
        twins = [own.with_suffix(s) for s in (".yaml", ".yml")]
        if all(t.exists() for t in twins):
            names = " and ".join(source_name(ws.root, t) for t in twins)
            raise DefinitionError(
                [Problem(source, "", f"{names} both define segment {own.stem}", "keep one")]
            )
    content = read_text(path, source, ws.limits)
    return Segment.from_yaml_string(
        content, source=source, default_name=path.stem, limits=ws.limits
    )


def _own_file(root: Path, path: Path) -> Path | None:
    """`path` if it is a definition file in this workspace's segments/ folder."""
    resolved = path.resolve()
    return resolved if resolved.parent == (root / SEGMENTS_DIR).resolve() else None


def check_owner(ws: Workspace, seg: Segment) -> None:
    """A definition from elsewhere never writes into a workspace segment's history."""
    root = ws.root
    files = ws.segment_files()
    if seg.name not in files:
        return
    own = files[seg.name].resolve()
    given = Path(seg.source)
    if seg.source.startswith("<") or own not in (given.resolve(), (root / given).resolve()):
        raise DefinitionError(
            [
                Problem(
                    seg.source,
                    "name",
                    f"segment {seg.name} is defined by {source_name(root, own)}: a definition "
                    "from elsewhere cannot write into its history",
                    f"preview it instead, or give it another name than {seg.name}",
                )
            ]
        )


def _lookup(
    ws: Workspace, extra: Sequence[Segment] = ()
) -> tuple[Callable[[str], Segment | None], list[str]]:
    files = ws.segment_files()
    given = {s.name: s for s in extra}
    cache: dict[str, Segment] = {}

    def lookup(name: str) -> Segment | None:
        if name in given:
            return given[name]
        if name not in cache and name in files:
            cache[name] = ws.load(name)
        return cache.get(name)

    return lookup, sorted(set(files) | set(given))


def resolver(ws: Workspace, catalog: Catalog, extra: Sequence[Segment] = ()) -> Resolver:
    lookup, names = _lookup(ws, extra)
    # A trait file that does not parse is reported where a definition reads it.
    traits, broken = traits_api.load_traits(ws.root, lambda p: source_name(ws.root, p))
    return Resolver(
        catalog,
        ws.config.time.zone,
        lookup,
        names,
        regex_error=regex_error,
        traits=traits,
        broken_traits=broken,
    )


def resolve(
    ws: Workspace, segments: Sequence[Segment], con: duckdb.DuckDBPyConnection
) -> list[ResolvedSegment]:
    """Every segment resolved against the lake bound on `con`, or every problem of all."""
    found = ws.resolver(ws.read_catalog(con), segments)
    problems: list[Problem] = []
    out = []
    for seg in segments:
        try:
            out.append(found.resolve(seg))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DefinitionError(problems)
    return out


def definition_hash(ws: Workspace, segment: Segment, extra: Sequence[Segment] = ()) -> str:
    """A hash of what decides membership: the segment's kind and `where`, and the hashes of
    the segments it references, transitively, so a change to an input marks it changed;
    with the text of the trait files it reads, where it reads any."""
    lookup, _ = _lookup(ws, extra)
    digest = _definition_hash(segment, lookup, ())
    used = named(segment.raw.get("where"), ("trait",))
    if not used:  # without traits the hash is what it always was
        return digest
    files = trait_files(ws.root)
    body = {
        "definition": digest,
        "traits": {n: files[n].read_text(encoding="utf-8") for n in sorted(used) if n in files},
    }
    canonical = json.dumps(body, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _definition_hash(
    segment: Segment, lookup: Callable[[str], Segment | None], seen: tuple[str, ...]
) -> str:
    content: dict[str, Any] = {"kind": segment.kind, "where": segment.raw.get("where")}
    refs = sorted(references(segment))
    if refs:  # without references the hash is what it always was: old snapshots still match
        inputs: dict[str, str | None] = {}
        for name in refs:
            try:
                found = None if name in seen else lookup(name)
            except DefinitionError:
                found = None  # an unreadable input: resolving the segment reports it
            inputs[name] = (
                None if found is None else _definition_hash(found, lookup, (*seen, segment.name))
            )
        content["references"] = inputs
    canonical = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def references(seg: Segment) -> set[str]:
    """The segments a definition reads with in_segment / not_in_segment."""
    return named(seg.raw.get("where"), ("in_segment", "not_in_segment"))


def named(where: Any, keys: Sequence[str]) -> set[str]:
    """The names a definition gives under any of `keys` (segments referenced, traits read)."""
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key in keys:
                if isinstance(value.get(key), str):
                    found.add(value[key])
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    visit(where)
    return found
