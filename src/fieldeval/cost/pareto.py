"""Quality against cost: the frontier, ties the data cannot break, and the trade-off in words.

Formulas: docs/metrics.md, "Quality against cost". Quality is the pass rate, cost the mean
cost of a request; "better" always means significantly better by the paired test of
`compare_candidates` (McNemar, Holm-corrected across the run's pairs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from fieldeval.cost.spend import CandidateCost, RunCost
from fieldeval.notation import dollars, ratio
from fieldeval.results.candidates import CANNOT_SEPARATE, CandidatePair
from fieldeval.results.summary import RunSummary
from fieldeval.stats.intervals import Proportion


@dataclass(frozen=True)
class ParetoPoint:
    candidate_id: str
    quality: Proportion  # pass rate over examples, with its 95% interval
    cost: float | None  # mean cost per request, US dollars; None when not priced
    frontier: bool  # no cheaper-or-equal candidate is significantly better
    dominated_by: tuple[str, ...]  # cheaper-or-equal candidates significantly better
    ties: tuple[str, ...]  # candidates the data cannot separate from this one
    # A cost was unknown here or in a candidate compared with it: dominance there was
    # judged on quality alone.
    quality_only: bool = False


@dataclass(frozen=True)
class TradeOff:
    """`better` against `other`: the paired quality difference and what it costs."""

    better: str  # the higher pass rate (or the first, when equal)
    other: str
    difference: float  # better − other, as a fraction; with the paired 95% interval
    low: float
    high: float
    separable: bool  # the paired test (Holm-corrected) tells them apart
    n: int
    cost_ratio: float | None  # better's cost per request / other's
    monthly_difference_usd: float | None  # better's monthly total − other's
    requests_per_month: int | None
    sentence: str  # "B is 9 points better (95% CI 2 to 16) for 3.1x the cost: ..."


def pareto(
    summary: RunSummary, cost: RunCost, pairs: Sequence[CandidatePair]
) -> tuple[ParetoPoint, ...]:
    """Every candidate, cheapest first (unpriced last), with its place on the frontier.

    j dominates i when j costs no more than i and the paired test says j is better. When
    either cost is unknown, significantly better is enough: nothing shows i is cheaper.
    """
    costs = _costs(cost)
    better = _better(pairs)
    ids = [c.candidate_id for c in summary.candidates]
    points = []
    for candidate in summary.candidates:
        me = candidate.candidate_id
        mine = costs.get(me)
        dominated_by = tuple(
            other for other in ids if (other, me) in better and _not_dearer(costs.get(other), mine)
        )
        ties = tuple(
            other
            for pair in pairs
            if pair.verdict == CANNOT_SEPARATE and me in (pair.a, pair.b)
            for other in (pair.b if pair.a == me else pair.a,)
        )
        points.append(
            ParetoPoint(
                candidate_id=me,
                quality=candidate.quality,
                cost=mine,
                frontier=not dominated_by,
                dominated_by=dominated_by,
                ties=ties,
                quality_only=mine is None or any(costs.get(o) is None for o in ids if o != me),
            )
        )
    return tuple(
        sorted(
            points,
            key=lambda p: (p.cost is None, p.cost or 0.0, -(p.quality.value or 0.0)),
        )
    )


def trade_offs(
    summary: RunSummary, cost: RunCost, pairs: Sequence[CandidatePair]
) -> tuple[TradeOff, ...]:
    """One trade-off per compared pair, in the pairs' order, each with its sentence."""
    del summary  # the pairs carry the paired differences; kept for a uniform signature
    by_id = {c.candidate_id: c for c in cost.candidates}
    return tuple(_trade_off(pair, by_id.get(pair.a), by_id.get(pair.b)) for pair in pairs)


def _trade_off(
    pair: CandidatePair, cost_a: CandidateCost | None, cost_b: CandidateCost | None
) -> TradeOff:
    paired = pair.paired
    if paired.difference >= 0:
        better, other, costs = pair.a, pair.b, (cost_a, cost_b)
        difference, low, high = paired.difference, paired.low, paired.high
    else:
        better, other, costs = pair.b, pair.a, (cost_b, cost_a)
        difference, low, high = -paired.difference, -paired.high, -paired.low
    per_request = tuple(_per_request(c) for c in costs)
    cost_ratio = (
        per_request[0] / per_request[1]
        if per_request[0] is not None and per_request[1]  # neither unknown nor zero
        else None
    )
    monthly = tuple(c.monthly if c is not None else None for c in costs)
    monthly_difference = requests = None
    if monthly[0] is not None and monthly[1] is not None:
        monthly_difference = monthly[0].total.value - monthly[1].total.value
        requests = monthly[0].requests_per_month
    trade = TradeOff(
        better=better,
        other=other,
        difference=difference,
        low=low,
        high=high,
        separable=pair.verdict != CANNOT_SEPARATE,
        n=paired.n,
        cost_ratio=cost_ratio,
        monthly_difference_usd=monthly_difference,
        requests_per_month=requests,
        sentence="",
    )
    sentence = (
        _separable_sentence(trade, per_request)
        if trade.separable
        else _tie_sentence(trade, per_request)
    )
    return replace(trade, sentence=sentence)


