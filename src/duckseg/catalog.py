"""Attribute and event-property types, read from the landed Parquet schema."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb


class ValueType(enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    TEXT_LIST = "list of text"
    OTHER = "other"  # landed but not usable in conditions beyond is_set / is_not_set

    @property
    def is_number(self) -> bool:
        return self in (ValueType.INTEGER, ValueType.FLOAT, ValueType.DECIMAL)

    @property
    def is_temporal(self) -> bool:
        return self in (ValueType.DATE, ValueType.TIMESTAMP)


def value_type_of(duckdb_type: str) -> ValueType:
    """Map a DuckDB type name (as DESCRIBE prints it) to a duckseg value type."""
    t = duckdb_type.upper()
    if t in ("VARCHAR", "TEXT", "STRING") or t.startswith("VARCHAR("):
        return ValueType.TEXT
    if t in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    ):
        return ValueType.INTEGER
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return ValueType.FLOAT
    if t.startswith("DECIMAL"):
        return ValueType.DECIMAL
    if t == "BOOLEAN":
        return ValueType.BOOLEAN
    if t == "DATE":
        return ValueType.DATE
    if t.startswith("TIMESTAMP"):
        return ValueType.TIMESTAMP
    if t in ("VARCHAR[]",):
        return ValueType.TEXT_LIST
    return ValueType.OTHER


# Columns of the events table that are not properties.
EVENT_KEY_COLUMNS = ("contact_id", "event", "ts", "event_id")


@dataclass(frozen=True)
class Catalog:
    """What the lake holds: attribute and property types, and the event names seen."""

    attributes: Mapping[str, ValueType] = field(default_factory=dict)
    properties: Mapping[str, ValueType] = field(default_factory=dict)
    event_names: frozenset[str] = frozenset()
    contact_id_type: ValueType = ValueType.TEXT

    @classmethod
    def from_connection(
        cls, con: duckdb.DuckDBPyConnection, event_names: frozenset[str] | None = None
    ) -> Catalog:
        """Read types from the `contacts` and `events` relations bound on `con`.

        `event_names`, when known (the workspace catalog records them at landing), saves a
        scan of every event.
        """
        contact_cols = con.execute("DESCRIBE SELECT * FROM contacts").fetchall()
        attributes = {name: value_type_of(t) for name, t, *_ in contact_cols}
        id_type = attributes.pop("contact_id", ValueType.TEXT)
        event_cols = con.execute("DESCRIBE SELECT * FROM events").fetchall()
        properties = {
            name: value_type_of(t) for name, t, *_ in event_cols if name not in EVENT_KEY_COLUMNS
        }
        if event_names is None:
            event_names = frozenset(
                r[0] for r in con.execute("SELECT DISTINCT event FROM events").fetchall()
            )
        return cls(attributes, properties, event_names, id_type)
