"""The results pages and their JSON twins under `/api`: a run's failures, outputs, one output.

These pages are for reading results, not grading: they name the candidates. The grading
screens never link here. Every page renders the same dict its `/api/...` twin returns.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from fieldeval.abstention.outcomes import Result
from fieldeval.errors import UserError
from fieldeval.failures.labels import label_outputs
from fieldeval.failures.rates import LabelledOutput, worst_severity
from fieldeval.records.run import OutputKey, RunInfo
from fieldeval.suite.schema import Suite
from fieldeval.web.context import Computing, ResultsContext, results_context
from fieldeval.web.grading import NotFound
from fieldeval.web.links import failures_url, outputs_url
from fieldeval.web.output_json import output_json
from fieldeval.web.paging import Paging
from fieldeval.web.pending import Wait, answered, pending_json, shown, wait_url
from fieldeval.web.results_json import OUTCOMES, failures_json, output_row_json, run_json
from fieldeval.web.run_analysis import RunAnalysis
from fieldeval.web.templating import render

router = APIRouter()
PER_PAGE = 50
Context = Annotated[ResultsContext, Depends(results_context)]


class OutputFilter(BaseModel):
    """Which outputs to list; every condition given must hold."""

    model_config = ConfigDict(frozen=True)

    candidate: str | None = None
    mode: str | None = Field(None, description="a failure mode the output has")
    outcome: Literal["failed", "graceful", "serious", "catastrophic", "passed"] | None = Field(
        None, description="by the output's worst failure: graceful is cosmetic or minor"
    )
    example: str | None = None
    slice: str | None = Field(None, description="a slice name; needs value")
    value: str | None = Field(None, description="the slice's value")
    outside: bool = Field(False, description="outputs not in that slice value instead")
    reference: str | None = Field(None, description="a classification: the example's label")
    read_as: str | None = Field(None, description="a classification: the label read off it")
    result: Result | None = Field(
        None, description="how the output was read: right, wrong, answered, abstained, ..."
    )
    page: int = Field(1, ge=1)

    def checked(self, suite: Suite, run: RunInfo) -> OutputFilter:
        """This filter, if it names only modes and candidates the suite and run have."""
        if self.mode is not None and self.mode not in {mode.id for mode in suite.counted_modes}:
            raise UserError(f"the suite has no failure mode {self.mode!r}")
        if self.candidate is not None and self.candidate not in run.candidates:
            raise UserError(f"run {run.id} has no candidate {self.candidate!r}")
        if (self.slice is None) != (self.value is None):
            raise UserError("give a slice and its value together: ?slice=NAME&value=VALUE")
        return self

    def keeps(self, output: LabelledOutput, worst: str) -> bool:
        if self.slice is not None:
            inside = output.slices.get(self.slice) == self.value
            if inside == self.outside:
                return False
        return (
            (self.candidate is None or output.candidate_id == self.candidate)
            and (self.mode is None or self.mode in output.modes)
            and (self.outcome is None or worst in OUTCOMES[self.outcome])
            and (self.example is None or output.example_id == self.example)
        )

    def describe(self) -> str:
        """The filter in words, e.g. `cand-a · mode too-long · topic = billing`."""
        parts = [
            self.candidate or "every candidate",
            *([f"mode {self.mode}"] if self.mode else []),
            *([self.outcome] if self.outcome else []),
            *([f"example {self.example}"] if self.example is not None else []),
        ]
        if self.slice is not None:
            parts.append(f"{self.slice} {'≠' if self.outside else '='} {self.value}")
        if self.reference is not None:
            parts.append(f"reference {self.reference}")
        if self.read_as is not None:
            parts.append(f"read as {self.read_as}")
        if self.result is not None:
            parts.append(self.result.replace("_", " "))
        return " · ".join(parts)

    def query(self, page: int) -> dict[str, str | int | None]:
        return {
            "candidate": self.candidate,
            "mode": self.mode,
            "outcome": self.outcome,
            "example": self.example,
            "slice": self.slice,
            "value": self.value,
            "outside": 1 if self.outside else None,
            "reference": self.reference,
            "read_as": self.read_as,
            "result": self.result,
            "page": page if page != 1 else None,
        }


Filter = Annotated[OutputFilter, Query()]


# -- failures -------------------------------------------------------------------------------


@router.get("/runs/{run_id}/failures", include_in_schema=False)
def failures_page(request: Request, context: Context, run_id: str, wait: Wait = False) -> Response:
    data = failures_data(context, run_id, wait=wait)
    return _page(request, context, "failures.html", "failures", data)


@router.get("/api/runs/{run_id}/failures")
def failures(
    context: Context, run_id: str, response: Response, wait: Wait = False
) -> dict[str, Any]:
    """Per candidate each mode's rate, the weighted rate, systematic or random, what to read.

    202 while the run's analysis is computed in the background (`?wait=1` waits for it).
    """
    return answered(response, failures_data(context, run_id, wait=wait))


def failures_data(context: ResultsContext, run_id: str, *, wait: bool) -> dict[str, Any]:
    run = context.run(run_id)
    found, updating = _analysis(context, run, wait)
    if isinstance(found, Computing):
        return {
            **pending_json(
                found,
                [("modes", "Failure modes", _subject(found, "failure analysis"))],
                wait_url=wait_url(failures_url(run.id)),
            ),
            "run": run_json(run),
        }
    return {**failures_json(found.report), "updating": updating}


# -- outputs --------------------------------------------------------------------------------


@router.get("/runs/{run_id}/outputs", include_in_schema=False)
def outputs_page(
    request: Request, context: Context, run_id: str, where: Filter, wait: Wait = False
) -> Response:
    data = outputs_data(context, run_id, where, wait=wait)
    return _page(request, context, "outputs.html", "outputs", data)


@router.get("/api/runs/{run_id}/outputs")
def outputs(
    context: Context, run_id: str, where: Filter, response: Response, wait: Wait = False
) -> dict[str, Any]:
    """The analysed outputs (answered ones, not errors) that match, a page at a time.

    202 while the run's analysis is computed in the background (`?wait=1` waits for it).
    """
    return answered(response, outputs_data(context, run_id, where, wait=wait))


def outputs_data(
    context: ResultsContext, run_id: str, where: OutputFilter, *, wait: bool
) -> dict[str, Any]:
    run = context.run(run_id)
    where = where.checked(context.suite, run)
    found, updating = _analysis(context, run, wait)
    described = {"filter": where.model_dump(exclude={"page"}), "title": where.describe()}
    if isinstance(found, Computing):
        subject = _subject(found, "failure analysis") + ", which this list is drawn from,"
        return {
            **pending_json(
                found,
                [("matching", "Matching outputs", subject)],
                wait_url=wait_url(outputs_url(run.id, **where.query(where.page))),
            ),
            "run": run_json(run),
            **described,
        }
    by_id = {mode.id: mode for mode in context.suite.counted_modes}
    cell = _classified(found, where)
    read = _read_as(found, where)
    matching = [
        (output, worst)
        for output in found.report.outputs
        if where.keeps(output, worst := worst_severity(output.modes, by_id))
        and (cell is None or OutputKey.of(output) in cell)
        and (read is None or OutputKey.of(output) in read)
    ]
    paging = Paging(where.page, PER_PAGE, len(matching))
    rows = matching[paging.offset : paging.offset + PER_PAGE]
    texts = context.browse.output_texts(run.id, [OutputKey.of(output) for output, _ in rows])
    return {
        "run": run_json(run),
        **described,
        **paging.json(lambda page: outputs_url(run.id, **where.query(page))),
        "outputs": [
            output_row_json(run.id, output, worst, texts.get(OutputKey.of(output)))
            for output, worst in rows
        ],
        "updating": updating,
    }


def _classified(analysis: RunAnalysis, where: OutputFilter) -> set[OutputKey] | None:
    """The outputs of the confusion-matrix cell the filter names; None when it names none.

    With repeats, the output kept for an example is the one its majority label was read
    from, as the matrix counts it.
    """
    if where.reference is None and where.read_as is None:
        return None
    report = analysis.numbers.classification
    if report is None:
        raise UserError("this run is not a classification: its suite has no labels")
    return {
        OutputKey(classifier.candidate_id, row.example_id, row.repeat)
        for classifier in report.candidates
        for row in classifier.examples
        if where.reference in (None, row.reference) and where.read_as in (None, row.predicted)
    }


def _read_as(analysis: RunAnalysis, where: OutputFilter) -> set[OutputKey] | None:
    """The outputs read with the filter's abstention result; None when it names none."""
    found = analysis.numbers.abstention
    if where.result is None or found is None:
        return None
    return {item.key for item in found.outputs if item.result == where.result}


