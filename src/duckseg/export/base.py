"""What an ad platform's upload file is: headers, hashing, limits, one row per contact.

Each platform module (meta, google, tiktok, linkedin) builds one `PlatformSpec`.
Its `row` turns one contact's identity attributes, keyed by identity role
(`email`, `phone`, `first_name`, ... as in `[identity]`, plus `contact_id`),
into either a `Row` to write or a `Skip` saying why the contact cannot be
uploaded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from duckseg.export.normalize import Dropped, Normalized, Reason


@dataclass(frozen=True)
class Row:
    """One line of the upload file."""

    values: Mapping[str, str]  # header -> value, '' where the contact has none
    dropped: tuple[Reason, ...] = ()  # values present but left out, and why


@dataclass(frozen=True)
class Skip:
    """A contact that gets no line: nothing the platform could match on."""

    reason: Reason


RowBuilder = Callable[[Mapping[str, object], bool], Row | Skip]


@dataclass(frozen=True)
class PlatformSpec:
    """One ad platform's customer-list upload format."""

    name: str  # the export format name: meta, google, tiktok, linkedin
    title: str  # for messages: "Meta Customer List"
    headers: tuple[str, ...]  # every column, in file order
    hashed: frozenset[str]  # headers whose values are SHA-256 hex
    max_rows: int | None  # rows per file (None: no row limit)
    max_bytes: int | None  # bytes per file, header included (None: no size limit)
    min_audience: int  # below this many rows the upload is warned about
    build: RowBuilder = field(repr=False)  # (attributes by role, prehashed) -> Row | Skip
    # Headers written only when the identity role they read is a column of the input.
    optional_headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Headers that match a person on their own (email, phone, device id), and headers that
    # hold the contact's own id: a `--changes` remove never carries what another row still
    # sends (docs/exports.md). Every other header matches only in combination.
    identifiers: frozenset[str] = frozenset()
    contact_keys: frozenset[str] = frozenset()

    def headers_for(self, roles: Collection[str]) -> tuple[str, ...]:
        """The header row when the input has columns for `roles`."""
        return tuple(
            h
            for h in self.headers
            if h not in self.optional_headers or self.optional_headers[h] in roles
        )

    def row(self, attributes: Mapping[str, object], *, prehashed: bool = False) -> Row | Skip:
        """One contact's line, or why it has none. Missing roles count as absent."""
        return self.build(attributes, prehashed)


class RowCollector:
    """Gathers one contact's output values and the reasons any were left out."""

    def __init__(self, headers: Sequence[str]) -> None:
        self.values: dict[str, str] = dict.fromkeys(headers, "")
        self._dropped: list[tuple[str, Reason]] = []

    def put(self, header: str, value: Normalized) -> None:
        if isinstance(value, Dropped):
            self._dropped.append((header, value.reason))
        elif value is not None:
            self.values[header] = value

    def has(self, *headers: str) -> bool:
        """True when every one of `headers` got a value."""
        return all(self.values[h] for h in headers)

    def finish(self, usable: bool, identifiers: Collection[str]) -> Row | Skip:
        """The row when `usable`; otherwise a skip whose reason is the first
        identifier that was present but invalid, or `no_identifier`."""
        if usable:
            return Row(self.values, tuple(reason for _, reason in self._dropped))
        for header, reason in self._dropped:
            if header in identifiers:
                return Skip(reason)
        return Skip(Reason.NO_IDENTIFIER)