def _separable_sentence(trade: TradeOff, per_request: tuple[float | None, ...]) -> str:
    """'B is 9 points better (95% CI 2 to 16) for 3.1x the cost: +$4,100 a month at …'."""
    head = (
        f"{trade.better} is {_points(trade.difference)} better"
        f" (95% CI {_whole(trade.low)} to {_whole(trade.high)})"
    )
    mine, theirs = per_request
    if mine is None or theirs is None:
        return head + "; " + _unknown(trade, per_request)
    if mine == theirs:
        return head + f" at the same cost, {dollars(mine)} a request"
    if trade.cost_ratio is None:  # the other costs nothing
        return head + f" at {dollars(mine)} a request against {dollars(theirs)}"
    return (
        head
        + f" for {ratio(trade.cost_ratio)} the cost"
        + _monthly(trade.monthly_difference_usd, trade)
    )


def _tie_sentence(trade: TradeOff, per_request: tuple[float | None, ...]) -> str:
    """'A and B cannot be separated with n=50 (B −2 points, 95% CI −12 to 8); A is cheaper: …'.

    Named cheaper first, since then the question is whether the dearer one is worth it.
    """
    mine, theirs = per_request
    cheaper_first = mine is not None and theirs is not None and theirs < mine
    if cheaper_first:
        first, second = trade.other, trade.better
        difference, low, high = trade.difference, trade.low, trade.high
        costs: tuple[float | None, float | None] = (theirs, mine)
    else:
        first, second = trade.better, trade.other
        difference, low, high = -trade.difference, -trade.high, -trade.low
        costs = (mine, theirs)
    head = (
        f"{first} and {second} cannot be separated with n={trade.n}"
        f" ({second} {_signed_points(difference)}, 95% CI {_whole(low)} to {_whole(high)})"
    )
    cheap, dear = costs
    if cheap is None or dear is None:
        return head + "; " + _unknown(trade, per_request)
    if cheap == dear:
        return head + f"; they cost the same, {dollars(cheap)} a request"
    monthly = trade.monthly_difference_usd
    if monthly is not None and cheaper_first:
        monthly = -monthly  # the field is better − other; the sentence says first − second
    # dear > cheap ≥ 0 here, so the ratio is defined.
    return (
        head
        + f"; {first} is cheaper: {ratio(cheap / dear)} the cost"
        + _monthly(monthly, trade, ",")
    )


def _monthly(difference: float | None, trade: TradeOff, joiner: str = ":") -> str:
    if difference is None or trade.requests_per_month is None:
        return ""
    return (
        f"{joiner} {dollars(difference, signed=True)} a month"
        f" at {trade.requests_per_month:,} requests"
    )


def _unknown(trade: TradeOff, per_request: tuple[float | None, ...]) -> str:
    missing = [
        name for name, c in zip((trade.better, trade.other), per_request, strict=True) if c is None
    ]
    return f"cost unknown (no price for {' or '.join(missing)})"


def _per_request(cost: CandidateCost | None) -> float | None:
    return None if cost is None or cost.per_request is None else cost.per_request.value


def _not_dearer(theirs: float | None, mine: float | None) -> bool:
    """Whether `theirs` costs no more than `mine`; an unknown cost settles nothing."""
    return theirs is None or mine is None or theirs <= mine


def _costs(cost: RunCost) -> dict[str, float | None]:
    return {c.candidate_id: _per_request(c) for c in cost.candidates}


def _better(pairs: Sequence[CandidatePair]) -> set[tuple[str, str]]:
    """(winner, loser) for every pair the paired test separates."""
    found = set()
    for pair in pairs:
        if pair.verdict == "a better":
            found.add((pair.a, pair.b))
        elif pair.verdict == "b better":
            found.add((pair.b, pair.a))
    return found


def _whole(fraction: float) -> str:
    """A fraction as whole percentage points, with a true minus sign: 16, −12."""
    return f"{round(100 * fraction):d}".replace("-", "−")


def _points(fraction: float) -> str:
    whole = _whole(fraction)
    return f"{whole} point" if whole in ("1", "−1") else f"{whole} points"


def _signed_points(fraction: float) -> str:
    whole = round(100 * fraction)
    sign = "+" if whole > 0 else "−" if whole < 0 else "±"
    return f"{sign}{abs(whole)} point" + ("" if abs(whole) == 1 else "s")
