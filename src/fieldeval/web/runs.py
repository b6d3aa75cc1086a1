"""The runs list (`/`) and a run's page, with their JSON twins under `/api`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from fieldeval.web.context import RUNS_PER_PAGE, Computing, ResultsContext, results_context
from fieldeval.web.links import run_url, runs_url
from fieldeval.web.paging import Paging
from fieldeval.web.pending import Wait, answered, shown, wait_url
from fieldeval.web.runs_json import run_page_json, run_pending_json, runs_list_json
from fieldeval.web.templating import render

router = APIRouter()
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
def run_page(request: Request, context: Context, run_id: str, wait: Wait = False) -> Response:
    data = run_data(context, run_id, wait=wait)
    return render(
        request,
        "run_pending.html" if data.get("status") == "computing" else "run.html",
        page="run",
        suite_name=context.suite_name,
        run_id=data["run"]["id"],
        data=data,
    )


@router.get("/api/runs/{run_id}")
def run_summary(
    context: Context, run_id: str, response: Response, wait: Wait = False
) -> dict[str, Any]:
    """One run: per candidate its quality, failures, cost and latency, each with intervals.

    202 while the run's analysis is computed in the background (`?wait=1` waits for it).
    """
    return answered(response, run_data(context, run_id, wait=wait))


def run_data(context: ResultsContext, run_id: str, *, wait: bool) -> dict[str, Any]:
    run = context.run(run_id)
    found, updating = shown(context.analysis(run, wait=wait), lambda analysis: analysis.outputs)
    previous = context.browse.previous_run(run)
    if isinstance(found, Computing):
        return run_pending_json(
            run,
            context.totals([run])[run.id],
            found,
            previous=previous,
            wait_url=wait_url(run_url(run.id)),
        )
    return {
        **run_page_json(
            run,
            found.numbers,
            found.report,
            found.cost,
            rubric=context.suite.rubric,
            previous=previous,
        ),
        "updating": updating,
    }
