"""The rubric as terminal tables: pass rates per criterion, agreement between people, the judge."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.judge.calibration import Calibration
from fieldeval.judge.corrected import CorrectedRate
from fieldeval.notation import p_value, percent, percent_up, points_interval
from fieldeval.report.markdown_text import rate_cell
from fieldeval.results.rubric import CriterionResult, SideBySide
from fieldeval.stats.agreement import Agreement, Estimate
from fieldeval.stats.intervals import Proportion, Rate
from fieldeval.stats.stratified import stratified_difference


def rate_text(rate: Proportion) -> str:
    """`40% [22–61%] (10/25)`: a rate, its 95% interval, and its n.

    With repeats, `40% [22–61%] (of 25 examples)`; with one example, no interval."""
    return "– (0 graded)" if rate.n == 0 else rate_cell(rate)


def none_seen_text(rate: Proportion, bound: float) -> str:
    """`0/25 (≤ 12%)`: none seen, and the one-sided 95% upper bound, rounded up."""
    seen = f"0/{rate.n}" if isinstance(rate, Rate) else f"0 of {rate.n} examples"
    return f"{seen} (≤ {percent_up(bound)})"


def estimate_text(estimate: Estimate | None, digits: int = 2) -> str:
    if estimate is None or estimate.value is None:
        return "–"
    if estimate.low is None or estimate.high is None:
        return f"{estimate.value:.{digits}f} (no interval)"
    return f"{estimate.value:.{digits}f} [{estimate.low:.{digits}f}, {estimate.high:.{digits}f}]"


def render_rubric(
    results: Sequence[CriterionResult], console: Console, warnings: Sequence[str] = ()
) -> None:
    """Per criterion and candidate: the pass rate people gave, and the judge's; then what
    makes the judge's rates unsafe to read as they stand."""
    if not results:
        return
    table = Table(
        title="rubric (pass rate [95% Wilson] (passes/graded))",
        title_justify="left",
        caption="people: the settled grade, else the majority of graders; n/a left out.",
        caption_justify="left",
    )
    table.add_column("criterion")
    table.add_column("candidate")
    table.add_column("people", justify="right", no_wrap=True)
    table.add_column("judge", justify="right", no_wrap=True)
    rows: dict[tuple[str, str], dict[str, CriterionResult]] = {}
    for result in results:
        rows.setdefault((result.criterion_id, result.candidate_id), {})[result.source] = result
    for (criterion_id, candidate_id), by_source in rows.items():
        cells = [
            rate_text(by_source[source].rate) if source in by_source else "not graded"
            for source in ("people", "judge")
        ]
        table.add_row(Text(criterion_id), Text(candidate_id), *cells)
    console.print(table)
    for warning in warnings:
        console.print(Text(f"⚠ {warning}"), style="yellow")


def _reliability(agreement: Agreement) -> str:
    alpha = agreement.krippendorff_alpha.value
    if agreement.n_units == 0:
        return "no output graded twice yet"
    if alpha is None:
        return "undefined (no variation)"
    if alpha >= 0.8:
        return "reliable (α ≥ 0.80)"
    if alpha >= 0.667:
        return "tentative (0.667 ≤ α < 0.80)"
    return "unreliable: sharpen the question"


def render_agreement(agreements: Sequence[Agreement], console: Console) -> None:
    table = Table(
        title="agreement between graders, per criterion",
        title_justify="left",
        caption="on outputs graded by two or more people; [95% bootstrap over outputs]. "
        "κ: Cohen (two graders; quadratic weights on a scale); α: Krippendorff; "
        "AC1: Gwet (robust when nearly all pass).",
        caption_justify="left",
    )
    table.add_column("criterion")
    table.add_column("graders", justify="right")
    table.add_column("outputs", justify="right")
    table.add_column("agree", justify="right", no_wrap=True)
    table.add_column("κ", justify="right", no_wrap=True)
    table.add_column("α", justify="right", no_wrap=True)
    table.add_column("AC1", justify="right", no_wrap=True)
    table.add_column("pass share", justify="right")
    table.add_column("reading")
    for agreement in agreements:
        table.add_row(
            Text(agreement.criterion_id),
            str(len(agreement.graders)),
            str(agreement.n_units),
            estimate_text(agreement.percent),
            estimate_text(agreement.cohen_kappa),
            estimate_text(agreement.krippendorff_alpha),
            estimate_text(agreement.gwet_ac1),
            percent(agreement.prevalence),
            _reliability(agreement),
        )
    console.print(table)


