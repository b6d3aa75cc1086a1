"""`ratio_bounds`: MOVER on the log scale, checked against the closed form it reduces to."""

from __future__ import annotations

import math

import pytest

from fieldeval.stats.ratio import ratio_bounds


def test_with_an_exact_denominator_the_bounds_are_the_numerators_divided() -> None:
    assert ratio_bounds((4.0, 2.0, 8.0), (2.0, 2.0, 2.0)) == pytest.approx((1.0, 4.0))


def test_independent_symmetric_log_parts_add_in_quadrature() -> None:
    # Each part spans a factor e either way: log a/b spans √2 either way.
    low, high = ratio_bounds((math.e, 1.0, math.e**2), (1.0, 1 / math.e, math.e))
    assert (math.log(low), math.log(high)) == pytest.approx((1 - math.sqrt(2), 1 + math.sqrt(2)))


def test_a_positive_correlation_narrows_the_ratio() -> None:
    wide = ratio_bounds((1.0, 0.5, 2.0), (0.5, 0.25, 1.0))
    narrow = ratio_bounds((1.0, 0.5, 2.0), (0.5, 0.25, 1.0), correlation=0.8)
    assert narrow[0] > wide[0] and narrow[1] < wide[1]
    # Perfectly correlated parts that move together cancel: the ratio is known.
    assert ratio_bounds((1.0, 0.5, 2.0), (0.5, 0.25, 1.0), correlation=1.0) == pytest.approx(
        (2.0, 2.0)
    )


def test_a_denominator_that_may_be_zero_leaves_the_ratio_unbounded_above() -> None:
    low, high = ratio_bounds((1.0, 0.5, 2.0), (0.5, 0.0, 1.0))
    assert high == math.inf and 0 < low < 2.0
    assert ratio_bounds((1.0, 0.0, 2.0), (0.5, 0.25, 1.0))[0] == 0.0


def test_estimates_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ratio_bounds((0.0, 0.0, 1.0), (0.5, 0.25, 1.0))
