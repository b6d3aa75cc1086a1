"""Failure rates per candidate, checked against hand computations and the bootstrap's design."""

from __future__ import annotations

import math

import pytest

from fieldeval.failures.rates import LabelledOutput, candidate_failures, worst_severity
from fieldeval.stats.agreement import Estimate
from fieldeval.stats.intervals import ExampleRate, wilson
from fieldeval.suite.failure_modes import DEFAULT_WEIGHTS, FailureMode

MODES = (
    FailureMode(id="stiff-tone", definition="Sounds like a form letter.", severity="cosmetic"),
    FailureMode(id="vague", definition="Leaves the next step unclear.", severity="minor"),
    FailureMode(id="wrong-fee", definition="States the wrong fee.", severity="major"),
    FailureMode(id="leaks-pii", definition="Repeats the customer's SSN.", severity="critical"),
    FailureMode(id="noted", definition="Worth a note, not a failure.", severity="none"),
)
BY_ID = {mode.id: mode for mode in MODES}


def _out(
    candidate: str,
    example: str,
    *labels: str,
    repeat: int = 0,
    slices: dict[str, str] | None = None,
) -> LabelledOutput:
    return LabelledOutput(candidate, example, repeat, slices or {}, frozenset(labels))


# --- worst severity -------------------------------------------------------------------


def test_worst_severity_is_the_highest_level() -> None:
    assert worst_severity(frozenset(), BY_ID) == "none"
    assert worst_severity(frozenset({"vague"}), BY_ID) == "minor"
    assert worst_severity(frozenset({"vague", "leaks-pii", "stiff-tone"}), BY_ID) == "critical"
    assert worst_severity(frozenset({"stiff-tone", "wrong-fee"}), BY_ID) == "major"


def test_worst_severity_ignores_unknown_ids_and_none_modes() -> None:
    assert worst_severity(frozenset({"retired-mode"}), BY_ID) == "none"
    assert worst_severity(frozenset({"retired-mode", "vague"}), BY_ID) == "minor"
    assert worst_severity(frozenset({"noted"}), BY_ID) == "none"


# --- rates ----------------------------------------------------------------------------


def test_hand_computed_candidate() -> None:
    outputs = [
        _out("a", "e1"),
        _out("a", "e2", "vague"),
        _out("a", "e3", "leaks-pii", "vague"),
    ]
    (result,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, resamples=200)

    assert result.candidate_id == "a"
    assert result.n == 3
    assert [rate.mode_id for rate in result.modes] == [mode.id for mode in MODES]
    rates = {rate.mode_id: rate for rate in result.modes}
    assert rates["vague"].rate == wilson(2, 3)
    assert rates["vague"].severity == "minor"
    assert rates["vague"].upper_bound is None
    assert rates["leaks-pii"].rate == wilson(1, 3)
    assert rates["wrong-fee"].rate == wilson(0, 3)
    assert rates["wrong-fee"].upper_bound == pytest.approx(1 - 0.05 ** (1 / 3))

    assert result.failed == wilson(2, 3)
    # The third output counts once, at its worst (critical 50), not 50 + 3.
    assert result.weighted.value == pytest.approx((0 + 3 + 50) / 3)
    assert result.graceful == wilson(1, 3)
    assert result.serious == wilson(0, 3)
    assert result.catastrophic == wilson(1, 3)
    assert result.critical_upper_bound is None


def test_candidates_in_order_of_first_appearance() -> None:
    outputs = [
        _out("b", "e1", "noted"),
        _out("a", "e1", "stiff-tone"),
        _out("b", "e2", "wrong-fee", "stiff-tone"),
    ]
    b, a = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, resamples=200)

    assert (b.candidate_id, a.candidate_id) == ("b", "a")
    assert b.n == 2
    # A mode of severity "none" is counted in its own rate but is not a failure.
    assert {rate.mode_id: rate.rate.k for rate in b.modes}["noted"] == 1
    assert b.failed == wilson(1, 2)
    assert b.graceful == wilson(0, 2)
    assert b.serious == wilson(1, 2)
    assert b.weighted.value == pytest.approx(10 / 2)
    assert a.graceful == wilson(1, 1)
    assert a.weighted.value == pytest.approx(1.0)


def test_weights_given_replace_the_defaults() -> None:
    outputs = [_out("a", "e1", "leaks-pii"), _out("a", "e2", "vague")]
    (result,) = candidate_failures(outputs, MODES, {"critical": 100.0}, resamples=200)

    assert result.weighted.value == pytest.approx((100 + 3) / 2)


def test_zero_criticals_still_bound_the_rate() -> None:
    outputs = [_out("a", f"e{i}", "wrong-fee" if i % 3 == 0 else "vague") for i in range(30)]
    (result,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, resamples=200)

    assert result.catastrophic.k == 0
    assert result.critical_upper_bound == pytest.approx(0.0950, abs=5e-5)
    assert {rate.mode_id: rate.upper_bound for rate in result.modes}["leaks-pii"] == (
        result.critical_upper_bound
    )