def render_calibration(calibrations: Sequence[Calibration], console: Console) -> None:
    if not calibrations:
        console.print("no criterion is graded by the judge (judge: false on every one)")
        return
    table = Table(
        title="the judge against people (pass is the positive class)",
        title_justify="left",
        caption="TPR: judge passes among outputs people passed; TNR: judge fails among outputs "
        "people failed [95% Wilson]; McNemar exact p on lenient vs harsh disagreements.",
        caption_justify="left",
    )
    table.add_column("criterion")
    table.add_column("n", justify="right")
    table.add_column("TPR", justify="right", no_wrap=True)
    table.add_column("TNR", justify="right", no_wrap=True)
    table.add_column("κ", justify="right", no_wrap=True)
    table.add_column("lenient / harsh", justify="right")
    table.add_column("McNemar p", justify="right")
    table.add_column("stands in", justify="center")
    for calibration in calibrations:
        table.add_row(
            Text(calibration.criterion_id),
            str(calibration.n),
            rate_text(calibration.tpr),
            rate_text(calibration.tnr),
            estimate_text(calibration.kappa),
            f"{calibration.false_pass} / {calibration.false_fail}",
            p_value(calibration.mcnemar_p),
            "[green]yes[/]" if calibration.stands_in else "[red]no[/]",
        )
    console.print(table)
    for calibration in calibrations:
        console.print(Text.assemble((f"{calibration.criterion_id}: ", "bold"), calibration.verdict))
    corrected = [rate for calibration in calibrations for rate in calibration.corrected]
    if corrected:
        render_corrected(corrected, console)


def render_corrected(rates: Sequence[CorrectedRate], console: Console) -> None:
    """Per criterion and candidate: the judge's pass rate, and the one people's grades imply."""
    table = Table(
        title="pass rate corrected by people's grades (judge-corrected, [95%])",
        title_justify="left",
        caption="the judge's verdicts split the outputs in two; people's grades in each part "
        "say how often the judge is right there (stratified estimate, Jeffreys + MOVER; "
        "docs/grading.md). people graded: of the outputs the judge passed / failed.",
        caption_justify="left",
    )
    table.add_column("criterion")
    table.add_column("candidate")
    table.add_column("judge", justify="right", no_wrap=True)
    table.add_column("people graded", justify="right", no_wrap=True)
    table.add_column("corrected", justify="right", no_wrap=True)
    for rate in rates:
        stratified = rate.rate
        graded = (
            f"{stratified.passed.graded}/{stratified.passed.units} · "
            f"{stratified.failed.graded}/{stratified.failed.units}"
        )
        table.add_row(
            Text(rate.criterion_id),
            Text(rate.candidate_id),
            percent(rate.judge_rate),
            graded,
            _corrected_text(rate),
        )
    console.print(table)
    for first, second in itertools.combinations(rates, 2):
        if first.criterion_id != second.criterion_id:
            continue
        difference = stratified_difference(first.rate, second.rate)
        if difference.value is None or difference.low is None or difference.high is None:
            continue
        console.print(
            Text(
                f"{first.criterion_id}: {first.candidate_id} − {second.candidate_id} "
                f"{points_interval(difference.value, difference.low, difference.high)} points "
                "(judge-corrected, 95%; the two taken as independent, which errs wide)"
            )
        )


def _corrected_text(rate: CorrectedRate) -> str:
    stratified = rate.rate
    if stratified.value is None or stratified.low is None or stratified.high is None:
        return f"– (grade {rate.missing})"
    return f"{percent(stratified.value)} [{percent(stratified.low)}–{percent(stratified.high)}]"


def render_side_by_side(results: Sequence[SideBySide], console: Console) -> None:
    """Win rates per pair of candidates, and a test of whether the left side was favoured."""
    if not results:
        return
    table = Table(
        title="side by side (win rate = mean over examples of (wins + ½ ties) / choices [95%])",
        title_justify="left",
        caption="n: examples; an example's choices (both orders, several graders) are one "
        "unit, won, tied or lost by their majority. sign p: exact sign test on the examples "
        "won and lost. left chosen: share of non-tie choices that went to the side shown on "
        "the left (or first, to the judge), with the exact binomial p against 50%.",
        caption_justify="left",
    )
    table.add_column("criterion")
    table.add_column("by")
    table.add_column("pair")
    table.add_column("n", justify="right")
    table.add_column("wins / ties / losses", justify="right")
    table.add_column("win rate", justify="right", no_wrap=True)
    table.add_column("sign p", justify="right")
    table.add_column("left chosen", justify="right", no_wrap=True)
    for result in results:
        left, p = result.position.left_chosen, result.position.p
        position = "–" if p is None else f"{rate_text(left)} p={p_value(p)}"
        for pair in result.pairs:
            rate = (
                "–"
                if pair.win_rate is None
                else f"{percent(pair.win_rate)} [{percent(pair.win_rate_low)}–"
                f"{percent(pair.win_rate_high)}]"
            )
            table.add_row(
                Text(result.criterion_id),
                result.source,
                Text(f"{pair.first} vs {pair.second}"),
                str(pair.n),
                f"{pair.first_wins} / {pair.ties} / {pair.second_wins}",
                rate,
                "–" if pair.sign_p is None else p_value(pair.sign_p),
                position,
            )
    console.print(table)
