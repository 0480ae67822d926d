"""Hand-written SQL that reads better as SQL lives in the top-level `sql/` folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


@cache
def read_sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")
