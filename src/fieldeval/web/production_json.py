"""The run page's production estimate as JSON: each rate weighted to production traffic."""

from __future__ import annotations

from typing import Any

from fieldeval.production.estimates import ProductionEstimates
from fieldeval.stats.survey import WeightedRate
from fieldeval.web.results_json import number


def weighted_json(rate: WeightedRate) -> dict[str, Any]:
    return {
        "rate": number(rate.value),
        "low": number(rate.low),
        "high": number(rate.high),
        "n": rate.n,
        "strata": rate.strata,
        "effective_n": number(rate.effective_n),
    }


def production_json(estimates: ProductionEstimates) -> dict[str, Any]:
    return {
        "examples": estimates.examples,
        "strata": estimates.strata,
        "calls": estimates.calls,
        "candidates": [
            {
                "candidate_id": c.candidate_id,
                "weighted": weighted_json(c.weighted),
                "eval_set_rate": number(c.plain),
                "checks": {check: weighted_json(rate) for check, rate in c.checks.items()},
                "criteria": {name: weighted_json(rate) for name, rate in c.criteria.items()},
            }
            for c in estimates.candidates
        ],
        "pairs": [
            {
                "a": p.a,
                "b": p.b,
                "n": p.difference.n,
                "difference": number(p.difference.value),
                "low": number(p.difference.low),
                "high": number(p.difference.high),
            }
            for p in estimates.pairs
        ],
    }
