"""The result of grading one output on one criterion."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    passed: bool
    reason: str  # always says why, e.g. "112 words > 100"
    score: float | None = None  # a measured value where there is one (word count, ...)
    decides: bool = True  # False: a metric-only check, measured but not part of the pass

    @property
    def fails_output(self) -> bool:
        """Whether this result makes its output fail: a failed check that decides."""
        return self.decides and not self.passed
