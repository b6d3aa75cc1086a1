"""Whether a candidate is ready to ship: the suite's bars, each judged with its interval.

Severity over accuracy: a candidate that fails catastrophically is not ready, whatever its
pass rate. A candidate misses a bar only when the data shows it (the whole 95% interval on
the wrong side), the rule the CI gate uses, so noise alone never rules a candidate out:

- catastrophic rate: misses when its lower bound is above `ready.max_catastrophic_rate`
  (default 1%: even the most favourable reading of the data has more than 1 in 100
  outputs fail critically);
- pass rate: misses when its upper bound is below `ready.min_pass_rate` (else
  `gate.min_pass_rate`; no bar when neither is set);
- latency under load: misses when its stored load test was shown to miss the targets at
  every level (a level too short to tell either way does not count against it).

Formulas and the order among ready candidates: docs/report.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from fieldeval.decision.latency import LatencyUnderLoad
from fieldeval.failures.report import FailureReport
from fieldeval.notation import percent
from fieldeval.results.summary import CandidateSummary
from fieldeval.stats.intervals import high_or_one, low_or_zero
from fieldeval.suite.schema import Suite

DEFAULT_MAX_CATASTROPHIC: Final = 0.01


@dataclass(frozen=True)
class Bars:
    """The bars candidates are held to, and whether each came from the suite."""

    max_catastrophic_rate: float
    catastrophic_is_default: bool
    min_pass_rate: float | None

    @classmethod
    def of(cls, suite: Suite) -> Bars:
        own = suite.ready.max_catastrophic_rate
        return cls(
            max_catastrophic_rate=DEFAULT_MAX_CATASTROPHIC if own is None else own,
            catastrophic_is_default=own is None,
            min_pass_rate=(
                suite.ready.min_pass_rate
                if suite.ready.min_pass_rate is not None
                else suite.gate.min_pass_rate
            ),
        )


@dataclass(frozen=True)
class Readiness:
    candidate_id: str
    misses: tuple[str, ...]  # one sentence per bar the data shows it misses
    misses_pass_rate: bool = False

    @property
    def ready(self) -> bool:
        return not self.misses


def readiness(
    candidates: Sequence[CandidateSummary],
    bars: Bars,
    failures: FailureReport | None,
    latency: Mapping[str, LatencyUnderLoad | None],
) -> dict[str, Readiness]:
    """Each answered candidate's missed bars, in the order the module docstring lists them."""
    catastrophic = {c.candidate_id: c.catastrophic for c in failures.candidates} if failures else {}
    found = {}
    for candidate in candidates:
        cid = candidate.candidate_id
        misses = []
        critical = catastrophic.get(cid)
        if critical is not None and low_or_zero(critical) > bars.max_catastrophic_rate:
            allowed = percent(bars.max_catastrophic_rate) + (
                " (the default: set ready.max_catastrophic_rate)"
                if bars.catastrophic_is_default
                else " the suite allows"
            )
            misses.append(
                f"fails catastrophically on {percent(critical.value)} of examples (95% CI "
                f"{percent(critical.low)} to {percent(critical.high)}, n={critical.n}), "
                f"above the {allowed}"
            )
        quality = candidate.quality
        passes_too_few = (
            bars.min_pass_rate is not None and high_or_one(quality) < bars.min_pass_rate
        )
        if passes_too_few:
            misses.append(
                f"passes {percent(quality.value)} (at most {percent(quality.high)}, 95% CI, "
                f"n={quality.n}), below the {percent(bars.min_pass_rate or 0.0)} the suite asks "
                "for"
            )
        load = latency.get(cid)
        if (
            load is not None
            and load.has_targets
            and all(level.misses_targets for level in load.levels)
        ):
            misses.append(f"misses the latency targets at every load tested ({load.verdict})")
        found[cid] = Readiness(cid, tuple(misses), misses_pass_rate=passes_too_few)
    return found
