"""What the store keeps and returns: plain dataclasses, never ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from fieldeval.errors import ErrorKind
from fieldeval.records.check_result import CheckResult
from fieldeval.records.completion import Completion


@dataclass(frozen=True)
class RunInfo:
    id: str
    suite_name: str
    suite_path: str
    suite_hash: str
    suite: Mapping[str, Any]
    dataset_hash: str
    status: str  # running, finished, interrupted
    repeats: int
    n_planned: int
    fieldeval_version: str
    started_at: datetime
    finished_at: datetime | None
    candidates: tuple[str, ...] = ()


class OutputKey(NamedTuple):
    """Which output: one candidate's answer to one example, in one repeat.

    A named tuple, so a plain `(candidate, example, repeat)` tuple is the same key.
    """

    candidate_id: str
    example_id: str
    repeat: int = 0

    @property
    def ref(self) -> str:
        """As the failure-mode file writes it: CANDIDATE/EXAMPLE#REPEAT."""
        return f"{self.candidate_id}/{self.example_id}#{self.repeat}"

    @classmethod
    def of(cls, item: Keyed) -> OutputKey:
        """The key of anything about one output: a stored output, a grade, a label..."""
        return cls(item.candidate_id, item.example_id, item.repeat)


class Keyed(Protocol):
    """What names one output: read-only, so frozen records qualify."""

    @property
    def candidate_id(self) -> str: ...

    @property
    def example_id(self) -> str: ...

    @property
    def repeat(self) -> int: ...


@dataclass
class OutputRecord:
    """One candidate's answer (or error) on one example, with its checks."""

    key: OutputKey
    request_hash: str
    completion: Completion | None
    checks: list[CheckResult] = field(default_factory=list)
    error_kind: ErrorKind | None = None
    error_message: str | None = None
    attempts: int = 1
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.completion is not None and self.error_kind is None


@dataclass(frozen=True)
class StoredOutput:
    """An output as read back for analysis and reports."""

    id: int
    candidate_id: str
    example_id: str
    repeat: int
    text: str | None
    finish_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    usage_estimated: bool
    latency_ms: float | None
    ttft_ms: float | None
    error_kind: str | None
    error_message: str | None
    attempts: int
    from_cache: bool
    checks: tuple[CheckResult, ...]
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None

    @property
    def ok(self) -> bool:
        return self.error_kind is None

    @property
    def passed(self) -> bool:
        """Answered, and every check applied to it passed."""
        return self.ok and not any(check.fails_output for check in self.checks)


@dataclass(frozen=True)
class StoredExample:
    id: str
    input: str
    reference: str | None
    fields: Mapping[str, Any]
    slices: Mapping[str, str]
