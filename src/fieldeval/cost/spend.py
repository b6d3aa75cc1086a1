"""What a run cost per candidate, and what it would cost a month at the suite's volume.

Formulas: docs/metrics.md, "Cost". Every figure is recomputed from stored rows: the
outputs' token counts, the price snapshot kept with the run, and the judge's calls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fieldeval.cost.intervals import Interval, unit_cost_intervals
from fieldeval.providers.price_table import PriceSnapshot
from fieldeval.providers.pricing import call_cost, usage_of
from fieldeval.records.grade import Grade, JudgeCall
from fieldeval.records.run import OutputKey, RunInfo, StoredExample, StoredOutput
from fieldeval.results.run_data import RunData
from fieldeval.results.summary import example_clusters
from fieldeval.stats.intervals import percentile
from fieldeval.suite.economics import Volume
from fieldeval.suite.schema import Suite


@dataclass(frozen=True)
class Scenario:
    """The month's total at another volume: `volume.low` or `volume.high`."""

    name: str  # "low" or "high"
    requests_per_month: int
    total_usd: float


@dataclass(frozen=True)
class MonthlyProjection:
    """C = V·(1 + r)·ĉ + V·s·ĉ_judge + fixed; the interval is the bootstrap's over examples."""

    requests_per_month: int  # V
    retry_rate: float  # r: extra attempts per request, observed in the run
    model_usd: Interval  # V·(1 + r)·ĉ
    judge_usd: float | None  # V·s·ĉ_judge; None when the judge's cost is unknown and s > 0
    fixed_usd: float
    total: Interval  # model + judge + fixed (the judge left out when judge_usd is None)
    scenarios: tuple[Scenario, ...]  # at the suite's low and high volumes
    judged_share: float = 0.0  # s


@dataclass(frozen=True)
class CandidateCost:
    candidate_id: str
    price: PriceSnapshot | None  # None: no price in the suite nor in the table
    outputs: int  # outputs stored (answered and errors)
    priced: int  # answered outputs whose cost is known
    passes: int  # outputs that passed every check
    total_usd: float | None  # the run's spend on this candidate; None without a price
    per_request: Interval | None  # mean cost of an answered request
    per_request_p50: float | None
    per_request_p95: float | None
    per_success: Interval | None  # spend on priced outputs / their passes; None when none passed
    retry_rate: float  # Σ(attempts − 1) / outputs that made a call (not from the cache)
    estimated: bool  # some usage was counted by the client: the cost is an estimate
    judge_usd: float | None  # judge spend on this candidate's outputs
    monthly: MonthlyProjection | None  # None without `volume:` or without a price
    answered: int = 0
    cached: int = 0  # answered from the response cache: a request's cost, not this run's spend
    judged_outputs: int = 0  # outputs graded by a judge call made in this run
    judge_per_output: float | None = None  # ĉ_judge = judge_usd / judged_outputs


@dataclass(frozen=True)
class RunCost:
    run_id: str
    candidates: tuple[CandidateCost, ...]
    judge_calls: int
    judge_usd: float | None  # every judge call of the run; None when some cost is unknown
    total_usd: float | None  # candidates and judge
    # Judge calls no output grade of this run links to: failed calls, side-by-side judging.
    judge_unattributed_usd: float | None = None


def run_cost(suite: Suite, data: RunData, *, seed: int = 0, resamples: int = 2000) -> RunCost:
    """Spend, cost per request and per success, judge spend and the monthly projection.

    Prices are the snapshot stored with the run, so a later price change does not rewrite
    an old run. `suite` supplies only `volume:` for the projection. The judge's grades in
    `data` decide which outputs each of its calls is charged to.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    run, outputs = data.run, data.outputs
    units = _units(run, data.examples)
    calls = data.judge_calls
    judged = data.judge_grades
    judge, linked = _judge_spend(calls, judged)
    by_candidate: dict[str, list[StoredOutput]] = {c: [] for c in run.candidates}
    for output in outputs:
        by_candidate.setdefault(output.candidate_id, []).append(output)
    candidates = tuple(
        _candidate(
            cid,
            rows,
            _snapshot(data.prices.get(cid)),
            judge.get(cid, _JudgeShare()),
            units,
            suite.volume,
            seed=seed,
            resamples=resamples,
        )
        for cid, rows in by_candidate.items()
    )
    judge_usd = _sum_known([call.cost_usd for call in calls])
    return RunCost(
        run_id=run.id,
        candidates=candidates,
        judge_calls=len(calls),
        judge_usd=judge_usd,
        total_usd=_sum_known([*(c.total_usd for c in candidates), judge_usd]),
        judge_unattributed_usd=_sum_known([c.cost_usd for c in calls if c.id not in linked]),
    )


@dataclass
class _JudgeShare:
    """One candidate's share of the judge calls that graded its outputs."""

    usd: float | None = 0.0
    outputs: int = 0


def _snapshot(stored: Mapping[str, object] | None) -> PriceSnapshot | None:
    return None if stored is None else PriceSnapshot.from_dict(dict(stored))


def _units(run: RunInfo, examples: Sequence[StoredExample]) -> Mapping[str, object] | None:
    """Example id -> the cluster it belongs to, when the suite names a cluster field."""
    if not (run.suite.get("dataset") or {}).get("cluster"):
        return None
    return example_clusters(run, examples)


