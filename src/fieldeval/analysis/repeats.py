"""`--repeat K`: how stable each example's result is across K runs of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.store import StoredOutput


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
    raise NotImplementedError
