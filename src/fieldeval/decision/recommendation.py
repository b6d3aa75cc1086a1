"""The recommendation: which candidate to ship, chosen by written rules, with its caveats.

Rules (docs/report.md, "How the recommendation is chosen"):

1. Rank the candidates that answered by pass rate over examples (ties: the higher lower
   bound of its 95% interval).
2. The top group is the best and every candidate the paired test (McNemar, Holm-corrected)
   cannot separate from it.
3. Recommend the cheapest candidate of the top group by mean cost per request; when any of
   them has no price, cost cannot decide and the best is recommended.
4. With `gate.min_pass_rate` set and no candidate's 95% upper bound reaching it, say first
   that none of the candidates is good enough.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from fieldeval.cost.spend import CandidateCost, RunCost
from fieldeval.decision.latency import LatencyUnderLoad
from fieldeval.decision.power import PowerNote
from fieldeval.failures.report import FailureReport
from fieldeval.judge.calibration import Calibration
from fieldeval.notation import dollars, percent_up
from fieldeval.results.candidates import CANNOT_SEPARATE, CandidatePair
from fieldeval.results.summary import CandidateSummary, RunSummary
from fieldeval.stats.intervals import Proportion, Rate

# A candidate failing to answer this share of requests has a pass rate over fewer examples.
MANY_ERRORS: Final = 0.05


@dataclass(frozen=True)
class Recommendation:
    candidate_id: str | None  # None when no candidate answered
    sentence: str
    ranking: tuple[str, ...]  # by pass rate, best first
    top_group: tuple[str, ...]  # the best and those the data cannot separate from it
    good_enough: bool | None  # None without gate.min_pass_rate
    caveats: tuple[str, ...]


def usd(value: float | None) -> str:
    """`$4,100`, `$12`, `$0.0042` (two significant figures), "–" without a value."""
    return "–" if value is None else dollars(value)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def rate_words(rate: Proportion) -> str:
    """`82% (95% CI 70% to 90%, n=50)`; n counts examples, whatever their repeats."""
    if rate.n and math.isnan(rate.low):
        return f"{pct(rate.value)} (n={rate.n}, too few examples for an interval)"
    return f"{pct(rate.value)} (95% CI {pct(rate.low)} to {pct(rate.high)}, n={rate.n})"


def _low(rate: Proportion) -> float:
    """The interval's lower bound; 0 where none exists (nothing rules a low rate out)."""
    return 0.0 if math.isnan(rate.low) else rate.low


def _high(rate: Proportion) -> float:
    return 1.0 if math.isnan(rate.high) else rate.high


def per_thousand(cost: CandidateCost | None) -> float | None:
    """Mean cost of 1,000 answered requests, or None without a price."""
    if cost is None or cost.per_request is None:
        return None
    return cost.per_request.value * 1000


def find_pair(pairs: Sequence[CandidatePair], a: str, b: str) -> CandidatePair | None:
    return next((p for p in pairs if {p.a, p.b} == {a, b}), None)


