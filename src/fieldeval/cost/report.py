"""A run's economics in one place: spend, quality against cost, and public rankings beside it."""

from __future__ import annotations

from dataclasses import dataclass

from fieldeval.cost.leaderboard import RankComparison, compare_rankings
from fieldeval.cost.pareto import ParetoPoint, TradeOff, pareto, trade_offs
from fieldeval.cost.spend import RunCost, run_cost
from fieldeval.edges.rates import clean_view
from fieldeval.records.run import RunInfo
from fieldeval.results.candidates import CandidatePair, compare_candidates
from fieldeval.results.summary import RunSummary, summarize
from fieldeval.store import Store
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


def cost_report(
    store: Store, suite: Suite, run_id: str, *, seed: int = 0, resamples: int = 2000
) -> CostReport:
    """Everything `fieldeval cost` shows for one run of `suite`."""
    run = store.run(run_id)
    # Edge-case variants are the edges report's; cost and quality are the clean task's.
    examples = store.examples(run.dataset_hash)
    run, outputs = clean_view(run, store.outputs(run.id), examples)
    summary = summarize(run, outputs)
    pairs = compare_candidates(outputs, run.candidates)
    cost = run_cost(
        store,
        suite,
        run.id,
        seed=seed,
        resamples=resamples,
        run=run,
        outputs=outputs,
        examples=examples,
    )
    return CostReport(
        run=run,
        volume=suite.volume,
        cost=cost,
        summary=summary,
        pairs=pairs,
        pareto=pareto(summary, cost, pairs),
        trade_offs=trade_offs(summary, cost, pairs),
        rankings=compare_rankings(suite.leaderboards, summary, pairs),
    )
