"""The CI gate: fail a build on a regression the data supports, never on noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fieldeval.analysis.compare import RunComparison
from fieldeval.suite.schema import Gate


@dataclass(frozen=True)
class Finding:
    kind: Literal["regression", "new_critical", "threshold"]
    candidate_id: str
    subject: str  # the metric, check or example it is about
    detail: str  # one sentence with the numbers
    failing: bool  # True when this finding fails the gate


@dataclass(frozen=True)
class GateResult:
    passed: bool
    findings: tuple[Finding, ...]  # failing ones first
    known_failures: tuple[tuple[str, str, str], ...]  # (candidate, example, check) failing in both
    comparison: RunComparison


def evaluate_gate(comparison: RunComparison, spec: Gate) -> GateResult:
    raise NotImplementedError
