"""The examples table and an example's page (every candidate side by side), and their JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from fieldeval.failures.labels import label_outputs
from fieldeval.records.run import OutputKey
from fieldeval.web.context import ResultsContext, results_context
from fieldeval.web.example_filter import PER_PAGE, ExampleFilter
from fieldeval.web.examples_json import example_json, examples_json, filter_options
from fieldeval.web.grading import NotFound
from fieldeval.web.links import examples_url
from fieldeval.web.paging import Paging
from fieldeval.web.templating import render

router = APIRouter()
Context = Annotated[ResultsContext, Depends(results_context)]
Filter = Annotated[ExampleFilter, Query()]


@router.get("/runs/{run_id}/examples", include_in_schema=False)
def examples_page(request: Request, context: Context, run_id: str, where: Filter) -> Response:
    data = examples(context, run_id, where)
    return _page(request, context, "examples.html", "examples", data)


@router.get("/api/runs/{run_id}/examples")
def examples(context: Context, run_id: str, where: Filter) -> dict[str, Any]:
    """The run's examples matching every filter given, in dataset order, a page at a time."""
    run = context.run(run_id)
    where = where.checked(context.suite, run)
    found = context.browse.example_page(run, where.query(context.suite, context.criterion_rules()))
    paging = Paging(where.page, PER_PAGE, found.total).json(
        lambda page: examples_url(run.id, **where.params(page))
    )
    options = filter_options(
        context.suite, run, context.slices(run.dataset_hash), context.edges(run.dataset_hash)
    )
    return examples_json(run, where, found, paging, options)


@router.get("/runs/{run_id}/examples/{example_id:path}", include_in_schema=False)
def example_page(request: Request, context: Context, run_id: str, example_id: str) -> Response:
    data = example(context, run_id, example_id)
    return _page(request, context, "example.html", "example", data)


@router.get("/api/runs/{run_id}/examples/{example_id:path}")
def example(context: Context, run_id: str, example_id: str) -> dict[str, Any]:
    """One example's input and every candidate's outputs, with checks, grades and modes."""
    run = context.run(run_id)
    browse = context.browse
    stored = browse.example(run.dataset_hash, example_id)
    if stored is None:
        raise NotFound(f"run {run.id} has no example {example_id!r}")
    outputs = browse.outputs_of(run, example_id)
    grades, labels = browse.grades_of(run, example_id), browse.labels_of(run, example_id)
    # Labelling needs only the example's own grades: the same modes as the whole run's.
    labelled = label_outputs(context.suite, outputs, {stored.id: stored}, grades, labels)
    return example_json(
        run,
        stored,
        outputs,
        suite=context.suite,
        grades=grades,
        labels=labels,
        labelled={OutputKey.of(o): o for o in labelled},
    )


def _page(
    request: Request, context: ResultsContext, template: str, page: str, data: dict[str, Any]
) -> Response:
    return render(
        request,
        template,
        page=page,
        suite_name=context.suite_name,
        run_id=data["run"]["id"],
        data=data,
    )
