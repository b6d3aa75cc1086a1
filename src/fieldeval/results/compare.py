"""Run against run: what flipped, what moved, and what changed in between.

The unit is the example. With `--repeat K` an example passes a run when at least half of its
repeats passed, and a check when at least half of the repeats it ran on passed it. An output
that errored after its retries is a failure here (the user got no answer), labelled
`error:<kind>`; the runner has already retried the transient ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fieldeval.production.estimates import ProductionEstimates
from fieldeval.providers.price_table import PriceSnapshot
from fieldeval.providers.pricing import call_cost, usage_of
from fieldeval.records.run import RunInfo, StoredOutput
from fieldeval.results.changes import Change, diff
from fieldeval.results.run_data import RunData, read_run
from fieldeval.results.summary import RunSummary, example_clusters, summarize
from fieldeval.results.weighted import weighted_estimates
from fieldeval.stats.intervals import Rate, percentile, wilson
from fieldeval.stats.paired import PairedBinary, PairedScores, holm, mcnemar, paired_scores
from fieldeval.store import Store
from fieldeval.suite.candidates import Price

_MEASURED = ("latency_ms", "ttft_ms", "input_tokens", "output_tokens")
# Enough for a stable 95% percentile interval, and fast enough to compare on every build.
_RESAMPLES = 2000


@dataclass(frozen=True)
class Flip:
    """An example whose pass/fail changed between the runs (for one candidate)."""

    example_id: str
    input: str
    direction: Literal["regressed", "fixed"]
    before: StoredOutput
    after: StoredOutput
    failed_before: tuple[str, ...]  # check ids failed (or the error kind) in the earlier run
    failed_after: tuple[str, ...]


@dataclass(frozen=True)
class MetricDelta:
    """A pass rate in both runs, on the examples both have; difference = after − before."""

    metric: str  # "pass" (every check) or a check id
    before: Rate
    after: Rate
    paired: PairedBinary  # a = after, b = before
    adjusted_p: float  # Holm across this candidate's metrics


@dataclass(frozen=True)
class NumberDelta:
    """A per-output number (latency, tokens, cost) compared on the paired examples."""

    metric: str  # "latency_ms", "ttft_ms", "input_tokens", "output_tokens", "cost_usd"
    before_median: float | None
    after_median: float | None
    paired: PairedScores | None  # mean difference after − before; None when fewer than 2 pairs


@dataclass(frozen=True)
class ExampleOutcome:
    """One example in both runs: whether it passed, and what it failed (check ids, error:<kind>)."""

    example_id: str
    passed_before: bool
    passed_after: bool
    failed_before: tuple[str, ...]
    failed_after: tuple[str, ...]


@dataclass(frozen=True)
class CandidateComparison:
    candidate_id: str
    n_paired: int  # examples answered or errored in both runs
    only_before: int
    only_after: int
    flips: tuple[Flip, ...]  # regressions first, then fixes
    still_failing: tuple[str, ...]  # example ids failing in both runs (known failures)
    metrics: tuple[MetricDelta, ...]
    numbers: tuple[NumberDelta, ...]
    config_changes: tuple[Change, ...]
    outcomes: tuple[ExampleOutcome, ...] = ()  # every paired example, in dataset order


@dataclass(frozen=True)
class RunComparison:
    before: RunInfo
    after: RunInfo
    same_dataset: bool
    suite_changes: tuple[Change, ...]  # task, dataset spec, checks (not the candidates)
    candidates: tuple[CandidateComparison, ...]  # candidates present in both runs
    only_before: tuple[str, ...]  # candidate ids
    only_after: tuple[str, ...]
    after_summary: RunSummary | None = None  # the later run on its own, for thresholds
    after_production: ProductionEstimates | None = None  # ... weighted to production


def compare_runs(store: Store, before_id: str, after_id: str) -> RunComparison:
    """Compare two stored runs candidate by candidate, on the examples both runs have."""
    return compare(read_run(store, before_id), read_run(store, after_id))


def compare(before: RunData, after: RunData) -> RunComparison:
    """Compare two runs' rows (as `read_run` gives them) on the examples both have."""
    examples = [*after.examples, *before.examples]
    inputs = {e.id: e.input for e in reversed(examples)}  # the later run's text wins
    order = {example_id: i for i, example_id in enumerate(dict.fromkeys(e.id for e in examples))}
    candidates = tuple(
        _candidate(
            cid,
            _Run.of(before, cid),
            _Run.of(after, cid),
            inputs,
            order,
            [str(check["id"]) for check in after.run.suite.get("checks", ())],
        )
        for cid in after.run.candidates
        if cid in before.run.candidates
    )
    first, later = before.run, after.run
    return RunComparison(
        before=first,
        after=later,
        same_dataset=first.dataset_hash == later.dataset_hash,
        suite_changes=tuple(
            diff(_without_candidates(first.suite), _without_candidates(later.suite))
        ),
        candidates=candidates,
        only_before=tuple(c for c in first.candidates if c not in later.candidates),
        only_after=tuple(c for c in later.candidates if c not in first.candidates),
        after_summary=summarize(
            later, list(after.outputs), clusters=example_clusters(later, list(after.examples))
        ),
        after_production=weighted_estimates(later, after.outputs, after.examples, after.grades),
    )


