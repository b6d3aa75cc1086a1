"""Candidate against candidate within one run: paired, corrected, and honest about ties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fieldeval.analysis.paired import PairedBinary
from fieldeval.store import StoredOutput

CANNOT_SEPARATE = "cannot be separated with this data"


@dataclass(frozen=True)
class CandidatePair:
    a: str
    b: str
    paired: PairedBinary  # pass rate of a − pass rate of b on examples both answered
    adjusted_p: float  # Holm across all pairs of the run
    verdict: Literal["a better", "b better", "cannot be separated with this data"]


def compare_candidates(
    outputs: Sequence[StoredOutput], candidate_ids: Sequence[str], *, alpha: float = 0.05
) -> tuple[CandidatePair, ...]:
    raise NotImplementedError
