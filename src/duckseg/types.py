"""Value types of attributes and event properties, and the lake schema they make up."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


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


# The SQL dialects `compile --dialect` writes (compiler/dialects.py has a rule set for each).
DIALECT_NAMES = ("duckdb", "spark", "bigquery", "snowflake", "trino", "postgres")

# Columns of the events table that are not properties.
EVENT_KEY_COLUMNS = ("contact_id", "event", "ts", "event_id")


@dataclass(frozen=True)
class Catalog:
    """What the lake holds: attribute and property types, and the event names seen."""

    attributes: Mapping[str, ValueType] = field(default_factory=dict)
    properties: Mapping[str, ValueType] = field(default_factory=dict)
    event_names: frozenset[str] = frozenset()
    contact_id_type: ValueType = ValueType.TEXT


def typed_contact_key(text: str, integer: bool) -> str | int | None:
    """A contact id given as text, typed as the lake's `contact_id` column: text as it is;
    for integer ids its value, or None when it cannot be one (no contact has it)."""
    if not integer:
        return text
    return int(text) if text.lstrip("-").isdigit() and len(text) < 19 else None
