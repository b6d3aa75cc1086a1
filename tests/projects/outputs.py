"""Stored outputs built by hand, for tests of what is computed from them."""

from __future__ import annotations

from collections.abc import Sequence

from fieldeval.records.check_result import CheckResult
from fieldeval.records.run import StoredOutput


def stored_output(
    position: int,
    candidate: str,
    example: str,
    *,
    repeat: int = 0,
    checks: Sequence[CheckResult] = (),
    error_kind: str | None = None,
) -> StoredOutput:
    """One answered output (or, with `error_kind`, one that failed after its retries)."""
    return StoredOutput(
        id=position,
        candidate_id=candidate,
        example_id=example,
        repeat=repeat,
        text=None if error_kind else "answer",
        finish_reason="stop",
        input_tokens=10,
        output_tokens=5,
        usage_estimated=False,
        latency_ms=5.0,
        ttft_ms=None,
        error_kind=error_kind,
        error_message=None,
        attempts=1,
        from_cache=False,
        checks=tuple(checks),
    )
