"""One output in full, as JSON: its input, text, checks, grades, failure modes, tokens, timings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fieldeval.failures.rates import LabelledOutput
from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.records.run import RunInfo, StoredExample, StoredOutput
from fieldeval.suite.failure_modes import FailureMode
from fieldeval.suite.rubric import Criterion, Scale
from fieldeval.web.links import example_url, outputs_url
from fieldeval.web.results_json import mode_json, number, run_json

_KIND_ORDER = {"human": 0, "adjudicated": 1, "judge": 2}


def output_json(
    run: RunInfo,
    output: StoredOutput,
    example: StoredExample | None,
    *,
    grades: Sequence[Grade],
    rubric: Sequence[Criterion],
    labelled: LabelledOutput | None,
    modes: Sequence[FailureMode],
    labels: Sequence[FailureLabel],
) -> dict[str, Any]:
    """`labelled` is None for an output the failure analysis leaves out (an error)."""
    cid, eid = output.candidate_id, output.example_id
    return {
        "run": run_json(run),
        "candidate_id": cid,
        "example_id": eid,
        "repeat": output.repeat,
        "input": example.input if example is not None else None,
        "reference": example.reference if example is not None else None,
        "slices": dict(example.slices) if example is not None else {},
        "output": output.text,
        "finish_reason": output.finish_reason,
        "error": (
            {"kind": output.error_kind, "message": output.error_message}
            if output.error_kind is not None
            else None
        ),
        "checks": [
            {
                "check_id": check.check_id,
                "passed": check.passed,
                "decides": check.decides,  # False: metric only, not part of the pass
                "reason": check.reason,
                "score": number(check.score),
            }
            for check in output.checks
        ],
        "grades": _grades_json(grades, rubric),
        "analysed": labelled is not None,
        "failure_modes": [
            mode_json(mode) for mode in modes if labelled is not None and mode.id in labelled.modes
        ],
        "labels": [
            {"mode_id": label.mode_id, "labeller": label.labeller, "note": label.note}
            for label in labels
        ],
        "usage": {
            "input_tokens": output.input_tokens,
            "output_tokens": output.output_tokens,
            "estimated": output.usage_estimated,
        },
        "timing": {
            "latency_ms": number(output.latency_ms),
            "ttft_ms": number(output.ttft_ms),
            "attempts": output.attempts,
            "from_cache": output.from_cache,
        },
        "links": {
            "example": example_url(run.id, eid),
            "candidate_outputs": outputs_url(run.id, candidate=cid),
            "example_outputs": outputs_url(run.id, example=eid),
        },
    }


def _grades_json(grades: Sequence[Grade], rubric: Sequence[Criterion]) -> list[dict[str, Any]]:
    """Every grade of the output, by criterion, people first, then settled, then the judge.

    A grade under an earlier version of its criterion answered another question: it is
    listed, marked not current, with no verdict.
    """
    criteria = {criterion.id: criterion for criterion in rubric}
    position = {criterion.id: i for i, criterion in enumerate(rubric)}
    ordered = sorted(
        grades,
        key=lambda g: (
            position.get(g.criterion_id, len(position)),
            g.criterion_id,
            _KIND_ORDER.get(g.grader_kind, 3),
            g.grader,
        ),
    )
    listed = []
    for grade in ordered:
        criterion = criteria.get(grade.criterion_id)
        current = criterion is not None and criterion.version == grade.criterion_version
        listed.append(
            {
                "criterion_id": grade.criterion_id,
                "question": criterion.question if criterion is not None else None,
                "current": current,
                "grader": grade.grader,
                "grader_kind": grade.grader_kind,
                "value": grade.value,
                "verdict": _verdict(criterion, grade.value) if current else None,
                "level": _level(criterion, grade.value) if current else None,
                "note": grade.note,
                "updated_at": grade.updated_at.isoformat() if grade.updated_at else None,
            }
        )
    return listed


def _verdict(criterion: Criterion | None, value: int | None) -> str | None:
    if criterion is None:
        return None
    if value is None:
        return "n/a"
    return "pass" if criterion.passes(value) else "fail"


def _level(criterion: Criterion | None, value: int | None) -> str | None:
    """The label of the scale's level `value`, for an ordinal criterion."""
    if criterion is None or value is None or not isinstance(criterion.scale, Scale):
        return None
    return next((lv.label for lv in criterion.scale.levels if lv.value == value), None)
