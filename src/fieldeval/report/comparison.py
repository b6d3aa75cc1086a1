"""Run against run, and the gate's verdict on it, as terminal output (rich).

Outputs and inputs are untrusted text: they go through `Text`, never through markup.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from fieldeval.notation import number, p_value, percent, points_interval, signed, truncate
from fieldeval.records.run import StoredOutput
from fieldeval.results.changes import Change
from fieldeval.results.compare import (
    CandidateComparison,
    Flip,
    MetricDelta,
    NumberDelta,
    RunComparison,
)
from fieldeval.results.gate import GateResult

INPUT_CHARS = 200
OUTPUT_CHARS = 200
MAX_FLIPS = 20  # per direction and candidate; the JSON export has them all
# metric -> (label, unit) for the per-output numbers
NUMBERS = {
    "latency_ms": ("latency", "ms"),
    "ttft_ms": ("TTFT", "ms"),
    "input_tokens": ("tokens in", ""),
    "output_tokens": ("tokens out", ""),
    "cost_usd": ("cost", "$"),
}


def render_comparison(comparison: RunComparison, console: Console) -> None:
    """What changed between the runs, then per candidate its metrics, numbers and flips."""
    before, after = comparison.before, comparison.after
    suites = (
        before.suite_name
        if before.suite_name == after.suite_name
        else f"{before.suite_name} → {after.suite_name}"
    )
    console.print(
        Text.assemble(("compare ", "bold"), f"{suites}: run {before.id} → run {after.id}")
    )
    _render_changes(comparison, console)
    for candidate in comparison.candidates:
        console.print()
        _render_candidate(candidate, console)


def render_gate(result: GateResult, console: Console) -> None:
    """The verdict, failing findings first, then the rest, then the known failures."""
    comparison = result.comparison
    verdict = ("PASS", "bold green") if result.passed else ("FAIL", "bold red")
    failing = sum(f.failing for f in result.findings)
    console.print(
        Text.assemble(
            verdict,
            f"  {comparison.after.suite_name}: run {comparison.after.id} against baseline "
            f"{comparison.before.id}",
            f" ({failing} finding{' fails' if failing == 1 else 's fail'} the gate)"
            if failing
            else "",
        )
    )
    for line in gate_scope(comparison):
        console.print(Text(line, style="yellow"))
    if result.findings:
        table = Table(title_justify="left", show_edge=False)
        for column in ("", "kind", "candidate", "subject", "detail"):
            table.add_column(column, no_wrap=column != "detail")
        ordered = sorted(result.findings, key=lambda f: not f.failing)  # stable: keeps the rest
        for finding in ordered:
            table.add_row(
                Text("fail", style="bold red") if finding.failing else Text("ok", style="dim"),
                finding.kind.replace("_", " "),
                Text(finding.candidate_id),
                Text(finding.subject),
                Text(finding.detail),
            )
        console.print(table)
    else:
        console.print(
            "no findings: no supported regression, no new critical failure, no threshold missed"
        )
    known = len(result.known_failures)
    console.print(
        f"{known} known failure{'s' if known != 1 else ''}: an example failing a check in both "
        "runs is not counted against this change",
        style="dim",
    )


def gate_scope(comparison: RunComparison) -> list[str]:
    """What the gate could not judge: a dataset that changed, candidates in one run only."""
    lines = []
    if not comparison.same_dataset:
        first = comparison.candidates[0] if comparison.candidates else None
        counts = (
            f": {first.n_paired} examples in both are paired, {first.only_before} only in the"
            f" baseline and {first.only_after} only in this run are not"
            if first is not None
            else ""
        )
        lines.append(
            f"the dataset changed since the baseline ({comparison.before.dataset_hash[:17]}… →"
            f" {comparison.after.dataset_hash[:17]}…){counts}"
        )
    if comparison.only_before:
        lines.append(
            "not gated: " + ", ".join(comparison.only_before) + " ran in the baseline but not in"
            " this run"
        )
    if comparison.only_after:
        lines.append(
            "not gated: " + ", ".join(comparison.only_after) + " has no baseline to be compared"
            " with"
        )
    return lines


def _render_changes(comparison: RunComparison, console: Console) -> None:
    lines: list[Text] = []
    before, after = comparison.before, comparison.after
    if comparison.same_dataset:
        lines.append(Text(f"dataset: same ({before.dataset_hash[:17]}…)"))
    else:
        lines.append(
            Text(
                f"dataset: different ({before.dataset_hash[:17]}… → {after.dataset_hash[:17]}…); "
                "only examples in both runs are paired",
                style="yellow",
            )
        )
    lines.extend(_change("suite", change) for change in comparison.suite_changes)
    for candidate in comparison.candidates:
        lines.extend(_change(candidate.candidate_id, c) for c in candidate.config_changes)
    if comparison.only_before:
        lines.append(Text("only in the earlier run: " + ", ".join(comparison.only_before)))
    if comparison.only_after:
        lines.append(Text("only in the later run: " + ", ".join(comparison.only_after)))
    if len(lines) == 1 and comparison.same_dataset:
        lines.append(Text("no change to the suite or the candidates' configs", style="dim"))
    console.print(Text("what changed", style="bold"))
    console.print(Padding(Group(*lines), (0, 0, 0, 2), expand=False))


def _change(owner: str, change: Change) -> Text:
    return Text.assemble(
        (f"{owner}: ", "bold"),
        f"{change.path}: ",
        (_value(change.before), "red"),
        " → ",
        (_value(change.after), "green"),
    )


def _value(value: Any) -> str:
    return truncate(json.dumps(value, ensure_ascii=False, default=str), 80)


def _render_candidate(candidate: CandidateComparison, console: Console) -> None:
    flips = candidate.flips
    regressed = [f for f in flips if f.direction == "regressed"]
    fixed = [f for f in flips if f.direction == "fixed"]
    extra = []
    if candidate.only_before or candidate.only_after:
        extra.append(f"{candidate.only_before} only before, {candidate.only_after} only after")
    console.print(
        Text.assemble(
            (candidate.candidate_id, "bold"),
            f": {candidate.n_paired} examples in both runs, ",
            (f"{len(regressed)} regressed", "red" if regressed else ""),
            ", ",
            (f"{len(fixed)} fixed", "green" if fixed else ""),
            f", {len(candidate.still_failing)} failing in both",
            *(f"; {e}" for e in extra),
        )
    )
    if candidate.metrics:
        console.print(_metrics_table(candidate.metrics))
    numbers = [n for n in candidate.numbers if n.before_median is not None or n.paired]
    if numbers:
        console.print(_numbers_table(numbers))
    for direction, group in (("regressed", regressed), ("fixed", fixed)):
        for flip in group[:MAX_FLIPS]:
            console.print(_flip(flip))
        if len(group) > MAX_FLIPS:
            console.print(f"  … and {len(group) - MAX_FLIPS} more {direction}", style="dim")


def _metrics_table(metrics: tuple[MetricDelta, ...]) -> Table:
    table = Table(
        caption="Δ = after − before on the examples both runs answered, in points "
        "[95% Agresti–Min interval]; p = McNemar mid-p; adjusted = Holm across these metrics.",
        caption_justify="left",
    )
    table.add_column("metric", no_wrap=True)
    for column in ("before", "after", "Δ points", "p", "adjusted p"):
        table.add_column(column, justify="right", no_wrap=True)
    for metric in metrics:
        paired = metric.paired
        table.add_row(
            Text(metric.metric),
            f"{percent(metric.before.value)} {metric.before.k}/{metric.before.n}",
            f"{percent(metric.after.value)} {metric.after.k}/{metric.after.n}",
            _colored(paired.difference, paired.low, paired.high),
            p_value(paired.p_value),
            p_value(metric.adjusted_p),
        )
    return table


def _numbers_table(numbers: list[NumberDelta]) -> Table:
    table = Table(
        caption="median over answered outputs; mean Δ = after − before on paired examples "
        "[95% paired bootstrap interval].",
        caption_justify="left",
    )
    table.add_column("number", no_wrap=True)
    table.add_column("median before → after", justify="right", no_wrap=True)
    table.add_column("mean Δ", justify="right", no_wrap=True)
    for delta in numbers:
        label, unit = NUMBERS.get(delta.metric, (delta.metric, ""))
        paired = delta.paired
        if paired is None:
            mean = "–"
        elif paired.low == paired.high:
            # Every example changed by the same amount (often none): each resample repeats it,
            # and a zero-width interval would claim a certainty the examples cannot give.
            mean = f"{signed(paired.difference, unit)} on every example (no interval)"
        else:
            mean = (
                f"{signed(paired.difference, unit)} "
                f"[{signed(paired.low, unit)}, {signed(paired.high, unit)}]"
            )
        table.add_row(
            label,
            f"{number(delta.before_median, unit)} → {number(delta.after_median, unit)}",
            mean,
        )
    return table


def _flip(flip: Flip) -> Group:
    style = "bold red" if flip.direction == "regressed" else "bold green"
    lines: list[RenderableType] = [
        Text.assemble((f"{flip.direction:<9}", style), " ", (flip.example_id, "bold")),
        _labelled("input", Text(truncate(flip.input, INPUT_CHARS))),
        _labelled("before", _output(flip.before, flip.failed_before)),
        _labelled("after", _output(flip.after, flip.failed_after)),
    ]
    return Group(*lines)


def _labelled(label: str, body: Text) -> Padding:
    return Padding(Text.assemble((f"{label:<7}", "dim"), body), (0, 0, 0, 2), expand=False)


def _output(output: StoredOutput, failed: tuple[str, ...]) -> Text:
    if output.text is None or not output.ok:
        body = Text(f"error: {output.error_kind}: {truncate(output.error_message or '', 120)}")
    else:
        body = Text(truncate(output.text, OUTPUT_CHARS))
    if failed:
        body.append(f"  ✗ {', '.join(failed)}", style="red")
    else:
        body.append("  ✓ passed", style="green")
    return body


def _colored(difference: float, low: float, high: float) -> Text:
    style = "red" if high < 0 else "green" if low > 0 else ""  # only when the interval says so
    return Text(points_interval(difference, low, high), style=style)
