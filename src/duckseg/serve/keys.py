"""Sorted contact ids and a binary search over them, for the in-memory contact lookup
(docs/memberships.md, "Contact lookups").

Integer ids are a numpy int64 array. Text ids are fixed-width bytes in numpy when they are
short ASCII without NUL (the usual case: 10 bytes a contact instead of a Python string),
else a polars Series, searched the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

MAX_FIXED = 64  # bytes: longer text ids are kept as a polars Series


@dataclass(frozen=True)
class SortedKeys:
    values: Any  # np.ndarray (int64 or S<n>) or pl.Series, ascending

    @staticmethod
    def build(ids: pa.Array | pa.ChunkedArray) -> tuple[SortedKeys, pa.Array]:
        """The ids sorted, and the permutation that sorts rows the same way (stable: equal
        ids keep their order)."""
        if pa.types.is_integer(ids.type):
            values = np.asarray(ids.to_numpy(zero_copy_only=False), dtype=np.int64)
            order = np.argsort(values, kind="stable")
            return SortedKeys(values[order]), pa.array(order)
        text = pc.cast(ids, pa.string())
        width = _fixed_width(text) if len(text) else None
        if width is not None:
            # NUL-padded to one width, as numpy stores bytes: no Python string per id.
            padded = pc.utf8_rpad(text, width=width, padding="\0")
            fixed = pc.cast(pc.cast(padded, pa.binary()), pa.binary(width))
            if isinstance(fixed, pa.ChunkedArray):
                fixed = fixed.combine_chunks()
            start = fixed.offset
            raw = np.frombuffer(fixed.buffers()[1], dtype=f"S{width}")[start : start + len(fixed)]
            order = np.argsort(raw, kind="stable")
            return SortedKeys(raw[order]), pa.array(order)
        arrow_order = pc.sort_indices(text)
        series = pl.Series(pc.take(text, arrow_order)).set_sorted()
        return SortedKeys(series), arrow_order

    def __len__(self) -> int:
        return len(self.values)

    def span(self, key: str | int) -> tuple[int, int]:
        """Positions [lo, hi) holding `key` (lo == hi: none)."""
        values = self.values
        if isinstance(values, pl.Series):
            text = str(key)
            return (
                int(values.search_sorted(text, side="left")),
                int(values.search_sorted(text, side="right")),
            )
        probe: Any
        if values.dtype.kind == "i":
            if not isinstance(key, int) or not -(2**63) <= key < 2**63:
                return 0, 0
            probe = key
        else:
            probe = str(key).encode("utf-8")
            if len(probe) > values.dtype.itemsize or b"\0" in probe:
                return 0, 0
        lo = int(np.searchsorted(values, probe, side="left"))
        hi = int(np.searchsorted(values, probe, side="right"))
        return lo, hi

    def find(self, key: str | int) -> int | None:
        """The first position holding `key`, or None."""
        lo, hi = self.span(key)
        return lo if hi > lo else None


def _fixed_width(text: pa.Array | pa.ChunkedArray) -> int | None:
    """The byte width of short ASCII ids without NUL (numpy's fixed-width bytes keep them
    exactly, in byte order), or None for ids that are not."""
    if text.null_count or not pc.all(pc.string_is_ascii(text)).as_py():
        return None
    width = pc.max(pc.binary_length(text)).as_py()
    if not width or width > MAX_FIXED or pc.any(pc.match_substring(text, "\0")).as_py():
        return None
    return int(width)
