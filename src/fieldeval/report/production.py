"""The production estimate: each rate weighted to production traffic, beside the eval set's own."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.notation import percent, points_interval
from fieldeval.production.estimates import ProductionEstimates
from fieldeval.report.markdown_text import table, untrusted
from fieldeval.stats.survey import WeightedRate

CAPTION = (
    "estimated production pass rate = the eval set's results weighted by the production calls"
    " each example stands for (its calls / its inclusion probability), [95% interval: stratum"
    " Jeffreys intervals combined by MOVER]; eval-set rate: unweighted. docs/production.md"
)


def weighted_text(rate: WeightedRate) -> str:
    """`81% [74–87%]`."""
    return f"{percent(rate.value)} [{100 * rate.low:.0f}–{percent(rate.high)}]"


def estimate_sentence(estimates: ProductionEstimates, candidate_id: str) -> str | None:
    """ "estimated production pass rate 81% [74–87%] (weighted; eval-set rate 72%)"."""
    found = estimates.of(candidate_id)
    if found is None:
        return None
    return (
        f"estimated production pass rate {weighted_text(found.weighted)}"
        f" (weighted; eval-set rate {percent(found.plain)})"
    )


def render_production(estimates: ProductionEstimates, console: Console) -> None:
    shown = Table(
        title=(
            f"weighted to production: {estimates.examples} examples from {estimates.strata}"
            f" strata, standing for {estimates.calls:,.0f} calls"
        ),
        title_justify="left",
        caption=CAPTION,
        caption_justify="left",
    )
    shown.add_column("candidate")
    shown.add_column("estimated production pass rate", justify="right")
    shown.add_column("eval-set rate", justify="right")
    shown.add_column("examples", justify="right")
    for candidate in estimates.candidates:
        shown.add_row(
            Text(candidate.candidate_id),
            Text(weighted_text(candidate.weighted), style="bold"),
            percent(candidate.plain),
            str(candidate.weighted.n),
        )
    console.print(shown)
    checks = [
        (c, name, rate)
        for c in estimates.candidates
        for name, rate in {**c.checks, **c.criteria}.items()
    ]
    if len({check for _, check, _ in checks}) > 1:
        per_check = Table(
            "candidate", "check or criterion", "estimated production pass rate", "examples"
        )
        for candidate, check, rate in checks:
            per_check.add_row(
                Text(candidate.candidate_id), Text(check), weighted_text(rate), str(rate.n)
            )
        console.print(per_check)
    for pair in estimates.pairs:
        d = pair.difference
        if not d.has_interval:
            continue
        console.print(
            Text(
                f"{pair.a} − {pair.b}, weighted to production, paired on {d.n} examples:"
                f" {points_interval(d.value, d.low, d.high)} points"
            ),
            soft_wrap=True,
        )


def production_markdown(estimates: ProductionEstimates) -> str:
    """The report's "Production estimate" section body."""
    rows = [
        [
            untrusted(c.candidate_id),
            weighted_text(c.weighted),
            percent(c.plain),
            str(c.weighted.n),
        ]
        for c in estimates.candidates
    ]
    parts = [
        f"{estimates.examples} examples from {estimates.strata} strata, standing for"
        f" {estimates.calls:,.0f} production calls.",
        "",
        table(
            ["candidate", "estimated production pass rate", "eval-set rate", "examples"],
            rows,
            right=[1, 2, 3],
        ),
    ]
    named = [
        [untrusted(c.candidate_id), untrusted(name), weighted_text(rate), str(rate.n)]
        for c in estimates.candidates
        for name, rate in {**c.checks, **c.criteria}.items()
    ]
    if named:
        parts += [
            "",
            table(["candidate", "check or criterion", "estimated production pass rate",
                   "examples"], named, right=[3]),
        ]  # fmt: skip
    for pair in estimates.pairs:
        d = pair.difference
        if d.has_interval:
            parts.append(
                f"\n{untrusted(pair.a)} − {untrusted(pair.b)}, weighted, paired on {d.n} examples:"
                f" {points_interval(d.value, d.low, d.high)} points."
            )
    parts.append(f"\n{CAPTION}")
    return "\n".join(parts)
