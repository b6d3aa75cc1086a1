"""A run's cost report as JSON: the numbers the terminal table shows, unrounded.

`cost` is the run's `RunCost` in the one encoding (`report.encoding`), the same object the
web app's run page sends under `/api/runs/ID`.
"""

from __future__ import annotations

from fieldeval.cost.report import CostReport
from fieldeval.report.encoding import document, dumps


def cost_json(report: CostReport) -> str:
    return dumps(
        document(
            "cost",
            run_id=report.run.id,
            suite=report.run.suite_name,
            volume=report.volume,
            cost=report.cost,
            pass_rates={c.candidate_id: c.quality for c in report.summary.candidates},
            pareto=report.pareto,
            trade_offs=report.trade_offs,
            rankings=report.rankings,
        )
    )
