"""The classification view (confusion matrix, per-class precision / recall / F1, macro- and
micro-F1, per slice) as terminal tables and a Markdown section."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.report.markdown_text import plain, rate_cell, table, untrusted
from fieldeval.results.classification import (
    Classification,
    ClassificationReport,
    ClassMetrics,
    SliceClassification,
)
from fieldeval.stats.agreement import Estimate

CAPTION = (
    "rates [95% Wilson] (of examples); F1 = 2·correct/(examples + read as it) [95%: Wilson's, "
    "through the Jaccard index]; macro-F1: their mean, and micro-F1 [95% bootstrap over "
    "examples]; with repeats, an example counts once, as the label most of its outputs read "
    "as. Formulas: docs/metrics.md, Classification."
)


def f1_text(estimate: Estimate) -> str:
    """`0.71 [0.58–0.82]`; `1.00 (no interval)` when every resample agreed; `–` undefined."""
    if estimate.value is None:
        return "–"
    if estimate.low is None or estimate.high is None:
        return f"{estimate.value:.2f} (no interval)"
    return f"{estimate.value:.2f} [{estimate.low:.2f}–{estimate.high:.2f}]"


def headline(found: Classification) -> str:
    return (
        f"accuracy {rate_cell(found.accuracy)} · macro-F1 {f1_text(found.macro_f1)} · "
        f"micro-F1 {f1_text(found.micro_f1)} · unparseable {rate_cell(found.unparseable)}"
    )


def confusions_text(found: Classification) -> str:
    top = found.confusions()
    if not top:
        return "no example was read as another label"
    return "; ".join(f"{ref} read as {pred} ({n})" for ref, pred, n in top)


def render_classification(report: ClassificationReport, console: Console) -> None:
    """Per candidate: the headline rates, the confusion matrix, the per-class table, the
    top confusions; then accuracy and macro-F1 per slice value."""
    console.print(Text(f"classification: {report.note}"))
    for found in report.candidates:
        console.print(Text(f"{found.candidate_id}: {headline(found)}"))
        columns = found.columns
        matrix = Table(
            title=f"{found.candidate_id}: confusion matrix (rows: reference; columns: read as)",
            title_justify="left",
        )
        matrix.add_column("reference", max_width=24)
        for column in columns:
            matrix.add_column(Text(column), justify="right", max_width=20, overflow="fold")
        for label in found.labels:
            matrix.add_row(Text(label), *(str(found.count(label, c)) for c in columns))
        console.print(matrix)
        per_class = Table(
            title=f"{found.candidate_id}: per class",
            title_justify="left",
        )
        per_class.add_column("label", max_width=24)
        for name in ("examples", "precision", "recall", "F1"):
            per_class.add_column(name, justify="right")
        for cls in found.classes:
            per_class.add_row(Text(cls.label), *_class_cells(cls))
        console.print(per_class)
        console.print(Text(f"most confused: {confusions_text(found)}"))
    _render_slices(report, console)
    console.print(Text(CAPTION, style="dim"))


def _render_slices(report: ClassificationReport, console: Console) -> None:
    candidates = [c.candidate_id for c in report.candidates]
    for field, values in _by_field(report).items():
        shown = Table(title=f"classification by {field}", title_justify="left")
        shown.add_column(field, max_width=24)
        for candidate in candidates:
            shown.add_column(f"{candidate} accuracy", justify="right")
            shown.add_column(f"{candidate} macro-F1", justify="right")
        for value in values:
            shown.add_row(Text(value.value), *_slice_cells(value, candidates))
        console.print(shown)


def _class_cells(cls: ClassMetrics) -> list[str]:
    """Examples, precision, recall and F1 of one label, as both tables write them."""
    return [
        str(cls.support),
        rate_cell(cls.precision) if cls.precision else "never predicted",
        rate_cell(cls.recall) if cls.recall else "–",
        f1_text(cls.f1),
    ]


def _slice_cells(value: SliceClassification, candidates: Sequence[str]) -> list[str]:
    """Each candidate's accuracy and macro-F1 on one slice value."""
    return [
        cell
        for c in candidates
        for cell in (
            rate_cell(value.by_candidate[c].accuracy),
            f1_text(value.by_candidate[c].macro_f1),
        )
    ]


def _by_field(report: ClassificationReport) -> dict[str, list[SliceClassification]]:
    fields: dict[str, list[SliceClassification]] = {}
    for value in report.slices:
        fields.setdefault(value.field, []).append(value)
    return fields


def classification_markdown(report: ClassificationReport) -> str:
    """The report's "Classification" section body."""
    parts = [plain(report.note)]
    for found in report.candidates:
        columns = found.columns
        matrix = table(
            ["Reference → read as", *map(untrusted, columns)],
            [
                [untrusted(label), *(str(found.count(label, c)) for c in columns)]
                for label in found.labels
            ],
            right=range(1, len(columns) + 1),
        )
        classes = table(
            ["Label", "Examples", "Precision", "Recall", "F1"],
            [[untrusted(cls.label), *_class_cells(cls)] for cls in found.classes],
            right=range(1, 5),
        )
        confused = "; ".join(
            f"{untrusted(ref)} read as {untrusted(pred)} ({n})"
            for ref, pred, n in found.confusions()
        )
        parts.append(
            f"#### {plain(found.candidate_id)}\n\n{headline(found)}\n\n{matrix}\n\n"
            f"{classes}\n\nMost confused: {confused or 'no example was read as another label'}."
        )
    candidates = [c.candidate_id for c in report.candidates]
    for field, values in _by_field(report).items():
        rows = [[untrusted(value.value), *_slice_cells(value, candidates)] for value in values]
        headers = [
            plain(field),
            *(h for c in candidates for h in (f"{plain(c)} accuracy", f"{plain(c)} macro-F1")),
        ]
        parts.append(f"#### By {plain(field)}\n\n{table(headers, rows, range(1, len(headers)))}")
    parts.append(plain(CAPTION))
    return "\n\n".join(parts)