def test_repeats_count_once_per_example() -> None:
    """Three repeats of e1 all vague, e2 clean: 2 examples, not 4 outputs."""
    outputs = [_out("a", "e1", "vague", repeat=r) for r in range(3)] + [_out("a", "e2")]
    (result,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, resamples=200)

    assert (result.n, result.outputs) == (2, 4)
    assert isinstance(result.failed, ExampleRate)
    assert result.failed.value == pytest.approx(0.5)  # (3/3 + 0/1) / 2, not 3/4
    assert result.failed.n == 2
    assert result.weighted.value == pytest.approx(9 / 4)  # per output, as documented
    # None critical in 2 examples bounds the rate at 1 − 0.05^(1/2), not 1 − 0.05^(1/4).
    assert result.critical_upper_bound == pytest.approx(1 - 0.05**0.5)


def test_a_share_of_repeats_counts_as_that_share() -> None:
    outputs = [_out("a", "e1", *(["leaks-pii"] if r == 0 else []), repeat=r) for r in range(4)] + [
        _out("a", f"e{i}", repeat=r) for i in range(2, 6) for r in range(4)
    ]
    (result,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, resamples=200)

    assert result.catastrophic.value == pytest.approx((1 / 4) / 5)
    assert result.critical_upper_bound is None
    assert 0 <= result.catastrophic.low < result.catastrophic.value < result.catastrophic.high


# --- the bootstrap --------------------------------------------------------------------


def _correlated(
    examples: int = 20, repeats: int = 5, *, by_output: bool = False
) -> list[LabelledOutput]:
    """Half the examples fail critically in every repeat, the other half never fail.

    With `by_output`, each output gets its own example id: the same outputs, as if the
    repeats were unrelated.
    """
    return [
        _out(
            "a",
            f"e{i}-{r}" if by_output else f"e{i}",
            *(("leaks-pii",) if i < examples // 2 else ()),
            repeat=r,
        )
        for i in range(examples)
        for r in range(repeats)
    ]


def test_bootstrap_contains_the_estimate_and_is_reproducible() -> None:
    cycle = ((), ("vague",), ("stiff-tone",), ("wrong-fee", "vague"), (), ("leaks-pii",), ())
    outputs = [_out("a", f"e{i}", *cycle[(i * i) % len(cycle)]) for i in range(37)]
    (first,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, seed=7)
    (again,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, seed=7)
    (other,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, seed=8)

    weights = {(): 0, ("vague",): 3, ("stiff-tone",): 1, ("wrong-fee", "vague"): 10}
    weights[("leaks-pii",)] = 50
    expected = sum(weights[cycle[(i * i) % len(cycle)]] for i in range(37)) / 37
    assert first.weighted.value == pytest.approx(expected)
    assert first.weighted.low is not None and first.weighted.high is not None
    assert first.weighted.low < expected < first.weighted.high
    assert again.weighted == first.weighted
    assert other.weighted.value == first.weighted.value
    assert (other.weighted.low, other.weighted.high) != (first.weighted.low, first.weighted.high)


def test_bootstrap_resamples_examples_with_their_repeats() -> None:
    """20 examples, each failing in all 5 repeats or none: the information is 20 draws.

    Resampling examples, the mean of 20 Bernoulli(½)·50 draws has sd 50·sqrt(¼/20) ≈ 5.59,
    so the 95% interval is about 2·1.96·5.59 ≈ 21.9 wide. Resampling the 100 outputs as if
    independent gives 50·sqrt(¼/100)·3.92 ≈ 9.8, too narrow by sqrt(5).
    """
    (by_example,) = candidate_failures(_correlated(), MODES, DEFAULT_WEIGHTS, seed=1)
    (by_output,) = candidate_failures(_correlated(by_output=True), MODES, DEFAULT_WEIGHTS, seed=1)

    def width(low: float | None, high: float | None) -> float:
        assert low is not None and high is not None
        return high - low

    example_width = width(by_example.weighted.low, by_example.weighted.high)
    output_width = width(by_output.weighted.low, by_output.weighted.high)
    assert example_width == pytest.approx(2 * 1.96 * 50 * math.sqrt(0.25 / 20), rel=0.15)
    assert output_width == pytest.approx(2 * 1.96 * 50 * math.sqrt(0.25 / 100), rel=0.15)
    assert example_width / output_width == pytest.approx(math.sqrt(5), rel=0.2)


def test_rejects_no_resamples() -> None:
    with pytest.raises(ValueError, match="resamples"):
        candidate_failures([_out("a", "e1")], MODES, DEFAULT_WEIGHTS, resamples=0)


def test_no_variation_between_examples_gives_no_interval() -> None:
    """The audit's "weighted 10.00 [10.00, 10.00]" at n=25: every draw gives the value
    back, and a zero-width interval would claim a certainty 25 examples cannot give."""
    outputs = [_out("a", f"e{i}", "wrong-fee") for i in range(25)]
    (result,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, resamples=200)

    assert result.weighted == Estimate(10.0, None, None)
    varied = [*outputs[:24], _out("a", "e24")]
    (result,) = candidate_failures(varied, MODES, DEFAULT_WEIGHTS, resamples=200)
    assert result.weighted.low is not None and result.weighted.low < 9.6
