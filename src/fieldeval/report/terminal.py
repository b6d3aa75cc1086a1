"""The run summary as a terminal table (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.analysis.stats import Rate
from fieldeval.analysis.summary import CandidateSummary, RunSummary


def render_summary(summary: RunSummary, console: Console) -> None:
    """Print one row per candidate, then what is missing and where the run lives."""
    run = summary.run
    table = Table(
        title=f"{run.suite_name} · run {run.id} · {run.status}",
        title_justify="left",
        caption="pass = every check passed, among answered outputs; interval: 95% Wilson. "
        "Latency over answered outputs.",
        caption_justify="left",
    )
    table.add_column("candidate", style="bold")
    table.add_column("n", justify="right")
    table.add_column("pass rate [95% CI]", justify="right")
    table.add_column("failures per check")
    table.add_column("errors", justify="right")
    table.add_column("latency p50/p95", justify="right")
    table.add_column("TTFT p50", justify="right")
    table.add_column("mean tokens in/out", justify="right")
    for candidate in summary.candidates:
        table.add_row(
            candidate.candidate_id,
            str(candidate.n),
            _rate(candidate.pass_rate),
            _failures(candidate),
            _errors(candidate),
            f"{_ms(candidate.latency_p50_ms)} / {_ms(candidate.latency_p95_ms)}",
            _ms(candidate.ttft_p50_ms),
            _tokens(candidate),
        )
    console.print(table)
    if summary.missing:
        console.print(
            f"[yellow]{summary.missing} planned outputs are missing[/]: "
            f"finish them with `fieldeval run {run.suite_path} --resume {run.id}`"
        )


def _rate(rate: Rate) -> Text:
    if rate.n == 0:
        return Text("–", style="dim")
    return Text.assemble(
        (f"{100 * rate.k / rate.n:.0f}%", "bold"),
        f" {rate.k}/{rate.n} ",
        (f"[{100 * rate.low:.0f}–{100 * rate.high:.0f}%]", "dim"),
    )


def _failures(candidate: CandidateSummary) -> Text:
    failed = [(c, n) for c, n in candidate.check_failures.items() if n]
    if not candidate.check_failures:
        return Text("no checks", style="dim")
    if not failed:
        return Text("none", style="green")
    return Text(", ".join(f"{check} {n}" for check, n in failed), style="red")


def _errors(candidate: CandidateSummary) -> Text:
    if not candidate.errors:
        return Text("0", style="dim")
    detail = ", ".join(f"{kind} {n}" for kind, n in sorted(candidate.errors.items()))
    return Text(f"{candidate.error_count} ({detail})", style="red")


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def _tokens(candidate: CandidateSummary) -> str:
    if candidate.mean_input_tokens is None or candidate.mean_output_tokens is None:
        return "–"
    mark = "~" if candidate.tokens_estimated else ""
    return f"{mark}{candidate.mean_input_tokens:.0f} / {mark}{candidate.mean_output_tokens:.0f}"
