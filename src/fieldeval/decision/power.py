"""What difference between two candidates the run's examples can detect: the small-n caveat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from fieldeval.notation import points_up
from fieldeval.results.candidates import CandidatePair
from fieldeval.results.summary import RunSummary
from fieldeval.stats.power import discordance_from_pass_rate, paired_binary_mde

# A difference smaller than this (10 points) is one a team would act on; a set that cannot
# detect it is too small to rank close candidates.
SMALL_N_MDE: Final = 0.10
# ψ assumed when the run shows no disagreement to measure (planning's 80% pass rate).
_ASSUMED_DISCORDANCE: Final = discordance_from_pass_rate(0.8)


@dataclass(frozen=True)
class PowerNote:
    """What difference between two candidates this many examples can detect (80% power)."""

    n: int  # examples the candidates were compared on
    discordance: float  # ψ: share of examples where two candidates disagree
    observed: bool  # ψ measured on this run's pairs, else assumed
    mde: float | None  # None: n is too small to detect any difference
    sentence: str

    @property
    def small(self) -> bool:
        return self.mde is None or self.mde > SMALL_N_MDE


def power_note(summary: RunSummary, pairs: Sequence[CandidatePair]) -> PowerNote:
    """The paired MDE at the disagreement seen between this run's candidates (Connor 1987)."""
    if pairs:
        n = max(pair.paired.n for pair in pairs)
        psi = sum((p.paired.b + p.paired.c) / p.paired.n for p in pairs) / len(pairs)
    else:
        n = max((c.answered for c in summary.candidates), default=0)
        psi = 0.0
    observed = psi > 0
    psi = psi if observed else _ASSUMED_DISCORDANCE
    where = (
        f"the share of examples where two of these candidates disagree, ψ={psi:.2f}"
        if observed
        else f"assuming two candidates disagree on ψ={psi:.2f} of the examples"
    )
    if n < 1:
        return PowerNote(
            0, psi, observed, None, "No example was answered: nothing can be told apart."
        )
    mde = paired_binary_mde(n, psi)
    if mde is None:
        sentence = (
            f"With n={n}, no difference between two candidates can be detected reliably "
            f"(80% power, 5% level, paired; {where}): add examples."
        )
    else:
        sentence = (
            f"With n={n}, two candidates must differ by at least {points_up(mde)} points to be "
            f"told apart (80% power, 5% level, paired; {where})."
        )
    return PowerNote(n, psi, observed, mde, sentence)