@router.get(
    "/runs/{run_id}/outputs/{candidate_id}/{example_id:path}/{repeat:int}",
    include_in_schema=False,
)
def output_page(
    request: Request, context: Context, run_id: str, candidate_id: str, example_id: str, repeat: int
) -> Response:
    found = output(context, run_id, candidate_id, example_id, repeat)
    return _page(request, context, "output.html", "output", found)


@router.get("/api/runs/{run_id}/outputs/{candidate_id}/{example_id:path}/{repeat:int}")
def output(
    context: Context, run_id: str, candidate_id: str, example_id: str, repeat: int
) -> dict[str, Any]:
    """One output: its input, text, checks, every grade, failure modes, tokens and timings."""
    run = context.run(run_id)
    key = (candidate_id, example_id, repeat)
    browse = context.browse
    stored = next((o for o in browse.outputs_of(run, example_id) if OutputKey.of(o) == key), None)
    if stored is None:
        raise NotFound(f"run {run.id} has no output of {candidate_id} on {example_id!r} #{repeat}")
    example = browse.example(run.dataset_hash, example_id)
    grades = [g for g in browse.grades_of(run, example_id) if OutputKey.of(g) == key]
    labels = [label for label in browse.labels_of(run, example_id) if OutputKey.of(label) == key]
    examples = {example.id: example} if example is not None else {}
    # The output's own grades and labels decide its modes, as in the whole run's analysis.
    labelled = label_outputs(context.suite, [stored], examples, grades, labels)
    return output_json(
        run,
        stored,
        example,
        grades=grades,
        rubric=context.suite.rubric,
        labelled=labelled[0] if labelled else None,
        modes=context.suite.counted_modes,
        labels=labels,
    )


# -- plumbing -------------------------------------------------------------------------------


def _analysis(
    context: ResultsContext, run: RunInfo, wait: bool
) -> tuple[RunAnalysis | Computing[RunAnalysis], dict[str, Any] | None]:
    return shown(context.analysis(run, wait=wait), lambda analysis: analysis.outputs)


def _subject(computing: Computing[RunAnalysis], what: str) -> str:
    return f"{what} of this {computing.outputs:,}-output run"


def _page(
    request: Request, context: ResultsContext, template: str, page: str, data: dict[str, Any]
) -> Response:
    computing = data.get("status") == "computing"
    return render(
        request,
        "pending.html" if computing else template,
        page=page,
        suite_name=context.suite_name,
        run_id=data["run"]["id"],
        data=data,
    )
