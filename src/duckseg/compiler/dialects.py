"""Engine differences as settings, not scattered ifs.

Each SQL dialect the compiler targets is one `DialectSettings`: the sqlglot
dialect name plus the few capabilities the generated SQL depends on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DialectSettings:
    name: str  # sqlglot dialect
    # `AGG(x) FILTER (WHERE p)`; otherwise `AGG(CASE WHEN p THEN x END)`.
    supports_filter_clause: bool = True
    # Order-independent float sums (SPEC 6.3): DuckDB's compensated fsum / favg.
    compensated_sum: str | None = None
    compensated_avg: str | None = None
    # Function names for list tests; None means sqlglot's own operator node.
    list_has_any: str | None = None
    list_has_all: str | None = None


DIALECTS: dict[str, DialectSettings] = {
    "duckdb": DialectSettings("duckdb", compensated_sum="FSUM", compensated_avg="FAVG"),
    "spark": DialectSettings("spark", list_has_any="ARRAYS_OVERLAP"),
    "bigquery": DialectSettings("bigquery", supports_filter_clause=False),
    "snowflake": DialectSettings(
        "snowflake", supports_filter_clause=False, list_has_any="ARRAYS_OVERLAP"
    ),
    "trino": DialectSettings("trino", list_has_any="ARRAYS_OVERLAP"),
    "postgres": DialectSettings("postgres"),
}


def dialect_settings(name: str) -> DialectSettings:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; choose one of {', '.join(DIALECTS)}") from None
