"""Judge calibration, checked against statsmodels, hand computations and simulation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from fieldeval.judge.calibration import calibrate
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
    assert result.corrected == ()
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

    empty = calibrate([], criterion_id="c")
    assert empty.n == 0 and empty.mcnemar_p == 1.0 and empty.bias == "none"
    assert empty.kappa.value is None and not empty.stands_in
    assert empty.verdict.startswith("Not yet: only 0 outputs that people passed and 0")


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


def test_kappa_has_no_interval_when_every_pair_lies_in_one_cell() -> None:
    # People failed all twelve, the judge passed them all.
    result = calibrate([(False, True)] * 12, criterion_id="c")
    assert result.kappa.value == 0.0
    assert (result.kappa.low, result.kappa.high) == (None, None)
    # The README's case: people passed none, so every draw's κ is 0 however the judge splits.
    readme = calibrate([(False, True)] * 18 + [(False, False)] * 2, criterion_id="c")
    assert readme.kappa.value == 0.0 and readme.kappa.low is None
    # With something to vary, the interval is there.
    varied = calibrate(
        [(True, True)] * 10 + [(False, True)] * 5 + [(False, False)] * 5, criterion_id="c"
    )
    assert varied.kappa.low is not None and varied.kappa.high is not None
