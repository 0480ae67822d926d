"""Every contact's trait values, held by the in-memory contact lookup (docs/memberships.md,
"Contact lookups").

The values are computed once per load, all traits in one query, by the workspace's own
`ws.traits(as_of=...)` (the code `duckseg traits` and `ws.contact` run), at the instant the
load began: its `as_of`, which every answer states as `traits_as_of`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from duckseg.lang.traits import trait_files
from duckseg.serve.columns import Column
from duckseg.serve.keys import SortedKeys

KEY = "contact_id"


class TraitSource(Protocol):
    """What computes trait values (duckseg.Workspace is one)."""

    def as_of(self, value: datetime | date | str | None = None) -> datetime: ...

    def traits(
        self, as_of: datetime | date | str | None = None, names: Sequence[str] | None = None
    ) -> pl.DataFrame: ...


def fingerprint(root: Path) -> tuple[tuple[str, str], ...]:
    """Each trait file's name and a hash of its text: an edit is a new version."""
    found = []
    for path in trait_files(root).values():
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = ""  # gone since listed: the next stamp shows it
        found.append((path.name, digest))
    return tuple(found)


@dataclass(frozen=True)
class TraitValues:
    """One row of trait values a contact, sorted by contact for a binary search."""

    as_of: datetime
    keys: SortedKeys = field(repr=False)
    columns: tuple[Column, ...] = field(repr=False)  # rows in the order of `keys`

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @staticmethod
    def compute(source: TraitSource) -> TraitValues:
        """Every trait of every contact at the instant this starts (a DefinitionError when a
        trait file has a problem, as `duckseg traits` reports it)."""
        at = source.as_of()
        frame = source.traits(as_of=at)
        keys, order = SortedKeys.build(frame.get_column(KEY).to_arrow())
        table = frame.to_arrow().take(order)
        columns = tuple(
            Column(name, table.column(name).combine_chunks())
            for name in table.column_names
            if name != KEY
        )
        return TraitValues(at, keys, columns)

    def of(self, key: Any) -> dict[str, Any]:
        """The contact's values as `ws.contact` writes them (none where it has no row)."""
        at = self.keys.find(key)
        if at is None:
            return {column.name: None for column in self.columns}
        return {column.name: column.value(at) for column in self.columns}
