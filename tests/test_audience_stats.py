"""The intervals an audience report draws, against published worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from duckseg.audiences import stats

# Newcombe RG (1998), "Interval estimation for the difference between independent
# proportions: comparison of eleven methods", Statistics in Medicine 17:873-890, Table II,
# method 10 (the hybrid score interval): (a) 56/70 - 48/80 and (b) 9/10 - 3/10, with the
# extreme cases (e) to (h) of the same table.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_difference_matches_the_paper(
    counts: tuple[int, int, int, int], published: tuple[float, float]
) -> None:
    interval = stats.share_difference(*counts)
    assert interval.low is not None and interval.high is not None
    assert round(interval.low, 4) == published[0]
    assert round(interval.high, 4) == published[1]


def test_wilson_matches_newcombe_single_proportion_example() -> None:
    # Newcombe RG (1998), "Two-sided confidence intervals for the single proportion:
    # comparison of seven methods", Statistics in Medicine 17:857-872, Table I:
    # 81/263, method 3 (Wilson score, no continuity correction): 0.2553 to 0.3662.
    interval = stats.share_interval(81, 263)
    assert (round(interval.low or 0, 4), round(interval.high or 0, 4)) == (0.2553, 0.3662)


def test_excludes_zero_says_whether_the_difference_is_distinguishable() -> None:
    assert stats.share_difference(56, 70, 48, 80).excludes_zero is True
    assert stats.share_difference(0, 10, 0, 20).excludes_zero is False
    assert stats.share_difference(1, 0, 1, 10).excludes_zero is None


def test_welch_matches_scipy_on_the_same_data() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(3.0, 1.0, 40), rng.normal(2.5, 3.0, 25)
    ours = stats.mean_difference(a, b)
    theirs = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert ours.low == pytest.approx(theirs.low, rel=1e-12)
    assert ours.high == pytest.approx(theirs.high, rel=1e-12)
    mean = stats.mean_interval(a)
    t = scipy_stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=scipy_stats.sem(a))
    assert (mean.low, mean.high) == pytest.approx(t, rel=1e-12)


def test_too_few_values_give_no_interval() -> None:
    assert stats.mean_difference([1.0], [2.0, 3.0]) == stats.NONE
    assert stats.mean_interval([]) == stats.NONE
    assert stats.mean_difference([0.0, 0.0], [1.0, 1.0]) == stats.Interval(-1.0, -1.0)
