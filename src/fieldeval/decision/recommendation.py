"""The recommendation: which candidate to ship, chosen by written rules, with its caveats.

Rules (docs/report.md, "How the recommendation is chosen"):

0. Only a ready candidate can be recommended (`decision.readiness`: no bar missed, the
   catastrophic rate first). When none is ready, the headline says so, what each misses,
   and which is closest; nothing is recommended.
1. Rank the ready candidates that answered by pass rate over examples (ties: the higher
   lower bound of its 95% interval).
2. The top group is the best and every candidate the paired test (McNemar, Holm-corrected)
   cannot separate from it.
3. Severity over accuracy within the group: a member that another member shows to fail more
   severely (`decision.harm`: severity-weighted harm per example, paired, Holm-corrected) is
   passed over.
4. Recommend the cheapest of the rest by mean cost per request; when any of them has no
   price, cost cannot decide and the one with the highest pass rate is recommended.
5. A pass-rate bar the chosen candidate's interval straddles is a caveat: it may be below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from fieldeval.cost.spend import CandidateCost, RunCost
from fieldeval.decision.caveats import (
    cost_caveats,
    error_caveats,
    failure_caveats,
    harm_caveats,
    judge_caveats,
    latency_caveats,
    rate_words,
)
from fieldeval.decision.harm import more_harmful
from fieldeval.decision.latency import LatencyUnderLoad
from fieldeval.decision.power import PowerNote
from fieldeval.decision.readiness import Bars, Readiness, readiness
from fieldeval.failures.report import FailureReport
from fieldeval.judge.calibration import Calibration
from fieldeval.notation import dollars
from fieldeval.results.candidates import CANNOT_SEPARATE, CandidatePair
from fieldeval.results.rubric import CriterionResult
from fieldeval.results.summary import CandidateSummary, RunSummary
from fieldeval.stats.intervals import high_or_one, low_or_zero


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
    bars: Bars,
    run_date: date,
    suite_path: str,
    criteria: Sequence[CriterionResult] = (),
) -> Recommendation:
    """Apply the rules in this module's docstring and gather the caveats as plain sentences."""
    min_pass_rate = bars.min_pass_rate
    order = {c.candidate_id: i for i, c in enumerate(summary.candidates)}
    answered = sorted(
        (c for c in summary.candidates if c.answered),
        key=lambda c: (-(c.quality.value or 0.0), -low_or_zero(c.quality), order[c.candidate_id]),
    )
    costs = {c.candidate_id: c for c in cost.candidates}
    if not answered:
        return Recommendation(
            None,
            "No candidate answered any example: there is nothing to recommend.",
            (),
            (),
            None,
            tuple(error_caveats(summary)),
        )
    ready = readiness(answered, bars, failures, latency, criteria=criteria, cost=cost)
    ranking = [c for c in answered if ready[c.candidate_id].ready]
    if not ranking:
        return Recommendation(
            None,
            _none_ready(answered, ready),
            tuple(c.candidate_id for c in answered),
            (),
            False,
            (
                *_not_ready_caveats(answered, ready),
                *error_caveats(summary),
                *([power.sentence] if power.small else []),
            ),
        )
    best = ranking[0]
    top = [best] + [
        c
        for c in ranking[1:]
        if (pair := find_pair(pairs, best.candidate_id, c.candidate_id)) is not None
        and pair.verdict == CANNOT_SEPARATE
    ]
    harmful = (
        more_harmful(failures, [c.candidate_id for c in top])
        if failures is not None and len(top) > 1
        else ()
    )
    passed_over = {pair.worse for pair in harmful}
    kept = [c for c in top if c.candidate_id not in passed_over]
    prices = {c.candidate_id: per_thousand(costs.get(c.candidate_id)) for c in kept}
    all_priced = all(value is not None for value in prices.values())
    chosen = (
        min(kept, key=lambda c: (prices[c.candidate_id] or 0.0, ranking.index(c)))
        if all_priced
        else kept[0]
    )
    good_enough = (
        None
        if min_pass_rate is None
        else any(high_or_one(c.quality) >= min_pass_rate for c in ranking)
    )
    sentence = _sentence(
        chosen,
        top,
        len(ranking),
        costs.get(chosen.candidate_id),
        all_priced,
        some_not_ready=len(ranking) < len(answered),
        passed_over=passed_over,
    )
    caveats = [
        *_not_ready_caveats(answered, ready),
        *harm_caveats(harmful),
        *_tie_caveats(chosen, kept, pairs, prices),
        *_gate_caveats(chosen, min_pass_rate, good_enough),
        *failure_caveats(chosen.candidate_id, failures),
        *latency_caveats(chosen.candidate_id, latency.get(chosen.candidate_id), suite_path),
        *cost_caveats(cost, run_date, suite_path),
        *([power.sentence] if power.small else []),
        *judge_caveats(calibration, judged_criteria),
        *error_caveats(summary),
    ]
    return Recommendation(
        chosen.candidate_id,
        sentence,
        tuple(c.candidate_id for c in ranking),
        tuple(c.candidate_id for c in top),
        good_enough,
        tuple(caveats),
    )


