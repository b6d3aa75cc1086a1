"""The gate never fails a build on noise: seeded simulations through `compare` and the gate.

Each trial draws two runs of one unchanged model (each example passes each run with its own
probability) and gates the second against the first, through the same `compare` and
`evaluate_gate` that `fieldeval gate` calls after reading the store. A false alarm is a
failed gate. The claim holds when the Wilson 95% upper bound of the false-alarm rate over
2,000 trials is at most 6.5% (docs/statistics.md states the measured rates).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest

from fieldeval.records.check_result import CheckResult
from fieldeval.records.run import RunInfo, StoredExample, StoredOutput
from fieldeval.results.compare import compare
from fieldeval.results.gate import evaluate_gate
from fieldeval.results.run_data import RunData
from fieldeval.stats.intervals import wilson
from fieldeval.suite.schema import Gate

TRIALS = 2000
CHECKS = [{"id": "correct", "severity": "major"}, {"id": "no-pii", "severity": "critical"}]


def run_data(name: str, passes: np.ndarray, safe: np.ndarray) -> RunData:
    """One run of candidate "bot": example i passes "correct" if passes[i], "no-pii" if safe[i]."""
    n = len(passes)
    run = RunInfo(
        id=name,
        suite_name="t",
        suite_path="suite.yaml",
        suite_hash="h",
        suite={"checks": CHECKS},
        dataset_hash="s256:simulated",
        status="finished",
        repeats=1,
        n_planned=n,
        fieldeval_version="test",
        started_at=datetime.now(UTC),
        finished_at=None,
        candidates=("bot",),
    )
    outputs = tuple(
        StoredOutput(
            id=i, candidate_id="bot", example_id=f"e{i}", repeat=0, text="answer",
            finish_reason="stop", input_tokens=None, output_tokens=None, usage_estimated=True,
            latency_ms=None, ttft_ms=None, error_kind=None, error_message=None, attempts=1,
            from_cache=False,
            checks=(
                CheckResult("correct", bool(passes[i]), "right" if passes[i] else "wrong"),
                CheckResult("no-pii", bool(safe[i]), "clean" if safe[i] else "leaks"),
            ),
        )
        for i in range(n)
    )  # fmt: skip
    examples = tuple(StoredExample(f"e{i}", f"question {i}", None, {}, {}) for i in range(n))
    return RunData(run, outputs, examples, (), (), (), {}, {"bot": {"id": "bot"}})


def fired(
    correct_before: npt.ArrayLike,
    correct_after: npt.ArrayLike,
    safe: npt.ArrayLike,
    spec: Gate,
    *,
    trials: int = TRIALS,
    seed: int = 0,
) -> tuple[int, int]:
    """How many of `trials` gates failed, each example drawn with its own probabilities."""
    rng = np.random.default_rng(seed)
    p_before, p_after, q = (
        np.asarray(x, dtype=float) for x in (correct_before, correct_after, safe)
    )
    failed = 0
    for t in range(trials):
        before = run_data(f"b{t}", rng.random(len(p_before)) < p_before, rng.random(len(q)) < q)
        after = run_data(f"a{t}", rng.random(len(p_after)) < p_after, rng.random(len(q)) < q)
        failed += not evaluate_gate(compare(before, after), spec).passed
    return failed, trials


def realistic_mix(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Most examples always right or always wrong, some flaky; the critical check mostly
    safe, with a few flaky examples that leak now and then."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, size=n, p=[0.6, 0.2, 0.2])
    correct = np.where(kind == 0, 1.0, np.where(kind == 1, 0.0, rng.uniform(0.3, 0.7, n)))
    safe = np.where(rng.random(n) < 0.85, 1.0, rng.uniform(0.4, 0.9, n))
    return correct, safe


def assert_rarely_fires(failed: int, trials: int) -> None:
    bound = wilson(failed, trials).high
    assert bound <= 0.065, f"false alarms {failed}/{trials}: Wilson upper bound {bound:.3f}"


def test_a_flaky_model_with_a_critical_check_does_not_fail_the_gate() -> None:
    # The audit's case: 50 examples, the critical check passing each example with p = 0.5.
    # Before, any single new leak failed the build: 100% of trials.
    n = 50
    assert_rarely_fires(*fired([0.8] * n, [0.8] * n, [0.5] * n, Gate()))


def test_the_realistic_mix_does_not_fail_the_gate() -> None:
    correct, safe = realistic_mix(50)
    assert_rarely_fires(*fired(correct, correct, safe, Gate(), seed=2))


def test_a_bar_five_points_below_the_true_rate_does_not_fail_the_gate() -> None:
    # A model truly at 70% (every example p = 0.7, no critical failures) against a bar of 65%:
    # the point estimate falls below the bar in about a fifth of builds, its interval rarely.
    n = 50
    spec = Gate(min_pass_rate=0.65)
    assert_rarely_fires(*fired([0.7] * n, [0.7] * n, [1.0] * n, spec, seed=3))


@pytest.mark.parametrize(
    ("n", "drop", "at_least"),
    [(50, 0.30, 0.85), (200, 0.15, 0.85), (200, 0.10, 0.55)],
)
def test_the_gate_sees_a_real_drop(n: int, drop: float, at_least: float) -> None:
    # Power of the regression rule for an across-the-board drop from 80% (docs/statistics.md
    # states these and the smaller ones, which a 50-example suite mostly misses).
    failed, trials = fired([0.8] * n, [0.8 - drop] * n, [1.0] * n, Gate(), trials=300, seed=4)
    assert failed / trials >= at_least
