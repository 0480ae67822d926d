"""`[consent] exclude_when`: which contacts must never reach an ad platform.

The condition is any condition of the definition language (docs/language.md), checked
against the lake like a segment's `where` and compiled by the same compiler
into a query over `contacts` (and `events`, for event conditions). It is
evaluated at the time of the export, not at the snapshot's `as_of`: a contact
who opted out after the snapshot was built is still kept out.

When `duckseg.toml` sets no `exclude_when`, the default written in the file
`duckseg init` creates applies, `{attr: opted_out, op: is_true}`, as long as
the contacts have a boolean `opted_out` attribute; otherwise nobody is
excluded and exports say so in a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from duckseg.compiler import compile_build
from duckseg.compiler.sqlbuild import CONTACTS, KEY
from duckseg.config import CONFIG_FILE
from duckseg.errors import DefinitionError, relocated
from duckseg.lang import ir
from duckseg.lang.describe import describe
from duckseg.types import Catalog, ValueType

if TYPE_CHECKING:
    from duckseg.context import WorkspaceContext

CONFIG_PATH = "consent.exclude_when"
DEFAULT_ATTRIBUTE = "opted_out"
DEFAULT_EXCLUDE_WHEN: Mapping[str, Any] = {"attr": DEFAULT_ATTRIBUTE, "op": "is_true"}
NAME = "consent_exclusions"


@dataclass(frozen=True)
class ConsentRule:
    """The consent condition in force for an export, if any."""

    tree: ir.Node | None  # None: nobody is excluded
    origin: str  # "duckseg.toml", "default" or "none"
    words: str | None  # the condition in plain English

    def as_dict(self) -> dict[str, Any]:
        return {"exclude_when": self.words, "from": self.origin}


def consent_rule(ws: WorkspaceContext, catalog: Catalog) -> ConsentRule:
    """The workspace's consent condition, checked against the lake.

    A bad condition is a definition error naming `duckseg.toml` and the place
    under `consent.exclude_when`.
    """
    condition = ws.config.consent.exclude_when
    origin = CONFIG_FILE
    if condition is None:
        if catalog.attributes.get(DEFAULT_ATTRIBUTE) is not ValueType.BOOLEAN:
            return ConsentRule(None, "none", None)
        condition, origin = dict(DEFAULT_EXCLUDE_WHEN), "default"
    try:
        tree = ws.resolver(catalog).resolve_condition(condition, CONFIG_FILE)
    except DefinitionError as exc:
        moves = [("where", CONFIG_PATH), (CONFIG_PATH, CONFIG_PATH)]
        raise DefinitionError(
            [relocated(p, CONFIG_FILE, moves, CONFIG_PATH) for p in exc.problems]
        ) from exc
    return ConsentRule(tree, origin, describe(tree))


def exclusions_query(ws: WorkspaceContext, rule: ConsentRule) -> exp.Select:
    """SELECT contact_id of every contact the rule excludes, evaluated now."""
    if rule.tree is None:
        return (
            exp.select(exp.column(KEY, table=CONTACTS, quoted=True))
            .from_(exp.to_table(CONTACTS))
            .where(exp.false())
        )
    build = compile_build(
        {NAME: rule.tree},
        ws.time_context(None),
        descriptions={NAME: f"contacts kept out of ad platforms: {rule.words}"},
    )
    return build.standalone(NAME)
