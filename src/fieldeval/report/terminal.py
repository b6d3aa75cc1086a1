"""A run as terminal tables (rich): its summary, its candidates paired, its flaky examples."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.notation import p_value, points_interval
from fieldeval.report.latency_text import shared_server_note
from fieldeval.results.candidates import CANNOT_SEPARATE, CandidatePair
from fieldeval.results.repeats import Stability
from fieldeval.results.summary import CandidateSummary, RunSummary
from fieldeval.stats.intervals import Mean, Rate

MAX_FLAKY_ROWS = 20


def render_summary(
    summary: RunSummary, console: Console, *, shared: Sequence[tuple[str, ...]] = ()
) -> None:
    """One row per candidate, then failures per check, then what is missing.

    `shared`: groups of candidates one server answered together, whose latencies are
    partly each other's queue.
    """
    console.print(_candidates_table(summary))
    for group in shared:
        console.print(Text(shared_server_note(group, summary.run.suite_path)), style="yellow")
    checks = _checks_table(summary)
    if checks is not None:
        console.print(checks)
    if summary.missing:
        run = summary.run
        console.print(
            f"[yellow]{summary.missing} planned outputs are missing[/]: "
            f"finish them with `fieldeval run {run.suite_path} --resume-run {run.id}`"
        )


def render_candidate_pairs(pairs: Sequence[CandidatePair], console: Console) -> None:
    """Every pair of candidates on the examples both answered, Holm-corrected across pairs."""
    if not pairs:
        return
    table = Table(
        title="candidates against each other (paired on the same examples)",
        title_justify="left",
        caption="difference = pass rate of the first − the second, in points [95% Agresti–Min "
        "interval]; mid-p = McNemar mid-p; Holm p = adjusted across "
        f"{len(pairs)} pair{'s' if len(pairs) != 1 else ''}.",
        caption_justify="left",
    )
    # Numbers never wrap; on a narrow terminal the names and the verdict do.
    table.add_column("pair")
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("difference", justify="right", no_wrap=True)
    table.add_column("mid-p", justify="right", no_wrap=True)
    table.add_column("Holm p", justify="right", no_wrap=True)
    table.add_column("verdict")
    for pair in pairs:
        paired = pair.paired
        table.add_row(
            Text(f"{pair.a} − {pair.b}"),
            str(paired.n),
            points_interval(paired.difference, paired.low, paired.high),
            p_value(paired.p_value),
            p_value(pair.adjusted_p),
            _verdict(pair),
        )
    console.print(table)


def render_flaky(stabilities: Sequence[Stability], repeats: int, console: Console) -> None:
    """Examples that passed in some repeats and failed in others, least stable first."""
    flaky = sorted(
        (s for s in stabilities if s.flaky),
        key=lambda s: (abs(s.fraction - 0.5), s.candidate_id, s.example_id),
    )
    if not flaky:
        console.print(
            f"no flaky examples: each passed in all or none of its {repeats} repeats", style="dim"
        )
        return
    # A line, not a table title: a title wraps to the width of this narrow table.
    console.print(f"flaky examples: {len(flaky)} passed in some of {repeats} repeats, not all")
    table = Table()
    table.add_column("candidate", no_wrap=True)
    table.add_column("example", no_wrap=True)
    table.add_column("passed", justify="right", no_wrap=True)
    for stable in flaky[:MAX_FLAKY_ROWS]:
        table.add_row(
            Text(stable.candidate_id),
            Text(stable.example_id),
            f"{stable.passes}/{stable.runs}",
        )
    console.print(table)
    if len(flaky) > MAX_FLAKY_ROWS:
        console.print(f"… and {len(flaky) - MAX_FLAKY_ROWS} more", style="dim")


def _verdict(pair: CandidatePair) -> Text:
    if pair.verdict == CANNOT_SEPARATE:
        return Text(CANNOT_SEPARATE, style="dim")
    better = pair.a if pair.verdict == "a better" else pair.b
    return Text(f"{better} is better", style="bold green")


def _candidates_table(summary: RunSummary) -> Table:
    run = summary.run
    table = Table(
        title=f"{run.suite_name} · run {run.id} · {run.status}",
        title_justify="left",
        caption=_pass_rate_caption(summary)
        + " errors: calls that failed after their retries (· outputs that needed a retry)."
        " e2e = end-to-end latency, TTFT = time to first token, tokens = mean per output; "
        "all over answered outputs.",
        caption_justify="left",
    )
    table.add_column("candidate", style="bold", no_wrap=True)
    table.add_column("n", justify="right")
    table.add_column("pass rate", justify="right", no_wrap=True)
    table.add_column("errors", justify="right", min_width=6)
    table.add_column("p50 e2e", justify="right", no_wrap=True)
    table.add_column("p95 e2e", justify="right", no_wrap=True)
    table.add_column("p50 TTFT", justify="right", no_wrap=True)
    table.add_column("tokens in/out", justify="right", no_wrap=True)
    for candidate in summary.candidates:
        table.add_row(
            candidate.candidate_id,
            str(candidate.n),
            _rate(candidate.pass_rate)
            if candidate.pass_mean is None
            else _mean(candidate.pass_mean),
            _errors(candidate),
            _ms(candidate.latency_p50_ms),
            _ms(candidate.latency_p95_ms),
            _ms(candidate.ttft_p50_ms),
            _tokens(candidate),
        )
    return table


def _checks_table(summary: RunSummary) -> Table | None:
    check_ids = list(dict.fromkeys(c for s in summary.candidates for c in s.check_rates))
    if not check_ids:
        return None
    measured = {
        str(c.get("id")) for c in summary.run.suite.get("checks", ()) if c.get("metric_only")
    }
    table = Table(
        title="failures per check (failed/applied)",
        title_justify="left",
        caption="metric only: measured, but not part of the pass" if measured else None,
        caption_justify="left",
    )
    table.add_column("check", no_wrap=True)
    for candidate in summary.candidates:
        table.add_column(candidate.candidate_id, justify="right", no_wrap=True)
    for check_id in check_ids:
        cells: list[Text | str] = [
            f"{check_id} (metric only)" if check_id in measured else check_id
        ]
        for candidate in summary.candidates:
            rate = candidate.check_rates.get(check_id)
            if rate is None or rate.n == 0:
                cells.append(Text("–", style="dim"))
                continue
            failed = rate.n - rate.k
            cells.append(Text(f"{failed}/{rate.n}", style="red" if failed else "green"))
        table.add_row(*cells)
    return table


def _rate(rate: Rate) -> Text:
    if rate.n == 0:
        return Text("–", style="dim")
    return Text.assemble(
        (f"{100 * rate.k / rate.n:.0f}%", "bold"),
        f" {rate.k}/{rate.n} ",
        (f"[{100 * rate.low:.0f}–{100 * rate.high:.0f}%]", "dim"),
    )


def _mean(mean: Mean) -> Text:
    unit = f"{mean.clusters} clusters" if mean.clusters is not None else f"{mean.n} examples"
    return Text.assemble(
        (f"{100 * mean.value:.0f}%", "bold"),
        f" of {unit} ",
        (f"[{100 * max(0.0, mean.low):.0f}–{100 * min(1.0, mean.high):.0f}%]", "dim"),
    )


def _pass_rate_caption(summary: RunSummary) -> str:
    means = [c.pass_mean for c in summary.candidates if c.pass_mean is not None]
    if not means:
        return "pass = answered and every check passed, [95% Wilson interval]."
    repeats = summary.run.repeats
    unit = (
        f"each example's pass fraction over its {repeats} repeats"
        if repeats > 1
        else ("each example's pass (0 or 1)")
    )
    if any(m.clusters is not None for m in means):
        return (
            f"pass = mean of {unit}, [95% Wilson interval on the effective number of examples, "
            "from the clustered standard error]."
        )
    return f"pass = mean of {unit}, [95% Wilson interval on the effective number of examples]."


def _errors(candidate: CandidateSummary) -> Text:
    """Errors after retries, by kind; then how many outputs needed a retry to get there."""
    if candidate.errors:
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(candidate.errors.items()))
        cell = Text(f"{candidate.error_count} ({detail})", style="red")
    else:
        cell = Text("0", style="dim")
    if candidate.retried:
        cell.append(f" · {candidate.retried} retried", style="yellow")
    return cell


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def _tokens(candidate: CandidateSummary) -> str:
    if candidate.mean_input_tokens is None or candidate.mean_output_tokens is None:
        return "–"
    mark = "~" if candidate.tokens_estimated else ""
    return f"{mark}{candidate.mean_input_tokens:.0f}/{mark}{candidate.mean_output_tokens:.0f}"
