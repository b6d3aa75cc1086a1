"""The abstention view's words, shared by the terminal, the reports and the web app: the
measures in the order shown, the caption, the note on how outputs were read, and the
risk–coverage summary. No drawing here: the web app imports it without rich."""

from __future__ import annotations

from collections.abc import Callable

from fieldeval.abstention.rates import AbstentionRates, AbstentionReport, RiskCoverage
from fieldeval.report.markdown_text import rate_cell
from fieldeval.stats.intervals import Rate

CAPTION = (
    "rates [95% Wilson] (of examples); the example is the unit: its result is the one most of "
    "its repeats got. Answered, abstained (says it does not know, asks, declines) and broke "
    "format share the examples; right when answering is of the answers; confidently wrong is "
    "answered and wrong, of all examples; over-abstention is of the examples that have an "
    "answer. Formulas: docs/metrics.md, Abstention."
)

MEASURES: tuple[tuple[str, Callable[[AbstentionRates], Rate | None]], ...] = (
    ("answered", lambda r: r.answered),
    ("abstained", lambda r: r.abstained),
    ("broke format", lambda r: r.broke_format),
    ("right when answering", lambda r: r.right_when_answering),
    ("confidently wrong", lambda r: r.confidently_wrong),
    ("over-abstention (has an answer)", lambda r: r.over_abstention),
    ("answered the unanswerable", lambda r: r.answered_unanswerable),
)


def note(report: AbstentionReport) -> str:
    """How the outputs were read, in one sentence."""
    decided = report.decided_by
    parts = [f"{decided.get('rule', 0)} by rule"]
    if report.judged:
        parts.append(f"{decided.get('judge', 0)} by the judge")
    parts.append(f"{decided.get('format', 0)} by format")
    unanswerable = (
        f"{report.unanswerable} of {report.examples} examples have no answer in their input"
        if report.unanswerable
        else "every example has an answer (mark those that do not with abstention.answerable)"
    )
    judge = (
        ""
        if report.judged
        else "; the judge was not asked (abstention.judge: true and a judge: let it read them)"
    )
    return f"outputs that did not answer, found {', '.join(parts)}{judge}; {unanswerable}"


def risk_text(found: RiskCoverage | None, stated: int) -> str:
    if found is None:
        return f"– (confidence stated on {stated})" if stated else "– (no confidence stated)"
    full = found.points[-1]
    halfway = found.at_coverage(full.coverage / 2)
    half = (
        f"; answering only at confidence ≥ {halfway.threshold:.2f} ({halfway.coverage:.0%} of"
        f" examples): risk {rate_cell(halfway.risk)}"
        if halfway is not None and halfway is not full
        else ""
    )
    return f"AURC {found.aurc:.2f}; all answers: risk {rate_cell(full.risk)}{half}"
