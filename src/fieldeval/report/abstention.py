"""The abstention view: per candidate, how often it answers, how good its answers are, how
often it is confidently wrong and how often it refuses what it could answer, as a terminal
table and a Markdown section (rows are the measures, columns the candidates), how each output
was read, and the agreement with a person's labels."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.abstention.agreement import HandAgreement
from fieldeval.abstention.outcomes import OUTCOMES
from fieldeval.abstention.rates import AbstentionRates, AbstentionReport
from fieldeval.report.abstention_text import CAPTION, MEASURES, note, risk_text
from fieldeval.report.markdown_text import plain, rate_cell, table
from fieldeval.stats.intervals import Rate


def _cells(
    report: AbstentionReport, measure: Callable[[AbstentionRates], Rate | None]
) -> list[str]:
    cells = []
    for rates in report.candidates:
        rate = measure(rates)
        cells.append("–" if rate is None else rate_cell(rate))
    return cells


def abstention_rows(report: AbstentionReport) -> list[list[str]]:
    """One row per measure that some candidate has: its name, then each candidate's cell."""
    rows = [[name, *_cells(report, measure)] for name, measure in MEASURES]
    if any(r.stated_confidence for r in report.candidates):
        rows.append(
            [
                "risk–coverage (by stated confidence)",
                *(risk_text(r.risk_coverage, r.stated_confidence) for r in report.candidates),
            ]
        )
    return [row for row in rows if any(cell != "–" for cell in row[1:])]


def render_abstention(report: AbstentionReport, console: Console) -> None:
    shown = Table(title="answers and abstentions", title_justify="left")
    shown.add_column("measure")
    for rates in report.candidates:
        shown.add_column(Text(rates.candidate_id), justify="right")
    for row in abstention_rows(report):
        shown.add_row(*row)
    console.print(shown)
    console.print(Text(note(report), style="dim"))
    console.print(Text(CAPTION, style="dim"))


def abstention_markdown(report: AbstentionReport) -> str:
    """The report's "Answers and abstentions" section body."""
    headers = ["Measure", *(plain(r.candidate_id) for r in report.candidates)]
    rows = [[plain(row[0]), *row[1:]] for row in abstention_rows(report)]
    body = table(headers, rows, right=range(1, len(headers)))
    return f"{plain(note(report))}\n\n{body}\n\n{plain(CAPTION)}"


def render_outputs(report: AbstentionReport, console: Console) -> None:
    """How each output was read, and why: the evidence behind every count."""
    shown = Table(title="how each output was read", title_justify="left")
    for name in ("output", "outcome", "by", "result", "confidence", "why"):
        shown.add_column(name, overflow="fold")
    for item in report.outputs:
        confidence = "" if item.confidence is None else f"{item.confidence:.2f}"
        shown.add_row(
            Text(item.key.ref),
            item.outcome,
            item.decided_by,
            item.result,
            confidence,
            Text(item.reason),  # may quote the output: never read as markup
        )
    console.print(shown)


def render_agreement(found: HandAgreement, console: Console, *, source: str) -> None:
    """fieldeval's reading against a person's labels: agreement, kappa, where they differ."""
    kappa = "undefined" if found.kappa is None else f"{found.kappa:.2f}"
    console.print(
        Text(
            f"against {source}: the same outcome on {rate_cell(found.agreed)} of the labelled "
            f"outputs; Cohen's kappa {kappa}"
        )
    )
    table_ = Table(title="person (rows) against fieldeval (columns)", title_justify="left")
    table_.add_column("person")
    for outcome in OUTCOMES:
        table_.add_column(outcome, justify="right")
    for person in OUTCOMES:
        table_.add_row(person, *(str(found.table.get((person, read), 0)) for read in OUTCOMES))
    console.print(table_)
    for miss in found.disagreements:
        console.print(
            Text(
                f"{miss.key.ref}: the person says {miss.person}, fieldeval {miss.read.outcome}"
                f" ({miss.read.decided_by}: {miss.read.reason})"
            )
        )
    if found.unmatched:
        listed = ", ".join(key.ref for key in found.unmatched[:10])
        console.print(
            Text(f"{len(found.unmatched)} labelled outputs are not answered in the run: {listed}")
        )
