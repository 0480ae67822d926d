"""Timing helpers: wall-clock seconds, medians, ratios taken pair by pair.

The benchmark machine is shared and noisy, so every comparison is made
between timings taken in the same round (back to back), and the reported
ratio is the median of the per-round ratios; medians of the raw timings are
reported beside it.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Timings:
    """Seconds per round for one approach; None where a round did not run it."""

    seconds: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.seconds.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def as_dict(self) -> dict[str, Any]:
        return {
            "median_s": round(self.median, 4),
            "min_s": round(min(self.seconds), 4),
            "max_s": round(max(self.seconds), 4),
            "runs_s": [round(s, 4) for s in self.seconds],
        }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run `fn` once; its wall-clock seconds and its result."""
    gc.collect()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def paired_ratio(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """Median of the per-round ratios numerator[i] / denominator[i]."""
    ratios = [n / d for n, d in zip(numerator, denominator, strict=True) if d > 0]
    return statistics.median(ratios)


def rotate(items: Sequence[T], by: int) -> list[T]:
    """`items` rotated left by `by`: each round runs the approaches in a different order."""
    if not items:
        return []
    k = by % len(items)
    return [*items[k:], *items[:k]]
