"""Engine differences as settings, not scattered ifs.

Each SQL dialect the compiler targets is one `DialectSettings`: the sqlglot
dialect name plus the few capabilities the generated SQL depends on. The
builder reads these settings; it never tests a dialect's name.

Two engines run the SQL themselves (DuckDB and Spark) and must give identical
members for every definition (docs/spark.md); the other dialects are printed by
`duckseg compile` for warehouses users run on their own, and are held to
"parses back, and uses only functions that exist there".
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import assert_never

from sqlglot import exp

from duckseg.errors import InputError, Problem


class ListTests(enum.Enum):
    """How `has` (any of) and `has_all` test a list attribute against constant values."""

    # col && ARRAY[...] / col @> ARRAY[...] (sqlglot's ArrayOverlaps / ArrayContainsAll)
    OPERATORS = "operators"
    # SIZE(ARRAY_INTERSECT(col, [...])) > 0 / SIZE(ARRAY_EXCEPT([...], col)) = 0: two-valued
    # even when the list holds NULL elements (Spark's ARRAYS_OVERLAP then returns NULL)
    ARRAY_SETS = "array_sets"
    # EXISTS (SELECT 1 FROM UNNEST(col) ...) / (SELECT COUNT(DISTINCT ...) FROM UNNEST(col) ...)
    UNNEST = "unnest"


class RegexSearch(enum.Enum):
    """How `matches` (pattern found anywhere in the value) is written."""

    LIKE = "like"  # sqlglot's RegexpLike: REGEXP_MATCHES, RLIKE, REGEXP_CONTAINS, ~, REGEXP_LIKE
    # REGEXP_INSTR(col, pattern) > 0, for engines whose REGEXP_LIKE must match the whole value
    INSTR = "instr"


class InlineFlags(enum.Enum):
    """Where a pattern may carry RE2 inline flags such as `(?i)`."""

    ANYWHERE = "anywhere"  # RE2, Java: (?i) anywhere, (?i:...) groups
    LEADING = "leading"  # Postgres AREs: embedded options only at the very start
    # None at all (Snowflake): a leading (?i) becomes the function's 'i' parameter;
    # any other (? construct is refused rather than matched literally.
    PARAMETER = "parameter"


# Float sums and averages must not depend on scan order (docs/language.md). On DuckDB they are exact
# sums of the binary doubles (compiler/floatsum.py). The other engines have no 128-bit
# integers to do that with, so there each value is cast to this decimal type and summed
# exactly. Why six decimals: DuckDB converts a double by scaling it by 10^scale in floating
# point, Spark by rounding its shortest decimal form; the two agree on every value with at
# most six decimals below 2^32 (4.29e9) and on every whole number below 5e11. The binary
# and the decimal sums agree except where a float total lies within rounding error of a
# decimal boundary (cents adding up to exactly 500.00 can come out of the binary sum as
# 499.99999999999994): a condition whose threshold is that very boundary can then differ
# between DuckDB and the other engines.
EXACT_SUM_TYPE = exp.DataType.build("DECIMAL(38, 6)")


@dataclass(frozen=True)
class DialectSettings:
    name: str  # sqlglot dialect
    # `AGG(x) FILTER (WHERE p)`; otherwise `AGG(CASE WHEN p THEN x END)`.
    supports_filter_clause: bool = True
    list_tests: ListTests = ListTests.OPERATORS
    # `has` / `has_all` of one value as ARRAY_CONTAINS(col, value), where that is two-valued
    # for a present list, NULL elements included (DuckDB's list_contains: half the time of
    # `col && [value]` on a million contacts).
    contains_one: bool = False
    # The function for a list's length when sqlglot's ArraySize is wrong for empty lists
    # (Postgres ARRAY_LENGTH(x, 1) is NULL for an empty array; CARDINALITY is 0).
    list_size_function: str | None = None
    # The type of timestamp constants: the lake stores instants as naive UTC, so constants
    # must be zone-less too (Spark's plain TIMESTAMP is zone-aware; TIMESTAMP_NTZ is not).
    timestamp_type: exp.DType = exp.DType.TIMESTAMP
    # False where the engine has no ENDS_WITH: RIGHT(x, LENGTH(s)) = s instead.
    has_ends_with: bool = True
    regex_search: RegexSearch = RegexSearch.LIKE
    # Inline flags put before every `matches` pattern. Java's (?i) folds ASCII only; with
    # (?u) it folds Unicode like RE2, and (?d) makes `.`, `^` and `$` treat only "\n" as a
    # line end, as RE2 does. Neither flag changes a pattern that does not use them.
    regex_flags: str = ""
    inline_flags: InlineFlags = InlineFlags.ANYWHERE
    # Float sums exact over the binary doubles (compiler/floatsum.py); otherwise exact over
    # EXACT_SUM_TYPE decimals.
    exact_binary_sums: bool = False
    # No NaN test function, but NaN = NaN holds (Postgres, Snowflake order NaN as a value):
    # `x = CAST('NaN' AS DOUBLE)` instead of ISNAN(x).
    nan_equals_nan: bool = False
    # MAX over (key, value) pairs compared field by field, with named fields to read back
    # (first_value / last_value traits); otherwise the first of an ordered ARRAY_AGG.
    orderable_structs: bool = False
    # The microseconds between two instants as DATETIME_DIFF, where DATE_DIFF takes dates
    # only (BigQuery); otherwise sqlglot's DateDiff.
    datetime_diff: bool = False
    # Whether the engine's date difference counts microseconds; Trino's stops at
    # milliseconds, so its sequences sort events instead (compiler/sequences_sorted.py).
    microsecond_diff: bool = True
    # Integer division as an exact integer; otherwise (Snowflake rounds a quotient to six
    # decimals before TRUNC) divide an exact multiple instead: (m - MOD(m, g)) / g.
    exact_int_div: bool = True


DIALECTS: dict[str, DialectSettings] = {
    "duckdb": DialectSettings(
        "duckdb", contains_one=True, exact_binary_sums=True, orderable_structs=True
    ),
    "spark": DialectSettings(
        "spark",
        orderable_structs=True,
        list_tests=ListTests.ARRAY_SETS,
        timestamp_type=exp.DType.TIMESTAMPNTZ,
        regex_flags="(?du)",
    ),
    "bigquery": DialectSettings(
        "bigquery",
        supports_filter_clause=False,
        list_tests=ListTests.UNNEST,
        datetime_diff=True,
    ),
    "snowflake": DialectSettings(
        "snowflake",
        supports_filter_clause=False,
        nan_equals_nan=True,
        list_tests=ListTests.ARRAY_SETS,
        timestamp_type=exp.DType.TIMESTAMPNTZ,
        regex_search=RegexSearch.INSTR,
        inline_flags=InlineFlags.PARAMETER,
        exact_int_div=False,
    ),
    "trino": DialectSettings(
        "trino", list_tests=ListTests.ARRAY_SETS, has_ends_with=False, microsecond_diff=False
    ),
    "postgres": DialectSettings(
        "postgres",
        list_size_function="CARDINALITY",
        has_ends_with=False,
        inline_flags=InlineFlags.LEADING,
        nan_equals_nan=True,
    ),
}


class DialectGapError(InputError):
    """A definition that a target dialect cannot express with the same meaning."""


_FLAG_GROUP = re.compile(r"\(\?[a-zA-Z-]")  # (?i) (?i:...) (?-i): not (?: alone
_LEADING_I = "(?i)"


def inline_flags(pattern: str, settings: DialectSettings) -> tuple[str, str]:
    """The pattern as the dialect takes it, and the flags to pass as a function parameter.

    A flag group the dialect would read differently (or as literal text) is refused: SQL
    that silently means something else is worse than none.
    """
    leading = pattern.startswith(_LEADING_I)
    rest = pattern[len(_LEADING_I) :] if leading else pattern
    match settings.inline_flags:
        case InlineFlags.ANYWHERE:
            return pattern, ""
        case InlineFlags.LEADING:
            if _FLAG_GROUP.search(rest):
                raise _gap(settings, pattern, "inline flags are allowed only as a leading (?i)")
            return pattern, ""
        case InlineFlags.PARAMETER:
            if "(?" in rest:
                raise _gap(settings, pattern, "its regular expressions have no (? groups")
            return rest, "i" if leading else ""
        case _:
            assert_never(settings.inline_flags)


def _gap(settings: DialectSettings, pattern: str, why: str) -> DialectGapError:
    return DialectGapError(
        [
            Problem(
                "--dialect",
                "",
                f"the pattern {pattern!r} cannot be written for {settings.name}: {why}",
                "use a leading (?i) for case-insensitive matching, or compile for another dialect",
            )
        ]
    )


def dialect_settings(name: str) -> DialectSettings:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; choose one of {', '.join(DIALECTS)}") from None
