"""What the grading screens are sent: items, criteria and grades, never a candidate's id."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fieldeval.errors import UserError
from fieldeval.human.session import Item, PairItem
from fieldeval.records.grade import Grade, PairGrade
from fieldeval.suite.rubric import Criterion, Scale


def shown(item: Item | PairItem) -> dict[str, Any]:
    """The parts of an item any screen shows: never which candidate wrote it."""
    return {
        "key": item.key,
        "example_id": item.example_id,
        "repeat": item.repeat,
        "input": item.input,
        "reference": item.reference,
    }


def criterion_json(criterion: Criterion) -> dict[str, Any]:
    scale = criterion.scale
    levels = (
        [
            {
                "value": level.value,
                "label": level.label,
                "anchor": level.anchor,
                "passes": criterion.passes(level.value),
            }
            for level in scale.levels
        ]
        if isinstance(scale, Scale)
        else []
    )
    return {
        "id": criterion.id,
        "version": criterion.version,
        "question": criterion.question,
        "kind": "ordinal" if levels else "pass_fail",
        "levels": levels,
        "severity": criterion.severity,
        "pass_example": criterion.pass_example,
        "fail_example": criterion.fail_example,
    }


def grade_json(grade: Grade) -> dict[str, Any]:
    return {
        "criterion_id": grade.criterion_id,
        "value": grade.value,
        "note": grade.note,
        "updated_at": _when(grade.updated_at),
    }


def choice_json(choice: PairGrade) -> dict[str, Any]:
    """A side-by-side choice as the grader saw it: by side, not by candidate."""
    return {
        "criterion_id": choice.criterion_id,
        "winner": choice.winner,
        "note": choice.note,
    }


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def error_json(error: UserError) -> Mapping[str, str]:
    """A refused request's body: what was wrong and, if known, how to fix it."""
    return {"error": error.message, **({"hint": error.hint} if error.hint else {})}
