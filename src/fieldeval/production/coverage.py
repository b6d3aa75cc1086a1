"""Which production strata the eval set can say something about, and which it lacks.

For each stratum of the production records (by the same fields as the eval set was drawn
by), its share of the calls, the eval set's examples in it, and the smallest difference
between two candidates' pass rates those examples can detect (paired, Connor 1987, 80%
power at α = 0.05, for candidates passing `pass_rate` and failing independently; see
`stats.power`). A stratum is *missing* with no example, *too few* when no difference up to
`max_mde` can be detected, else *covered*.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fieldeval.production.strata import check_fields, stratum_label, stratum_of
from fieldeval.records.production import ProductionRecord

MAX_MDE = 0.30  # 30 points: a stratum that cannot show that cannot show anything useful


@dataclass(frozen=True)
class StratumCoverage:
    name: str
    calls: int
    share: float  # of the production calls
    examples: int
    mde: float | None  # the smallest detectable paired difference; None: none is
    status: Literal["missing", "too few", "covered"]


@dataclass(frozen=True)
class CoverageReport:
    strata: tuple[StratumCoverage, ...]  # most calls first; eval-only strata last
    records: int
    examples: int
    pass_rate: float
    max_mde: float

    @property
    def uncovered_share(self) -> float:
        """The share of production calls in strata that are missing or too few."""
        return sum(s.share for s in self.strata if s.status != "covered")


def coverage_report(
    records: Sequence[ProductionRecord],
    examples: Sequence[Mapping[str, Any]],
    *,
    by: Sequence[str],
    pass_rate: float = 0.8,
    max_mde: float = MAX_MDE,
) -> CoverageReport:
    from fieldeval.stats.power import discordance_from_pass_rate, paired_binary_mde

    check_fields(records, by)
    calls = Counter(stratum_of(record, by) for record in records)
    counts = Counter(stratum_label(example, by) for example in examples)
    discordance = discordance_from_pass_rate(pass_rate)
    total = sum(calls.values()) or 1
    strata = []
    for name in [*sorted(calls, key=lambda n: (-calls[n], n)), *sorted(set(counts) - set(calls))]:
        n = counts[name]
        mde = paired_binary_mde(n, discordance) if n else None
        status: Literal["missing", "too few", "covered"] = (
            "missing" if n == 0 else "too few" if mde is None or mde > max_mde else "covered"
        )
        strata.append(StratumCoverage(name, calls[name], calls[name] / total, n, mde, status))
    return CoverageReport(tuple(strata), len(records), len(examples), pass_rate, max_mde)
