"""What a run reports as it goes, for progress bars and logs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    resumed: bool
    planned: Mapping[str, int]  # calls still to make, per candidate
    already_done: int


@dataclass(frozen=True)
class OutputFinished:
    candidate_id: str
    example_id: str
    ok: bool
    passed: bool
    from_cache: bool
    attempts: int


@dataclass(frozen=True)
class Retrying:
    candidate_id: str
    example_id: str
    attempt: int
    wait_s: float
    reason: str


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    status: str


Event = RunStarted | OutputFinished | Retrying | RunFinished
EventHandler = Callable[[Event], None]
