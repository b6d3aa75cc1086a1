"""The recommendation's caveats about the evidence: failures, latency, cost, judge, errors.

Each returns plain sentences, empty when there is nothing to say.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

from fieldeval.cost.spend import RunCost
from fieldeval.decision.harm import HarmPair
from fieldeval.decision.latency import LatencyUnderLoad
from fieldeval.failures.report import FailureReport
from fieldeval.judge.calibration import Calibration
from fieldeval.judge.corrected import CorrectedRate
from fieldeval.notation import p_value, percent, percent_up
from fieldeval.results.summary import RunSummary
from fieldeval.stats.intervals import Proportion, Rate

# A candidate failing to answer this share of requests has a pass rate over fewer examples.
MANY_ERRORS: Final = 0.05


def rate_words(rate: Proportion) -> str:
    """`82% (95% CI 70% to 90%, n=50)`; n counts examples, whatever their repeats."""
    if rate.n and not rate.has_interval:
        return f"{percent(rate.value)} (n={rate.n}, too few examples for an interval)"
    return f"{percent(rate.value)} (95% CI {percent(rate.low)} to {percent(rate.high)}, n={rate.n})"


def failure_caveats(candidate_id: str, failures: FailureReport | None) -> list[str]:
    if failures is None or not any(mode.severity == "critical" for mode in failures.modes):
        return []
    mine = next((c for c in failures.candidates if c.candidate_id == candidate_id), None)
    if mine is None:
        return []
    rate = mine.catastrophic
    if mine.critical_upper_bound is None:
        seen = (
            f"{rate.k} of {rate.n} outputs"
            if isinstance(rate, Rate)
            else f"{percent(rate.value)} of the outputs of {rate.n} examples, on average"
        )
        return [
            f"{candidate_id} failed catastrophically (a critical failure mode) on {seen}: "
            f"{rate_words(rate)}. Read them before shipping."
        ]
    return [
        f"{candidate_id} had no critical failure in {rate.n} examples, which still allows a "
        f"rate up to {percent_up(mine.critical_upper_bound)} (one-sided 95% upper bound)."
    ]


def latency_caveats(
    candidate_id: str, latency: LatencyUnderLoad | None, suite_path: str
) -> list[str]:
    if latency is None:
        return [
            f"{candidate_id}'s latency under load is not measured: "
            f"fieldeval load {suite_path} --candidate {candidate_id}"
        ]
    if latency.missed:
        return [f"{candidate_id} misses the latency targets under load: {latency.verdict}."]
    if not latency.has_targets:
        return [
            f"{candidate_id}'s load test has no latency target to meet: set load.targets in "
            "the suite."
        ]
    if not latency.shown_anywhere:
        return [
            f"{candidate_id}'s load test is too short to show it meets the latency targets "
            f"at any load: {latency.verdict}. A longer load.duration_s gives each level more "
            "requests."
        ]
    return []


def cost_caveats(cost: RunCost, run_date: date, suite_path: str) -> list[str]:
    caveats = []
    unpriced = [c.candidate_id for c in cost.candidates if c.price is None]
    if unpriced:
        caveats.append(
            f"No price for {', '.join(unpriced)}: set `price:` on "
            f"{'it' if len(unpriced) == 1 else 'each'} in {suite_path} (US dollars per million "
            "tokens)."
        )
    estimated = [c.candidate_id for c in cost.candidates if c.estimated and c.price is not None]
    if estimated:
        caveats.append(
            f"The cost of {', '.join(estimated)} is an estimate: some token counts were "
            "counted by fieldeval, not reported by the API."
        )
    if cost.judge_calls and cost.judge_usd is None:
        caveats.append("The judge's cost is unknown: give its candidate a `price:`.")
    tables: dict[date | None, list[str]] = {}
    for c in cost.candidates:
        if c.price is not None and c.price.source == "table":
            tables.setdefault(c.price.as_of, []).append(c.candidate_id)
    for as_of, names in tables.items():
        age = "of unknown date" if as_of is None else dated(as_of, run_date)
        caveats.append(
            f"Prices of {', '.join(names)} are from the bundled table {age}: check them."
        )
    return caveats


def dated(as_of: date, run_date: date) -> str:
    days = (run_date - as_of).days
    when = (
        f"{days} day{'s' if days != 1 else ''} before this run" if days >= 0 else "after this run"
    )
    return f"dated {as_of.isoformat()}, {when}"


def judge_caveats(calibration: Sequence[Calibration], judged: Sequence[str]) -> list[str]:
    by_criterion = {c.criterion_id: c for c in calibration}
    caveats = []
    for criterion_id in judged:
        found = by_criterion.get(criterion_id)
        if found is None or not found.stands_in:
            why = "no output was graded by both" if found is None or not found.n else found.verdict
            caveats.append(
                f"The judge's verdicts on {criterion_id} are not calibrated against people: {why}"
                + ("" if why.endswith(".") else ".")
                + (_corrected_words(found.corrected) if found is not None else "")
            )
    return caveats


def _corrected_words(rates: Sequence[CorrectedRate]) -> str:
    """` Corrected by people's grades: a 50% (95% CI 31% to 69%) where the judge says 100%.`"""
    shown = [
        f"{rate.candidate_id} {percent(r.value)} (95% CI {percent(r.low)} to "
        f"{percent(r.high)}) where the judge says {percent(rate.judge_rate)}"
        for rate in rates
        if (r := rate.rate).value is not None
    ]
    return f" Corrected by people's grades: {'; '.join(shown)}." if shown else ""


def error_caveats(summary: RunSummary) -> list[str]:
    caveats = []
    for c in summary.candidates:
        if c.n and c.error_count / c.n >= MANY_ERRORS:
            kinds = ", ".join(
                f"{kind.replace('_', ' ')} {k}" for kind, k in sorted(c.errors.items())
            )
            caveats.append(
                f"{c.candidate_id} failed to answer {c.error_count} of {c.n} requests after its "
                f"retries ({kinds}): its pass rate is over the {c.answered} it answered."
            )
    if summary.missing:
        caveats.append(
            f"The run is missing {summary.missing} of its {summary.run.n_planned} planned "
            f"outputs: finish it with fieldeval run {summary.run.suite_path} --resume-run "
            f"{summary.run.id}."
        )
    return caveats


def harm_caveats(harmful: Sequence[HarmPair]) -> list[str]:
    """Why a candidate the pass rate could not separate from the best was passed over."""
    return [
        f"{pair.worse} was passed over: the data cannot separate its pass rate from the best's,"
        f" but it fails more severely than {pair.better}: {pair.paired.difference:.2f} more"
        f" severity-weighted harm per example (95% CI {pair.paired.low:.2f} to"
        f" {pair.paired.high:.2f}, n={pair.paired.n}, p={p_value(pair.adjusted_p)} Holm)."
        for pair in harmful
    ]
