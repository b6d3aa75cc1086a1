"""Outputs as table rows and back: the one place that knows both shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import RowMapping

from fieldeval.records.check_result import CheckResult
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.run import OutputRecord, StoredOutput


def output_row(run_id: str, record: OutputRecord, now: datetime) -> dict[str, Any]:
    completion = record.completion
    usage = completion.usage if completion else None
    return {
        "run_id": run_id,
        "candidate_id": record.key.candidate_id,
        "example_id": record.key.example_id,
        "repeat": record.key.repeat,
        "text": completion.text if completion else None,
        "finish_reason": completion.finish_reason if completion else None,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "cached_input_tokens": usage.cached_input_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        "usage_estimated": bool(usage and usage.estimated),
        "latency_ms": _ms(completion.latency_s) if completion else None,
        "ttft_ms": _ms(completion.ttft_s) if completion else None,
        "chunk_times_ms": [round(t * 1000, 3) for t in completion.chunk_times_s]
        if completion
        else None,
        "model_reported": completion.model if completion else None,
        "error_kind": record.error_kind.value if record.error_kind else None,
        "error_message": record.error_message,
        "attempts": record.attempts,
        "from_cache": record.from_cache,
        "request_hash": record.request_hash,
        "created_at": now,
    }


COMPLETION_COLUMNS = (
    "request_hash",
    "text",
    "finish_reason",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
    "usage_estimated",
    "latency_ms",
    "ttft_ms",
    "chunk_times_ms",
    "model_reported",
)


def completion_from_row(row: RowMapping) -> Completion:
    return Completion(
        text=row["text"],
        usage=Usage(
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            cached_input_tokens=row["cached_input_tokens"],
            reasoning_tokens=row["reasoning_tokens"],
            estimated=row["usage_estimated"],
        ),
        finish_reason=row["finish_reason"],
        latency_s=_seconds(row["latency_ms"]),
        ttft_s=_seconds(row["ttft_ms"]),
        chunk_times_s=[t / 1000 for t in row["chunk_times_ms"] or ()],
        model=row["model_reported"],
    )


def _seconds(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def check_result(row: RowMapping) -> CheckResult:
    return CheckResult(row["check_id"], row["passed"], row["reason"], row["score"], row["decides"])


def stored_output(row: RowMapping, checks: list[CheckResult]) -> StoredOutput:
    return StoredOutput(
        id=row["id"],
        candidate_id=row["candidate_id"],
        example_id=row["example_id"],
        repeat=row["repeat"],
        text=row["text"],
        finish_reason=row["finish_reason"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        usage_estimated=row["usage_estimated"],
        latency_ms=row["latency_ms"],
        ttft_ms=row["ttft_ms"],
        error_kind=row["error_kind"],
        error_message=row["error_message"],
        attempts=row["attempts"],
        from_cache=row["from_cache"],
        checks=tuple(checks),
        cached_input_tokens=row["cached_input_tokens"],
        reasoning_tokens=row["reasoning_tokens"],
    )
