"""`pareto` and `trade_offs` on a real run: what dominates, what ties, and the sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.projects.cost import CostProject, answer, usage

from fieldeval.cost.pareto import ParetoPoint, TradeOff, pareto, trade_offs
from fieldeval.cost.spend import run_cost
from fieldeval.results.candidates import compare_candidates
from fieldeval.results.run_data import read_run
from fieldeval.results.summary import summarize
from fieldeval.store import Store

IDS = [f"e{i}" for i in range(20)]
# small fails e0 only; medium passes all; large fails e8..e19.
PASSES = {
    "small": set(IDS) - {"e0"},
    "medium": set(IDS),
    "large": {f"e{i}" for i in range(8)},
}
# A flat price per call: $0.001, $0.003 and $0.01 a request.
PRICES = {"small": 0.001, "medium": 0.003, "large": 0.01}


def _analyse(
    tmp_path: Path, store: Store, *, unpriced: str | None = None, volume: bool = True
) -> tuple[tuple[ParetoPoint, ...], tuple[TradeOff, ...]]:
    project = CostProject(tmp_path, store)
    loaded = project.write(
        IDS,
        {c: None if c == unpriced else {"per_call": p} for c, p in PRICES.items()},
        volume={"requests_per_month": 100_000} if volume else None,
    )
    table = {
        c: {e: answer("ok" if e in PASSES[c] else "nope", usage(100, 10)) for e in IDS}
        for c in PRICES
    }
    info = project.run(loaded, table)
    outputs = store.outputs(info.id)
    summary = summarize(store.run(info.id), outputs)
    pairs = compare_candidates(outputs, info.candidates)
    cost = run_cost(loaded.suite, read_run(store, info.id), resamples=200)
    return pareto(summary, cost, pairs), trade_offs(summary, cost, pairs)


def test_a_significantly_worse_dearer_candidate_is_off_the_frontier(
    tmp_path: Path, store: Store
) -> None:
    points, _ = _analyse(tmp_path, store)
    assert [p.candidate_id for p in points] == ["small", "medium", "large"]  # cheapest first
    large = points[-1]
    assert large.frontier is False and large.dominated_by == ("small", "medium")
    assert large.cost == pytest.approx(0.01)
    assert (large.quality.k, large.quality.n) == (8, 20)


def test_an_inseparable_pair_ties_and_both_stay_on_the_frontier(
    tmp_path: Path, store: Store
) -> None:
    points, _ = _analyse(tmp_path, store)
    small, medium, _ = points
    # medium passes one example more: the data cannot tell them apart, so paying for
    # medium is not shown to buy anything, and small is not shown to lose anything.
    assert small.frontier and medium.frontier
    assert small.ties == ("medium",) and medium.ties == ("small",)
    assert not small.dominated_by and not medium.dominated_by
    assert not any(p.quality_only for p in points)


def test_sentences_match_the_numbers_by_hand(tmp_path: Path, store: Store) -> None:
    _, trades = _analyse(tmp_path, store)
    by_pair = {(t.better, t.other): t for t in trades}
    # medium − large: 12 of 20 discordant one way, none the other. Agresti–Min:
    # (12.5 − 0.5)/22 = 0.545 ± 1.96·sqrt(13 − 12²/22)/22 = [0.319, 0.772].
    dearer = by_pair["medium", "large"]
    assert dearer.separable and dearer.n == 20
    assert dearer.difference == pytest.approx(0.6)
    assert (dearer.low, dearer.high) == (
        pytest.approx(0.3191, abs=1e-4),
        pytest.approx(0.7718, abs=1e-4),
    )
    assert dearer.cost_ratio == pytest.approx(0.3)
    # 100,000 · ($0.003 − $0.01)
    assert dearer.monthly_difference_usd == pytest.approx(-700)
    assert dearer.sentence == (
        "medium is 60 points better (95% CI 32 to 77) for 0.3x the cost:"
        " −$700 a month at 100,000 requests"
    )
    # medium − small: 1 of 20 discordant: (1.5 − 0.5)/22 = 0.045 ± 1.96·sqrt(2 − 1/22)/22
    # = [−0.079, 0.170]; not separable; small is cheaper, named first.
    tie = by_pair["medium", "small"]
    assert not tie.separable
    assert tie.sentence == (
        "small and medium cannot be separated with n=20 (medium +5 points, 95% CI −8 to 17);"
        " small is cheaper: 0.33x the cost, −$200 a month at 100,000 requests"
    )


def test_without_volume_the_monthly_part_is_left_out(tmp_path: Path, store: Store) -> None:
    _, trades = _analyse(tmp_path, store, volume=False)
    dearer = next(t for t in trades if (t.better, t.other) == ("medium", "large"))
    assert dearer.monthly_difference_usd is None and dearer.requests_per_month is None
    assert dearer.sentence == "medium is 60 points better (95% CI 32 to 77) for 0.3x the cost"


def test_unpriced_is_judged_on_quality_alone_and_says_so(tmp_path: Path, store: Store) -> None:
    points, trades = _analyse(tmp_path, store, unpriced="large")
    large = points[-1]  # unpriced last
    assert large.candidate_id == "large" and large.cost is None
    assert large.quality_only and not large.frontier
    assert large.dominated_by == ("small", "medium")
    dearer = next(t for t in trades if (t.better, t.other) == ("medium", "large"))
    assert dearer.cost_ratio is None
    assert dearer.sentence == (
        "medium is 60 points better (95% CI 32 to 77); cost unknown (no price for large)"
    )