def _none_ready(answered: Sequence[CandidateSummary], ready: Mapping[str, Readiness]) -> str:
    """ "No candidate is ready to ship" and the closest: fewest bars missed, then the lower
    catastrophic rate (severity before accuracy), then the higher pass rate (`answered` is in
    pass-rate order). What each misses follows as caveats."""

    def distance(c: CandidateSummary) -> tuple[int, float]:
        found = ready[c.candidate_id]
        return (len(found.misses), found.catastrophic)

    closest = min(answered, key=distance)
    missed = len(ready[closest.candidate_id].misses)
    tied = [c for c in answered if len(ready[c.candidate_id].misses) == missed]
    why = (
        ", and fails catastrophically least often"
        if len(tied) > 1 and closest is not tied[0]
        else ""
    )
    return (
        f"No candidate is ready to ship. Closest: {closest.candidate_id}, which misses "
        f"{_count(missed, 'bar')} of the suite's{why}."
    )


def _not_ready_caveats(
    answered: Sequence[CandidateSummary], ready: Mapping[str, Readiness]
) -> list[str]:
    """Why a candidate, perhaps with a higher pass rate, was not considered."""
    caveats = []
    for c in answered:
        found = ready[c.candidate_id]
        if found.ready:
            continue
        # A pass rate that clears its bar does not save a candidate that misses another.
        despite = (
            "" if found.misses_pass_rate else f", whatever its pass rate ({pct(c.quality.value)})"
        )
        caveats.append(
            f"{c.candidate_id} is not ready{despite}: it {'; and it '.join(found.misses)}."
        )
    return caveats


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _sentence(
    chosen: CandidateSummary,
    top: Sequence[CandidateSummary],
    ranked: int,
    cost: CandidateCost | None,
    all_priced: bool,
    *,
    some_not_ready: bool,
    passed_over: set[str],
) -> str:
    name, quality = chosen.candidate_id, rate_words(chosen.quality)
    price = _price_words(cost)
    if top[0].candidate_id in passed_over:
        return (
            f"Recommend {name}: the data cannot separate its pass rate, {quality}, from the "
            f"best's, {top[0].candidate_id}, which fails more severely{price}."
        )
    highest = "the highest pass rate" + (" of the ready candidates" if some_not_ready else "")
    if ranked == 1:
        only = "the only ready candidate" if some_not_ready else "the only candidate that answered"
        return f"Recommend {name}, {only}: pass rate {quality}{price}."
    if len(top) == 1:
        other = "other ready candidate" if some_not_ready else "other candidate"
        return (
            f"Recommend {name}: {highest}, {quality}, better than every {other} by a margin "
            f"the paired tests support{price}."
        )
    others = ", ".join(c.candidate_id for c in top if c is not chosen)
    if not all_priced:
        return (
            f"Recommend {name}: {highest}, {quality}, though the data cannot "
            f"separate it from {others} and, without all their prices, cost cannot decide{price}."
        )
    if chosen is top[0]:
        return (
            f"Recommend {name}: {highest}, {quality}, and the cheapest of the "
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
            f"No bar is set: the suite has no ready.min_pass_rate (or gate.min_pass_rate), so "
            f"nothing here says whether "
            f"{chosen.candidate_id}'s {pct(chosen.quality.value)} is good enough to ship."
        ]
    if good_enough is False or low_or_zero(chosen.quality) >= min_pass_rate:
        return []
    return [
        f"{chosen.candidate_id}'s pass rate, {rate_words(chosen.quality)}, may be below the "
        f"{pct(min_pass_rate)} the suite asks for."
    ]
