"""The interval of a ratio of two estimates that each have their own: cost per success."""

from __future__ import annotations

import math


def ratio_bounds(
    numerator: tuple[float, float, float],
    denominator: tuple[float, float, float],
    correlation: float = 0.0,
) -> tuple[float, float]:
    """The 95% bounds of a/b from (estimate, low, high) of a and of b, both positive.

    MOVER on the log scale (Zou & Donner 2008; Newcombe 2016): log(a/b) = log a − log b,
    whose bounds recover the variance of each part from its own interval,
        L = d − √(λ_a² + υ_b² − 2r·λ_a·υ_b),  U = d + √(υ_a² + λ_b² − 2r·υ_a·λ_b),
    with d = log(â/b̂), λ = log(estimate/low), υ = log(high/estimate) and r the correlation
    of the two estimates. Asymmetric parts (a Wilson interval near 1) stay asymmetric. A
    lower bound of a at or below 0 gives 0; of b, an upper bound of infinity.
    """
    a, a_low, a_high = numerator
    b, b_low, b_high = denominator
    if a <= 0 or b <= 0:
        raise ValueError(f"both estimates must be positive, got {a} and {b}")
    if not -1 <= correlation <= 1:
        raise ValueError(f"correlation must be within [-1, 1], got {correlation}")
    below_a = math.log(a / a_low) if a_low > 0 else math.inf
    above_a = math.log(a_high / a)
    below_b = math.log(b / b_low) if b_low > 0 else math.inf
    above_b = math.log(b_high / b)
    ratio = a / b
    low = _spread(below_a, above_b, correlation)
    high = _spread(above_a, below_b, correlation)
    return (
        0.0 if math.isinf(low) else ratio * math.exp(-low),
        math.inf if math.isinf(high) else ratio * math.exp(high),
    )


def _spread(first: float, second: float, correlation: float) -> float:
    if math.isinf(first) or math.isinf(second):
        return math.inf
    return math.sqrt(max(0.0, first * first + second * second - 2 * correlation * first * second))
