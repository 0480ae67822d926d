"""A column of the in-memory contact view, read one row at a time (docs/memberships.md,
"Contact lookups"): attributes and trait values alike."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from duckseg.lang.time import jsonable
from duckseg.serve.limits import plain


class Column:
    """One attribute, read a row at a time: numbers from numpy, the rest through Arrow."""

    def __init__(self, name: str, values: pa.Array) -> None:
        self.name = name
        self.arrow = values
        self.numbers: np.ndarray | None = None
        self.missing: np.ndarray | None = None
        kind = values.type
        self.text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            filled = values.fill_null(False if pa.types.is_boolean(kind) else 0)
            self.numbers = filled.to_numpy(zero_copy_only=False)
            self.missing = values.is_null().to_numpy(zero_copy_only=False)

    def value(self, row: int) -> Any:
        """The row's value as the API writes it: `plain(jsonable(value))`."""
        if self.text:
            return self.arrow[row].as_py()  # text or None: already as written
        if self.numbers is not None and self.missing is not None:
            if self.missing[row]:
                return None
            number = self.numbers[row].item()
            return None if isinstance(number, float) and not math.isfinite(number) else number
        return plain(jsonable(self.arrow[row].as_py()))
