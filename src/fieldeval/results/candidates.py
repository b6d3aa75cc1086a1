"""Candidate against candidate within one run: paired, corrected, and honest about ties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Final, Literal

from fieldeval.records.run import StoredOutput
from fieldeval.results.repeats import stability
from fieldeval.stats.paired import PairedBinary, holm, mcnemar

CANNOT_SEPARATE: Final = "cannot be separated with this data"


@dataclass(frozen=True)
class CandidatePair:
    a: str
    b: str
    paired: PairedBinary  # pass rate of a − pass rate of b on examples both answered
    adjusted_p: float  # Holm across all pairs of the run
    verdict: Literal["a better", "b better", "cannot be separated with this data"]

    @property
    def named_verdict(self) -> str:
        return named_verdict(self.a, self.b, self.verdict)


def compare_candidates(
    outputs: Sequence[StoredOutput], candidate_ids: Sequence[str], *, alpha: float = 0.05
) -> tuple[CandidatePair, ...]:
    """Every pair (a before b in the given order) by McNemar, Holm-corrected across pairs.

    Paired on the examples both candidates answered. With repeats, an example passes for a
    candidate when at least half of its answered repeats passed: the example, not the
    output, is the unit, so K repeats never pose as K times the evidence. A pair with no
    example in common is left out.
    """
    passed: dict[str, dict[str, bool]] = {c: {} for c in candidate_ids}
    for stable in stability(outputs):
        if stable.runs and stable.candidate_id in passed:
            passed[stable.candidate_id][stable.example_id] = stable.fraction >= 0.5
    tests: list[tuple[str, str, PairedBinary]] = []
    for a, b in combinations(candidate_ids, 2):
        shared = [e for e in passed[a] if e in passed[b]]
        if shared:
            tests.append(
                (a, b, mcnemar([passed[a][e] for e in shared], [passed[b][e] for e in shared]))
            )
    adjusted = holm([paired.p_value for _, _, paired in tests])
    return tuple(
        CandidatePair(a, b, paired, p, pair_verdict(paired, p, alpha))
        for (a, b, paired), p in zip(tests, adjusted, strict=True)
    )


def named_verdict(a: str, b: str, verdict: str) -> str:
    """The verdict as a reader sees it: the better candidate by name, never "a" or "b"."""
    return {"a better": f"{a} better", "b better": f"{b} better"}.get(verdict, verdict)


def pair_verdict(
    paired: PairedBinary, adjusted_p: float, alpha: float = 0.05
) -> Literal["a better", "b better", "cannot be separated with this data"]:
    """Which of a and b the data supports, at `alpha` on the adjusted p; else neither."""
    if adjusted_p >= alpha or paired.difference == 0:
        return CANNOT_SEPARATE
    return "a better" if paired.difference > 0 else "b better"
