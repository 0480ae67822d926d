"""Shared constants and small helpers of the benchmark suite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
RESULTS_DIR = BENCH_DIR / "results"
SQL_DIR = BENCH_DIR / "sql"
QUERIES_DIR = BENCH_DIR / "queries"

# The generated data ends here and every segment is built at this instant.
AS_OF = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
AS_OF_NAIVE = AS_OF.replace(tzinfo=None)

CONTACTS_PER_SF = 100_000
EVENTS_PER_SF = 5_000_000


def sf_label(sf: float) -> str:
    """`1`, `10`, `0.1`: the scale factor as it appears in paths and reports."""
    return f"{sf:g}"


def sf_dir(sf: float) -> Path:
    return DATA_DIR / f"sf{sf_label(sf)}"


def read_sql(path: Path) -> list[str]:
    """The statements of a SQL file, split on semicolons at line ends."""
    text = path.read_text(encoding="utf-8")
    statements = []
    current: list[str] = []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip().rstrip(";"))
            current = []
    tail = "\n".join(current).strip()
    if tail and not all(
        part.strip().startswith("--") for part in tail.splitlines() if part.strip()
    ):
        statements.append(tail)
    return [s for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(
        line.strip() and not line.strip().startswith("--") for line in statement.splitlines()
    )
