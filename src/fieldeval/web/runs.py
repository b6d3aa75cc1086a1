"""The runs list (`/`) and a run's page, with their JSON twins under `/api`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from fieldeval.web.context import ResultsContext, results_context
from fieldeval.web.links import runs_url
from fieldeval.web.paging import Paging
from fieldeval.web.runs_json import run_page_json, runs_list_json
from fieldeval.web.templating import render

router = APIRouter()
RUNS_PER_PAGE = 50
Context = Annotated[ResultsContext, Depends(results_context)]
PageNumber = Annotated[int, Query(ge=1)]


def runs_page(request: Request, context: ResultsContext, page: int) -> Response:
    """The page at `/`; the app's home route calls it when there are results to show."""
    data = runs_list(context, page)
    return render(
        request, "runs.html", page="runs", suite_name=context.suite_name, run_id=None, data=data
    )


@router.get("/api/runs")
def runs_list(context: Context, page: PageNumber = 1) -> dict[str, Any]:
    """The suite's runs, newest first, a page at a time; each candidate's pass rate."""
    # One more run than shown: the last one shown is compared with it.
    offset = (page - 1) * RUNS_PER_PAGE
    runs, total = context.browse.runs(context.suite_name, offset=offset, limit=RUNS_PER_PAGE + 1)
    shown = runs[:RUNS_PER_PAGE]
    previous = {
        run.id: (runs[i + 1].id if i + 1 < len(runs) else None) for i, run in enumerate(shown)
    }
    paging = Paging(page, RUNS_PER_PAGE, total).json(runs_url)
    return runs_list_json(context.suite_name, shown, context.totals(shown), previous, paging)


@router.get("/runs/{run_id}", include_in_schema=False)
def run_page(request: Request, context: Context, run_id: str) -> Response:
    data = run_summary(context, run_id)
    return render(
        request,
        "run.html",
        page="run",
        suite_name=context.suite_name,
        run_id=data["run"]["id"],
        data=data,
    )


@router.get("/api/runs/{run_id}")
def run_summary(context: Context, run_id: str) -> dict[str, Any]:
    """One run: per candidate its quality, failures, cost and latency, each with intervals."""
    run = context.run(run_id)
    return run_page_json(
        run,
        context.numbers(run),
        context.report(run),
        context.cost(run),
        rubric=context.suite.rubric,
        previous=context.browse.previous_run(run),
    )
