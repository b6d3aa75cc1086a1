"""Judge calibration, checked against statsmodels, hand computations and simulation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from fieldeval.judge.calibration import calibrate, rogan_gladen
from fieldeval.stats.agreement import cohen_kappa
from fieldeval.stats.intervals import wilson


def _pairs(
    true_pass: int, false_fail: int, false_pass: int, true_fail: int
) -> list[tuple[bool, bool]]:
    """(human_pass, judge_pass) per output with the given cells of the 2×2 table."""
    return (
        [(True, True)] * true_pass
        + [(True, False)] * false_fail
        + [(False, True)] * false_pass
        + [(False, False)] * true_fail
    )


# --- Counts, rates, kappa -------------------------------------------------------------


def test_counts_and_rates_on_a_hand_built_set() -> None:
    pairs = _pairs(40, 5, 8, 30)
    result = calibrate(pairs, criterion_id="names-the-product", resamples=500)
    assert result.criterion_id == "names-the-product"
    assert (result.n, result.true_pass, result.false_fail) == (83, 40, 5)
    assert (result.false_pass, result.true_fail) == (8, 30)
    assert result.tpr == wilson(40, 45)
    assert result.tnr == wilson(30, 38)
    assert result.balanced_accuracy == pytest.approx((40 / 45 + 30 / 38) / 2)
    human = [int(h) for h, _ in pairs]
    judge = [int(j) for _, j in pairs]
    assert result.kappa.value == pytest.approx(cohen_kappa(human, judge))
    table = np.array([[40, 5], [8, 30]])
    assert result.kappa.value == pytest.approx(sm_cohens_kappa(table, return_results=False))
    kappa, low, high = result.kappa.value, result.kappa.low, result.kappa.high
    assert kappa is not None and low is not None and high is not None
    assert low < kappa < high
    assert result.mcnemar_p == pytest.approx(0.5810546875)  # 2·P(X ≤ 5), X ~ Bin(13, ½)
    assert result.corrected is None
    # The same seed gives the same interval.
    assert calibrate(pairs, criterion_id="names-the-product", resamples=500) == result


@pytest.mark.parametrize(("b", "c"), list(itertools.product([0, 1, 3, 8, 20], [0, 2, 5, 13])))
def test_mcnemar_p_matches_statsmodels(b: int, c: int) -> None:
    result = calibrate(_pairs(30, c, b, 25), criterion_id="c", resamples=10)
    expected = sm_mcnemar([[30, c], [b, 25]], exact=True).pvalue
    assert result.mcnemar_p == pytest.approx(expected, rel=1e-10)


def test_undefined_kappa_and_empty_input() -> None:
    # People and the judge pass everything: kappa is 0/0.
    everything = calibrate(_pairs(12, 0, 0, 0), criterion_id="c")
    assert everything.kappa.value is None and everything.kappa.low is None
    assert everything.balanced_accuracy is None
    assert not everything.stands_in

    empty = calibrate([], criterion_id="c", judge_only=[True, False])
    assert empty.n == 0 and empty.mcnemar_p == 1.0 and empty.bias == "none"
    assert empty.kappa.value is None and not empty.stands_in
    assert empty.verdict.startswith("Not yet: only 0 outputs that people passed and 0")
    assert empty.corrected is not None and empty.corrected.estimate.value is None
    assert empty.corrected.observed == 0.5
    assert empty.corrected.note is not None and "No labelled output" in empty.corrected.note


# --- Verdicts -------------------------------------------------------------------------


def test_a_good_judge_with_enough_data_stands_in() -> None:
    # TPR 92/95 (Wilson 91.1%–98.9%), TNR 96/100 (90.2%–98.4%): both above 80% throughout.
    result = calibrate(_pairs(92, 3, 4, 96), criterion_id="c")
    assert result.bias == "none"
    assert result.stands_in
    assert result.verdict == (
        "The judge can stand in for humans here: it agrees with them on 188 of 195 "
        "(TPR 97%, TNR 96%) with no sign of bias (McNemar p = 1.00)."
    )


def test_a_judge_above_target_on_too_few_labels_is_not_yet_shown_to_stand_in() -> None:
    # TNR 45/50 = 90%, but its 95% interval reaches down to 78.6%, under the 80% target.
    result = calibrate(_pairs(46, 4, 5, 45), criterion_id="c")
    assert result.bias == "none" and not result.stands_in
    assert result.verdict == (
        "Not yet: TNR 90% could be as low as 79% (95% interval, 45/50), under the 80% "
        "target; grade more outputs to show the judge reaches it."
    )


def test_a_lenient_judge_is_labelled_lenient_and_does_not_stand_in() -> None:
    result = calibrate(_pairs(30, 0, 15, 15), criterion_id="c")
    assert result.bias == "lenient"
    assert result.mcnemar_p == pytest.approx(2 * 0.5**15)
    assert not result.stands_in
    assert result.verdict == (
        "The judge cannot stand in: it is too lenient — it passed 15 outputs people failed "
        "and failed 0 they passed (McNemar p < 0.001)."
    )


def test_a_harsh_judge_is_labelled_harsh() -> None:
    result = calibrate(_pairs(20, 12, 1, 29), criterion_id="c")
    # 2·P(X ≤ 1) with X ~ Bin(13, ½) = 2·14/8192.
    assert result.mcnemar_p == pytest.approx(28 / 8192)
    assert result.bias == "harsh"
    assert not result.stands_in
    assert "too harsh — it failed 12 outputs people passed and passed 1 they failed" in (
        result.verdict
    )
    assert "p = 0.003" in result.verdict


def test_bias_alone_keeps_a_judge_out_even_above_target() -> None:
    # TPR 100%, TNR 85%, but every error is a false pass: a lenient judge.
    result = calibrate(_pairs(200, 0, 30, 170), criterion_id="c")
    assert result.tpr.value == 1.0 and result.tnr.value == pytest.approx(0.85)
    assert result.bias == "lenient"
    assert not result.stands_in


def test_too_few_fails_does_not_stand_in_and_says_why() -> None:
    result = calibrate(_pairs(40, 0, 0, 4), criterion_id="c")
    assert result.tpr.value == 1.0 and result.tnr.value == 1.0
    assert not result.stands_in
    assert result.verdict == (
        "Not yet: only 4 outputs that people failed; grade at least 10 failing outputs "
        "to judge the judge."
    )
    few_passes = calibrate(_pairs(1, 0, 0, 30), criterion_id="c", min_each=5)
    assert few_passes.verdict == (
        "Not yet: only 1 output that people passed; grade at least 5 passing outputs "
        "to judge the judge."
    )


def test_a_judge_that_misses_failures_says_so() -> None:
    # TNR 12/20 = 60%; 8 false passes against 3 false fails is no significant bias.
    result = calibrate(_pairs(47, 3, 8, 12), criterion_id="c")
    assert result.bias == "none"
    assert not result.stands_in
    assert result.verdict == "The judge cannot stand in: it misses failures (TNR 60%, target 80%)."
    both = calibrate(_pairs(35, 15, 8, 12), criterion_id="c")
    assert both.verdict == (
        "The judge cannot stand in: it fails good outputs and misses failures "
        "(TPR 70%, TNR 60%, target 80%)."
    )


def test_rates_just_under_target_are_not_shown_as_the_target() -> None:
    # TPR 159/200 = 79.5% would round to 80%; 41 false fails against 35 false passes.
    result = calibrate(_pairs(159, 41, 35, 165), criterion_id="c", resamples=10)
    assert result.bias == "none" and not result.stands_in
    assert "TPR 79.5%, target 80%" in result.verdict


# --- Rogan–Gladen ---------------------------------------------------------------------


def test_rogan_gladen_by_hand() -> None:
    # θ = (p + TNR − 1)/(TPR + TNR − 1)
    assert rogan_gladen(0.6, 0.9, 0.8) == pytest.approx(0.4 / 0.7)
    assert rogan_gladen(0.7, 0.9, 0.8) == pytest.approx(0.5 / 0.7)
    assert rogan_gladen(0.48, 0.9, 0.7) == pytest.approx(0.3)
    assert rogan_gladen(0.5, 1.0, 1.0) == 0.5  # a perfect judge needs no correction


def test_rogan_gladen_clips_and_refuses_an_uninformative_judge() -> None:
    assert rogan_gladen(0.1, 0.9, 0.8) == 0.0  # raw −0.1/0.7
    assert rogan_gladen(0.95, 0.9, 0.8) == 1.0  # raw 0.75/0.7
    assert rogan_gladen(0.5, 0.5, 0.55) is None  # J = 0.05
    assert rogan_gladen(0.5, 0.4, 0.5) is None  # J < 0: worse than a coin
    assert rogan_gladen(0.5, 0.5, 0.56) == pytest.approx(0.06 / 0.06)
    with pytest.raises(ValueError, match="tpr"):
        rogan_gladen(0.5, 1.2, 0.8)


# --- Corrected pass rate --------------------------------------------------------------


def test_corrected_rate_and_its_interval() -> None:
    judge_only = [True] * 60 + [False] * 40
    result = calibrate(_pairs(45, 5, 8, 32), criterion_id="c", judge_only=judge_only)
    corrected = result.corrected
    assert corrected is not None
    assert corrected.n == 100 and corrected.observed == 0.6
    expected = rogan_gladen(0.6, 45 / 50, 32 / 40)
    assert corrected.estimate.value == pytest.approx(expected)
    value, low, high = corrected.estimate.value, corrected.estimate.low, corrected.estimate.high
    assert value is not None and low is not None and high is not None
    assert low < value < high
    assert corrected.note is None


def test_corrected_rate_notes() -> None:
    # Few labelled fails: the correction stands, with a warning.
    few = calibrate(_pairs(30, 3, 1, 5), criterion_id="c", judge_only=[True, False, True])
    assert few.corrected is not None and few.corrected.estimate.value is not None
    assert few.corrected.note is not None
    assert "Only 6 labelled outputs people failed (fewer than 10)" in few.corrected.note

    # The judge passes fewer than its own false-pass rate predicts: clipped at 0.
    clipped = calibrate(_pairs(40, 10, 10, 40), criterion_id="c", judge_only=[False] * 20)
    assert clipped.corrected is not None
    assert clipped.corrected.estimate.value == 0.0
    assert clipped.corrected.note is not None and "clipped to 0" in clipped.corrected.note

    # A coin-flipping judge: J = 0.5 + 0.5 − 1 = 0.
    coin = calibrate(_pairs(20, 20, 20, 20), criterion_id="c", judge_only=[True, False])
    assert coin.corrected is not None
    assert coin.corrected.estimate == type(coin.corrected.estimate)(None, None, None)
    assert coin.corrected.note is not None and "barely beats chance" in coin.corrected.note


def _simulate(
    rng: np.random.Generator, labelled: int, unlabelled: int
) -> tuple[list[tuple[bool, bool]], list[bool]]:
    """True pass rate 0.3; a judge with TPR 0.9 and TNR 0.7; labelled half pass, half fail."""
    human = np.array([True] * (labelled // 2) + [False] * (labelled // 2))
    judge = np.where(human, rng.random(labelled) < 0.9, rng.random(labelled) < 0.3)
    truth = rng.random(unlabelled) < 0.3
    judge_only = np.where(truth, rng.random(unlabelled) < 0.9, rng.random(unlabelled) < 0.3)
    pairs = [(bool(h), bool(j)) for h, j in zip(human, judge, strict=True)]
    return pairs, [bool(j) for j in judge_only]


def test_simulation_corrected_rate_recovers_the_true_rate() -> None:
    pairs, judge_only = _simulate(np.random.default_rng(42), labelled=600, unlabelled=3000)
    corrected = calibrate(pairs, criterion_id="c", judge_only=judge_only).corrected
    assert corrected is not None and corrected.observed is not None
    # The judge's raw rate is 0.3·0.9 + 0.7·0.3 = 0.48, far from the truth.
    assert corrected.observed == pytest.approx(0.48, abs=0.03)
    value, low, high = corrected.estimate.value, corrected.estimate.low, corrected.estimate.high
    assert value is not None and low is not None and high is not None
    assert value == pytest.approx(0.3, abs=0.08)
    assert low < 0.3 < high


def test_simulation_corrected_interval_covers_about_95_percent() -> None:
    rng = np.random.default_rng(7)
    estimates, covered = [], 0
    for _ in range(200):
        pairs, judge_only = _simulate(rng, labelled=200, unlabelled=1000)
        corrected = calibrate(
            pairs, criterion_id="c", judge_only=judge_only, resamples=1000
        ).corrected
        assert corrected is not None
        estimate = corrected.estimate
        assert estimate.value is not None and estimate.low is not None
        assert estimate.high is not None
        estimates.append(estimate.value)
        covered += estimate.low <= 0.3 <= estimate.high
    assert np.mean(estimates) == pytest.approx(0.3, abs=0.015)
    assert 0.88 <= covered / 200 <= 0.99


def test_argument_checks() -> None:
    with pytest.raises(ValueError, match="target"):
        calibrate([], criterion_id="c", target=0)
    with pytest.raises(ValueError, match="resamples"):
        calibrate([], criterion_id="c", resamples=-1)


def test_a_bias_the_data_already_shows_is_reported_before_asking_for_more_grades() -> None:
    # People failed all twelve; the judge passed every one. No pass to measure TPR on, but
    # more grades cannot clear the judge of passing what people fail.
    result = calibrate([(False, True)] * 12, criterion_id="c")
    assert result.bias == "lenient" and not result.stands_in
    assert result.verdict.startswith("The judge cannot stand in: it is too lenient")
