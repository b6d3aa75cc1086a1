"""A run's cost report as terminal tables: spend, quality against cost, public rankings."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.cost.intervals import Interval
from fieldeval.cost.leaderboard import RankComparison
from fieldeval.cost.pareto import ParetoPoint
from fieldeval.cost.report import CostReport
from fieldeval.cost.spend import CandidateCost, MonthlyProjection
from fieldeval.notation import dollars, points_interval
from fieldeval.report.rubric import rate_text


def render_cost_report(report: CostReport, console: Console) -> None:
    """The cost table, the run's totals, the trade-offs in words, then each leaderboard."""
    console.print(_cost_table(report))
    _render_totals(report, console)
    _render_trade_offs(report, console)
    for comparison in report.rankings:
        _render_ranking(comparison, console)


def _cost_table(report: CostReport) -> Table:
    volume = report.volume
    monthly = (
        f" monthly = V·(1+r)·ĉ + V·s·ĉ_judge + fixed, V = {volume.requests_per_month:,}"
        f" requests, s = {volume.judged_share:g}, fixed = {dollars(volume.fixed_monthly_usd)}."
        if volume is not None
        else " no `volume:` in the suite: no monthly projection."
    )
    table = Table(
        title=f"cost of run {report.run.id} (US dollars)",
        title_justify="left",
        caption="per request: mean over answered outputs, [95% bootstrap over examples];"
        " per success: spend / passing outputs; errors are assumed unbilled; ~: some"
        " token counts estimated by the client; retries: extra attempts per request." + monthly,
        caption_justify="left",
    )
    table.add_column("", no_wrap=True)
    for candidate in report.cost.candidates:
        table.add_column(Text(candidate.candidate_id), justify="right")
    points = {point.candidate_id: point for point in report.pareto}
    rates = {c.candidate_id: c.quality for c in report.summary.candidates}
    costs = report.cost.candidates
    rows: list[tuple[str, list[str]]] = [
        ("price", [c.price.describe() if c.price else "no price" for c in costs]),
        ("outputs", [_outputs(c) for c in costs]),
        ("pass rate", [rate_text(rates[c.candidate_id]) for c in costs]),
        ("spend", [_spend(c) for c in costs]),
        ("per request", [_interval(c.per_request, c.estimated) for c in costs]),
        ("p50 / p95", [_quantiles(c) for c in costs]),
        ("per success", [_per_success(c) for c in costs]),
        ("retries", [f"{c.retry_rate:.2f}" for c in costs]),
        ("judge", [_judge(c) for c in costs]),
    ]
    if volume is not None:
        rows.append(("monthly", [_monthly(c.monthly) for c in costs]))
        if volume.low is not None or volume.high is not None:
            rows.append(("scenarios", [_scenarios(c.monthly) for c in costs]))
    rows.append(("frontier", [_frontier(points.get(c.candidate_id)) for c in costs]))
    for label, cells in rows:
        table.add_row(label, *(Text(cell) for cell in cells))
    return table


def _outputs(cost: CandidateCost) -> str:
    text = f"{cost.answered} answered of {cost.outputs}"
    if cost.price is not None and cost.priced < cost.answered:
        text += f", {cost.priced} priced"
    return text


def _spend(cost: CandidateCost) -> str:
    if cost.total_usd is None:
        return "unknown" if cost.price is not None else "–"
    text = ("~" if cost.estimated else "") + dollars(cost.total_usd)
    if cost.cached:
        text += f" ({cost.cached} from the cache, paid before)"
    return text


def _interval(interval: Interval | None, estimated: bool = False) -> str:
    if interval is None:
        return "–"
    mark = "~" if estimated else ""
    if not interval.varies:
        return mark + _bounds(interval)
    return f"{mark}{_bounds(interval)} (n={interval.n})"


def _bounds(interval: Interval) -> str:
    if not interval.varies:
        return f"{dollars(interval.value, figures=3)} (the same on all {interval.n}: no interval)"
    # Three figures, not the sentences' two: a narrow interval would read [$290, $290].
    value, low, high = (
        dollars(v, figures=3) for v in (interval.value, interval.low, interval.high)
    )
    return f"{value} [{low}, {high}]"


def _quantiles(cost: CandidateCost) -> str:
    if cost.per_request_p50 is None or cost.per_request_p95 is None:
        return "–"
    return f"{dollars(cost.per_request_p50)} / {dollars(cost.per_request_p95)}"


