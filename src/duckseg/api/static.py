"""Static segments: member lists uploaded as CSV ("upload a CSV", "add contact").

Rows are matched to contacts by contact_id, or by email / phone after the same
normalisation exports use (email trimmed and lower-cased; phone parsed by
`phonenumbers` to E.164, each contact's own number read with its country as
the default region). Every row that matches nothing is reported with its
reason. Each change is recorded as a snapshot of kind "static", so history
and diffs work as for any segment.
"""

from __future__ import annotations

import csv
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from duckseg.errors import InputError
from duckseg.export.normalize import Dropped, google_phone, meta_email


class MatchKey(enum.StrEnum):
    CONTACT_ID = "contact_id"
    EMAIL = "email"
    PHONE = "phone"


class Change(enum.StrEnum):
    CREATE = "create"
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True)
class Unmatched:
    row: int  # 1-based data row of the CSV (the header is row 0)
    value: str
    reason: str


@dataclass(frozen=True)
class MatchResult:
    rows_read: int
    matched: frozenset[Any]  # contact_ids
    unmatched: tuple[Unmatched, ...] = field(default_factory=tuple)


def read_keys(path: Path, key: MatchKey) -> list[tuple[int, str, str | None]]:
    """(row, key value, country or None) for each data row of the CSV."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            if key.value not in columns:
                raise InputError.single(
                    str(path),
                    f"no {key.value} column (columns: {', '.join(columns) or 'none'})",
                    path="header",
                )
            rows = []
            for i, record in enumerate(reader, start=1):
                rows.append(
                    (
                        i,
                        (record.get(key.value) or "").strip(),
                        (record.get("country") or "").strip() or None,
                    )
                )
            return rows
    except OSError as exc:
        raise InputError.single(str(path), f"cannot read file: {exc.strerror}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError.single(str(path), f"not a readable UTF-8 CSV file: {exc}") from exc


def normalise(key: MatchKey, value: object, country: object = None) -> str | None:
    """The comparable form of a key value, or None when it cannot be used."""
    if key is MatchKey.CONTACT_ID:
        text = "" if value is None else str(value).strip()
        return text or None
    result = meta_email(value) if key is MatchKey.EMAIL else google_phone(value, country)
    return None if result is None or isinstance(result, Dropped) else result


def match(
    rows: Iterable[tuple[int, str, str | None]],
    key: MatchKey,
    contacts: pa.Table,
    key_column: str,
    country_column: str | None,
) -> MatchResult:
    """Match CSV rows to contacts; `contacts` has contact_id and the key column (and country)."""
    index: Mapping[str, list[Any]] = _index(contacts, key, key_column, country_column)
    matched: set[Any] = set()
    unmatched: list[Unmatched] = []
    count = 0
    for row, value, country in rows:
        count += 1
        if not value:
            unmatched.append(Unmatched(row, value, f"empty {key.value}"))
            continue
        wanted = normalise(key, value, country)
        if wanted is None:
            reason = (
                "invalid phone number (add a country code or a country column)"
                if key is MatchKey.PHONE
                else f"invalid {key.value}"
            )
            unmatched.append(Unmatched(row, value, reason))
            continue
        found = index.get(wanted)
        if not found:
            unmatched.append(Unmatched(row, value, f"no contact with this {key.value}"))
            continue
        matched.update(found)
    return MatchResult(count, frozenset(matched), tuple(unmatched))


def _index(
    contacts: pa.Table, key: MatchKey, key_column: str, country_column: str | None
) -> dict[str, list[Any]]:
    ids = contacts.column("contact_id").to_pylist()
    values = contacts.column(key_column).to_pylist()
    countries = contacts.column(country_column).to_pylist() if country_column else [None] * len(ids)
    index: dict[str, list[Any]] = defaultdict(list)
    for contact_id, value, country in zip(ids, values, countries, strict=True):
        if key is MatchKey.CONTACT_ID:
            index[str(contact_id)].append(contact_id)
            continue
        normal = normalise(key, value, country)
        if normal is not None:
            index[normal].append(contact_id)
    return index


def apply_change(current: set[Any], change: Change, matched: Iterable[Any]) -> set[Any]:
    match change:
        case Change.CREATE:
            return set(matched)
        case Change.ADD:
            return current | set(matched)
        case Change.REMOVE:
            return current - set(matched)
