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
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from duckseg.api.definitions import SEGMENTS_DIR, source_name
from duckseg.api.history import snapshot_of
from duckseg.api.results import StaticResult
from duckseg.config import CONFIG_FILE
from duckseg.errors import InputError
from duckseg.export.normalize import Dropped, google_phone, meta_email
from duckseg.lang.spec import Segment
from duckseg.state.snapshots import PendingSnapshot

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace


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


def static_change(
    ws: Workspace, name: str, change: str, csv: str | Path, key: str = "contact_id"
) -> StaticResult:
    """Create a static segment from a CSV, or add / remove the contacts it names."""
    try:
        how, by = Change(change), MatchKey(key)
    except ValueError as exc:
        raise InputError.single(
            "static", str(exc), hint="--key is contact_id, email or phone"
        ) from exc
    path = ws.root / SEGMENTS_DIR / f"{name}.yaml"
    source = source_name(ws.root, path)
    with ws.store.writer():
        existing = ws.load(name) if path.exists() else None
        if how is Change.CREATE and existing is not None:
            kind = "static" if existing.is_static else "dynamic"
            hint = "use duckseg static add to add members" if existing.is_static else None
            raise InputError.single(source, f"segment {name} already exists ({kind})", hint=hint)
        if how is not Change.CREATE and (existing is None or not existing.is_static):
            raise InputError.single(
                source, f"no static segment {name}", hint="create it with duckseg static create"
            )
        seg = existing or Segment.from_dict({"name": name, "kind": "static"}, source=source)
        rows = read_keys(Path(csv), by)
        result = match(rows, by, *match_table(ws, by))
        latest = ws.snapshots.latest(name)
        current = (
            set(ws.snapshots.members(latest).column("contact_id").to_pylist()) if latest else set()
        )
        members = apply_change(current, how, result.matched)
        table = pa.table({"contact_id": pa.array(sorted(members), contact_id_type(ws))})
        if how is Change.CREATE:
            path.write_text(
                f"kind: static\ndescription: uploaded from {Path(csv).name}\n", encoding="utf-8"
            )
        try:
            now = ws.clock.now()
            note = f"-- static segment {name}: {how.value} from {Path(csv).name}"
            pending = PendingSnapshot(
                name, "static", now, ws.definition_hash(seg), note, "static", table
            )
            (info,) = ws.snapshots.commit([pending], now)
        except BaseException:
            if how is Change.CREATE:
                path.unlink(missing_ok=True)
            raise
    return StaticResult(
        snapshot_of(ws, info, table), result.rows_read, len(result.matched), result.unmatched
    )


def contact_id_type(ws: Workspace) -> pa.DataType:
    """The lake's type of contact_id (text or integer)."""
    con = ws.connect()
    try:
        return (
            con.table("contacts")
            .select("contact_id")
            .limit(0)
            .to_arrow_table()
            .schema.field(0)
            .type
        )
    finally:
        con.close()


def match_table(ws: Workspace, key: MatchKey) -> tuple[pa.Table, str, str | None]:
    """The contacts to match on `key`: contact_id, the key's attribute (and the country for
    phones), with that attribute's name and the country's."""
    ident = ws.config.identity
    column = {
        MatchKey.CONTACT_ID: "contact_id",
        MatchKey.EMAIL: ident.email,
        MatchKey.PHONE: ident.phone,
    }[key]
    con = ws.connect()
    try:
        attrs = ws.read_catalog(con).attributes
        if key is not MatchKey.CONTACT_ID and column not in attrs:
            raise InputError.single(
                CONFIG_FILE,
                f"contacts have no attribute {column} to match {key.value} on",
                path=f"identity.{key.value}",
            )
        country = ident.country if key is MatchKey.PHONE and ident.country in attrs else None
        wanted = list(dict.fromkeys(["contact_id", column, *([country] if country else [])]))
        table = (
            con.table("contacts")
            .select(*(duckdb.ColumnExpression(c) for c in wanted))
            .to_arrow_table()
        )
    finally:
        con.close()
    return table, column, country
