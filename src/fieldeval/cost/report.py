"""A run's economics in one place: spend, quality against cost, and public rankings beside it."""

from __future__ import annotations

from dataclasses import dataclass

from fieldeval.cost.leaderboard import RankComparison, compare_rankings
from fieldeval.cost.pareto import ParetoPoint, TradeOff, pareto, trade_offs
from fieldeval.cost.spend import RunCost, run_cost
from fieldeval.records.run import RunInfo
from fieldeval.results.candidates import CandidatePair, compare_candidates
from fieldeval.results.run_data import RunData
from fieldeval.results.summary import RunSummary, summarize
from fieldeval.suite.economics import Volume
from fieldeval.suite.schema import Suite


@dataclass(frozen=True)
class CostReport:
    run: RunInfo
    volume: Volume | None  # the suite's, which the projections use
    cost: RunCost
    summary: RunSummary
    pairs: tuple[CandidatePair, ...]
    pareto: tuple[ParetoPoint, ...]
    trade_offs: tuple[TradeOff, ...]
    rankings: tuple[RankComparison, ...]


def cost_report(suite: Suite, data: RunData, *, seed: int = 0, resamples: int = 2000) -> CostReport:
    """Everything `fieldeval cost` shows for one run of `suite`, on its clean examples."""
    summary = summarize(data.run, data.outputs)
    pairs = compare_candidates(data.outputs, data.run.candidates)
    cost = run_cost(suite, data, seed=seed, resamples=resamples)
    return CostReport(
        run=data.run,
        volume=suite.volume,
        cost=cost,
        summary=summary,
        pairs=pairs,
        pareto=pareto(summary, cost, pairs),
        trade_offs=trade_offs(summary, cost, pairs),
        rankings=compare_rankings(suite.leaderboards, summary, pairs),
    )
