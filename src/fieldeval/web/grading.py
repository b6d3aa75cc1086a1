"""The grading screens and their JSON API, over `GradingSession`.

Grading is blind: no response carries a candidate id, and every piece of text here is
rendered by the pages as text, never as markup.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import PlainTextResponse, Response

from fieldeval.errors import UserError
from fieldeval.human.session import (
    MAX_NOTE,
    GradingSession,
    Item,
    PairItem,
    check_grader_name,
)
from fieldeval.records.run import RunInfo
from fieldeval.results.grading_order import informative_order
from fieldeval.web.grading_json import choice_json, criterion_json, grade_json, shown
from fieldeval.web.templating import render

router = APIRouter()


class NotFound(UserError):
    """An item or pair key this run does not have (HTTP 404)."""


@dataclass
class GradingContext:
    """What the app grades: one run against one rubric, and optionally one pair of candidates."""

    session: GradingSession
    suite_name: str
    task: str
    pair: tuple[str, str] | None = None
    grader: str | None = None  # given on the command line; else each page asks
    informative: bool = False  # the most informative outputs first (`--informative`)
    # SQLite takes one writer at a time; a lock keeps two quick answers from colliding.
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def run(self) -> RunInfo:
        return self.session.run

    def items(self, grader: str) -> list[Item]:
        """The grader's items: their own random order, or the most informative first."""
        items = self.session.items(grader)
        if not self.informative:
            return items
        grades = self.session.grades.grades(self.run.id)
        return informative_order(items, grades, self.session.rubric)

    def pair_items(self, grader: str) -> list[PairItem]:
        if self.pair is None:
            raise UserError(
                "side-by-side grading is off",
                hint="start it with `fieldeval grade SUITE --pair A,B`",
            )
        return self.session.pair_items(grader, *self.pair)

    def pair_item(self, grader: str, key: str) -> PairItem:
        for item in self.pair_items(grader):
            if item.key == key:
                return item
        raise NotFound(f"no pair to grade with key {key!r}")


def _context(request: Request) -> GradingContext:
    context: GradingContext | None = getattr(request.app.state, "grading", None)
    if context is None:
        raise UserError("this app was started without a run to grade")
    return context


