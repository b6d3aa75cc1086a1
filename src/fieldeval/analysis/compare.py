"""Run against run: what flipped, what moved, and what changed in between."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fieldeval.analysis.paired import PairedBinary, PairedScores
from fieldeval.analysis.stats import Rate
from fieldeval.store import RunInfo, Store, StoredOutput


@dataclass(frozen=True)
class Change:
    """One difference between two configurations, as a dotted path."""

    path: str  # e.g. "task.prompt.template", "candidates.gpt.params.temperature"
    before: Any
    after: Any


@dataclass(frozen=True)
class Flip:
    """An example whose pass/fail changed between the runs (for one candidate)."""

    example_id: str
    input: str
    direction: Literal["regressed", "fixed"]
    before: StoredOutput
    after: StoredOutput
    failed_before: tuple[str, ...]  # check ids failed (or the error kind) in the earlier run
    failed_after: tuple[str, ...]


@dataclass(frozen=True)
class MetricDelta:
    """A pass rate in both runs, on the examples both have; difference = after − before."""

    metric: str  # "pass" (every check) or a check id
    before: Rate
    after: Rate
    paired: PairedBinary  # a = after, b = before
    adjusted_p: float  # Holm across this candidate's metrics


@dataclass(frozen=True)
class NumberDelta:
    """A per-output number (latency, tokens, cost) compared on the paired examples."""

    metric: str  # "latency_ms", "ttft_ms", "input_tokens", "output_tokens", "cost_usd"
    before_median: float | None
    after_median: float | None
    paired: PairedScores | None  # mean difference after − before; None when fewer than 2 pairs


@dataclass(frozen=True)
class CandidateComparison:
    candidate_id: str
    n_paired: int  # examples answered or errored in both runs
    only_before: int
    only_after: int
    flips: tuple[Flip, ...]  # regressions first, then fixes
    still_failing: tuple[str, ...]  # example ids failing in both runs (known failures)
    metrics: tuple[MetricDelta, ...]
    numbers: tuple[NumberDelta, ...]
    config_changes: tuple[Change, ...]


@dataclass(frozen=True)
class RunComparison:
    before: RunInfo
    after: RunInfo
    same_dataset: bool
    suite_changes: tuple[Change, ...]  # task, dataset spec, checks (not the candidates)
    candidates: tuple[CandidateComparison, ...]  # candidates present in both runs
    only_before: tuple[str, ...]  # candidate ids
    only_after: tuple[str, ...]


def compare_runs(store: Store, before_id: str, after_id: str) -> RunComparison:
    raise NotImplementedError