def recommend(
    *,
    summary: RunSummary,
    pairs: Sequence[CandidatePair],
    cost: RunCost,
    failures: FailureReport | None,
    latency: Mapping[str, LatencyUnderLoad | None],
    power: PowerNote,
    calibration: Sequence[Calibration],
    judged_criteria: Sequence[str],
    min_pass_rate: float | None,
    run_date: date,
    suite_path: str,
) -> Recommendation:
    """Apply the rules in this module's docstring and gather the caveats as plain sentences."""
    order = {c.candidate_id: i for i, c in enumerate(summary.candidates)}
    ranking = sorted(
        (c for c in summary.candidates if c.answered),
        key=lambda c: (-(c.quality.value or 0.0), -_low(c.quality), order[c.candidate_id]),
    )
    costs = {c.candidate_id: c for c in cost.candidates}
    if not ranking:
        return Recommendation(
            None,
            "No candidate answered any example: there is nothing to recommend.",
            (),
            (),
            None,
            tuple(_error_caveats(summary)),
        )
    best = ranking[0]
    top = [best] + [
        c
        for c in ranking[1:]
        if (pair := find_pair(pairs, best.candidate_id, c.candidate_id)) is not None
        and pair.verdict == CANNOT_SEPARATE
    ]
    prices = {c.candidate_id: per_thousand(costs.get(c.candidate_id)) for c in top}
    all_priced = all(value is not None for value in prices.values())
    chosen = (
        min(top, key=lambda c: (prices[c.candidate_id] or 0.0, ranking.index(c)))
        if all_priced
        else best
    )
    good_enough = (
        None if min_pass_rate is None else any(_high(c.quality) >= min_pass_rate for c in ranking)
    )
    sentence = _sentence(chosen, top, len(ranking), costs.get(chosen.candidate_id), all_priced)
    if good_enough is False:
        assert min_pass_rate is not None
        sentence = (
            f"None of the candidates is good enough: the suite's gate asks for a pass rate of at "
            f"least {pct(min_pass_rate)}, and no candidate's 95% interval reaches it (the best, "
            f"{best.candidate_id}, is at most {pct(best.quality.high)}). If one must ship: "
            + sentence[0].lower()
            + sentence[1:]
        )
    caveats = [
        *_tie_caveats(chosen, top, pairs, prices),
        *_gate_caveats(chosen, min_pass_rate, good_enough),
        *_failure_caveats(chosen.candidate_id, failures),
        *_latency_caveats(chosen.candidate_id, latency.get(chosen.candidate_id), suite_path),
        *_cost_caveats(cost, run_date, suite_path),
        *([power.sentence] if power.small else []),
        *_judge_caveats(calibration, judged_criteria),
        *_error_caveats(summary),
    ]
    return Recommendation(
        chosen.candidate_id,
        sentence,
        tuple(c.candidate_id for c in ranking),
        tuple(c.candidate_id for c in top),
        good_enough,
        tuple(caveats),
    )


def _sentence(
    chosen: CandidateSummary,
    top: Sequence[CandidateSummary],
    answered: int,
    cost: CandidateCost | None,
    all_priced: bool,
) -> str:
    name, quality = chosen.candidate_id, rate_words(chosen.quality)
    price = _price_words(cost)
    if answered == 1:
        return f"Recommend {name}, the only candidate that answered: pass rate {quality}{price}."
    if len(top) == 1:
        return (
            f"Recommend {name}: the highest pass rate, {quality}, better than every other "
            f"candidate by a margin the paired tests support{price}."
        )
    others = ", ".join(c.candidate_id for c in top if c is not chosen)
    if not all_priced:
        return (
            f"Recommend {name}: the highest pass rate, {quality}, though the data cannot "
            f"separate it from {others} and, without all their prices, cost cannot decide{price}."
        )
    if chosen is top[0]:
        return (
            f"Recommend {name}: the highest pass rate, {quality}, and the cheapest of the "
            f"candidates the data cannot separate from it ({others}){price}."
        )
    return (
        f"Recommend {name}: the cheapest of the candidates the data cannot separate from the "
        f"best, {top[0].candidate_id}{price}; pass rate {quality}."
    )


def _price_words(cost: CandidateCost | None) -> str:
    thousand = per_thousand(cost)
    if cost is None or thousand is None:
        return ", price unknown"
    words = f", at {usd(thousand)} per 1,000 requests"
    if cost.monthly is not None:
        words += (
            f" ({usd(cost.monthly.total.value)} a month at "
            f"{cost.monthly.requests_per_month:,} requests)"
        )
    return words


