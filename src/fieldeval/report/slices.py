"""Pass rates per slice value, as a terminal table and a Markdown section."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.notation import p_value, points_interval
from fieldeval.report.markdown_text import plain, rate_cell, table, untrusted
from fieldeval.results.slices import SliceField, SlicePair

CAPTION = (
    "pass rate [95% Wilson] (passed/answered examples) per slice value; a − b: the difference "
    "in points on the value's examples both answered [95% Agresti–Min], p Holm-adjusted "
    "across every value and pair of the run."
)


def render_slices(
    fields: Sequence[SliceField], candidates: Sequence[str], console: Console
) -> None:
    """One table per slice field: a row per value, a column per candidate and per pair."""
    for field in fields:
        shown = Table(
            title=f"pass rate by {field.field}",
            title_justify="left",
            caption=" ".join(filter(None, (CAPTION, _hidden(field)))),
            caption_justify="left",
        )
        # The value and its count never squeeze to nothing; a long value folds at 24.
        shown.add_column(field.field, min_width=min(len(field.field), 12), max_width=24)
        shown.add_column("examples", justify="right", no_wrap=True)
        for candidate in candidates:
            shown.add_column(candidate, justify="right")
        for a, b in field.pairs:
            shown.add_column(f"{a} − {b}", justify="right")
        for value in field.values:
            shown.add_row(
                Text(value.value),
                str(value.examples),
                *(rate_cell(value.rates[c]) for c in candidates),
                *(_pair_cell(value.pair(a, b)) for a, b in field.pairs),
            )
        console.print(shown)


def slices_markdown(fields: Sequence[SliceField], candidates: Sequence[str]) -> str:
    """The report's "By slice" section body; empty when the dataset names no slices."""
    parts = []
    for field in fields:
        rows = [
            [
                untrusted(value.value),
                str(value.examples),
                *(rate_cell(value.rates[c]) for c in candidates),
                *(_pair_cell(value.pair(a, b)) for a, b in field.pairs),
            ]
            for value in field.values
        ]
        pairs = [plain(f"{a} − {b}") for a, b in field.pairs]
        headers = [plain(field.field), "Examples", *map(plain, candidates), *pairs]
        right = range(1, len(headers))
        hidden = f"\n\n{_hidden(field)}" if field.hidden else ""
        parts.append(f"### By {plain(field.field)}\n\n{table(headers, rows, right)}{hidden}")
    return "\n\n".join(parts)


def _pair_cell(pair: SlicePair | None) -> str:
    if pair is None:
        return "–"
    paired = pair.paired
    interval = points_interval(paired.difference, paired.low, paired.high)
    p = p_value(pair.adjusted_p)
    return f"{interval} p{p if p.startswith('<') else '=' + p} (n={paired.n})"


def _hidden(field: SliceField) -> str:
    if not field.hidden:
        return ""
    return f"{field.hidden} more values with fewer examples are not shown."
