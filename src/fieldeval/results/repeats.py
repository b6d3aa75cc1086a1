"""`--repeat K`: how stable each example's result is across K runs of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.records.run import StoredOutput


@dataclass(frozen=True)
class Stability:
    candidate_id: str
    example_id: str
    passes: int
    runs: int  # answered repeats (errors excluded)

    @property
    def fraction(self) -> float:
        return self.passes / self.runs if self.runs else 0.0

    @property
    def flaky(self) -> bool:
        return 0 < self.passes < self.runs


def stability(outputs: Sequence[StoredOutput]) -> list[Stability]:
    """Passes and answered repeats per (candidate, example), in the order first seen.

    An errored repeat says nothing about the answer, so it counts in neither; an example
    with only errors has `runs == 0`.
    """
    counts: dict[tuple[str, str], list[int]] = {}
    for output in outputs:
        passes_runs = counts.setdefault((output.candidate_id, output.example_id), [0, 0])
        passes_runs[0] += output.passed
        passes_runs[1] += output.ok
    return [Stability(c, e, passes, runs) for (c, e), (passes, runs) in counts.items()]
