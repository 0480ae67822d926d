"""Intervals for comparing arms, from statsmodels (docs/audiences.md).

- a share (reach, conversion): Wilson score interval;
- a difference of shares: Newcombe's hybrid score interval (his method 10);
- a mean (events or amount per member, average amount per event): the t interval,
  and a difference of means: Welch's interval (unequal variances).
All at 95%; a difference is distinguishable from zero when its interval excludes 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

ALPHA = 0.05


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None

    @property
    def excludes_zero(self) -> bool | None:
        if self.low is None or self.high is None:
            return None
        return self.low > 0 or self.high < 0


NONE = Interval(None, None)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def share_interval(count: int, nobs: int) -> Interval:
    """Wilson score interval for count / nobs."""
    if nobs == 0:
        return NONE
    low, high = proportion_confint(count, nobs, alpha=ALPHA, method="wilson")
    return Interval(_finite(low), _finite(high))


def share_difference(count: int, nobs: int, count0: int, nobs0: int) -> Interval:
    """Newcombe's interval for count/nobs - count0/nobs0."""
    if nobs == 0 or nobs0 == 0:
        return NONE
    low, high = confint_proportions_2indep(
        count, nobs, count0, nobs0, method="newcomb", compare="diff", alpha=ALPHA
    )
    return Interval(_finite(low), _finite(high))


def mean_interval(values: Sequence[float] | np.ndarray) -> Interval:
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return NONE
    low, high = DescrStatsW(data).tconfint_mean(alpha=ALPHA)
    return Interval(_finite(low), _finite(high))


def mean_difference(
    values: Sequence[float] | np.ndarray, values0: Sequence[float] | np.ndarray
) -> Interval:
    """Welch's interval for mean(values) - mean(values0)."""
    a, b = np.asarray(values, dtype=float), np.asarray(values0, dtype=float)
    if a.size < 2 or b.size < 2:
        return NONE
    if np.var(a) == 0 and np.var(b) == 0:  # no spread: the difference is known exactly
        diff = float(a.mean() - b.mean())
        return Interval(diff, diff)
    compare = CompareMeans(DescrStatsW(a), DescrStatsW(b))
    low, high = compare.tconfint_diff(alpha=ALPHA, usevar="unequal")
    return Interval(_finite(low), _finite(high))
