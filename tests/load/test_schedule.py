"""Arrival schedules: counts, mean gaps and burstiness per distribution, and seeding."""

from __future__ import annotations

import numpy as np
import pytest

from fieldeval.load.schedule import Arrival, arrival_times

RATE = 10.0
LONG_SPAN_S = 1000.0  # 10,000 arrivals: the sample mean gap has a standard error of 1%


def gaps(times: list[float]) -> np.ndarray:
    return np.diff(np.asarray([0.0, *times]))


def coefficient_of_variation(times: list[float]) -> float:
    spaced = gaps(times)
    return float(spaced.std() / spaced.mean())


def test_constant_is_evenly_spaced_from_zero() -> None:
    times = arrival_times("constant", 20.0, 2.5)

    assert len(times) == 50
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(2.45)
    assert np.allclose(np.diff(times), 0.05)


def test_constant_stops_before_the_span_even_when_it_divides_exactly() -> None:
    assert arrival_times("constant", 3.0, 1.0) == pytest.approx([0.0, 1 / 3, 2 / 3])


@pytest.mark.parametrize("arrival", ["poisson", "gamma"])
@pytest.mark.parametrize("burstiness", [0.25, 1.0, 4.0])
def test_random_arrivals_keep_the_rate(arrival: Arrival, burstiness: float) -> None:
    times = arrival_times(arrival, RATE, LONG_SPAN_S, burstiness=burstiness, seed=3)

    assert times == sorted(times)
    assert times[0] > 0.0 and times[-1] < LONG_SPAN_S
    # Count within 5% of 10,000 (over 2.5 standard errors even for the burstiest shape).
    assert len(times) == pytest.approx(RATE * LONG_SPAN_S, rel=0.05)
    assert gaps(times).mean() == pytest.approx(1 / RATE, rel=0.05)


def test_poisson_gaps_are_exponential() -> None:
    times = arrival_times("poisson", RATE, LONG_SPAN_S, seed=1)

    assert coefficient_of_variation(times) == pytest.approx(1.0, abs=0.05)
    # An exponential's median is ln 2 times its mean.
    assert float(np.median(gaps(times))) == pytest.approx(np.log(2) / RATE, rel=0.05)


def test_gamma_shape_sets_the_burstiness() -> None:
    poisson = coefficient_of_variation(arrival_times("poisson", RATE, LONG_SPAN_S, seed=1))
    bursty = coefficient_of_variation(
        arrival_times("gamma", RATE, LONG_SPAN_S, burstiness=0.25, seed=1)
    )
    smooth = coefficient_of_variation(
        arrival_times("gamma", RATE, LONG_SPAN_S, burstiness=4.0, seed=1)
    )

    # The coefficient of variation of Gamma(k) gaps is 1/sqrt(k): 2, 1 and 0.5.
    assert bursty == pytest.approx(2.0, rel=0.1)
    assert smooth == pytest.approx(0.5, rel=0.1)
    assert smooth < poisson < bursty


@pytest.mark.parametrize("arrival", ["poisson", "gamma"])
def test_the_seed_decides_the_schedule(arrival: Arrival) -> None:
    first = arrival_times(arrival, RATE, 60.0, burstiness=0.5, seed=(7, 2))

    assert arrival_times(arrival, RATE, 60.0, burstiness=0.5, seed=(7, 2)) == first
    assert arrival_times(arrival, RATE, 60.0, burstiness=0.5, seed=(7, 3)) != first


def test_a_span_of_zero_has_no_arrivals() -> None:
    assert arrival_times("poisson", RATE, 0.0) == []
    assert arrival_times("constant", RATE, 0.0) == []


@pytest.mark.parametrize("rate", [0.0, -1.0, float("inf"), float("nan")])
def test_a_rate_that_is_not_positive_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        arrival_times("poisson", rate, 10.0)


def test_a_ramp_sends_half_as_many_then_the_full_rate_evenly() -> None:
    times = np.asarray(arrival_times("constant", 100.0, 5.0, ramp_s=2.0))

    # Λ(2 s) = 100/s · 2 s / 2: the ramp holds half the arrivals of 2 s at full rate.
    assert np.sum(times < 2.0) == 100
    assert np.sum(times >= 2.0) == 300
    after = times[times >= 2.0]
    assert np.allclose(np.diff(after), 0.01)
    # Rising intensity: the ramp's gaps shrink, and its first half holds a quarter of it.
    ramp = times[times < 2.0]
    assert np.all(np.diff(np.diff(ramp)) < 1e-12)
    assert np.sum(ramp < 1.0) == 25


@pytest.mark.parametrize("arrival", ["poisson", "gamma"])
def test_a_random_ramp_rises_linearly_and_then_keeps_the_rate(arrival: Arrival) -> None:
    ramp_s = 1000.0
    times = np.asarray(
        arrival_times(arrival, RATE, 2 * ramp_s, burstiness=2.0, seed=5, ramp_s=ramp_s)
    )

    # Expected counts: Λ(t) = RATE·t²/(2·ramp) over the ramp, RATE per second after it.
    assert np.sum(times < ramp_s / 2) == pytest.approx(RATE * ramp_s / 8, rel=0.06)
    assert np.sum(times < ramp_s) == pytest.approx(RATE * ramp_s / 2, rel=0.04)
    assert np.sum(times >= ramp_s) == pytest.approx(RATE * ramp_s, rel=0.03)
    assert list(times) == arrival_times(
        arrival, RATE, 2 * ramp_s, burstiness=2.0, seed=5, ramp_s=ramp_s
    )


def test_a_level_shorter_than_its_ramp_only_ramps() -> None:
    times = arrival_times("constant", 100.0, 1.0, ramp_s=2.0)

    # Λ(1 s) = 100 · 1² / (2 · 2) = 25 arrivals.
    assert len(times) == 25 and times[-1] < 1.0