Context = Annotated[GradingContext, Depends(_context)]
GraderQuery = Annotated[str, Query(description="the grader's name")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class GradeIn(_Body):
    grader: str
    key: str
    criterion_id: str
    value: int | None = Field(description="1 pass, 0 fail, a level's value; null is n/a")
    note: str | None = Field(None, max_length=MAX_NOTE)


class PairGradeIn(_Body):
    grader: str
    key: str
    criterion_id: str
    winner: Literal["left", "right", "tie"]
    note: str | None = Field(None, max_length=MAX_NOTE)


class SettleIn(_Body):
    adjudicator: str
    key: str
    criterion_id: str
    value: int | None
    note: str | None = Field(None, max_length=MAX_NOTE)


# -- pages ----------------------------------------------------------------------------------


@router.get("/grade", include_in_schema=False)
def grade_page(request: Request, context: Context) -> Response:
    return _page(request, context, "grade.html", "grade")


@router.get("/grade/pairs", include_in_schema=False)
def pairs_page(request: Request, context: Context) -> Response:
    if context.pair is None:
        message = "side-by-side grading is off: start it with `fieldeval grade SUITE --pair A,B`"
        return PlainTextResponse(message, status_code=404)
    return _page(request, context, "pairs.html", "pairs")


@router.get("/grade/disagreements", include_in_schema=False)
def disagreements_page(request: Request, context: Context) -> Response:
    return _page(request, context, "disagreements.html", "disagreements")


def _page(request: Request, context: GradingContext, template: str, page: str) -> Response:
    return render(
        request,
        template,
        page=page,
        suite_name=context.suite_name,
        run_id=context.run.id,
        default_grader=context.grader or "",
        pair_mode=context.pair is not None,
    )


# -- single outputs ---------------------------------------------------------------------------


@router.get("/api/grading/run")
def run_info(context: Context) -> dict[str, Any]:
    """The run being graded, its task and its rubric."""
    return {
        "run": {"id": context.run.id, "suite": context.suite_name, "task": context.task},
        "criteria": [criterion_json(c) for c in context.session.rubric],
        "pair_mode": context.pair is not None,
    }


@router.get("/api/grading/items")
def items(context: Context, grader: GraderQuery) -> dict[str, Any]:
    """This grader's items in their own order, each with how much of it is answered."""
    grader = check_grader_name(grader)
    session = context.session
    answers = session.answers(grader)
    listed = []
    for item in context.items(grader):
        given = answers.get(item.key, {})
        answered = sum(1 for c in item.criteria if c.id in given)
        listed.append(
            {
                "key": item.key,
                "example_id": item.example_id,
                "answered": answered,
                "needed": len(item.criteria),
                "done": answered == len(item.criteria),
            }
        )
    return {
        "grader": grader,
        "items": listed,
        "first_ungraded": next((i["key"] for i in listed if not i["done"]), None),
        "progress": progress_json(context, grader),
    }


@router.get("/api/grading/items/{key}")
def item(context: Context, key: str, grader: GraderQuery) -> dict[str, Any]:
    """One output with its input and this grader's answers so far."""
    grader = check_grader_name(grader)
    try:
        found = context.session.item(key)
    except UserError as error:
        raise NotFound(error.message) from None
    given = context.session.answers(grader).get(key, {})
    return {
        **shown(found),
        "output": found.output,
        "criteria": [criterion_json(c) for c in found.criteria],
        "answers": {cid: grade_json(g) for cid, g in given.items()},
    }


@router.get("/api/grading/progress")
def progress(context: Context, grader: GraderQuery) -> dict[str, Any]:
    return progress_json(context, check_grader_name(grader))


@router.post("/api/grading/grades")
def record_grade(context: Context, body: GradeIn) -> dict[str, Any]:
    """Save one answer at once; a fail without a note is refused (422)."""
    session = context.session
    with context.write_lock:
        grade = session.record(body.grader, body.key, body.criterion_id, body.value, body.note)
    grader = grade.grader
    given = session.answers(grader).get(body.key, {})
    found = session.item(body.key)
    return {
        "grade": grade_json(grade),
        "item_done": all(c.id in given for c in found.criteria),
        "progress": progress_json(context, grader),
    }


def progress_json(context: GradingContext, grader: str) -> dict[str, int]:
    done = context.session.progress(grader)
    return {
        "done": done.done,
        "total": done.total,
        "answered": done.answered,
        "answers_needed": done.answers_needed,
    }


# -- side by side ---------------------------------------------------------------------------


@router.get("/api/grading/pairs")
def pairs(context: Context, grader: GraderQuery) -> dict[str, Any]:
    """This grader's pairs in their own order; left and right are drawn per grader."""
    grader = check_grader_name(grader)
    chosen = context.session.pair_answers(grader)
    listed = []
    for pair in context.pair_items(grader):
        answered = sum(1 for c in pair.criteria if (pair.key, c.id) in chosen)
        listed.append(
            {
                "key": pair.key,
                "example_id": pair.example_id,
                "answered": answered,
                "needed": len(pair.criteria),
                "done": answered == len(pair.criteria),
            }
        )
    done = sum(1 for i in listed if i["done"])
    return {
        "grader": grader,
        "items": listed,
        "first_ungraded": next((i["key"] for i in listed if not i["done"]), None),
        "progress": {"done": done, "total": len(listed)},
    }


@router.get("/api/grading/pairs/{key}")
def pair(context: Context, key: str, grader: GraderQuery) -> dict[str, Any]:
    """One input with two outputs labelled only by side, and this grader's choices."""
    grader = check_grader_name(grader)
    found = context.pair_item(grader, key)
    chosen = context.session.pair_answers(grader)
    return {
        **shown(found),
        "left_output": found.left_output,
        "right_output": found.right_output,
        "criteria": [criterion_json(c) for c in found.criteria],
        "answers": {
            c.id: choice_json(chosen[(key, c.id)]) for c in found.criteria if (key, c.id) in chosen
        },
    }


@router.post("/api/grading/pair-grades")
def record_pair_grade(context: Context, body: PairGradeIn) -> dict[str, Any]:
    grader = check_grader_name(body.grader)
    found = context.pair_item(grader, body.key)
    with context.write_lock:
        choice = context.session.record_pair(
            grader, found, body.criterion_id, body.winner, body.note
        )
    listed = pairs(context, grader)
    done = next(i["done"] for i in listed["items"] if i["key"] == body.key)
    return {"choice": choice_json(choice), "item_done": done, "progress": listed["progress"]}


# -- disagreements --------------------------------------------------------------------------


@router.get("/api/grading/disagreements")
def disagreements(
    context: Context, criterion: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """Outputs graders disagree on, per criterion, unsettled first."""
    found = context.session.disagreements(criterion)
    found.sort(key=lambda d: d.settled is not None)
    return {
        "criteria": [criterion_json(c) for c in context.session.rubric],
        "disagreements": [
            {
                **shown(d.item),
                "output": d.item.output,
                "criterion": criterion_json(d.criterion),
                "grades": [{"grader": g.grader, **grade_json(g)} for g in d.grades],
                "settled": grade_json(d.settled) if d.settled is not None else None,
            }
            for d in found
        ],
    }


@router.post("/api/grading/settlements")
def settle(context: Context, body: SettleIn) -> dict[str, Any]:
    """Record the final grade of a disagreement; the note says who settled it."""
    with context.write_lock:
        grade = context.session.settle(
            body.adjudicator, body.key, body.criterion_id, body.value, body.note
        )
    return {"settled": grade_json(grade)}
