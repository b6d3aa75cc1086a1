"""What a run cost, per candidate, as JSON; "no price" is said, never guessed."""

from __future__ import annotations

from typing import Any

from fieldeval.cost.spend import CandidateCost, Interval, MonthlyProjection, RunCost
from fieldeval.web.results_json import number


def cost_json(cost: RunCost) -> dict[str, Any]:
    """The run's spend and each candidate's cost per request, per success and per month."""
    return {
        "total_usd": number(cost.total_usd),
        "judge_calls": cost.judge_calls,
        "judge_usd": number(cost.judge_usd),
        "judge_unattributed_usd": number(cost.judge_unattributed_usd),
        "candidates": [_candidate(c) for c in cost.candidates],
    }


def _candidate(cost: CandidateCost) -> dict[str, Any]:
    price = cost.price
    return {
        "candidate_id": cost.candidate_id,
        "has_price": price is not None,
        "price_source": price.describe() if price is not None else None,
        "outputs": cost.outputs,
        "answered": cost.answered,
        "priced": cost.priced,
        "passes": cost.passes,
        "total_usd": number(cost.total_usd),
        "per_request": _interval(cost.per_request),
        "per_request_p50": number(cost.per_request_p50),
        "per_request_p95": number(cost.per_request_p95),
        "per_success": _interval(cost.per_success),
        "retry_rate": number(cost.retry_rate),
        "estimated": cost.estimated,
        "cached": cost.cached,
        "judge_usd": number(cost.judge_usd),
        "monthly": _monthly(cost.monthly),
    }


def _interval(found: Interval | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "value": number(found.value),
        "low": number(found.low),
        "high": number(found.high),
        "n": found.n,
    }


def _monthly(found: MonthlyProjection | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "requests_per_month": found.requests_per_month,
        "retry_rate": number(found.retry_rate),
        "model_usd": _interval(found.model_usd),
        "judge_usd": number(found.judge_usd),
        "fixed_usd": number(found.fixed_usd),
        "total": _interval(found.total),
        "scenarios": [
            {"name": name, "requests_per_month": volume, "total_usd": number(total)}
            for name, volume, total in found.scenarios
        ],
    }
