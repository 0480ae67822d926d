"""`Report`: the tables of a comparative report, where they were written, and how it renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from duckseg.lang.time import iso
from duckseg.report.schemas import SCHEMAS

if TYPE_CHECKING:
    import pandas as pd

TABLES = tuple(SCHEMAS)
HTML_FILE = "report.html"
MANIFEST_FILE = "report.json"


def _plain(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


@dataclass(frozen=True)
class Report:
    """Sizes, overlap, breakdowns, event metrics and size over time for chosen segments.

    Each table is a pyarrow Table with the schema in `duckseg.report.SCHEMAS`;
    `path` is the folder holding one Parquet file per table, `report.json` and
    `report.html`.
    """

    name: str
    title: str
    path: Path
    created_at: datetime
    as_of: datetime
    tables: Mapping[str, pa.Table] = field(repr=False)
    queries: Mapping[str, str] = field(default_factory=dict, repr=False)
    static: frozenset[str] = frozenset()  # compared segments that are static member lists

    @property
    def html_path(self) -> Path:
        return self.path / HTML_FILE

    @property
    def segment_names(self) -> list[str]:
        return [
            str(r["population"]) for r in self.tables["segments"].to_pylist() if not r["is_base"]
        ]

    def to_arrow(self, table: str = "segments") -> pa.Table:
        if table not in self.tables:
            raise KeyError(f"no table {table!r}; tables: {', '.join(self.tables)}")
        return self.tables[table]

    def to_polars(self, table: str = "segments") -> pl.DataFrame:
        frame = pl.from_arrow(self.to_arrow(table))
        assert isinstance(frame, pl.DataFrame)
        return frame

    def to_pandas(self, table: str = "segments") -> pd.DataFrame:
        frame: pd.DataFrame = self.to_arrow(table).to_pandas()
        return frame

    @property
    def segments(self) -> pl.DataFrame:
        return self.to_polars("segments")

    @property
    def overlap(self) -> pl.DataFrame:
        return self.to_polars("overlap")

    @property
    def breakdowns(self) -> pl.DataFrame:
        return self.to_polars("breakdowns")

    @property
    def metrics(self) -> pl.DataFrame:
        return self.to_polars("metrics")

    @property
    def size_over_time(self) -> pl.DataFrame:
        return self.to_polars("size_over_time")

    def files(self) -> dict[str, str]:
        out = {name: f"{name}.parquet" for name in self.tables}
        out["html"] = HTML_FILE
        out["manifest"] = MANIFEST_FILE
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "path": str(self.path),
            "html": str(self.html_path),
            "as_of": iso(self.as_of),
            "created_at": iso(self.created_at),
            "segments": [
                {k: _plain(v) for k, v in row.items()}
                for row in self.tables["segments"].to_pylist()
            ],
            "tables": {name: table.num_rows for name, table in self.tables.items()},
            "files": self.files(),
        }

    def _repr_html_(self) -> str:
        from duckseg.report.html import notebook_html

        return notebook_html(self)
