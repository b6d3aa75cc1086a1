"""A run summarised per candidate: the numbers the terminal table and reports show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from fieldeval.records.run import RunInfo, StoredExample, StoredOutput
from fieldeval.results.repeats import stability
from fieldeval.stats.intervals import (
    ExampleRate,
    Mean,
    Proportion,
    Rate,
    mean_proportion,
    percentile,
    wilson,
)


@dataclass(frozen=True)
class CandidateSummary:
    """One candidate in one run. Definitions are in docs/metrics.md."""

    candidate_id: str
    n: int  # outputs planned and stored (answered + errors)
    answered: int
    pass_rate: Rate  # outputs passing every check / outputs answered
    check_failures: dict[str, int]  # check id -> failed outputs
    check_rates: dict[str, Rate]  # check id -> pass rate among outputs it applied to
    errors: dict[str, int]  # error kind -> outputs that failed after their retries
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    mean_input_tokens: float | None
    mean_output_tokens: float | None
    total_input_tokens: int
    total_output_tokens: int
    tokens_estimated: bool
    from_cache: int
    retried: int  # outputs that needed more than one attempt
    # With --repeat K: the mean of the per-example pass fractions (the example is the unit).
    pass_mean: Mean | None = None
    flaky: int = 0  # examples that passed in some repeats and failed in others

    @property
    def quality(self) -> Proportion:
        """The pass rate over examples: what ranks, recommends and prices a candidate.

        `pass_rate` when each example has one output; with repeats or clusters, `pass_mean`
        (the mean of the examples' pass fractions) with its interval.
        """
        if self.pass_mean is None:
            return self.pass_rate
        return ExampleRate.of_mean(self.pass_mean, self.answered)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass(frozen=True)
class RunSummary:
    run: RunInfo
    candidates: tuple[CandidateSummary, ...]
    missing: int  # planned outputs not stored (an interrupted run)


def summarize(
    run: RunInfo,
    outputs: Sequence[StoredOutput],
    *,
    clusters: Mapping[str, object] | None = None,
) -> RunSummary:
    """Each candidate's rates, errors, latencies and tokens.

    `clusters` maps example id -> cluster (see `example_clusters`). With repeats or
    clusters, the example (or its cluster) is the unit: `pass_mean` averages each example's
    pass fraction, with a Wilson interval on the effective number of examples (clustered
    when there are clusters; `stats.intervals.mean_proportion`).
    """
    by_candidate: dict[str, list[StoredOutput]] = {c: [] for c in run.candidates}
    for output in outputs:
        by_candidate.setdefault(output.candidate_id, []).append(output)
    check_order = [str(check["id"]) for check in run.suite.get("checks", ())]
    summaries = tuple(
        _per_example(_candidate(cid, rows, check_order), rows, clusters)
        if run.repeats > 1 or clusters is not None
        else _candidate(cid, rows, check_order)
        for cid, rows in by_candidate.items()
    )
    return RunSummary(run=run, candidates=summaries, missing=max(0, run.n_planned - len(outputs)))


def example_clusters(run: RunInfo, examples: Sequence[StoredExample]) -> dict[str, object] | None:
    """Example id -> the value of the suite's `dataset.cluster` field; None without one."""
    field = (run.suite.get("dataset") or {}).get("cluster")
    if not field:
        return None
    return {example.id: example.fields.get(field) for example in examples}


def _per_example(
    summary: CandidateSummary,
    rows: list[StoredOutput],
    clusters: Mapping[str, object] | None,
) -> CandidateSummary:
    """Add the per-example mean: K repeats of one example, or examples of one cluster, are
    not independent examples."""
    stable = [s for s in stability(rows) if s.runs]
    if not stable:
        return summary
    fractions = [s.fraction for s in stable]
    units = None if clusters is None else [clusters.get(s.example_id) for s in stable]
    mean = mean_proportion(fractions, units, trials=sum(s.runs for s in stable))
    return replace(summary, pass_mean=mean, flaky=sum(s.flaky for s in stable))


def _candidate(
    candidate_id: str, rows: list[StoredOutput], check_order: list[str]
) -> CandidateSummary:
    answered = [r for r in rows if r.ok]
    failures: Counter[str] = Counter()
    applied: Counter[str] = Counter()
    for row in answered:
        for check in row.checks:
            applied[check.check_id] += 1
            if not check.passed:
                failures[check.check_id] += 1
    # The suite's order, so tables read like the suite file.
    applied_ids = [c for c in check_order if c in applied] + [
        c for c in applied if c not in check_order
    ]
    latencies = [r.latency_ms for r in answered if r.latency_ms is not None]
    ttfts = [r.ttft_ms for r in answered if r.ttft_ms is not None]
    inputs = [r.input_tokens for r in answered if r.input_tokens is not None]
    outs = [r.output_tokens for r in answered if r.output_tokens is not None]
    return CandidateSummary(
        candidate_id=candidate_id,
        n=len(rows),
        answered=len(answered),
        pass_rate=wilson(sum(r.passed for r in answered), len(answered)),
        check_failures={c: failures[c] for c in applied_ids},
        check_rates={c: wilson(applied[c] - failures[c], applied[c]) for c in applied_ids},
        errors=dict(Counter(r.error_kind for r in rows if r.error_kind is not None)),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        ttft_p50_ms=percentile(ttfts, 50),
        ttft_p95_ms=percentile(ttfts, 95),
        mean_input_tokens=sum(inputs) / len(inputs) if inputs else None,
        mean_output_tokens=sum(outs) / len(outs) if outs else None,
        total_input_tokens=sum(inputs),
        total_output_tokens=sum(outs),
        tokens_estimated=any(r.usage_estimated for r in answered),
        from_cache=sum(r.from_cache for r in rows),
        retried=sum(r.attempts > 1 for r in rows),
    )
