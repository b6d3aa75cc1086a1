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
    by_candidate: dict[str, dict[str, list[StoredOutput]]] = defaultdict(lambda: defaultdict(list))
    for output in outputs:
        if output.ok and output.example_id in design:
            by_candidate[output.candidate_id][output.example_id].append(output)
    values = {
        candidate: {example: _share(rows, None) for example, rows in per_example.items()}
        for candidate, per_example in by_candidate.items()
    }
    estimates = [
        _candidate_estimate(candidate, per_example, values[candidate], design, criteria or {})
        for candidate in run.candidates
        if (per_example := by_candidate.get(candidate))
    ]
    pairs = []
    for a, b in combinations([c.candidate_id for c in estimates], 2):
        shared = [e for e in values[a] if e in values[b]]
        if not shared:
            continue
        diffs = [values[a][e] - values[b][e] for e in shared]  # type: ignore[operator]
        pairs.append(PairEstimate(a, b, weighted_difference(diffs, *_columns(shared, design))))
    return ProductionEstimates(
        candidates=tuple(estimates),
        pairs=tuple(pairs),
        examples=len(design),
        strata=len({d.stratum for d in design.values()}),
        calls=sum((_sizes(design) or {"": sum(d.weight for d in design.values())}).values()),
    )


def _candidate_estimate(
    candidate: str,
    per_example: Mapping[str, Sequence[StoredOutput]],
    values: Mapping[str, float | None],
    design: Mapping[str, _Design],
    criteria: Verdicts,
) -> CandidateEstimate:
    """One candidate's pass rate, each check's and each criterion's, weighted."""
    check_ids = dict.fromkeys(
        c.check_id for rows in per_example.values() for row in rows for c in row.checks
    )
    checks = {}
    for check_id in check_ids:
        shares = {e: _share(rows, check_id) for e, rows in per_example.items()}
        applied = {e: share for e, share in shares.items() if share is not None}
        if applied:
            checks[check_id] = _rate(applied, design)
    own = {e: v for e, v in values.items() if v is not None}
    return CandidateEstimate(
        candidate,
        _rate(own, design),
        sum(own.values()) / len(own),
        checks,
        _criteria(candidate, criteria, design),
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


def _criteria(
    candidate: str, criteria: Verdicts, design: Mapping[str, _Design]
) -> dict[str, WeightedRate]:
    """Each criterion's weighted rate: per example, the share of its decided verdicts passing."""
    found = {}
    for name, verdicts in criteria.items():
        per_example: dict[str, list[bool]] = defaultdict(list)
        for (who, example, _repeat), verdict in verdicts.items():
            if who == candidate and verdict is not None and example in design:
                per_example[example].append(verdict)
        if per_example:
            shares = {e: sum(v) / len(v) for e, v in per_example.items()}
            found[name] = _rate(shares, design)
    return found


def _share(rows: Sequence[StoredOutput], check_id: str | None) -> float | None:
    """The share of the example's answered repeats that passed (the check, or every check)."""
    if check_id is None:
        return sum(row.passed for row in rows) / len(rows)
    results = [c.passed for row in rows for c in row.checks if c.check_id == check_id]
    return sum(results) / len(results) if results else None


def _rate(values: Mapping[str, float], design: Mapping[str, _Design]) -> WeightedRate:
    examples = list(values)
    return weighted_rate(
        [values[e] for e in examples], *_columns(examples, design), sizes=_sizes(design)
    )


def _sizes(design: Mapping[str, _Design]) -> dict[str, float] | None:
    sizes = {d.stratum: d.size for d in design.values()}
    if any(size is None for size in sizes.values()):
        return None
    return {stratum: float(size) for stratum, size in sizes.items() if size is not None}


def _columns(
    examples: Sequence[str], design: Mapping[str, _Design]
) -> tuple[list[float], list[str], list[float]]:
    return (
        [design[e].weight for e in examples],
        [design[e].stratum for e in examples],
        [design[e].fraction for e in examples],
    )
