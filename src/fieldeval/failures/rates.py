"""Failure modes per candidate: rates, severity-weighted failure, graceful against catastrophic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fieldeval.stats.agreement import Estimate
from fieldeval.stats.intervals import Proportion, rate_over_examples, zero_failure_upper_bound
from fieldeval.suite.failure_modes import DEFAULT_WEIGHTS, SEVERITY_LEVEL, FailureMode

# Bootstrap draws are made in blocks of about this many example picks, to bound memory.
_BLOCK_CELLS = 1_000_000
_SEVERITY_AT = {level: name for name, level in SEVERITY_LEVEL.items()}


@dataclass(frozen=True)
class LabelledOutput:
    """One answered output and the failure modes labelled on it (empty: no failure)."""

    candidate_id: str
    example_id: str
    repeat: int
    slices: Mapping[str, str]
    modes: frozenset[str]


@dataclass(frozen=True)
class ModeRate:
    mode_id: str
    severity: str
    rate: Proportion  # examples with this mode (with repeats: each example's share)
    upper_bound: float | None  # with none observed: 1 − 0.05^(1/n examples), else None


@dataclass(frozen=True)
class CandidateFailures:
    candidate_id: str
    n: int  # examples answered at least once
    outputs: int  # answered outputs (n × repeats when every repeat answered)
    modes: tuple[ModeRate, ...]  # in the suite's order
    failed: Proportion  # with at least one failure mode
    weighted: Estimate  # severity-weighted failure rate, 95% bootstrap over examples
    graceful: Proportion  # worst failure cosmetic or minor
    serious: Proportion  # worst failure major
    catastrophic: Proportion  # worst failure critical
    critical_upper_bound: float | None  # with no critical failure: 1 − 0.05^(1/n)


def candidate_failures(
    outputs: Sequence[LabelledOutput],
    modes: Sequence[FailureMode],
    weights: Mapping[str, float],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> list[CandidateFailures]:
    """Per candidate, in order of first appearance; the unit is the example.

    With one output per example each rate is Wilson's k of n examples. With repeats an
    example's outcome is its share of repeats, and the rate is the mean over examples with
    `mean_proportion`'s interval (`stats.intervals.rate_over_examples`), so K repeats never
    pose as K examples. With none seen, the one-sided 95% upper bound is over the n
    examples. An output's severity is its worst mode's ("none" without one), and it counts
    once, at that severity:

        failed: worst ≠ none     graceful: worst ∈ {cosmetic, minor}
        serious: worst = major   catastrophic: worst = critical
        weighted = Σ_i w(worst_i) / N over the N answered outputs

    Not Σ over every mode of an output: one answer fails its user once, and summing would
    let a critical answer with two cosmetic slips outweigh a critical one alone. The
    weighted rate's 95% interval is a percentile bootstrap that draws the candidate's
    examples with replacement (an example's repeats stay together, since they share the
    prompt) `resamples` times from `numpy.random.default_rng(seed)`, fresh per candidate.
    Weights missing from `weights` take the defaults (none 0, cosmetic 1, minor 3, major 10,
    critical 50).
    """
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    by_id = {mode.id: mode for mode in modes}
    weight_of = {**DEFAULT_WEIGHTS, **weights}
    by_candidate: dict[str, list[LabelledOutput]] = {}
    for output in outputs:
        by_candidate.setdefault(output.candidate_id, []).append(output)
    return [
        _candidate(candidate_id, own, modes, by_id, weight_of, resamples, seed)
        for candidate_id, own in by_candidate.items()
    ]


def _candidate(
    candidate_id: str,
    own: Sequence[LabelledOutput],
    modes: Sequence[FailureMode],
    by_id: Mapping[str, FailureMode],
    weight_of: Mapping[str, float],
    resamples: int,
    seed: int,
) -> CandidateFailures:
    worst = [worst_severity(output.modes, by_id) for output in own]
    examples: dict[str, list[int]] = {}
    for position, output in enumerate(own):
        examples.setdefault(output.example_id, []).append(position)
    n = len(examples)

    def rate(outcomes: Sequence[bool]) -> Proportion:
        return rate_over_examples([outcomes[i] for i in rows] for rows in examples.values())

    rates = []
    for mode in modes:
        found = rate([mode.id in output.modes for output in own])
        bound = zero_failure_upper_bound(n) if found.value == 0 else None
        rates.append(ModeRate(mode.id, mode.severity, found, bound))
    catastrophic = rate([severity == "critical" for severity in worst])
    return CandidateFailures(
        candidate_id=candidate_id,
        n=n,
        outputs=len(own),
        modes=tuple(rates),
        failed=rate([severity != "none" for severity in worst]),
        weighted=_weighted_rate(
            [output.example_id for output in own],
            [weight_of[severity] for severity in worst],
            resamples,
            seed,
        ),
        graceful=rate([severity in ("cosmetic", "minor") for severity in worst]),
        serious=rate([severity == "major" for severity in worst]),
        catastrophic=catastrophic,
        critical_upper_bound=zero_failure_upper_bound(n) if catastrophic.value == 0 else None,
    )


def worst_severity(labels: frozenset[str], modes: Mapping[str, FailureMode]) -> str:
    """The most severe mode's severity (highest `.level`), "none" for no failure.

    Labels that are not among `modes` are ignored.
    """
    level = max((modes[label].level for label in labels if label in modes), default=0)
    return _SEVERITY_AT[level]


def _weighted_rate(
    example_ids: Sequence[str], weights: Sequence[float], resamples: int, seed: int
) -> Estimate:
    """Σ w / n with the 2.5th and 97.5th percentiles of Σ w / Σ n over draws of examples.

    With no variation between examples there is no interval (low and high are None)."""
    index: dict[str, int] = {}
    for example_id in example_ids:
        index.setdefault(example_id, len(index))
    position = np.fromiter((index[e] for e in example_ids), dtype=np.intp, count=len(example_ids))
    per_example = np.bincount(position, weights=np.asarray(weights, dtype=np.float64))
    counts = np.bincount(position).astype(np.float64)
    value = float(per_example.sum() / counts.sum())
    if np.ptp(per_example / counts) == 0:
        # Every example weighs the same: each draw would give the value back, and a
        # zero-width "interval" would claim a certainty 25 examples cannot give.
        return Estimate(value, None, None)
    m = len(index)
    rng = np.random.default_rng(seed)
    rows = max(1, _BLOCK_CELLS // m)
    draws = []
    for start in range(0, resamples, rows):
        picks = rng.integers(0, m, size=(min(rows, resamples - start), m))
        draws.append(per_example[picks].sum(axis=1) / counts[picks].sum(axis=1))
    low, high = (float(q) for q in np.quantile(np.concatenate(draws), [0.025, 0.975]))
    return Estimate(value, low, high)