def _judge_spend(
    calls: Sequence[JudgeCall], grades: Sequence[Grade]
) -> tuple[dict[str, _JudgeShare], set[int]]:
    """Each call made in this run split evenly over the outputs whose grades link to it;
    and the ids of the calls some output grade links to.

    One call can grade several outputs: two candidates that gave the same answer are asked
    about once. Grades answered from an earlier run's call cost nothing here.
    """
    cost = {call.id: call.cost_usd for call in calls if call.id is not None}
    graded: dict[int, set[OutputKey]] = {}
    for grade in grades:
        if grade.judge_call_id in cost:
            key = OutputKey.of(grade)
            graded.setdefault(grade.judge_call_id, set()).add(key)
    shares: dict[str, _JudgeShare] = {}
    judged: dict[str, set[OutputKey]] = {}
    for call_id, keys in graded.items():
        usd = cost[call_id]
        for key in keys:
            share = shares.setdefault(key[0], _JudgeShare())
            judged.setdefault(key[0], set()).add(key)
            if share.usd is not None:
                share.usd = None if usd is None else share.usd + usd / len(keys)
    for candidate_id, share in shares.items():
        share.outputs = len(judged[candidate_id])
    return shares, set(graded)


def _candidate(
    candidate_id: str,
    rows: Sequence[StoredOutput],
    snapshot: PriceSnapshot | None,
    judge: _JudgeShare,
    units: Mapping[str, object] | None,
    volume: Volume | None,
    *,
    seed: int,
    resamples: int,
) -> CandidateCost:
    answered = [row for row in rows if row.ok]
    priced: list[tuple[StoredOutput, float]] = []
    if snapshot is not None:
        for row in answered:
            cost = call_cost(usage_of(row), snapshot.price)
            if cost is not None:
                priced.append((row, cost))
    costs = [cost for _, cost in priced]
    passes_priced = sum(row.passed for row, _ in priced)
    per_request, per_success = _intervals(priced, units, seed=seed, resamples=resamples)
    retry_rate = _retry_rate(rows)
    total: float | None = None
    if snapshot is not None and (priced or not answered):
        # An output answered from the cache was paid for by the run that first asked.
        total = math.fsum(cost for row, cost in priced if not row.from_cache)
    judge_per_output = (
        judge.usd / judge.outputs if judge.usd is not None and judge.outputs else None
    )
    return CandidateCost(
        candidate_id=candidate_id,
        price=snapshot,
        outputs=len(rows),
        priced=len(priced),
        passes=sum(row.passed for row in rows),
        total_usd=total,
        per_request=per_request,
        per_request_p50=percentile(costs, 50),
        per_request_p95=percentile(costs, 95),
        per_success=per_success if passes_priced else None,
        retry_rate=retry_rate,
        estimated=any(row.usage_estimated for row, _ in priced),
        judge_usd=judge.usd,
        monthly=(
            _monthly(volume, retry_rate, per_request, judge_per_output)
            if volume is not None and per_request is not None
            else None
        ),
        answered=len(answered),
        cached=sum(row.from_cache for row in answered),
        judged_outputs=judge.outputs,
        judge_per_output=judge_per_output,
    )


def _retry_rate(rows: Sequence[StoredOutput]) -> float:
    """Extra attempts per request made, Σ(attempts − 1) / calls: an answer from the cache
    made no call (its attempts are 0) and says nothing about retries; 0 when none was made."""
    called = [row for row in rows if not row.from_cache]
    return sum(max(row.attempts - 1, 0) for row in called) / len(called) if called else 0.0


def _monthly(
    volume: Volume, retry_rate: float, per_request: Interval, judge_per_output: float | None
) -> MonthlyProjection:
    share = volume.judged_share
    fixed = volume.fixed_monthly_usd

    def judge_at(requests: int) -> float | None:
        if share == 0:
            return 0.0
        return None if judge_per_output is None else requests * share * judge_per_output

    def model_at(requests: int, cost: float) -> float:
        return requests * (1 + retry_rate) * cost

    def total_at(requests: int) -> float:
        return model_at(requests, per_request.value) + (judge_at(requests) or 0.0) + fixed

    expected = volume.requests_per_month
    model = Interval(
        model_at(expected, per_request.value),
        model_at(expected, per_request.low),
        model_at(expected, per_request.high),
        per_request.n,
    )
    judge_usd = judge_at(expected)
    extra = (judge_usd or 0.0) + fixed
    scenarios = tuple(
        Scenario(name, requests, total_at(requests))
        for name, requests in (("low", volume.low), ("high", volume.high))
        if requests is not None
    )
    return MonthlyProjection(
        requests_per_month=expected,
        retry_rate=retry_rate,
        model_usd=model,
        judge_usd=judge_usd,
        fixed_usd=fixed,
        total=Interval(model.value + extra, model.low + extra, model.high + extra, model.n),
        scenarios=scenarios,
        judged_share=share,
    )


def _intervals(
    priced: Sequence[tuple[StoredOutput, float]],
    units: Mapping[str, object] | None,
    *,
    seed: int,
    resamples: int,
) -> tuple[Interval | None, Interval | None]:
    """Mean cost per request and cost per success, each with a bootstrap over examples.

    The example (or its cluster) is resampled whole, its repeats with it: K repeats of one
    example are not K independent requests.
    """
    if not priced:
        return None, None
    grouped: dict[object, list[float]] = {}
    for row, cost in priced:
        unit = row.example_id if units is None else units.get(row.example_id)
        spent_count_passes = grouped.setdefault(unit, [0.0, 0.0, 0.0])
        spent_count_passes[0] += cost
        spent_count_passes[1] += 1
        spent_count_passes[2] += row.passed
    table = np.asarray(list(grouped.values()), dtype=np.float64)
    return unit_cost_intervals(
        table[:, 0], table[:, 1], table[:, 2], seed=seed, resamples=resamples
    )


def _sum_known(values: Sequence[float | None]) -> float | None:
    """The sum, or None when any part is unknown."""
    if any(value is None for value in values):
        return None
    return math.fsum(value for value in values if value is not None)
