"""A run's rates weighted to production: what the eval set's numbers say about real traffic.

For a suite whose dataset says `production:` (a sample `fieldeval sample` drew), each
candidate's pass rate and per-check pass rates are also estimated for production
(`stats.survey`), beside the plain eval-set rate. The example is the unit: its value is
the share of its answered repeats that passed. Pairs of candidates are compared on the
examples both answered, example by example, weighted alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from fieldeval.records.run import OutputKey, RunInfo, StoredExample, StoredOutput
from fieldeval.stats.survey import (
    WeightedDifference,
    WeightedRate,
    weighted_difference,
    weighted_rate,
)


@dataclass(frozen=True)
class CandidateEstimate:
    candidate_id: str
    weighted: WeightedRate  # the pass rate, estimated for production
    plain: float  # the eval set's own rate, over the same examples (unweighted)
    checks: Mapping[str, WeightedRate]  # check id -> its pass rate, estimated for production
    # "criterion (people)" / "criterion (judge)" -> its pass rate, estimated for production
    criteria: Mapping[str, WeightedRate] = field(default_factory=dict)


@dataclass(frozen=True)
class PairEstimate:
    a: str
    b: str
    difference: WeightedDifference  # a's production pass rate minus b's, on shared examples


@dataclass(frozen=True)
class ProductionEstimates:
    candidates: tuple[CandidateEstimate, ...]
    pairs: tuple[PairEstimate, ...]
    examples: int
    strata: int
    calls: float  # production calls the examples stand for (Σ weights)

    def of(self, candidate_id: str) -> CandidateEstimate | None:
        return next((c for c in self.candidates if c.candidate_id == candidate_id), None)


@dataclass(frozen=True)
class _Design:
    weight: float
    stratum: str
    fraction: float
    size: float | None  # N_h, when the eval set records it


@dataclass(frozen=True)
class _Sample:
    """The eval set's design: each example's, and the strata's sizes when every one is known."""

    examples: Mapping[str, _Design]
    sizes: Mapping[str, float] | None

    @classmethod
    def of(cls, examples: Mapping[str, _Design]) -> _Sample:
        sizes = {d.stratum: d.size for d in examples.values()}
        known = {h: size for h, size in sizes.items() if size is not None}
        return cls(examples, known if len(known) == len(sizes) else None)

    @property
    def calls(self) -> float:
        """The production calls the examples stand for: Σ N_h, else Σ weights."""
        if self.sizes is not None:
            return sum(self.sizes.values())
        return sum(d.weight for d in self.examples.values())

    def rate(self, values: Mapping[str, float]) -> WeightedRate:
        examples = list(values)
        return weighted_rate(
            [values[e] for e in examples], *self._columns(examples), sizes=self.sizes
        )

    def difference(self, values: Mapping[str, float]) -> WeightedDifference:
        examples = list(values)
        return weighted_difference([values[e] for e in examples], *self._columns(examples))

    def _columns(self, examples: Sequence[str]) -> tuple[list[float], list[str], list[float]]:
        chosen = [self.examples[e] for e in examples]
        return [d.weight for d in chosen], [d.stratum for d in chosen], [d.fraction for d in chosen]


# Per rubric criterion and source, each output's verdict: True pass, False fail, None n/a.
Verdicts = Mapping[str, Mapping[OutputKey, bool | None]]


def production_estimates(
    run: RunInfo,
    outputs: Sequence[StoredOutput],
    examples: Sequence[StoredExample],
    criteria: Verdicts | None = None,
) -> ProductionEstimates | None:
    """The run's weighted estimates; None when its suite's dataset has no `production:`.

    `criteria` are the rubric's verdicts (`results.weighted.criterion_verdicts`), weighted as
    the checks are.
    """
    design = _designs(run.suite, examples)
    if not design:
        return None
    sample = _Sample.of(design)
    by_candidate: dict[str, dict[str, list[StoredOutput]]] = defaultdict(lambda: defaultdict(list))
    for output in outputs:
        if output.ok and output.example_id in design:
            by_candidate[output.candidate_id][output.example_id].append(output)
    passed = {
        candidate: {example: _passed(rows) for example, rows in per_example.items()}
        for candidate, per_example in by_candidate.items()
    }
    estimates = [
        _candidate_estimate(candidate, per_example, passed[candidate], sample, criteria or {})
        for candidate in run.candidates
        if (per_example := by_candidate.get(candidate))
    ]
    pairs = []
    for a, b in combinations([c.candidate_id for c in estimates], 2):
        differences = {e: v - passed[b][e] for e, v in passed[a].items() if e in passed[b]}
        if differences:
            pairs.append(PairEstimate(a, b, sample.difference(differences)))
    return ProductionEstimates(
        candidates=tuple(estimates),
        pairs=tuple(pairs),
        examples=len(design),
        strata=len({d.stratum for d in design.values()}),
        calls=sample.calls,
    )


def _candidate_estimate(
    candidate: str,
    per_example: Mapping[str, Sequence[StoredOutput]],
    passed: Mapping[str, float],
    sample: _Sample,
    criteria: Verdicts,
) -> CandidateEstimate:
    """One candidate's pass rate, each check's and each criterion's, weighted."""
    check_ids = dict.fromkeys(
        c.check_id for rows in per_example.values() for row in rows for c in row.checks
    )
    checks = {}
    for check_id in check_ids:
        shares = {e: _check_share(rows, check_id) for e, rows in per_example.items()}
        applied = {e: share for e, share in shares.items() if share is not None}
        if applied:
            checks[check_id] = sample.rate(applied)
    return CandidateEstimate(
        candidate,
        sample.rate(passed),
        sum(passed.values()) / len(passed),
        checks,
        _criteria(candidate, criteria, sample),
    )


def _designs(suite: Mapping[str, Any], examples: Sequence[StoredExample]) -> dict[str, _Design]:
    spec = (suite.get("dataset") or {}).get("production")
    if not spec:
        return {}
    weight, stratum, fraction = spec["weight"], spec["stratum"], spec.get("fraction")
    size = spec.get("stratum_size")
    return {
        example.id: _Design(
            weight=float(example.fields[weight]),
            stratum=str(example.fields.get(stratum)),
            fraction=float(example.fields[fraction]) if fraction else 0.0,
            size=float(example.fields[size]) if size else None,
        )
        for example in examples
        if example.fields.get(weight) is not None
    }


def _criteria(candidate: str, criteria: Verdicts, sample: _Sample) -> dict[str, WeightedRate]:
    """Each criterion's weighted rate: per example, the share of its decided verdicts passing."""
    found = {}
    for name, verdicts in criteria.items():
        per_example: dict[str, list[bool]] = defaultdict(list)
        for (who, example, _repeat), verdict in verdicts.items():
            if who == candidate and verdict is not None and example in sample.examples:
                per_example[example].append(verdict)
        if per_example:
            found[name] = sample.rate({e: sum(v) / len(v) for e, v in per_example.items()})
    return found


def _passed(rows: Sequence[StoredOutput]) -> float:
    """The share of the example's answered repeats that passed every check."""
    return sum(row.passed for row in rows) / len(rows)


def _check_share(rows: Sequence[StoredOutput], check_id: str) -> float | None:
    """The share of the example's answered repeats that passed the check; None: not applied."""
    results = [c.passed for row in rows for c in row.checks if c.check_id == check_id]
    return sum(results) / len(results) if results else None