def _tie_caveats(
    chosen: CandidateSummary,
    top: Sequence[CandidateSummary],
    pairs: Sequence[CandidatePair],
    prices: Mapping[str, float | None],
) -> list[str]:
    """How the recommended candidate stands against the rest of the top group."""
    caveats = []
    me, mine = chosen.candidate_id, prices.get(chosen.candidate_id)
    for other in top:
        pair = find_pair(pairs, me, other.candidate_id)
        if other is chosen or pair is None:
            continue
        name, theirs, n = other.candidate_id, prices.get(other.candidate_id), pair.paired.n
        if pair.verdict == CANNOT_SEPARATE:
            head = f"{me} and {name} cannot be separated with n={n}"
        else:
            # Both tied with the best, yet the test tells these two apart: say so, with the size.
            better, worse = (pair.a, pair.b) if pair.verdict == "a better" else (pair.b, pair.a)
            sign = 1 if better == pair.a else -1
            low, high = sorted((sign * pair.paired.low, sign * pair.paired.high))
            head = (
                f"{better} is better than {worse} by {100 * sign * pair.paired.difference:.0f}"
                f" points (95% CI {100 * low:.0f} to {100 * high:.0f}, n={n}), though the data"
                " cannot separate either from the best"
            )
        if mine is None or theirs is None:
            unpriced = name if theirs is None else me
            caveats.append(
                f"{head}; {unpriced} has no price, so cost could not decide between them."
            )
        elif mine < theirs:
            caveats.append(
                f"{head}; {me} is cheaper ({usd(mine)} against {usd(theirs)} per 1,000 requests)."
            )
        else:
            caveats.append(f"{head}; they cost the same per request.")
    return caveats


def _gate_caveats(
    chosen: CandidateSummary, min_pass_rate: float | None, good_enough: bool | None
) -> list[str]:
    if min_pass_rate is None:
        # Without a bar, "best of these" can still be unfit to ship; say who must decide that.
        return [
            f"No bar is set: the suite's gate has no min_pass_rate, so nothing here says whether "
            f"{chosen.candidate_id}'s {pct(chosen.quality.value)} is good enough to ship."
        ]
    if good_enough is False or _low(chosen.quality) >= min_pass_rate:
        return []
    return [
        f"{chosen.candidate_id}'s pass rate, {rate_words(chosen.quality)}, may be below the "
        f"{pct(min_pass_rate)} the suite's gate asks for."
    ]


def _failure_caveats(candidate_id: str, failures: FailureReport | None) -> list[str]:
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
            else f"{pct(rate.value)} of the outputs of {rate.n} examples, on average"
        )
        return [
            f"{candidate_id} failed catastrophically (a critical failure mode) on {seen}: "
            f"{rate_words(rate)}. Read them before shipping."
        ]
    return [
        f"{candidate_id} had no critical failure in {rate.n} examples, which still allows a "
        f"rate up to {percent_up(mine.critical_upper_bound)} (one-sided 95% upper bound)."
    ]


def _latency_caveats(
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
    return []


def _cost_caveats(cost: RunCost, run_date: date, suite_path: str) -> list[str]:
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
        age = "of unknown date" if as_of is None else _dated(as_of, run_date)
        caveats.append(
            f"Prices of {', '.join(names)} are from the bundled table {age}: check them."
        )
    return caveats


def _dated(as_of: date, run_date: date) -> str:
    days = (run_date - as_of).days
    when = (
        f"{days} day{'s' if days != 1 else ''} before this run" if days >= 0 else "after this run"
    )
    return f"dated {as_of.isoformat()}, {when}"


def _judge_caveats(calibration: Sequence[Calibration], judged: Sequence[str]) -> list[str]:
    by_criterion = {c.criterion_id: c for c in calibration}
    caveats = []
    for criterion_id in judged:
        found = by_criterion.get(criterion_id)
        if found is None or not found.stands_in:
            why = "no output was graded by both" if found is None or not found.n else found.verdict
            caveats.append(
                f"The judge's verdicts on {criterion_id} are not calibrated against people: {why}"
                + ("" if why.endswith(".") else ".")
            )
    return caveats


def _error_caveats(summary: RunSummary) -> list[str]:
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
