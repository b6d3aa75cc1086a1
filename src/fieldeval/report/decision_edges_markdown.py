"""The decision report's edge-case section in Markdown: rates per generator, the worst replies.

Dataset text, model output and the judge's reasons go through `untrusted`, as everywhere
in the Markdown report.
"""

from __future__ import annotations

from fieldeval.edges.rates import ALL, EdgeReport, EdgeRow
from fieldeval.report.markdown_text import plain, rate_cell, table, untrusted
from fieldeval.stats.intervals import Rate

MAX_WORST = 8
_HEADERS = (
    "Candidate",
    "Generator",
    "Expects",
    "Correct [95%]",
    "Graceful [95%]",
    "Catastrophic [95%]",
    "Ungraded",
    "Clean pass [95%]",
    "Clean refused [95%]",
)


def edges_markdown(report: EdgeReport) -> list[str]:
    """The section's parts: a sentence, the table, what is not measured, the worst replies."""
    parts = [
        "## Edge cases",
        f"{report.variants} variants of {report.seeds} clean examples, each graded against"
        " its clean original's reply: correct, graceful (asks, abstains, declines) or"
        " catastrophic. Rates are over the graded replies; beside them, the same candidate"
        " on the clean originals.",
        table(_HEADERS, [_row(row) for row in _ordered(report)], right=(3, 4, 5, 6, 7, 8)),
    ]
    if report.warnings:
        parts.append("\n".join(f"- **Judge**: {plain(w)}." for w in report.warnings))
    if report.notes:
        parts.append("\n".join(f"- **Not measured**: {plain(note)}" for note in report.notes))
    if report.worst:
        parts.append("### Catastrophic replies to read first")
        lines = []
        for e in report.worst[:MAX_WORST]:
            lines.append(
                f"- **{plain(e.kind)}**: {plain(e.candidate_id)} on {plain(e.example_id)}"
                f" ({plain(e.generator)}, decided by {plain(e.oracle)}): {untrusted(e.reason)}"
                f"\n  - input: {untrusted(e.input)}\n  - output: {untrusted(e.output)}"
            )
        parts.append("\n".join(lines))
    return parts


def _ordered(report: EdgeReport) -> list[EdgeRow]:
    rows: list[EdgeRow] = []
    for total in report.totals:
        rows += [*report.rows_of(total.candidate_id), total]
    return rows


def _row(row: EdgeRow) -> list[str]:
    total = row.generator == ALL
    generator = "**all**" if total else plain(row.generator)
    ungraded = str(row.ungraded) + (f" ({row.errors} errors)" if row.errors else "")
    return [
        plain(row.candidate_id),
        generator,
        plain(row.expect.replace("_", " ")),
        rate_cell(row.correct),
        rate_cell(row.graceful),
        rate_cell(row.catastrophic),
        ungraded,
        rate_cell(row.clean_pass),
        _maybe(row.over_refusal),
    ]


def _maybe(rate: Rate | None) -> str:
    return "not checked" if rate is None else rate_cell(rate)
