"""The results pages and their JSON twins under `/api`: a run's failures, outputs, one output.

These pages are for reading results, not grading: they name the candidates. The grading
screens never link here. Every page renders the same dict its `/api/...` twin returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from fieldeval.analysis.failure_report import FailureReport, failure_report, labelled_outputs
from fieldeval.analysis.failures import LabelledOutput, worst_severity
from fieldeval.errors import UserError
from fieldeval.store.grade_store import GradeStore
from fieldeval.store.records import RunInfo
from fieldeval.store.store import Store
from fieldeval.suite.schema import Suite
from fieldeval.web.grading import NotFound
from fieldeval.web.links import outputs_url
from fieldeval.web.output_json import output_json
from fieldeval.web.results_json import OUTCOMES, failures_json, output_row_json, run_json
from fieldeval.web.templating import render

router = APIRouter()
PER_PAGE = 50


@dataclass
class ResultsContext:
    """What the results pages read: one store, and the suite whose runs they show."""

    store: Store
    suite: Suite
    default_run_id: str

    @property
    def suite_name(self) -> str:
        return self.suite.task.name

    def run(self, run_id: str) -> RunInfo:
        """The run with this id (or unique prefix), if it is a run of this app's suite."""
        try:
            info = self.store.run(run_id)
        except UserError as error:
            raise NotFound(error.message, hint=error.hint) from None
        if info.suite_name != self.suite_name:
            raise NotFound(
                f"run {info.id} is a run of {info.suite_name!r}, not of {self.suite_name!r}",
                hint=f"serve that suite instead: fieldeval serve <its suite> --run {info.id}",
            )
        return info

    def report(self, run_id: str) -> FailureReport:
        """The whole failure analysis: its bootstrap and tests take a moment on big runs."""
        return failure_report(self.store, self.suite, self.run(run_id).id)

    def labelled(self, run: RunInfo) -> list[LabelledOutput]:
        """The run's answered outputs with their modes, without the analysis's statistics."""
        return labelled_outputs(self.store, self.suite, run)


def _context(request: Request) -> ResultsContext:
    context: ResultsContext | None = getattr(request.app.state, "results", None)
    if context is None:
        raise UserError("this app was started without results to show")
    return context


Context = Annotated[ResultsContext, Depends(_context)]


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
    page: int = Field(1, ge=1)

    def checked(self, suite: Suite, run: RunInfo) -> OutputFilter:
        """This filter, if it names only modes and candidates the suite and run have."""
        if self.mode is not None and self.mode not in {mode.id for mode in suite.failure_modes}:
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
            "page": page if page != 1 else None,
        }


Filter = Annotated[OutputFilter, Query()]


# -- failures -------------------------------------------------------------------------------


@router.get("/runs/{run_id}/failures", include_in_schema=False)
def failures_page(request: Request, context: Context, run_id: str) -> Response:
    return _page(request, context, "failures.html", "failures", failures(context, run_id))


@router.get("/api/runs/{run_id}/failures")
def failures(context: Context, run_id: str) -> dict[str, Any]:
    """Per candidate each mode's rate, the weighted rate, systematic or random, what to read."""
    return failures_json(context.report(run_id))


# -- outputs --------------------------------------------------------------------------------


@router.get("/runs/{run_id}/outputs", include_in_schema=False)
def outputs_page(request: Request, context: Context, run_id: str, where: Filter) -> Response:
    return _page(request, context, "outputs.html", "outputs", outputs(context, run_id, where))


@router.get("/api/runs/{run_id}/outputs")
def outputs(context: Context, run_id: str, where: Filter) -> dict[str, Any]:
    """The analysed outputs (answered ones, not errors) that match, a page at a time."""
    run = context.run(run_id)
    where = where.checked(context.suite, run)
    by_id = {mode.id: mode for mode in context.suite.failure_modes}
    matching = [
        (output, worst)
        for output in context.labelled(run)
        if where.keeps(output, worst := worst_severity(output.modes, by_id))
    ]
    pages = max(1, math.ceil(len(matching) / PER_PAGE))
    start = (where.page - 1) * PER_PAGE
    shown = matching[start : start + PER_PAGE]
    texts = {_key(o): o.text for o in context.store.outputs(run.id)}

    def page_url(page: int) -> str | None:
        return outputs_url(run.id, **where.query(page)) if 1 <= page <= pages else None

    return {
        "run": run_json(run),
        "filter": where.model_dump(exclude={"page"}),
        "title": where.describe(),
        "total": len(matching),
        "page": where.page,
        "pages": pages,
        "per_page": PER_PAGE,
        "prev_url": page_url(where.page - 1),
        "next_url": page_url(where.page + 1),
        "outputs": [
            output_row_json(run.id, output, worst, texts.get(_key(output)))
            for output, worst in shown
        ],
    }


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
    stored = next((o for o in context.store.outputs(run.id) if _key(o) == key), None)
    if stored is None:
        raise NotFound(f"run {run.id} has no output of {candidate_id} on {example_id!r} #{repeat}")
    example = next(
        (e for e in context.store.examples(run.dataset_hash) if e.id == example_id), None
    )
    grades = GradeStore(context.store)
    return output_json(
        run,
        stored,
        example,
        grades=[g for g in grades.grades(run.id) if _key(g) == key],
        rubric=context.suite.rubric,
        labelled=next((o for o in context.labelled(run) if _key(o) == key), None),
        modes=context.suite.failure_modes,
        labels=[label for label in grades.failure_labels(run.id) if _key(label) == key],
    )


# -- plumbing -------------------------------------------------------------------------------


class _Keyed(Protocol):
    @property
    def candidate_id(self) -> str: ...
    @property
    def example_id(self) -> str: ...
    @property
    def repeat(self) -> int: ...


def _key(item: _Keyed) -> tuple[str, str, int]:
    return (item.candidate_id, item.example_id, item.repeat)


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