@dataclass(frozen=True)
class _Run:
    """One candidate's outputs in one run, by example, its config and the price it paid."""

    outputs: dict[str, list[StoredOutput]]
    config: Mapping[str, Any]
    price: Price | None = None

    @classmethod
    def of(cls, data: RunData, candidate_id: str) -> _Run:
        snapshot = data.prices.get(candidate_id)
        return cls(
            _by_example(data.outputs, candidate_id),
            data.configs.get(candidate_id, {}),
            None if snapshot is None else PriceSnapshot.from_dict(snapshot).price,
        )


@dataclass(frozen=True)
class _Verdict:
    """One example in one run, its repeats reduced to what the comparison needs."""

    passed: bool
    failed: tuple[str, ...]
    checks: dict[str, bool]  # check id -> passed on at least half the repeats it ran on
    numbers: dict[str, float]  # mean over the answered repeats that have the number
    shown: StoredOutput  # the first repeat that agrees with the verdict, to show a reader


def _candidate(
    candidate_id: str,
    before: _Run,
    after: _Run,
    inputs: Mapping[str, str],
    order: Mapping[str, int],
    check_order: Sequence[str],
) -> CandidateComparison:
    paired = sorted(
        (e for e in after.outputs if e in before.outputs), key=lambda e: order.get(e, len(order))
    )
    verdicts = [
        (e, _verdict(before.outputs[e], before.price), _verdict(after.outputs[e], after.price))
        for e in paired
    ]
    regressed = [
        Flip(e, inputs.get(e, ""), "regressed", b.shown, a.shown, b.failed, a.failed)
        for e, b, a in verdicts
        if b.passed and not a.passed
    ]
    fixed = [
        Flip(e, inputs.get(e, ""), "fixed", b.shown, a.shown, b.failed, a.failed)
        for e, b, a in verdicts
        if a.passed and not b.passed
    ]
    return CandidateComparison(
        candidate_id=candidate_id,
        n_paired=len(paired),
        only_before=sum(e not in after.outputs for e in before.outputs),
        only_after=sum(e not in before.outputs for e in after.outputs),
        flips=(*regressed, *fixed),
        still_failing=tuple(e for e, b, a in verdicts if not b.passed and not a.passed),
        metrics=_metrics(verdicts, check_order),
        numbers=_numbers(verdicts),
        config_changes=tuple(diff(before.config, after.config)),
        outcomes=tuple(
            ExampleOutcome(e, b.passed, a.passed, b.failed, a.failed) for e, b, a in verdicts
        ),
    )


