"""Planning: the Connor (1987) paired power formula, its inverse, and the plan built on them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldeval.stats.power import (
    discordance_from_pass_rate,
    paired_binary_mde,
    paired_binary_n,
    plan,
    single_rate_mde,
)

Z_ALPHA, Z_POWER = 1.959963984540054, 0.8416212335729143  # z_{0.975}, z_{0.8}

# The team's reference table: minimum detectable paired difference in points, α = 0.05,
# power 0.8; None where even δ = ψ is not detectable.
TABLE = [
    (0.10, 30, None),
    (0.10, 50, None),
    (0.10, 100, 8.8),
    (0.10, 200, 6.2),
    (0.20, 30, None),
    (0.20, 50, 17.3),
    (0.20, 100, 12.4),
    (0.20, 200, 8.8),
    (0.30, 30, 26.9),
    (0.30, 50, 21.2),
    (0.30, 100, 15.2),
    (0.30, 200, 10.8),
]


@pytest.mark.parametrize(("psi", "n", "points"), TABLE)
def test_reference_table(psi: float, n: int, points: float | None) -> None:
    mde = paired_binary_mde(n, psi)
    if points is None:
        assert mde is None
    else:
        assert mde is not None
        assert 100 * mde == pytest.approx(points, abs=0.3)


@pytest.mark.parametrize(("psi", "n", "points"), [row for row in TABLE if row[2] is not None])
def test_mde_satisfies_connor_equation(psi: float, n: int, points: float) -> None:
    delta = paired_binary_mde(n, psi)
    assert delta is not None
    connor = (Z_ALPHA * math.sqrt(psi) + Z_POWER * math.sqrt(psi - delta**2)) ** 2 / delta**2
    assert connor == pytest.approx(n, rel=1e-9)


def test_connor_n_by_hand() -> None:
    # ψ = 0.2, δ = 0.1: (1.96·√0.2 + 0.8416·√0.19)² / 0.01 = 154.6 → 155.
    assert paired_binary_n(0.1, 0.2) == 155
    assert paired_binary_n(-0.1, 0.2) == 155  # the sign of the difference does not matter


@pytest.mark.parametrize("psi", [0.05, 0.1, 0.2, 0.32, 0.5])
@pytest.mark.parametrize("n", [20, 50, 100, 200, 1_000, 10_000])
def test_n_round_trips_through_the_mde(psi: float, n: int) -> None:
    mde = paired_binary_mde(n, psi)
    if mde is None:
        assert paired_binary_n(psi, psi) > n
    else:
        assert paired_binary_n(mde, psi) == n
        # Any smaller difference needs more examples.
        assert paired_binary_n(mde * 0.99, psi) > n


@given(st.floats(0.01, 1.0), st.floats(0.01, 1.0), st.sampled_from([0.01, 0.05, 0.1]))
def test_mde_inverts_n(psi: float, share: float, alpha: float) -> None:
    delta = psi * share
    n = paired_binary_n(delta, psi, alpha=alpha)
    mde = paired_binary_mde(n, psi, alpha=alpha)
    assert mde is not None
    assert mde <= delta * (1 + 1e-9)


def test_mde_shrinks_with_more_examples_and_stricter_tests_need_more() -> None:
    mdes = [paired_binary_mde(n, 0.3) for n in (50, 100, 400, 1_600)]
    found = [m for m in mdes if m is not None]
    assert len(found) == 4
    assert found == sorted(found, reverse=True)
    strict = paired_binary_mde(100, 0.3, alpha=0.01, power=0.9)
    assert strict is not None
    assert strict > found[1]


def test_no_discordance_detects_nothing() -> None:
    assert paired_binary_mde(1_000_000, 0.0) is None


def test_the_planned_n_gives_the_planned_power_in_simulation() -> None:
    # Connor's n is for the unconditional McNemar z test; check its power at that n.
    rng = np.random.default_rng(5)
    psi, delta = 0.2, 0.1
    n = paired_binary_n(delta, psi)
    cells = rng.multinomial(n, [(psi + delta) / 2, (psi - delta) / 2, 1 - psi], size=10_000)
    b, c = cells[:, 0], cells[:, 1]
    z = (b - c) / np.sqrt(np.maximum(b + c, 1))
    assert 0.77 <= np.mean(np.abs(z) > Z_ALPHA) <= 0.87


def test_paired_binary_n_rejects_impossible_differences() -> None:
    with pytest.raises(ValueError, match="discordance"):
        paired_binary_n(0.3, 0.2)
    with pytest.raises(ValueError, match="non-zero"):
        paired_binary_n(0.0, 0.2)
    with pytest.raises(ValueError, match="power"):
        paired_binary_n(0.1, 0.2, power=0.3)
    with pytest.raises(ValueError, match="alpha"):
        paired_binary_mde(100, 0.2, alpha=1.5)


def test_single_rate_mde_is_the_exact_tests() -> None:
    """The audit's figure: 26.5 points at n = 25, p = 0.8 (the normal approximation said 22.4)."""
    assert single_rate_mde(25, 0.8) == pytest.approx(0.2645)
    assert single_rate_mde(25, 0.8) > (Z_ALPHA + Z_POWER) * math.sqrt(0.8 * 0.2 / 25)
    assert single_rate_mde(5, 0.5) is None  # no 5 draws reject p = 0.5 at the 5% level
    with pytest.raises(ValueError):
        single_rate_mde(100, 1.0)


def test_discordance_from_pass_rate() -> None:
    assert discordance_from_pass_rate(0.8) == pytest.approx(0.32)
    assert discordance_from_pass_rate(0.5) == 0.5
    assert discordance_from_pass_rate(1.0) == 0.0
    with pytest.raises(ValueError):
        discordance_from_pass_rate(1.2)


def test_plan_fills_every_field() -> None:
    result = plan(100, pass_rate=0.8, target=0.1)
    assert result.n == 100
    assert result.discordance == pytest.approx(0.32)
    assert result.paired_mde == paired_binary_mde(100, result.discordance)
    assert result.threshold_mde == single_rate_mde(100, 0.8)
    assert result.target == 0.1
    assert result.n_for_target == paired_binary_n(0.1, result.discordance)
    assert (result.alpha, result.power) == (0.05, 0.8)


def test_plan_uses_a_given_discordance_and_needs_no_target() -> None:
    result = plan(50, pass_rate=0.8, discordance=0.1, alpha=0.1, power=0.9)
    assert result.discordance == 0.1
    assert result.paired_mde == paired_binary_mde(50, 0.1, alpha=0.1, power=0.9)
    assert (result.target, result.n_for_target) == (None, None)


def test_plan_rejects_a_target_beyond_the_discordance() -> None:
    with pytest.raises(ValueError, match="at most the discordance"):
        plan(100, pass_rate=0.9, target=0.25)  # ψ = 0.18
