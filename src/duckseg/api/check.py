"""`check`: validate definitions (and, for the whole workspace, every trait) against the
lake, collecting every problem before raising."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from duckseg.errors import DefinitionError, Problem

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace


def check(ws: Workspace, names: Sequence[str] = ()) -> list[str]:
    """The names checked; raises DefinitionError listing every problem."""
    targets = list(names) or list(ws.segment_files())
    problems: list[Problem] = []
    segs = []
    for name in targets:
        try:
            segs.append(ws.load(name))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    con = ws.connect()
    try:
        try:
            ws.resolve(segs, con)
            if not names:  # a check of the whole workspace checks every trait too
                resolver = ws.resolver(ws.read_catalog(con))
                for broken in resolver.broken_traits.values():
                    problems.extend(broken)
                for trait in sorted(resolver.traits):
                    try:
                        resolver.resolve_trait(trait)
                    except DefinitionError as exc:
                        problems.extend(exc.problems)
        except DefinitionError as exc:
            problems.extend(exc.problems)
    finally:
        con.close()
    if problems:
        raise DefinitionError(list(dict.fromkeys(problems)))
    return targets
