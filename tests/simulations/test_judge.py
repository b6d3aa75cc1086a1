"""A judge is declared able to stand in for people only when the labels show it: simulations.

Each trial grades n_pass outputs people passed and n_fail they failed with a judge of the
given true TPR and TNR, and asks `calibrate` whether it stands in at the 80% target.
"""

from __future__ import annotations

import numpy as np
import pytest

from fieldeval.judge.calibration import calibrate
from fieldeval.stats.intervals import wilson

TRIALS = 2000


def stands_in_rate(tpr: float, tnr: float, n_pass: int, n_fail: int, seed: int) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    declared = 0
    for _ in range(TRIALS):
        judged_pass = rng.random(n_pass) < tpr  # the judge's verdicts on human passes
        judged_fail = rng.random(n_fail) >= tnr  # ... and on human fails (True: it passed)
        pairs = [(True, bool(j)) for j in judged_pass] + [(False, bool(j)) for j in judged_fail]
        declared += calibrate(pairs, criterion_id="c", resamples=0).stands_in
    return declared, TRIALS


@pytest.mark.parametrize(("tpr", "tnr", "n"), [(0.7, 0.7, 10), (0.8, 0.8, 30), (0.75, 0.9, 50)])
def test_a_judge_below_or_at_the_target_rarely_stands_in(tpr: float, tnr: float, n: int) -> None:
    # The audit's case was the first: declared able to stand in 14.7% of the time on points.
    declared, trials = stands_in_rate(tpr, tnr, n, n, seed=int(100 * tpr) + n)
    assert wilson(declared, trials).high <= 0.05, f"stood in {declared}/{trials}"


def test_a_good_judge_with_enough_labels_usually_stands_in() -> None:
    declared, trials = stands_in_rate(0.95, 0.95, 100, 100, seed=1)
    assert declared / trials >= 0.9
