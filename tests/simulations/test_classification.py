"""The classification intervals cover the population's F1s: seeded simulations.

Each trial draws n examples from a 3-class population (priors 50/30/20%, about 75% read
right, 5% of outputs unparseable) and classifies them; the population's F1 of each label,
macro-F1 and micro-F1 are computed from the joint probabilities. The numbers are in
docs/metrics.md, "Classification".
"""

from __future__ import annotations

import numpy as np
import pytest

from fieldeval.checks.labels import UNPARSEABLE
from fieldeval.results.classification import Classified, classify

TRIALS = 800
LABELS = ("a", "b", "c")
PRIOR = np.array([0.5, 0.3, 0.2])
# P(read as a, b, c, unparseable | reference)
READ = np.array([[0.80, 0.10, 0.05, 0.05], [0.15, 0.70, 0.10, 0.05], [0.05, 0.20, 0.70, 0.05]])


def _population() -> list[float]:
    """macro-F1, micro-F1, then each label's F1, of the population itself."""
    joint = PRIOR[:, None] * READ
    predicted = joint.sum(axis=0)
    f1 = [2 * joint[c, c] / (PRIOR[c] + predicted[c]) for c in range(3)]
    micro = 2 * np.trace(joint) / (1 + predicted[:3].sum())
    return [float(np.mean(f1)), float(micro), *map(float, f1)]


@pytest.mark.parametrize("n", [40, 150])
def test_f1_intervals_cover_the_population_s_about_95_percent_of_the_time(n: int) -> None:
    truth = _population()
    rng = np.random.default_rng(n)
    covered = np.zeros(len(truth))
    for _ in range(TRIALS):
        reference = rng.choice(3, n, p=PRIOR)
        read = (rng.random(n)[:, None] > READ[reference].cumsum(axis=1)).sum(axis=1)
        rows = [
            Classified(f"e{i}", LABELS[r], LABELS[p] if p < 3 else UNPARSEABLE, 0)
            for i, (r, p) in enumerate(zip(reference, read, strict=True))
        ]
        found = classify("x", LABELS, rows, resamples=1000)
        estimates = [found.macro_f1, found.micro_f1, *(c.f1 for c in found.classes)]
        for j, (estimate, value) in enumerate(zip(estimates, truth, strict=True)):
            assert estimate.low is not None and estimate.high is not None
            covered[j] += estimate.low <= value <= estimate.high
    coverage = covered / TRIALS
    # 800 trials: a true 95% lands within ±2.5 points about 99.9% of the time.
    assert all(0.925 <= c <= 0.975 for c in coverage), dict(
        zip(["macro", "micro", "F1 a", "F1 b", "F1 c"], coverage.round(3), strict=True)
    )
