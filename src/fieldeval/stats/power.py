"""Before spending: what difference a set of n examples can detect, and what n a target needs.

Formulas: docs/statistics.md (Connor 1987 for paired pass/fail).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final

# The single-rate MDE's grid: half a point, finer than any figure it is shown at.
_MDE_STEP: Final = 0.0005


@dataclass(frozen=True)
class Plan:
    n: int
    pass_rate: float  # the expected pass rate the plan assumes
    discordance: float  # ψ: expected share of examples where the two candidates disagree
    alpha: float
    power: float
    paired_mde: float | None  # smallest |difference| detectable between two candidates; None: none
    threshold_mde: float | None  # smallest drop below `pass_rate` one rate can show; None: none
    target: float | None  # a difference the user wants to detect
    n_for_target: int | None  # examples that target needs (paired); None when no target given


def discordance_from_pass_rate(pass_rate: float) -> float:
    """ψ if the two candidates failed independently: 2p(1 − p). Correlated failures lower it."""
    if not 0 <= pass_rate <= 1:
        raise ValueError(f"pass_rate must be within [0, 1], got {pass_rate}")
    return 2 * pass_rate * (1 - pass_rate)


def paired_binary_mde(
    n: int, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """The smallest paired difference δ that n examples detect (Connor 1987), or None.

    Solves n·δ² = (z_{1−α/2}·√ψ + z_power·√(ψ − δ²))² for δ in (0, ψ]; ψ bounds δ
    because two candidates differ only where they disagree. None when even δ = ψ needs
    more than n examples.
    """
    z_alpha, z_power = _z(alpha, power)
    _check_discordance(discordance)
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if discordance == 0 or _connor_n(discordance, discordance, z_alpha, z_power) > n:
        return None
    # √n·δ − z_α·√ψ = z_β·√(ψ − δ²) squared is a quadratic in δ; with z_β ≥ 0 the
    # larger root is the one where the left side is non-negative, i.e. the solution.
    root = math.sqrt(n - z_alpha**2 + z_power**2)
    delta = math.sqrt(discordance) * (math.sqrt(n) * z_alpha + z_power * root) / (n + z_power**2)
    return min(delta, discordance)


def paired_binary_n(
    difference: float, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Examples needed to detect a paired difference δ (Connor 1987), rounded up.

    n = (z_{1−α/2}·√ψ + z_power·√(ψ − δ²))² / δ², for 0 < |δ| ≤ ψ.
    """
    z_alpha, z_power = _z(alpha, power)
    _check_discordance(discordance)
    delta = abs(difference)
    if not 0 < delta <= discordance:
        raise ValueError(
            f"the difference must be non-zero and at most the discordance ψ={discordance}"
            f" (two candidates differ only where they disagree), got {difference}"
        )
    # The tolerance keeps an n that is whole up to rounding (e.g. from paired_binary_mde)
    # from being bumped to n + 1.
    return math.ceil(_connor_n(delta, discordance, z_alpha, z_power) - 1e-9)


def single_rate_mde(
    n: int, pass_rate: float, *, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """The smallest drop below `pass_rate` that n examples detect, by the exact test; or None.

    The test is scipy's two-sided exact binomial test of H0: rate = p at level α. Its
    rejection region R is fixed by n, p and α; a true rate p − δ is detected with
    probability P(K ∈ R), K ~ Binomial(n, p − δ). The MDE is the smallest δ on a grid of
    0.0005 where that reaches `power`. Unlike the normal approximation
    (z_{1−α/2} + z_power)·√(p(1 − p)/n), it is not optimistic: at n = 25, p = 0.8 it is
    26.5 points, not 22.4. None when no drop reaches `power` (n too small).
    """
    _z(alpha, power)
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if not 0 < pass_rate < 1:
        raise ValueError(f"pass_rate must be within (0, 1), got {pass_rate}")
    # Imported here: planning is the only caller, and scipy is slow to load.
    import numpy as np
    from scipy.stats import binom, binomtest

    rejected = np.array(
        [k for k in range(n + 1) if binomtest(k, n, pass_rate).pvalue <= alpha], dtype=np.intp
    )
    if rejected.size == 0:
        return None
    drops = np.arange(1, int(pass_rate / _MDE_STEP) + 1) * _MDE_STEP
    detected = binom.pmf(rejected[None, :], n, (pass_rate - drops)[:, None]).sum(axis=1)
    reached = np.flatnonzero(detected >= power)
    return float(drops[reached[0]]) if reached.size else None


def plan(
    n: int,
    *,
    pass_rate: float = 0.8,
    discordance: float | None = None,
    target: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Plan:
    """What n examples can detect at `pass_rate`, and what n `target` would need.

    ψ defaults to 2p(1 − p), the discordance of candidates that fail independently.
    """
    psi = discordance_from_pass_rate(pass_rate) if discordance is None else discordance
    if target is not None and not 0 < target <= psi:
        raise ValueError(
            f"cannot plan for a difference of {target}: it must be positive and at most the"
            f" discordance ψ={psi:.3g}, the share of examples where the candidates disagree"
        )
    return Plan(
        n=n,
        pass_rate=pass_rate,
        discordance=psi,
        alpha=alpha,
        power=power,
        paired_mde=paired_binary_mde(n, psi, alpha=alpha, power=power),
        threshold_mde=single_rate_mde(n, pass_rate, alpha=alpha, power=power),
        target=target,
        n_for_target=(
            None if target is None else paired_binary_n(target, psi, alpha=alpha, power=power)
        ),
    )


def _connor_n(delta: float, psi: float, z_alpha: float, z_power: float) -> float:
    return (z_alpha * math.sqrt(psi) + z_power * math.sqrt(psi - delta**2)) ** 2 / delta**2


def _z(alpha: float, power: float) -> tuple[float, float]:
    """z_{1−α/2} and z_power, after checking both are usable for planning."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be within (0, 1), got {alpha}")
    # Below 0.5 power the plan expects to miss the difference; the MDE solution also
    # relies on z_power ≥ 0.
    if not 0.5 <= power < 1:
        raise ValueError(f"power must be within [0.5, 1), got {power}")
    normal = NormalDist()
    return normal.inv_cdf(1 - alpha / 2), normal.inv_cdf(power)


def _check_discordance(discordance: float) -> None:
    if not 0 <= discordance <= 1:
        raise ValueError(f"discordance must be within [0, 1], got {discordance}")
