"""A run's cost report as JSON: the numbers the terminal table shows, unrounded."""

from __future__ import annotations

import json
from typing import Any

from fieldeval.cost.report import CostReport
from fieldeval.cost.spend import CandidateCost
from fieldeval.report.export import FORMAT_VERSION, to_jsonable


def cost_json(report: CostReport) -> str:
    cost = report.cost
    data = {
        "format": FORMAT_VERSION,
        "run_id": report.run.id,
        "suite": report.run.suite_name,
        "volume": report.volume.model_dump(mode="json") if report.volume else None,
        "candidates": [_candidate(c) for c in cost.candidates],
        "judge_calls": cost.judge_calls,
        "judge_usd": to_jsonable(cost.judge_usd),
        "judge_unattributed_usd": to_jsonable(cost.judge_unattributed_usd),
        "total_usd": to_jsonable(cost.total_usd),
        "pass_rates": {c.candidate_id: to_jsonable(c.pass_rate) for c in report.summary.candidates},
        "pareto": to_jsonable(report.pareto),
        "trade_offs": to_jsonable(report.trade_offs),
        "rankings": [
            {
                **to_jsonable({k: v for k, v in r.__dict__.items() if k != "leaderboard"}),
                "leaderboard": r.leaderboard.model_dump(mode="json"),
            }
            for r in report.rankings
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _candidate(cost: CandidateCost) -> dict[str, Any]:
    # The price snapshot is not a plain dataclass: it writes itself, with where it came from.
    fields = {k: v for k, v in cost.__dict__.items() if k != "price"}
    price = None
    if cost.price is not None:
        price = {**cost.price.to_dict(), "description": cost.price.describe()}
    data: dict[str, Any] = {
        "candidate_id": cost.candidate_id,
        "price": price,
        **to_jsonable(fields),
    }
    if cost.monthly is not None:
        # named, unlike the tuples the library keeps
        data["monthly"]["scenarios"] = [
            {"name": name, "requests_per_month": requests, "total_usd": total}
            for name, requests, total in cost.monthly.scenarios
        ]
    return data
