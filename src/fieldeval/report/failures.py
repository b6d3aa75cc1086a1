"""The failure analysis as terminal tables: per candidate, systematic or random, what to read."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.failures.rates import CandidateFailures
from fieldeval.failures.report import FailureReport
from fieldeval.notation import p_value
from fieldeval.report.rubric import estimate_text, none_seen_text, rate_text

MAX_SLICE_ROWS = 15


def render_failure_report(report: FailureReport, console: Console) -> None:
    """Per candidate, then per mode's verdict and the slices behind it, then what to read first."""
    if not report.outputs:
        console.print("no answered outputs to analyse")
        return
    console.print(_modes_table(report))
    console.print(_severity_table(report))
    _render_verdicts(report, console)
    _render_slices(report, console)
    _render_look_first(report, console)


def _modes_table(report: FailureReport) -> Table:
    table = Table(
        title="failure modes per candidate (examples with the mode [95% interval] (k/n))",
        title_justify="left",
        caption="intervals are Wilson's; with repeats, of the mean of each example's share "
        "of repeats. With none seen, ≤ is the one-sided 95% upper bound n examples allow: "
        "1 − 0.05^(1/n), rounded up.",
        caption_justify="left",
    )
    table.add_column("mode")
    table.add_column("severity")
    for candidate in report.candidates:
        table.add_column(Text(candidate.candidate_id), justify="right", no_wrap=True)
    for position, mode in enumerate(report.modes):
        cells = []
        for candidate in report.candidates:
            rate = candidate.modes[position]
            if rate.upper_bound is not None:
                cells.append(none_seen_text(rate.rate, rate.upper_bound))
            else:
                cells.append(rate_text(rate.rate))
        table.add_row(Text(mode.id), mode.severity, *cells)
    return table


def _severity_table(report: FailureReport) -> Table:
    weights = ", ".join(f"{name} {weight:g}" for name, weight in report.weights.items() if weight)
    table = Table(
        title="how badly each candidate fails",
        title_justify="left",
        caption=f"weighted = mean over outputs of the weight of its worst failure ({weights}), "
        "[95% bootstrap over examples]. The other rows are over examples. graceful: worst "
        "failure cosmetic or minor; serious: major; catastrophic: critical. ≤: with none "
        "seen, the one-sided 95% upper bound, rounded up.",
        caption_justify="left",
    )
    # One column per candidate, as in the modes table: the rows stay readable when narrow.
    table.add_column("", no_wrap=True)
    for candidate in report.candidates:
        table.add_column(Text(candidate.candidate_id), justify="right", no_wrap=True)
    rows: list[tuple[str, list[str]]] = [
        ("examples", [str(c.n) for c in report.candidates]),
        *(
            [("outputs", [str(c.outputs) for c in report.candidates])]
            if any(c.outputs != c.n for c in report.candidates)
            else []
        ),
        ("any failure", [rate_text(c.failed) for c in report.candidates]),
        ("weighted", [estimate_text(c.weighted) for c in report.candidates]),
        ("graceful", [rate_text(c.graceful) for c in report.candidates]),
        ("serious", [rate_text(c.serious) for c in report.candidates]),
        ("catastrophic", [_catastrophic(c) for c in report.candidates]),
    ]
    for label, cells in rows:
        table.add_row(label, *cells)
    return table


def _catastrophic(candidate: CandidateFailures) -> str:
    if candidate.critical_upper_bound is not None:
        return none_seen_text(candidate.catastrophic, candidate.critical_upper_bound)
    return rate_text(candidate.catastrophic)


def _render_verdicts(report: FailureReport, console: Console) -> None:
    console.print("systematic or random, per failure mode:", style="bold")
    for verdict in report.systematic.verdicts:
        style = {"systematic": "bold red", "random": "green", "not seen": "dim"}[verdict.label]
        line = Text.assemble(("  " + verdict.mode_id + ": ", "bold"), (verdict.label, style))
        console.print(line)
        for reason in verdict.reasons:
            console.print(Text("    " + reason))


def _render_slices(report: FailureReport, console: Console) -> None:
    tests = sorted((t for t in report.systematic.slices if t.significant), key=lambda t: (t.q, t.p))
    if not tests:
        return
    table = Table(
        title="slices where a mode concentrates (Fisher exact, Benjamini–Hochberg q ≤ 0.10)",
        title_justify="left",
        caption="exploratory: fewer than 10 outputs in or out of the slice; a lead to check, "
        "not a finding.",
        caption_justify="left",
    )
    for name in ("mode", "candidate", "slice", "in slice", "elsewhere", "risk ratio", "q", ""):
        table.add_column(name, justify="right" if name in ("q", "risk ratio") else "left")
    for test in tests[:MAX_SLICE_ROWS]:
        ratio = "–"
        if test.risk_ratio is not None and test.rr_low is not None and test.rr_high is not None:
            ratio = f"{test.risk_ratio:.2g} [{test.rr_low:.2g}, {test.rr_high:.2g}]"
        table.add_row(
            Text(test.mode_id),
            Text(test.candidate_id or "all"),
            Text(f"{test.slice_name} = {test.slice_value}"),
            f"{test.failures_in}/{test.n_in}",
            f"{test.failures_out}/{test.n_out}",
            ratio,
            p_value(test.q),
            "exploratory" if test.exploratory else "",
        )
    console.print(table)


def _render_look_first(report: FailureReport, console: Console) -> None:
    everyone = len(report.systematic.all_fail)
    examples = len({output.example_id for output in report.outputs})
    if everyone > examples / 2:
        console.print(
            f"every candidate fails {everyone} of {examples} examples: the candidates, not "
            "the examples, are the problem"
        )
    if not report.look_first:
        return
    console.print("look at these first:", style="bold")
    for item in report.look_first:
        where = f"{item.candidate_id} on {item.example_id}"
        if report.run.repeats > 1:
            where += f" (repeat {item.repeat})"
        console.print(Text(f"  {where}: {item.reason}"))
