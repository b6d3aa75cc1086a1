"""`ExampleQuery`: which examples of a run the examples table lists, as SQL conditions.

An example is listed when one of its outputs meets every output condition (candidate,
outcome, failed checks and criteria, labels) and the example meets the example conditions
(slice, edge, text). The text search matches the input, or the text of an output that meets
the output conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, not_, or_, select, tuple_

from fieldeval.store.tables import check_results, examples, failure_labels, grades, outputs

Outcome = Literal["pass", "fail", "error"]


@dataclass(frozen=True)
class CriterionRule:
    """A rubric criterion's current version, and what passes on it."""

    criterion_id: str
    version: str
    pass_at: int | None  # a scale's threshold; None: pass/fail, where 1 passes


@dataclass(frozen=True)
class ExampleQuery:
    """Every condition given must hold; `failed_checks`, `failing_criteria` and `labels` on
    one and the same output."""

    candidate: str | None = None
    outcome: Outcome | None = None  # pass: answered, every check passed; error: the call failed
    failed_checks: tuple[str, ...] = ()
    failing_criteria: tuple[CriterionRule, ...] = ()
    labels: tuple[str, ...] = ()  # failure modes people or the judge assigned
    slice: tuple[str, str] | None = None  # (name, value)
    edge: str | None = None  # the example's `edge` slice or field
    text: str | None = None  # in the input or an output, ignoring case
    offset: int = 0
    limit: int = 50


def failed_check(check_id: str | None = None) -> ColumnElement[bool]:
    """The output (the enclosing query's `outputs` row) failed `check_id`, or failed (any
    check that decides the pass: a metric-only check's failure does not fail the output)."""
    conditions = [check_results.c.output_id == outputs.c.id, check_results.c.passed.is_(False)]
    if check_id is not None:
        conditions.append(check_results.c.check_id == check_id)
    else:
        conditions.append(check_results.c.decides.is_(True))
    return exists().where(*conditions)


def output_conditions(run_id: str, query: ExampleQuery) -> list[ColumnElement[bool]]:
    """What an output of the run must meet, on the enclosing query's `outputs` row."""
    found: list[ColumnElement[bool]] = [outputs.c.run_id == run_id]
    if query.candidate is not None:
        found.append(outputs.c.candidate_id == query.candidate)
    answered = outputs.c.error_kind.is_(None)
    if query.outcome == "error":
        found.append(outputs.c.error_kind.is_not(None))
    elif query.outcome is not None:
        failed = failed_check()
        found += [answered, failed if query.outcome == "fail" else not_(failed)]
    if query.failed_checks or query.failing_criteria or query.labels:
        found.append(answered)  # a failure mode is only ever on an answered output
    found += [failed_check(check_id) for check_id in query.failed_checks]
    found += [criterion_fails(run_id, rule) for rule in query.failing_criteria]
    found += [_labelled(mode_id) for mode_id in query.labels]
    return found


def example_conditions(
    run_id: str, dataset_hash: str, query: ExampleQuery, *, dialect: str
) -> list[ColumnElement[bool]]:
    """What an `examples` row must meet to be listed, in SQL for `dialect`."""
    matching = select(outputs.c.example_id).where(*output_conditions(run_id, query))
    found: list[ColumnElement[bool]] = [
        examples.c.dataset_hash == dataset_hash,
        examples.c.example_id.in_(matching),
    ]
    if query.slice is not None:
        name, value = query.slice
        found.append(examples.c.slices[name].as_string() == value)
    if query.edge is not None:
        found.append(edge_of_example() == query.edge)
    if query.text:
        in_outputs = matching.where(_contains(outputs.c.text, query.text, dialect))
        found.append(
            or_(
                _contains(examples.c.input, query.text, dialect),
                examples.c.example_id.in_(in_outputs),
            )
        )
    return found


def _contains(column: ColumnElement[Any], text: str, dialect: str) -> ColumnElement[bool]:
    """`text` in `column`, ignoring case (ASCII case on SQLite, as its LIKE does)."""
    if dialect == "sqlite":
        # SQLite's LIKE already ignores ASCII case; lower() on both sides doubles the time.
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def edge_of_example() -> ColumnElement[Any]:
    """The example's edge: its `edge` slice, else its `edge` field."""
    return func.coalesce(
        examples.c.slices["edge"].as_string(), examples.c.fields["edge"].as_string()
    )


def criterion_fails(run_id: str, rule: CriterionRule) -> ColumnElement[bool]:
    """The output's final verdict on the criterion is fail, as `label_outputs` decides it.

    People's verdict first: the latest adjudicated grade if there is one, else the
    majority of people's pass/fail (a tie decides nothing); n/a decides nothing. Without a
    decision from people, the latest judge grade's verdict.
    """
    key = tuple_(outputs.c.candidate_id, outputs.c.example_id, outputs.c.repeat)
    return key.in_(_failing_outputs(run_id, rule))


def _failing_outputs(run_id: str, rule: CriterionRule) -> Select[Any]:
    # One pass over the criterion's grades, grouped by output: no per-output subqueries.
    def passes(value: ColumnElement[Any]) -> ColumnElement[bool]:
        return value >= rule.pass_at if rule.pass_at is not None else value == 1

    def fails(value: ColumnElement[Any]) -> ColumnElement[bool]:
        return and_(value.is_not(None), not_(passes(value)))

    kind, value = grades.c.grader_kind, grades.c.value
    person = and_(kind == "human", value.is_not(None))
    by_output = (
        select(
            grades.c.candidate_id,
            grades.c.example_id,
            grades.c.repeat,
            func.max(case((kind == "adjudicated", grades.c.id))).label("settled_id"),
            func.max(case((kind == "judge", grades.c.id))).label("judge_id"),
            func.sum(case((and_(person, passes(value)), 1), (person, -1), else_=0)).label("vote"),
        )
        .where(
            grades.c.run_id == run_id,
            grades.c.criterion_id == rule.criterion_id,
            grades.c.criterion_version == rule.version,
        )
        .group_by(grades.c.candidate_id, grades.c.example_id, grades.c.repeat)
        .subquery()
    )
    settled, judged = grades.alias(), grades.alias()
    is_settled = by_output.c.settled_id.is_not(None)
    joined = by_output.outerjoin(settled, settled.c.id == by_output.c.settled_id).outerjoin(
        judged, judged.c.id == by_output.c.judge_id
    )
    return (
        select(by_output.c.candidate_id, by_output.c.example_id, by_output.c.repeat)
        .select_from(joined)
        .where(
            or_(
                and_(is_settled, fails(settled.c.value)),
                and_(is_settled, settled.c.value.is_(None), fails(judged.c.value)),
                and_(not_(is_settled), by_output.c.vote < 0),
                and_(not_(is_settled), by_output.c.vote == 0, fails(judged.c.value)),
            )
        )
    )


def _labelled(mode_id: str) -> ColumnElement[bool]:
    return exists().where(
        failure_labels.c.run_id == outputs.c.run_id,
        failure_labels.c.candidate_id == outputs.c.candidate_id,
        failure_labels.c.example_id == outputs.c.example_id,
        failure_labels.c.repeat == outputs.c.repeat,
        failure_labels.c.mode_id == mode_id,
    )