def _verdict(outputs: list[StoredOutput], price: Price | None) -> _Verdict:
    outputs = sorted(outputs, key=lambda o: o.repeat)
    passed = 2 * sum(o.passed for o in outputs) >= len(outputs)
    ran: Counter[str] = Counter()
    passes: Counter[str] = Counter()
    for output in outputs:
        for check in output.checks:
            ran[check.check_id] += 1
            passes[check.check_id] += check.passed
    checks = {c: 2 * passes[c] >= ran[c] for c in ran}
    errors = Counter(f"error:{o.error_kind}" for o in outputs if not o.ok)
    failed = [c for c, ok in checks.items() if not ok]
    failed += [kind for kind, count in errors.items() if 2 * count > len(outputs)]
    if not passed and not failed:
        # No single reason reached half the repeats: show every reason any repeat failed for.
        failed = list(dict.fromkeys(label for o in outputs for label in _labels(o)))
    return _Verdict(
        passed=passed,
        failed=tuple(failed),
        checks=checks,
        numbers=_mean_numbers([o for o in outputs if o.ok], price),
        shown=next((o for o in outputs if o.passed == passed), outputs[0]),
    )


def _labels(output: StoredOutput) -> list[str]:
    if not output.ok:
        return [f"error:{output.error_kind}"]
    return [check.check_id for check in output.checks if not check.passed]


def _mean_numbers(answered: list[StoredOutput], price: Price | None) -> dict[str, float]:
    columns: dict[str, list[float]] = {}
    for output in answered:
        values: dict[str, float | None] = {m: getattr(output, m) for m in _MEASURED}
        if price is not None:
            values["cost_usd"] = call_cost(usage_of(output), price)
        for metric, value in values.items():
            if value is not None:
                columns.setdefault(metric, []).append(float(value))
    return {metric: sum(v) / len(v) for metric, v in columns.items()}


def _metrics(
    verdicts: list[tuple[str, _Verdict, _Verdict]], check_order: Sequence[str]
) -> tuple[MetricDelta, ...]:
    pairs: dict[str, list[tuple[bool, bool]]] = {
        "pass": [(b.passed, a.passed) for _, b, a in verdicts]
    }
    in_both = {c for _, b, a in verdicts for c in b.checks if c in a.checks}
    for check in [*check_order, *sorted(in_both - set(check_order))]:
        if check in in_both:
            pairs[check] = [
                (b.checks[check], a.checks[check])
                for _, b, a in verdicts
                if check in b.checks and check in a.checks
            ]
    tested = [
        (metric, rows, mcnemar([a for _, a in rows], [b for b, _ in rows]))
        for metric, rows in pairs.items()
        if rows  # no pairs, nothing to compare
    ]
    adjusted = holm([paired.p_value for _, _, paired in tested])
    return tuple(
        MetricDelta(
            metric=metric,
            before=wilson(sum(b for b, _ in rows), len(rows)),
            after=wilson(sum(a for _, a in rows), len(rows)),
            paired=paired,
            adjusted_p=p,
        )
        for (metric, rows, paired), p in zip(tested, adjusted, strict=True)
    )


def _numbers(verdicts: list[tuple[str, _Verdict, _Verdict]]) -> tuple[NumberDelta, ...]:
    deltas = []
    for metric in (*_MEASURED, "cost_usd"):
        rows = [
            (b.numbers[metric], a.numbers[metric])
            for _, b, a in verdicts
            if metric in b.numbers and metric in a.numbers
        ]
        if not rows:
            continue
        before, after = [b for b, _ in rows], [a for _, a in rows]
        deltas.append(
            NumberDelta(
                metric=metric,
                before_median=percentile(before, 50),
                after_median=percentile(after, 50),
                paired=paired_scores(after, before, resamples=_RESAMPLES)
                if len(rows) >= 2
                else None,
            )
        )
    return tuple(deltas)


def _by_example(
    outputs: Sequence[StoredOutput], candidate_id: str
) -> dict[str, list[StoredOutput]]:
    grouped: dict[str, list[StoredOutput]] = {}
    for output in outputs:
        if output.candidate_id == candidate_id:
            grouped.setdefault(output.example_id, []).append(output)
    return grouped


def _without_candidates(suite: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in suite.items() if key != "candidates"}
