"""Grades, side-by-side grades, judge calls and failure labels, as the store returns them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

GraderKind = Literal["human", "judge", "adjudicated"]


Winner = Literal["left", "right", "tie"]


@dataclass(frozen=True)
class Grade:
    """One grader's answer on one output and one criterion version; value None is n/a."""

    run_id: str
    candidate_id: str
    example_id: str
    repeat: int
    criterion_id: str
    criterion_version: str
    grader: str
    grader_kind: GraderKind
    value: int | None
    note: str | None = None
    judge_call_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PairGrade:
    """One side-by-side judgement, with which candidate was shown on which side."""

    run_id: str
    example_id: str
    repeat: int
    criterion_id: str
    criterion_version: str
    grader: str
    grader_kind: GraderKind
    left_candidate: str
    right_candidate: str
    winner: Winner
    note: str | None = None
    judge_call_id: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class JudgeCall:
    """One call to the judge: what it was asked, what it said, and what that cost."""

    run_id: str
    judge_id: str
    request_hash: str
    request: Mapping[str, Any]
    response_text: str | None
    parsed: Mapping[str, Any] | None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    usage_estimated: bool = False
    latency_ms: float | None = None
    cost_usd: float | None = None
    attempts: int = 1
    error_kind: str | None = None
    error_message: str | None = None
    id: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class FailureLabel:
    """A failure mode a person or the judge assigned to one output."""

    run_id: str
    candidate_id: str
    example_id: str
    repeat: int
    mode_id: str
    labeller: str
    note: str | None = None
