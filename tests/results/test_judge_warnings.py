"""What makes a judge's rates unsafe to read: a judge that never varies, or one not calibrated."""

from __future__ import annotations

from fieldeval.judge.calibration import calibrate
from fieldeval.results.rubric import CriterionResult, judge_warnings
from fieldeval.stats.intervals import wilson


def _judged(candidate: str, k: int, n: int, criterion: str = "names-the-issue") -> CriterionResult:
    return CriterionResult(criterion, candidate, "judge", wilson(k, n), 0, 0)


def test_a_judge_that_passes_everything_is_flagged_and_so_is_an_uncalibrated_one() -> None:
    # The audit's bundled judge: 65 of 65 "correct".
    results = [_judged("a", 40, 40), _judged("b", 25, 25)]
    constant, uncalibrated = judge_warnings(results, [])
    assert constant == (
        "names-the-issue: the judge passed all 65 outputs it graded; a judge that never varies"
        " tells the candidates apart no better than a constant."
    )
    assert "uncalibrated" in uncalibrated and "fieldeval calibrate" in uncalibrated


def test_a_calibrated_judge_that_varies_has_nothing_to_warn_about() -> None:
    results = [_judged("a", 30, 40), _judged("b", 5, 25)]
    pairs = [(True, True)] * 40 + [(False, False)] * 40
    standing = calibrate(pairs, criterion_id="names-the-issue")
    assert standing.stands_in
    assert judge_warnings(results, [standing]) == []
    # People's rates are not the judge's: no warning about them.
    people = [CriterionResult("x", "a", "people", wilson(10, 10), 0, 0)]
    assert judge_warnings(people, []) == []


def test_a_few_identical_verdicts_may_be_right() -> None:
    (only,) = judge_warnings([_judged("a", 6, 6)], [])
    assert "uncalibrated" in only