def _per_success(cost: CandidateCost) -> str:
    if cost.per_success is None:
        return "no pass" if cost.per_request is not None else "–"
    return _interval(cost.per_success, cost.estimated)


def _judge(cost: CandidateCost) -> str:
    if cost.judged_outputs == 0:
        return "–"
    if cost.judge_usd is None or cost.judge_per_output is None:
        return f"unknown ({cost.judged_outputs} judged, no judge price)"
    return (
        f"{dollars(cost.judge_usd)} ({cost.judged_outputs} judged,"
        f" {dollars(cost.judge_per_output)} each)"
    )


def _monthly(monthly: MonthlyProjection | None) -> str:
    if monthly is None:
        return "– (no price)"
    text = _bounds(monthly.total)
    if monthly.judge_usd is None:
        text += " + judge (unknown)"
    return text


def _scenarios(monthly: MonthlyProjection | None) -> str:
    if monthly is None:
        return "–"
    return ", ".join(
        f"{s.name} {s.requests_per_month:,}: {dollars(s.total_usd)}" for s in monthly.scenarios
    )


def _frontier(point: ParetoPoint | None) -> str:
    if point is None:
        return "–"
    text = "on the frontier" if point.frontier else f"dominated by {', '.join(point.dominated_by)}"
    if point.ties:
        text += f"; ties with {', '.join(point.ties)}"
    return text


def _render_totals(report: CostReport, console: Console) -> None:
    cost = report.cost
    judge = "judge: no calls in this run"
    if cost.judge_calls:
        spent = "unknown (no judge price)" if cost.judge_usd is None else dollars(cost.judge_usd)
        judge = f"judge: {spent} over {cost.judge_calls} calls"
        if cost.judge_unattributed_usd:
            judge += (
                f", {dollars(cost.judge_unattributed_usd)} of it on calls no output grade"
                " links to (failed answers, side by side)"
            )
    unpriced = [c.candidate_id for c in cost.candidates if c.total_usd is None]
    total = dollars(cost.total_usd, figures=3) if cost.total_usd is not None else "unknown"
    if unpriced:
        total += f" (no cost known for {', '.join(unpriced)})"
    elif cost.judge_usd is None:
        total += " (no judge price)"
    console.print(Text(f"run total: {total}; {judge}"))
    for point in report.pareto:
        if point.cost is None:
            console.print(
                Text(
                    f"{point.candidate_id} has no price: its place on the frontier is judged"
                    " on quality alone",
                    style="dim",
                )
            )


def _render_trade_offs(report: CostReport, console: Console) -> None:
    if not report.trade_offs:
        return
    console.print("quality against cost (paired, Holm-corrected):", style="bold")
    for trade in report.trade_offs:
        console.print(Text("  " + trade.sentence))


def _render_ranking(comparison: RankComparison, console: Console) -> None:
    board = comparison.leaderboard
    order = "higher is better" if board.higher_is_better else "lower is better"
    table = Table(
        title=f"{board.name} beside this task ({order})",
        title_justify="left",
        caption=board.source,
        caption_justify="left",
    )
    for name in ("candidate", "public score", "public rank", "rank here"):
        table.add_column(name, justify="left" if name == "candidate" else "right")
    for cid in comparison.candidates:
        table.add_row(
            Text(cid),
            f"{board.scores[cid]:g}",
            f"{comparison.public_rank[cid]:g}",
            f"{comparison.own_rank[cid]:g}",
        )
    console.print(table)
    tau, rho = comparison.kendall_tau, comparison.spearman_rho
    console.print(
        Text(
            f"  Kendall τ-b {'–' if tau is None else f'{tau:.2f}'},"
            f" Spearman ρ {'–' if rho is None else f'{rho:.2f}'}"
            f" over {len(comparison.candidates)} candidates"
        )
    )
    for pair in comparison.reversed_pairs:
        verdict = "the data separates them" if pair.separable else "the data cannot separate them"
        console.print(
            Text(
                f"  {board.name} puts {pair.ahead_publicly} ahead; here {pair.ahead_here} is"
                f" {points_interval(pair.difference, pair.low, pair.high)} points"
                f" (paired, n={pair.n}): {verdict}"
            )
        )
